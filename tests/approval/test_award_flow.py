"""Referral, insurer decision, split, public notice with an objection, two approvals, payment and closure."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from claims.accounts.services import find_user
from claims.approval import operations, payments, services
from claims.approval.models import Payment, PaymentStatus, Settlement, Share
from claims.core import time as clock
from claims.extensions import db
from claims.insurance.models import InsurancePolicy, InsurerDecision, LedgerEntry, PolicyLimit, Split
from claims.insurance.operations import decide_as_insurer
from claims.insurance.services import award_lines, ledger_view
from claims.regions import admin_services
from claims.workflow.audit import verify_chain
from claims.workflow.services import WorkflowError
from claims.workflow.states import ClaimStatus
from tests.approval.conftest import valued_claim


def _notice_and_wait(claims, clerk="clerk"):  # type: ignore[no-untyped-def]
    township = claims[0].township
    batch = operations.create_notice_batch(township, claims, clock.local_today(), actor=find_user(clerk))
    db.session.commit()
    clock.freeze(clock.utcnow() + timedelta(days=8))
    return batch


def test_insured_claim_is_referred_adjusted_split_and_drawn_down(ctx):  # type: ignore[no-untyped-def]
    claim = valued_claim()
    assert claim.status == ClaimStatus.REFERRED
    lines = award_lines(claim)
    assert lines and sum(line.amount for line in lines) > 0
    first = lines[0]
    decide_as_insurer(claim, InsurerDecision.ADJUST, actor=find_user("insurer"), adjustments={first.index: (first.amount - Decimal("10.00"), "面积核减")})
    db.session.commit()
    split = db.session.get(Split, claim.id)
    total = sum(line.amount for line in lines)
    assert claim.status == ClaimStatus.INSURER_DECIDED
    assert split.insurer_share == total - Decimal("10.00") and split.government_share == Decimal("10.00")
    drawn = db.session.execute(
        select(func.sum(LedgerEntry.amount)).where(LedgerEntry.claim_id == claim.id, LedgerEntry.limit_kind == PolicyLimit.AGGREGATE_PROPERTY)
    ).scalar_one()
    assert drawn == split.insurer_share
    policy = db.session.get(InsurancePolicy, split.policy_id)
    used = {kind: used for kind, _limit, used in ledger_view(policy)}
    assert used[PolicyLimit.AGGREGATE_PROPERTY] == split.insurer_share


def test_a_payment_past_a_limit_is_refused(ctx):  # type: ignore[no-untyped-def]
    from claims.insurance.models import LedgerEntry as Entry
    from claims.insurance.services import LimitExceeded, draw_down

    claim = valued_claim()
    policy = db.session.execute(select(InsurancePolicy).where(InsurancePolicy.number == "PYYY2026430921000001")).scalar_one()
    db.session.add(Entry(policy_id=policy.id, claim_id=claim.id, limit_kind=PolicyLimit.AGGREGATE_PROPERTY, amount=Decimal("999990.00")))
    db.session.flush()
    other = valued_claim(seed=2)
    with pytest.raises(LimitExceeded):
        draw_down(policy, other, {PolicyLimit.AGGREGATE_PROPERTY: Decimal("50.00")})


def test_uninsured_claim_goes_to_notice_without_the_insurer(ctx):  # type: ignore[no-untyped-def]
    claim = valued_claim("chaling")
    assert claim.status == ClaimStatus.VALUED
    split = db.session.get(Split, claim.id)
    assert split.insurer_share == Decimal("0.00") and split.government_share == split.entitlement > 0
    _notice_and_wait([claim], clerk="clerk_cl")
    assert operations.approve(claim, actor=find_user("approver_cl"))
    db.session.commit()
    assert claim.status == ClaimStatus.APPROVED
    assert [p.share for p in services.payments_of(claim)] == [Share.GOVERNMENT]


def test_full_path_with_objection_two_approvers_and_payment(ctx):  # type: ignore[no-untyped-def]
    nan = find_user("approver").region
    admin_services.set_county_setting(nan, "second_approval_above", "100", clock.local_today() - timedelta(days=1), "", actor=find_user("admin"))
    claim, other = valued_claim(seed=3), valued_claim(seed=4, filer="13800000002")
    for c in (claim, other):
        decide_as_insurer(c, InsurerDecision.ACCEPT, actor=find_user("insurer"))
    db.session.commit()
    batch = operations.create_notice_batch(claim.township, [claim, other], clock.local_today(), actor=find_user("clerk"))
    db.session.commit()
    operations.record_objection(other, "李四（三仙湖村）", "损失面积不实", actor=find_user("clerk"))
    db.session.commit()
    assert other.status == ClaimStatus.OBJECTION_REVIEW
    with pytest.raises(WorkflowError):  # the notice period still runs
        operations.approve(claim, actor=find_user("approver"))
    db.session.rollback()
    clock.freeze(clock.utcnow() + timedelta(days=batch.end_date.toordinal() - clock.local_today().toordinal() + 1))
    assert not operations.approve(claim, actor=find_user("approver"))  # first of two
    db.session.commit()
    with pytest.raises(WorkflowError):
        operations.approve(claim, actor=find_user("approver"))  # the same approver again
    db.session.rollback()
    assert operations.approve(claim, actor=find_user("approver2"))
    db.session.commit()
    assert claim.status == ClaimStatus.APPROVED
    split = db.session.get(Split, claim.id)
    approver = find_user("approver")
    # The government share is zero here (the insurer accepted the valuation within its limits), so
    # the insurer's own payment settles the claim.
    assert split.government_share == Decimal("0.00")
    payments.record_insurer_payment(claim, split.insurer_share, "ZHLH-2026-0001", actor=find_user("insurer"))
    db.session.commit()
    assert claim.status == ClaimStatus.CLOSED
    with pytest.raises(WorkflowError):
        payments.record_insurer_payment(claim, split.insurer_share, "ZHLH-2026-0002", actor=find_user("insurer"))
    db.session.rollback()
    assert db.session.query(Settlement).filter_by(claim_id=claim.id).count() == 1
    assert verify_chain().ok
    assert approver.id != find_user("approver2").id


def test_bank_batch_export_import_failure_and_correction(ctx):  # type: ignore[no-untyped-def]
    claim = valued_claim("chaling", seed=5)
    _notice_and_wait([claim], clerk="clerk_cl")
    operations.approve(claim, actor=find_user("approver_cl"))
    db.session.commit()
    treasurer = find_user("approver_cl")
    batch = payments.create_batch(claim.county, actor=treasurer)
    exported = payments.export_csv(batch, actor=treasurer).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert rows[0]["claim_number"] == claim.number and rows[0]["account"] == claim.bank_account
    reference = rows[0]["reference"]
    failed = f"reference,status,amount,bank_reference,reason\r\n{reference},FAILED,{rows[0]['amount']},,账号不存在\r\n".encode()
    report = payments.import_results(batch, failed, actor=treasurer)
    db.session.commit()
    assert report.failed == 1 and claim.status == ClaimStatus.APPROVED
    payments.correct_account(claim, "中国农业银行", "6228480000000000001", actor=find_user("clerk_cl"), reason="银行退回，村民提供新卡")
    db.session.commit()
    second = payments.create_batch(claim.county, actor=treasurer)
    new_ref, amount = (lambda cells: (cells[0], cells[4]))(payments.export_csv(second, actor=treasurer).decode("utf-8-sig").splitlines()[1].split(","))
    ok = f"reference,status,amount,bank_reference\r\n{new_ref},SUCCESS,{amount},CBS0001\r\n".encode()
    assert payments.import_results(second, ok, actor=treasurer).paid == 1
    again = payments.import_results(second, ok, actor=treasurer)
    db.session.commit()
    assert again.paid == 0 and again.unchanged == 1 and not again.errors
    assert claim.status == ClaimStatus.CLOSED
    assert db.session.query(Settlement).filter_by(claim_id=claim.id).count() == 1
    statuses = sorted(p.status for p in db.session.query(Payment).filter_by(claim_id=claim.id))
    assert statuses == sorted([PaymentStatus.FAILED, PaymentStatus.PAID])
    bad = payments.import_results(second, b"reference,status,amount\r\nNOPE,SUCCESS,1.00\r\n", actor=treasurer)
    assert bad.errors and "2" in bad.errors[0]
