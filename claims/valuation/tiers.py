"""Step 3 of the engine for tiered items: the ratio from the event's total loss value (pure, like the engine).

`bracket` (the default): the whole loss at the ratio of the tier that holds the total. `marginal` (like
income tax): each slice of the total between a tier's `from` and `to` at that tier's ratio; the sum is
shared over the tiered lines pro rata to their loss values (to the fen by the largest remainder); what a
line cannot take (its item caps, its own loss value) goes to the other tiered lines the same way, so the
total is min(the marginal sum, the sum of the lines' limits) and more loss never lowers it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from claims.valuation.lines import allocate, num, pct, yuan
from claims.valuation.spec import Tier

if TYPE_CHECKING:
    from claims.valuation.engine import _Run
    from claims.valuation.lines import WorkLine

RATIO_PLACES = Decimal("0.000001")


def apply_tiers(run: _Run) -> None:
    tiered = [w for w in run.lines if w.tiered and w.payable]
    if not tiered:
        return
    tiers, _ = run.setting("tiers")
    method, _ = run.setting("tier_method")
    base = sum((w.loss_value or Decimal(0) for w in tiered), Decimal(0))
    if method == "marginal":
        _marginal(run, tiered, tuple(tiers or ()), base)  # type: ignore[arg-type]
    else:
        _bracket(tiered, tuple(tiers or ()), base)  # type: ignore[arg-type]


def _bracket(tiered: list[WorkLine], tiers: tuple[Tier, ...], base: Decimal) -> None:
    ratio = None
    for tier in tiers:
        if base >= tier.lower and (tier.upper is None or base < tier.upper):
            ratio = tier.ratio
    for work in tiered:
        if ratio is None:
            work.refuse(f"本次损失合计{yuan(base)}元，不在分段补偿比例的范围内")
            continue
        work.ratio = ratio
        work.formula += f" × 分段比例{pct(ratio)}（本次损失合计{yuan(base)}元）"


def marginal_slices(tiers: tuple[Tier, ...], base: Decimal) -> list[tuple[Decimal, Decimal]]:
    """(slice of the base, ratio) for each tier the base reaches."""
    slices = []
    for tier in tiers:
        top = base if tier.upper is None else min(base, tier.upper)
        if top > tier.lower:
            slices.append((top - tier.lower, tier.ratio))
    return slices


def _marginal(run: _Run, tiered: list[WorkLine], tiers: tuple[Tier, ...], base: Decimal) -> None:
    slices = marginal_slices(tiers, base)
    paid = sum((part * ratio for part, ratio in slices), Decimal(0))
    if paid <= 0:
        for work in tiered:
            work.refuse(f"本次损失合计{yuan(base)}元，低于分段补偿的起点")
        return
    paid = run.q(paid)
    written = " + ".join(f"{num(part)}元 × {pct(ratio)}" for part, ratio in slices)
    shares = _fill(run, tiered, paid)
    shared = "，各项按损失价值分摊" if len(tiered) > 1 else ""
    for work in tiered:
        work.ratio = (paid / base).quantize(RATIO_PLACES)
        work.preset = shares.get(work.id, Decimal(0))
        work.formula += f"，超额累进分段补偿（本次损失合计{yuan(base)}元：{written} = {yuan(paid)}元{shared}）"


def _limit(run: _Run, work: WorkLine) -> Decimal:
    """The most a tiered line can take: its loss value, within its item caps."""
    limits = [work.loss_value or Decimal(0)]
    if work.rule is not None and work.rule.cap is not None:
        limits.append(work.rule.cap)
    if work.rule is not None and work.rule.cap_per_unit is not None and work.quantity is not None:
        limits.append(work.quantity * work.rule.cap_per_unit)
    return run.q(min(limits))


def _fill(run: _Run, tiered: list[WorkLine], paid: Decimal) -> dict[str, Decimal]:
    """`paid` shared over the lines by loss value; what a line cannot take (its item caps, its own loss
    value) goes to the others, by loss value, until all is placed or every line is full. So the total is
    min(paid, the sum of the limits), and more loss never lowers it (an item cap alone would: its cut
    share of a growing marginal sum takes from the other lines)."""
    limits = {w.id: _limit(run, w) for w in tiered}
    shares: dict[str, Decimal] = {}
    open_lines, left = list(tiered), paid
    while open_lines and left > 0:
        found = dict(allocate(left, [(w.id, w.loss_value or Decimal(0)) for w in open_lines], to_fen=run.by_line))
        full = [w for w in open_lines if found.get(w.id, Decimal(0)) >= limits[w.id]]
        if not full:
            shares.update(found)
            break
        for work in full:
            shares[work.id] = limits[work.id]
            left -= limits[work.id]
        done = {w.id for w in full}
        open_lines = [w for w in open_lines if w.id not in done]
    return shares
