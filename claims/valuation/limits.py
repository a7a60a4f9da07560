"""Claim-level steps of the engine, in their documented order (pure, like the engine)."""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal
from typing import TYPE_CHECKING

from claims.core.money import FEN
from claims.valuation.lines import CATEGORY_ZH, ONE, allocate, yuan
from claims.valuation.spec import CATEGORIES, PERSONAL, CategoryCap, MinEventSize, Minimum
from claims.valuation.tiers import marginal_slices

if TYPE_CHECKING:
    from claims.valuation.engine import _Run

ADDED = ("deduction", "rounding")


def apply_limits(run: _Run) -> None:
    household_count(run)
    min_event_size(run)
    minimum(run)
    category_caps(run)
    person_property_cap(run)
    claim_cap(run)
    accident_cap(run)
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
    if rule.count == "together":
        # small / S + large / L >= 1, multiplied out so that no division rounds
        if small * rule.large + large * rule.small >= rule.small * rule.large:
            return
        counted = (small / rule.small + large / rule.large).quantize(FEN, ROUND_DOWN)
        reason = (
            f"一次事故小牲畜按{rule.small}只（头）、大牲畜按{rule.large}头合计折算，满1才予补偿；"
            f"本次小牲畜{small}÷{rule.small} + 大牲畜{large}÷{rule.large} = {counted}，不足1"
        )
    elif small >= rule.small or large >= rule.large:
        return
    else:
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
            # the per-person caps taken off those lines go with them
            run.lines = [w for w in run.lines if not (w.kind == "deduction" and w.category in rule.categories)]
            run.reasons.append(reason)
    elif rule.kind == "deductible" and rule.order == "before_ratio":
        deductible_before_ratio(run, rule, spec)
    elif rule.kind == "deductible":
        held = run.category_sum(rule.categories)
        if held > 0:
            run.deduct("deductible", min(rule.amount, held), rule.categories, f"每次事故免赔额{yuan(rule.amount)}元", spec, "免赔额")


def person_property_cap(run: _Run) -> None:
    """Property of each owner (the claimant unless a line names another) at most `per_person_property`.

    After the deductible and the category caps: what an owner holds is their lines' amounts less their
    share (pro rata to those amounts) of each category's deductions so far."""
    cap, spec = run.setting("per_person_property")
    if cap is None:
        return
    assert isinstance(cap, Decimal)
    gross: dict[str, dict[str, Decimal]] = {}
    for work in run.lines:
        if work.category not in PERSONAL and work.kind not in ADDED and work.payable and work.amount > 0:
            mine = gross.setdefault(work.person or "", {})
            mine[work.category] = mine.get(work.category, Decimal(0)) + work.amount
    totals = {c: sum((mine.get(c, Decimal(0)) for mine in gross.values()), Decimal(0)) for c in CATEGORIES}
    kept = {c: max(Decimal(0), run.category_sum([c])) / totals[c] for c in CATEGORIES if totals[c] > 0}
    for owner, mine in gross.items():
        weights = [(c, mine[c] * kept[c]) for c in CATEGORIES if c in mine and mine[c] * kept[c] > 0]
        held = sum((w for _, w in weights), Decimal(0))
        if held <= cap:
            continue
        text = f"每人财产损失补偿上限{yuan(cap)}元（{owner or '申请人'}财产损失补偿合计{yuan(held)}元）"
        key = f"cap_person_property:{owner}" if owner else "cap_person_property"
        run.deduct_each(key, allocate(held - cap, weights, to_fen=run.by_line), text, spec, "每人财产上限")


def deductible_before_ratio(run: _Run, rule: Minimum, spec: object) -> None:
    """Chaling's order: the deductible comes off the loss value (pro rata over the covered lines), then
    each line's ratio applies; the deduction lines hold what that takes off the lines' amounts."""
    lines = [w for w in run.lines if w.kind not in ADDED and w.payable and w.category in rule.categories and w.amount > 0]
    bases = {w.id: (w.loss_value, w.ratio) if w.loss_value is not None and w.ratio is not None else (w.amount, ONE) for w in lines}
    total = sum((base for base, _ in bases.values()), Decimal(0))
    if total <= 0:
        return
    # exact shares (not to the fen), so that what each line keeps grows with its loss
    shares = dict(allocate(min(rule.amount, total), [(w.id, bases[w.id][0]) for w in lines], to_fen=False))
    marginal = marginal_kept(run, shares)
    cuts: dict[str, Decimal] = {}
    for work in lines:
        base, ratio = bases[work.id]
        share = shares.get(work.id, Decimal(0))
        # each line keeps (loss value - share) x ratio, rounded as a line is, never above its capped amount;
        # an officer's amount loses the deductible's share at the line's ratio; a line of marginal tiers keeps
        # its share of the slices of the reduced tiered loss
        overridden = work.id in run.overrides
        if work.id in marginal and not overridden:
            kept = min(work.amount, marginal[work.id])
        elif overridden:
            kept = max(Decimal(0), work.amount - run.q(share * ratio))
        else:
            kept = min(work.amount, run.q(max(Decimal(0), base - share) * ratio))
        cuts[work.category] = cuts.get(work.category, Decimal(0)) + work.amount - kept
    text = f"每次事故免赔额{yuan(rule.amount)}元，先从损失价值中扣除，再按补偿比例计算"
    held = [(c, min(cuts[c], max(Decimal(0), run.category_sum([c])))) for c in CATEGORIES if c in cuts]  # never more than a category still holds
    run.deduct_each("deductible", held, text, spec, "免赔额")  # type: ignore[arg-type]


def marginal_kept(run: _Run, shares: dict[str, Decimal]) -> dict[str, Decimal]:
    """Lines of marginal tiers under a deductible before the ratio: the slices are taken of the tiered loss
    less the deductible's share of it (not the average ratio times the reduced loss); what that pays is
    shared over the lines by what each keeps of its loss value, each share times the line's prevention ratio
    (line id -> amount)."""
    tiered = [w for w in run.lines if w.kind == "loss" and w.tiered and w.payable and w.preset is not None]
    if not tiered:
        return {}
    tiers, _ = run.setting("tiers")
    kept = [(w.id, max(Decimal(0), (w.loss_value or Decimal(0)) - shares.get(w.id, Decimal(0)))) for w in tiered]
    base = sum((k for _, k in kept), Decimal(0))
    paid = run.q(sum((part * ratio for part, ratio in marginal_slices(tuple(tiers or ()), base)), Decimal(0)))  # type: ignore[arg-type]
    found = dict(allocate(paid, kept, to_fen=run.by_line))
    return {w.id: run.q(found.get(w.id, Decimal(0)) * w.prevention) for w in tiered}


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


def accident_cap(run: _Run) -> None:
    """Per accident: a claim valued alone, or of an incident but not shared yet (`share` None), takes at most its
    own schedules' cap; a claim of an incident at most its share of the incident's cap (IncidentShare.share, found
    across the incident's claims by claims/valuation/accident.py; it applies even when the claim's own schedules
    have no per-accident cap, the incident's cap being the smallest in force among its claims)."""
    cap, spec = run.setting("per_accident")
    incident, held = run.inp.incident, run.category_sum(CATEGORIES)
    if incident is not None and incident.share is not None:
        if held > incident.share:
            run.deduct("cap_accident", held - incident.share, CATEGORIES, incident.explanation, spec, "每次事故上限")
        return
    if cap is None:
        return
    assert isinstance(cap, Decimal)
    if held > cap:
        run.deduct("cap_accident", held - cap, CATEGORIES, f"每次事故补偿上限{yuan(cap)}元", spec, "每次事故上限")


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
