"""Who may see a claim is one rule: `can_view_claim` in Python and `scope_filter` + `staff_draft_filter` in SQL agree."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from claims.accounts.models import User
from claims.extensions import db
from claims.intake.models import Claim
from claims.intake.permissions import can_view_claim, scope_filter, staff_draft_filter
from tests.pages_world import pages_world


def test_the_python_rule_and_the_sql_rule_agree_for_every_user_and_claim(app: Flask) -> None:
    pages_world(app)  # claims in every state, in two counties, with drafts, an insurer's referrals
    with app.app_context():
        claims = list(db.session.execute(select(Claim)).scalars())
        users = list(db.session.execute(select(User)).scalars())
        assert len(claims) > 20 and len(users) > 10
        for user in users:
            query = select(Claim.id).where(scope_filter(user))
            if user.role.is_staff:
                query = query.where(staff_draft_filter(user))
            in_sql = set(db.session.execute(query).scalars())
            in_python = {c.id for c in claims if can_view_claim(user, c)}
            assert in_sql == in_python, user.login
