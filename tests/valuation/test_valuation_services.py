"""Valuing claims through the real workflow: compute, adjust with a reason, recompute, submit (value)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from claims.accounts.services import find_user
from claims.extensions import db
from claims.intake.models import LossCategory
from claims.valuation.models import ClaimValuation, CompensationSchedule, ValuationAdjustment
from claims.valuation.operations import value_claim_step
from claims.valuation.schedules import spec_of
from claims.valuation.services import adjust_line, compute_valuation, current_valuation, earlier_claims, final_lines, quote_claim
from claims.workflow.audit import verify_chain
from claims.workflow.models import AuditEvent
from claims.workflow.services import WorkflowError
from claims.workflow.states import ClaimStatus

D = Decimal


def actions(claim) -> list[str]:  # type: ignore[no-untyped-def]
    return [e.action for e in db.session.execute(select(AuditEvent).where(AuditEvent.claim_id == claim.id).order_by(AuditEvent.id)).scalars()]


def test_compute_adjust_recompute_and_submit(confirmed) -> None:  # type: ignore[no-untyped-def]
    claim = confirmed()
    officer = find_user("officer")
    quote = quote_claim(claim)
    assert quote.valuation is not None and quote.valuation.total == D("1308.00")  # rice 2.5 x 600 x 80%; chickens 3 x 60 x 60%
    valuation = compute_valuation(claim, actor=officer)
    db.session.commit()
    assert (valuation.total, valuation.computed_total, valuation.version) == (D("1308.00"), D("1308.00"), 1)
    assert [line.amount for line in final_lines(valuation)] == [D("1200.00"), D("108.00")]
    assert [line.category for line in final_lines(valuation)] == [LossCategory.CROP, LossCategory.POULTRY]
    assert valuation.result["schedules"] == ["hn-nanxian-rice-2025", "hn-default-2024"]
    assert valuation.input_snapshot["losses"][0] == {
        "line_id": "L1",
        "category": "crop",
        "item": "水稻",
        "quantity": "2.5",
        "unit": "mu",
        "loss_rate": 80,
        "growth_stage": "mature",
    }

    with pytest.raises(WorkflowError):
        adjust_line(valuation, "L2", D("150.00"), "  ", actor=officer)
    adjust_line(valuation, "L2", D("150.00"), "鸡为良种土鸡，按实际价格", actor=officer)
    db.session.commit()
    assert valuation.total == D("1350.00")
    line = final_lines(valuation)[1]
    assert (line.computed, line.amount, line.adjustment.original_amount) == (D("108.00"), D("150.00"), D("108.00"))

    with pytest.raises(WorkflowError):
        compute_valuation(claim, actor=officer)  # a second computation needs a reason
    db.session.rollback()
    again = compute_valuation(claim, actor=officer, reason="复核单价")
    db.session.commit()
    assert again.version == 2 and again.total == D("1308.00") and current_valuation(claim).id == again.id
    assert db.session.get(ClaimValuation, valuation.id).current is False
    assert db.session.query(ValuationAdjustment).filter_by(valuation_id=valuation.id).count() == 1  # the old record stays

    value_claim_step(claim, actor=officer)
    db.session.commit()
    assert claim.status in (ClaimStatus.VALUED, ClaimStatus.REFERRED)  # an insured county refers at once
    assert current_valuation(claim).frozen_at is not None
    assert {"valuation_computed", "valuation_adjusted", "valuation_recomputed", "value"} <= set(actions(claim))
    with pytest.raises(WorkflowError):
        adjust_line(again, "L1", D("1.00"), "太晚了", actor=officer)
    assert verify_chain().ok


def test_value_needs_a_saved_valuation_of_the_current_survey(confirmed) -> None:  # type: ignore[no-untyped-def]
    claim = confirmed()
    with pytest.raises(WorkflowError) as refused:
        value_claim_step(claim, actor=find_user("officer"))
    assert refused.value.message in ("Compute the valuation of the current survey first.", "请先按本次勘查结果计算核定金额。")
    db.session.rollback()
    assert claim.status == ClaimStatus.CONFIRMED


@pytest.mark.parametrize("login", ["clerk", "approver", "officer_cl", "13800000001"])
def test_only_an_officer_of_the_county_values(confirmed, login: str) -> None:  # type: ignore[no-untyped-def]
    claim = confirmed()
    with pytest.raises(WorkflowError):
        compute_valuation(claim, actor=find_user(login))
    db.session.rollback()
    assert current_valuation(claim) is None


def test_a_county_without_its_own_rates_uses_the_provincial_default(confirmed) -> None:  # type: ignore[no-untyped-def]
    claim = confirmed("chaling", rate=100)
    valuation = compute_valuation(claim, actor=find_user("officer_cl"))
    # rice 2.5 x 1060 (2025 price) x 100% x 80% = 2120; chickens 3 x 60 x 60% = 108
    assert valuation.total == D("2228.00")
    assert "2025年市场价1060元/亩" in final_lines(valuation)[0].rule


def test_below_the_threshold_nothing_is_payable(confirmed) -> None:  # type: ignore[no-untyped-def]
    claim = confirmed(stage="mature", rate=0)  # rice lost 0%; 3 chickens worth 180 < 200
    valuation = compute_valuation(claim, actor=find_user("officer"))
    assert valuation.total == 0 and "起赔金额" in valuation.result["reasons"][0]


def test_earlier_claims_of_the_household_this_year(confirmed) -> None:  # type: ignore[no-untyped-def]
    first = confirmed(seed=1)
    compute_valuation(first, actor=find_user("officer"))
    value_claim_step(first, actor=find_user("officer"))
    db.session.commit()
    second = confirmed(seed=2)
    history = earlier_claims(second, 2026)
    assert [(c.ref, c.total) for c in history] == [(first.number, D("1308.00"))]
    assert earlier_claims(first, 2026) == ()  # only claims submitted before it
    assert earlier_claims(second, 2025) == ()


def test_without_a_schedule_in_force_the_quote_says_so(confirmed) -> None:  # type: ignore[no-untyped-def]
    from datetime import date

    from claims.valuation.schedules import schedules_for

    claim = confirmed()
    assert schedules_for(claim.county, date(2024, 2, 29)) == []
    assert [s.code for s in schedules_for(claim.county, date(2025, 7, 31))] == ["hn-default-2024"]
    claim.incident_at = claim.incident_at.replace(year=2023)
    quote = quote_claim(claim)
    assert quote.valuation is None and quote.problem
    with pytest.raises(WorkflowError):
        compute_valuation(claim, actor=find_user("officer"))
    db.session.rollback()


def test_a_published_schedules_rules_are_read_again_when_its_row_holds_other_text(ctx) -> None:  # type: ignore[no-untyped-def]
    """After a restore (or in the next test's fresh database) the same id and publishing time may name another
    schedule: the cache must not answer with the rules it parsed before."""
    schedule = db.session.execute(select(CompensationSchedule).where(CompensationSchedule.published_at.is_not(None))).scalars().first()
    assert schedule is not None
    before = spec_of(schedule)
    schedule.body = {**schedule.body, "code": "t-restored-elsewhere"}
    schedule.source_text = schedule.source_text.replace(before.code, "t-restored-elsewhere")
    assert spec_of(schedule).code == "t-restored-elsewhere"
    db.session.rollback()
