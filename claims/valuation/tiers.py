"""Step 3 of the engine for tiered items: the ratio from the event's total loss value (pure, like the engine).

`bracket` (the default): the whole loss at the ratio of the tier that holds the total. `marginal` (like
income tax): each slice of the total between a tier's `from` and `to` at that tier's ratio; the sum is
shared over the tiered lines pro rata to their loss values (to the fen by the largest remainder).
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
    shares = dict(allocate(paid, [(w.id, w.loss_value or Decimal(0)) for w in tiered], to_fen=run.by_line))
    shared = "，各项按损失价值分摊" if len(tiered) > 1 else ""
    for work in tiered:
        work.ratio = (paid / base).quantize(RATIO_PLACES)
        work.preset = shares.get(work.id, Decimal(0))
        work.formula += f"，超额累进分段补偿（本次损失合计{yuan(base)}元：{written} = {yuan(paid)}元{shared}）"
