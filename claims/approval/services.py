"""Public notice of payees, objections, and approval by the county (one or two approvers)."""

from __future__ import annotations

import secrets
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select

from claims.accounts.models import User
from claims.approval.models import Approval, NoticeEntry, Objection, Payment, Share
from claims.extensions import db
from claims.insurance.models import Split
from claims.intake.models import Claim
from claims.regions.models import Region
from claims.survey.models import FieldSurvey, SurveyAssignment
from claims.survey.permissions import conflict_problem
from claims.workflow.models import AuditEvent
from claims.workflow.states import ClaimStatus

NOTICE_SOURCES = frozenset({ClaimStatus.VALUED, ClaimStatus.INSURER_DECIDED})
# Actions that make a person the filer, surveyor or valuer of a claim (separation of duties).
PARTY_ACTIONS = frozenset(
    {"draft_started", "submit", "resubmit", "survey_eligible", "survey_refused", "value", "valuation_computed", "valuation_recomputed", "valuation_adjusted"}
)


def award_total(claim: Claim) -> Decimal:
    split = db.session.get(Split, claim.id)
    return (split.insurer_share + split.government_share) if split else Decimal("0.00")


def ready_for_notice(township: Region) -> list[Claim]:
    query = select(Claim).where(Claim.township_id == township.id, Claim.status.in_(NOTICE_SOURCES)).order_by(Claim.id)
    return [c for c in db.session.execute(query).scalars() if db.session.get(Split, c.id) is not None]


def current_entry(claim: Claim) -> NoticeEntry | None:
    query = select(NoticeEntry).where(NoticeEntry.claim_id == claim.id, NoticeEntry.withdrawn.is_(False)).order_by(NoticeEntry.id.desc())
    return db.session.execute(query.limit(1)).scalar_one_or_none()


def party_problem(claim: Claim, user: User, message: str | None = None) -> str | None:
    """Whoever filed, surveyed or valued a claim may not approve it, nor review an objection to it (quality.md 7)."""
    events = select(AuditEvent.id).where(AuditEvent.claim_id == claim.id, AuditEvent.actor_id == user.id, AuditEvent.action.in_(PARTY_ACTIONS))
    surveyed = select(SurveyAssignment.id).where(SurveyAssignment.claim_id == claim.id, SurveyAssignment.surveyors.any(User.id == user.id))
    recorded = select(FieldSurvey.id).where(FieldSurvey.claim_id == claim.id, FieldSurvey.recorded_by_id == user.id)
    if any(db.session.execute(q.limit(1)).first() for q in (events, surveyed, recorded)):
        return message or _("You filed, surveyed or valued this claim, so you may not approve it.")
    return conflict_problem(claim, user)


def new_payment(claim: Claim, share: Share, amount: Decimal) -> Payment:
    payment = Payment(claim_id=claim.id, share=share, amount=amount, reference=f"P{claim.id:07d}{share.value[0].upper()}{secrets.token_hex(3).upper()}")
    db.session.add(payment)
    return payment


def objections_of(claim: Claim) -> list[Objection]:
    return list(db.session.execute(select(Objection).where(Objection.claim_id == claim.id).order_by(Objection.id)).scalars())


def open_objection(claim: Claim) -> Objection | None:
    """The objection under review (at most one: a claim under review is off the notice's objection form)."""
    query = select(Objection).where(Objection.claim_id == claim.id, Objection.outcome.is_(None)).order_by(Objection.id.desc())
    return db.session.execute(query.limit(1)).scalar_one_or_none()


def objection_queue(county_id: int) -> list[Claim]:
    query = select(Claim).where(Claim.county_id == county_id, Claim.status == ClaimStatus.OBJECTION_REVIEW).order_by(Claim.due_at, Claim.id)
    return list(db.session.execute(query).scalars())


def claim_round(claim: Claim) -> int:
    """Approval round: one more than the number of objections, so approvals before an objection do not count."""
    query = select(Objection.id).where(Objection.claim_id == claim.id)
    return len(db.session.execute(query).all()) + 1


def approvals_this_round(claim: Claim) -> list[Approval]:
    query = select(Approval).where(Approval.claim_id == claim.id, Approval.round == claim_round(claim)).order_by(Approval.id)
    return list(db.session.execute(query).scalars())


def approval_queue(county_id: int) -> list[Claim]:
    query = select(Claim).where(Claim.county_id == county_id, Claim.status == ClaimStatus.IN_NOTICE).order_by(Claim.due_at, Claim.id)
    return list(db.session.execute(query).scalars())


def payments_of(claim: Claim) -> list[Payment]:
    return list(db.session.execute(select(Payment).where(Payment.claim_id == claim.id).order_by(Payment.id)).scalars())
