"""The dashboards' aggregate stays equal to a count from scratch after every kind of step, taken through the services.

After each step the stored rows (claims/reports/figures.stored_rows) must equal what counting every claim again
gives (counted_rows): a bucket the step forgot to rebuild, or rebuilt from the wrong claims, shows as a difference.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from flask import Flask
from sqlalchemy import select

from claims.accounts.services import find_user
from claims.approval import operations, payments
from claims.approval.models import Payment, Share
from claims.core import time as clock
from claims.extensions import db
from claims.insurance.models import InsurerDecision
from claims.insurance.operations import decide_as_insurer
from claims.insurance.services import award_lines
from claims.intake.models import Claim
from claims.intake.operations import save_filing, withdraw_claim
from claims.intake.review import accept_claim, refuse_intake, return_claim
from claims.reports.figures import counted_rows, stored_rows
from claims.reports.models import ClaimFigure
from claims.workflow.states import ClaimStatus
from tests.factories import MAOCAOJIE_VILLAGE, advance, claim_input
from tests.reports.dashboard_world import local
from tests.workflow.conftest import file_claim


def _same() -> None:
    db.session.commit()
    stored, counted = stored_rows(), counted_rows()
    assert stored == counted, {"stored": stored, "counted": counted}


def _township_claims(township_id: int) -> int:
    return sum(db.session.execute(select(ClaimFigure.claims).where(ClaimFigure.township_id == township_id)).scalars())


def test_every_step_keeps_the_aggregate_equal_to_a_count_from_scratch(app: Flask) -> None:
    with app.app_context():
        clock.freeze(local(2, 3))
        filed = file_claim("13800000001", seed=1)  # filing (the submit step)
        _same()
        accept_claim(filed, actor=find_user("clerk"))  # acceptance
        _same()
        advance(filed, "valued", county="nan")  # survey, confirmation, valuation and the referral that follows it
        _same()
        lines = award_lines(filed)
        decide_as_insurer(filed, InsurerDecision.ADJUST, actor=find_user("insurer"), adjustments={lines[0].index: (lines[0].amount - Decimal("10.00"), "核减")})
        _same()
        operations.create_notice_batch(filed.township, [filed], clock.local_today(), actor=find_user("clerk"))
        _same()
        clock.freeze(local(12, 3))
        operations.approve(filed, actor=find_user("approver"))  # approval: the decision, the insurer's and the government's shares
        _same()
        insurer = db.session.execute(select(Payment).where(Payment.claim_id == filed.id, Payment.share == Share.INSURER)).scalar_one()
        payments.record_insurer_payment(filed, insurer.amount, "ZHLH-1", actor=find_user("insurer"))  # one share paid, no step
        _same()
        assert filed.status == ClaimStatus.APPROVED
        paid = db.session.execute(select(ClaimFigure.paid_insurer, ClaimFigure.paid_government).where(ClaimFigure.status == ClaimStatus.APPROVED)).one()
        assert paid == (insurer.amount, Decimal("0.00"))

        refused = file_claim("13800000001", seed=2)
        refuse_intake(refused, ["duplicate"], "重复申报", actor=find_user("clerk"))  # refusal at intake
        _same()
        valued = file_claim("13800000002", village_code="430224113203", seed=3)
        advance(valued, "valued", county="chaling")
        operations.create_notice_batch(valued.township, [valued], clock.local_today(), actor=find_user("clerk_cl"))
        db.session.commit()
        clock.freeze(local(22, 3))
        operations.refuse(valued, ["no_prevention"], "未采取防范措施", actor=find_user("approver_cl"))  # refusal at approval
        _same()
        withdrawn = file_claim("13800000001", seed=4)
        withdraw_claim(withdrawn, None, actor=find_user("13800000001"))  # withdrawal
        _same()
        clock.freeze(None)


def test_a_returned_claim_corrected_to_another_township_moves_between_buckets(app: Flask) -> None:
    with app.app_context():
        clock.freeze(local(2, 3))
        claim = file_claim("13800000001", seed=5)
        first_township = claim.township_id
        return_claim(claim, ["place"], "地点有误", actor=find_user("clerk"))
        _same()
        assert _township_claims(first_township) == 1
        clock.freeze(local(3, 3))
        moved = claim_input(village=MAOCAOJIE_VILLAGE, incident_utc=claim.incident_at, id_number=claim.claimant_id_number)
        save_filing(claim, moved, [], actor=find_user("13800000001"), submit=False, form_ok=True)  # corrected, not yet resubmitted
        _same()
        assert claim.township_id != first_township and _township_claims(first_township) == 0 and _township_claims(claim.township_id) == 1
        clock.freeze(local(4, 3) + timedelta(hours=1))
        save_filing(claim, moved, [], actor=find_user("13800000001"), submit=True, form_ok=True)  # resubmitted
        _same()
        assert db.session.get(Claim, claim.id).status == ClaimStatus.SUBMITTED  # type: ignore[union-attr]
        clock.freeze(None)


def test_a_bucket_is_counted_again_in_two_round_trips_on_postgresql(app: Flask) -> None:
    """The lock, then the deletes and inserts: one statement on PostgreSQL, eight on SQLite; the same figures."""
    from sqlalchemy import event

    from claims.reports.figures import bucket_of, rebuild_bucket

    with app.app_context():
        clock.freeze(local(2, 3))
        claim = file_claim("13800000001", seed=1)
        db.session.commit()
        statements: list[str] = []

        def count(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
            statements.append(statement)

        bucket = bucket_of(claim)
        assert bucket is not None
        db.session.execute(select(1))  # the transaction begun before counting
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            rebuild_bucket(*bucket)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        assert len(statements) == (2 if db.engine.dialect.name == "postgresql" else 9), statements
        _same()
        assert _township_claims(bucket[0]) == 1
