"""Work queues sorted by deadline, and overdue claims per officer, township and county."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import select

from claims.accounts.models import Role, User
from claims.core.time import local_today
from claims.extensions import db
from claims.intake.models import Claim
from claims.intake.permissions import scope_filter
from claims.survey.models import SurveyAssignment
from claims.workflow.states import FINAL_STATES, STATUS_INFO, ClaimStatus

OPEN_STATES = [s for s in ClaimStatus if s not in FINAL_STATES and s != ClaimStatus.DRAFT]


# States in which another role than the one the status names may act too: a county officer reviews objections.
ALSO_ACTED_BY = {Role.OFFICER: [ClaimStatus.OBJECTION_REVIEW]}


def states_acted_by(role: Role) -> list[ClaimStatus]:
    return [s for s in OPEN_STATES if STATUS_INFO[s].actor == role] + ALSO_ACTED_BY.get(role, [])


def todo_queue(user: User, limit: int = 100) -> list[Claim]:
    """Open claims in the user's scope whose next step is the user's role, the most urgent first."""
    waiting = Claim.status.in_(states_acted_by(user.role))
    if user.role == Role.OFFICER:  # a claim a clerk filed may wait for a county officer's intake (separation of duties)
        filed_by_clerk = select(User.id).where(User.id == Claim.filed_by_id, User.role == Role.CLERK).exists()
        waiting = waiting | ((Claim.status == ClaimStatus.SUBMITTED) & filed_by_clerk)
    query = select(Claim).where(scope_filter(user), waiting)
    if user.role == Role.OFFICER:
        assigned_elsewhere = (
            select(SurveyAssignment.claim_id)
            .where(SurveyAssignment.round == Claim.survey_round, SurveyAssignment.claim_id == Claim.id, ~SurveyAssignment.surveyors.any(User.id == user.id))
            .exists()
        )
        query = query.where(~((Claim.status == ClaimStatus.SURVEY_ASSIGNED) & assigned_elsewhere))
    query = query.order_by(Claim.due_at.is_(None), Claim.due_at, Claim.id).limit(limit)
    return list(db.session.execute(query).scalars())


@dataclass
class OverdueReport:
    claims: list[Claim] = field(default_factory=list)
    by_township: Counter[str] = field(default_factory=Counter)
    by_officer: Counter[str] = field(default_factory=Counter)
    by_county: Counter[str] = field(default_factory=Counter)


def overdue(user: User) -> OverdueReport:
    today = local_today()
    query = select(Claim).where(scope_filter(user), Claim.status.in_(OPEN_STATES), Claim.due_at < today).order_by(Claim.due_at, Claim.id)
    report = OverdueReport(claims=list(db.session.execute(query).scalars()))
    for claim in report.claims:
        report.by_township[claim.township.name if claim.township else "—"] += 1
        report.by_county[claim.county.name if claim.county else "—"] += 1
        if claim.status == ClaimStatus.SURVEY_ASSIGNED:
            for assignment in db.session.execute(
                select(SurveyAssignment).where(SurveyAssignment.claim_id == claim.id, SurveyAssignment.round == claim.survey_round)
            ).scalars():
                for surveyor in assignment.surveyors:
                    report.by_officer[surveyor.name] += 1
    return report


def is_overdue(claim: Claim) -> bool:
    return claim.due_at is not None and claim.status in OPEN_STATES and claim.due_at < local_today()
