"""No single person sets an amount (issue 11, item 7): an adjustment above the engine's figure needs a reason and a
second officer's countersignature before the claim is valued, and the schedule's caps apply to the adjusted lines."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from claims.accounts.services import find_user
from claims.extensions import db
from claims.valuation import services as valuing
from claims.valuation.operations import adjust_line_step, value_claim_step
from claims.valuation.schedules import import_schedule, publish_schedule
from claims.valuation.services import adjust_line, compute_valuation, current_valuation
from claims.workflow.models import AuditEvent, Notification
from claims.workflow.services import WorkflowError
from claims.workflow.states import ClaimStatus

D = Decimal
BIG = D("5000000.00")

# A prefecture schedule (益阳市) that only sets a cap per claim: the county's and the province's rules still value the lines.
CAPPED = """format: 1
code: t-yiyang-caps
title: 测试上限
region: "430900"
document: {title: 测试文件, number: 测〔2026〕1号}
effective_from: 2026-01-01
caps:
  per_claim: 80000
"""


def _adjusted_alone(claim):  # type: ignore[no-untyped-def]
    valuation = compute_valuation(claim, actor=find_user("officer"))
    adjust_line(valuation, "L1", BIG, "按实际损失", actor=find_user("officer"))
    db.session.commit()
    return valuation


def test_a_large_adjustment_cannot_be_valued_alone(confirmed) -> None:  # type: ignore[no-untyped-def]
    claim = confirmed()
    _adjusted_alone(claim)
    with pytest.raises(WorkflowError):
        value_claim_step(claim, actor=find_user("officer"))
    db.session.rollback()
    assert claim.status == ClaimStatus.CONFIRMED


def test_with_a_second_officers_countersignature_it_can(confirmed) -> None:  # type: ignore[no-untyped-def]
    claim = confirmed()
    valuation = _adjusted_alone(claim)
    with pytest.raises(WorkflowError):  # the officer who adjusted may not countersign their own adjustment
        valuing.countersign_valuation(valuation, actor=find_user("officer"))
    db.session.rollback()
    valuing.countersign_valuation(valuation, actor=find_user("officer2"))
    db.session.commit()
    adjustment = valuation.adjustments[-1]
    assert "核定调整为5000000.00元（按实际损失）" in valuing.final_lines(valuation)[0].rule  # the basis documents print
    assert adjustment.countersigned_by.login == "officer2" and adjustment.countersigned_at is not None
    events = db.session.execute(select(AuditEvent.action).where(AuditEvent.claim_id == claim.id)).scalars().all()
    assert "valuation_countersigned" in events
    value_claim_step(claim, actor=find_user("officer"))
    db.session.commit()
    assert claim.status in (ClaimStatus.VALUED, ClaimStatus.REFERRED)


def test_a_lower_adjustment_needs_no_countersignature(confirmed) -> None:  # type: ignore[no-untyped-def]
    claim = confirmed()
    valuation = compute_valuation(claim, actor=find_user("officer"))
    adjust_line(valuation, "L1", D("1000.00"), "部分稻田已收割", actor=find_user("officer"))
    db.session.commit()
    assert not valuing.pending_countersign(valuation)
    value_claim_step(claim, actor=find_user("officer"))
    db.session.commit()
    assert claim.status in (ClaimStatus.VALUED, ClaimStatus.REFERRED)
    assert valuing.countersign_valuation is not None


def test_the_cap_still_applies_after_an_adjustment(confirmed) -> None:  # type: ignore[no-untyped-def]
    publish_schedule(import_schedule(CAPPED, actor=find_user("admin")), actor=find_user("admin"))
    db.session.commit()
    claim = confirmed()
    valuation = _adjusted_alone(claim)
    assert valuation.total == D("80000.00")  # 5,000,000 + 108 for the chickens, capped at 80,000 a claim
    assert sum(line.amount for line in valuing.final_lines(valuation)) == D("80000.00")
    valuing.countersign_valuation(valuation, actor=find_user("officer2"))
    value_claim_step(claim, actor=find_user("officer"))
    db.session.commit()
    assert current_valuation(claim).total == D("80000.00")


def test_the_other_officers_hear_that_a_countersignature_waits(confirmed) -> None:  # type: ignore[no-untyped-def]
    claim = confirmed()
    valuation = compute_valuation(claim, actor=find_user("officer"))
    adjust_line_step(valuation, "L1", BIG, "按实际损失", actor=find_user("officer"))
    db.session.commit()
    query = select(Notification.kind).where(Notification.user_id == find_user("officer2").id, Notification.claim_id == claim.id)
    assert "countersign_needed" in list(db.session.execute(query).scalars())
