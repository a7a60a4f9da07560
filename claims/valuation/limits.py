"""Claim-level steps of the engine, in their documented order (pure, like the engine)."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from claims.core.money import FEN
from claims.valuation.lines import CATEGORY_ZH, yuan
from claims.valuation.spec import CATEGORIES, PERSONAL, CategoryCap, MinEventSize, Minimum

if TYPE_CHECKING:
    from claims.valuation.engine import _Run


def apply_limits(run: _Run) -> None:
    household_count(run)
    min_event_size(run)
    minimum(run)
    category_caps(run)
    claim_cap(run)
    household_cap(run)


def household_count(run: _Run) -> None:
    limit, _ = run.setting("max_claims_per_household_year")
    earlier = len(run.inp.earlier_claims)
    if limit is not None and earlier >= limit:  # type: ignore[operator]
        reason = f"每户每年最多申请{limit}次，本户本年度已有{earlier}次"
        run.refuse_where(lambda w: True, reason)
        run.reasons.append(reason)


def min_event_size(run: _Run) -> None:
    rule, _ = run.setting("min_event_size")
    if rule is None:
        return
    assert isinstance(rule, MinEventSize)
    animals = [w for w in run.lines if w.kind == "loss" and w.payable and w.category in rule.categories]
    if not animals:
        return
    small = sum((w.quantity or Decimal(0) for w in animals if w.rule is not None and w.rule.size == "small"), Decimal(0))
    large = sum((w.quantity or Decimal(0) for w in animals if w.rule is not None and w.rule.size == "large"), Decimal(0))
    if small >= rule.small or large >= rule.large:
        return
    reason = f"一次事故至少{rule.small}只（头）小牲畜或{rule.large}头大牲畜才予补偿，本次为小牲畜{small}、大牲畜{large}"
    run.refuse_where(lambda w: w.kind == "loss" and w.category in rule.categories, reason)
    run.reasons.append(reason)


def minimum(run: _Run) -> None:
    """A threshold (below it nothing, at or above it all) or a deductible (off every event)."""
    rule, spec = run.setting("minimum")
    if rule is None:
        return
    assert isinstance(rule, Minimum)
    if rule.kind == "threshold":
        loss = run.category_sum(rule.categories, loss_value=True)
        if loss > 0 and loss.quantize(FEN) < rule.amount:
            reason = f"本次损失合计{yuan(loss)}元，低于起赔金额{yuan(rule.amount)}元"
            run.refuse_where(lambda w: w.category in rule.categories, reason)
            run.reasons.append(reason)
    elif rule.kind == "deductible":
        held = run.category_sum(rule.categories)
        if held > 0:
            run.deduct("deductible", min(rule.amount, held), rule.categories, f"每次事故免赔额{yuan(rule.amount)}元", spec, "免赔额")


def category_caps(run: _Run) -> None:
    caps, spec = run.setting("category_caps")
    for cap in caps or ():  # type: ignore[attr-defined]
        assert isinstance(cap, CategoryCap)
        held = run.category_sum(cap.categories)
        if held > cap.amount:
            names = "、".join(CATEGORY_ZH[c] for c in CATEGORIES if c in cap.categories)
            run.deduct(
                f"cap_category_{'_'.join(cap.categories)}", held - cap.amount, cap.categories, f"{names}每次事故补偿上限{yuan(cap.amount)}元", spec, "类别上限"
            )


def claim_cap(run: _Run) -> None:
    cap, spec = run.setting("per_claim")
    if cap is None:
        return
    assert isinstance(cap, Decimal)
    held = run.category_sum(CATEGORIES)
    if held > cap:
        run.deduct("cap_claim", held - cap, CATEGORIES, f"每件申请补偿上限{yuan(cap)}元", spec, "每件上限")


def household_cap(run: _Run) -> None:
    cap, spec = run.setting("per_household_year")
    if cap is None:
        return
    assert isinstance(cap, Decimal)
    earlier = sum((c.total for c in run.inp.earlier_claims), Decimal(0))
    room = max(Decimal(0), cap - earlier)
    held = run.category_sum(CATEGORIES)
    if held > room:
        text = f"每户每年补偿上限{yuan(cap)}元，本年度已核定{yuan(earlier)}元，本次至多{yuan(room)}元"
        run.deduct("cap_household", held - room, CATEGORIES, text, spec, "每户年度上限")


__all__ = ["PERSONAL", "apply_limits"]
