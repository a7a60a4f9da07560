"""The overdue page's counts, summed from the aggregate (claims/reports/figures.py), are the counts of the overdue
claims themselves, for every user who sees the page, on every day."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta

from flask import Flask
from sqlalchemy import func, select

from claims.accounts.models import Role, User
from claims.accounts.services import create_user, find_user
from claims.core import time as clock
from claims.core.time import LOCAL_TZ, local_today
from claims.extensions import db
from claims.intake.models import Claim
from claims.intake.permissions import scope_filter
from claims.regions.models import Region
from claims.reports.figures import counted_rows, stored_rows
from claims.survey.models import SurveyAssignment, assignment_surveyors
from claims.workflow import queues
from claims.workflow.states import OPEN_STATES, ClaimStatus
from tests.conftest import DEMO_PASSWORD
from tests.pages_world import pages_world


def _from_the_claims(user: User, day: date) -> tuple[Counter[str], Counter[str], Counter[str]]:
    """Per township, county and surveyor, counted from the overdue claims in the user's scope."""
    overdue = (scope_filter(user), queues.overdue_on(day))
    names: dict[int | None, str] = {key: name for key, name in db.session.execute(select(Region.id, Region.name))}
    by_township: Counter[str] = Counter()
    by_county: Counter[str] = Counter()
    for county, township in db.session.execute(select(Claim.county_id, Claim.township_id).where(*overdue)):
        by_township[names.get(township, "—")] += 1
        by_county[names.get(county, "—")] += 1
    surveyors = (
        select(User.name, func.count())
        .select_from(Claim)
        .join(SurveyAssignment, (SurveyAssignment.claim_id == Claim.id) & (SurveyAssignment.round == Claim.survey_round))
        .join(assignment_surveyors, assignment_surveyors.c.assignment_id == SurveyAssignment.id)
        .join(User, User.id == assignment_surveyors.c.user_id)
        .where(*overdue, Claim.status == ClaimStatus.SURVEY_ASSIGNED)
        .group_by(User.id, User.name)
    )
    by_officer: Counter[str] = Counter()
    for name, n in db.session.execute(surveyors):
        by_officer[name] += n
    return by_township, by_county, by_officer


def test_the_counts_from_the_aggregate_are_the_overdue_claims_for_every_user_and_day(app: Flask) -> None:
    pages_world(app)  # claims in every state, in two counties, filed through the services
    with app.app_context():
        assert stored_rows() == counted_rows()  # the world's steps kept the aggregate, deadlines included
        # Beside the world's province admin and county staff: a county's admin, and a clerk whose account was closed.
        nan = db.session.execute(select(Region).where(Region.code == "430921")).scalar_one()
        create_user(login="admin_nan", name="县管理员", role=Role.ADMIN, region=nan, password=DEMO_PASSWORD)
        closed = create_user(login="clerk_gone", name="离职人员", role=Role.CLERK, region=find_user("clerk").region, password=DEMO_PASSWORD)
        closed.active = False
        db.session.commit()
        users = [u for u in db.session.execute(select(User).order_by(User.id)).scalars() if u.role in queues.OVERDUE_ROLES]
        assert {u.role for u in users} == set(queues.OVERDUE_ROLES)
        assert _from_the_claims(find_user("clerk_gone"), date(2100, 1, 1)) == (Counter(), Counter(), Counter())
        assert _from_the_claims(find_user("admin_nan"), date(2100, 1, 1)) != _from_the_claims(find_user("admin"), date(2100, 1, 1))
        due = sorted({d for d in db.session.execute(select(Claim.due_at).where(Claim.status.in_(OPEN_STATES))).scalars() if d})
        assert len(due) > 3
        seen = Counter[str]()
        # Each deadline's day (its claims not yet overdue, the earlier ones overdue) and the day after the last.
        for day in [*due, due[-1] + timedelta(days=1)]:
            clock.freeze(datetime.combine(day, time(9), LOCAL_TZ))
            assert local_today() == day
            for user in users:
                report = queues.overdue(user)
                assert (report.by_township, report.by_county, report.by_officer) == _from_the_claims(user, day), (user.login, day)
                seen.update(report.by_officer)
        clock.freeze(None)
        assert seen, "no overdue claim waiting for a survey was counted: the test would not see the surveyors' counts"
