"""The split of an award between the insurer and the government: a pure function, documented step by step.

Order (each step's reason is recorded in Chinese and English-neutral codes):
1. Covered part: only lines whose category the policy covers (and only when the species is covered).
2. Per-accident limits on crops + trees and on livestock + poultry (one claim = one accident).
3. Per-person limits (medical; death and disability; property), less what the same person already drew.
4. Aggregate limits (personal; property), less what every claim already drew on the policy.
5. Deductible: threshold mode pays nothing below it and everything at or above it; deductible mode
   subtracts it (a fixed amount, or a percentage of the covered loss) from the insurer's part.
6. Government share = entitlement - insurer share where the county tops up, else zero. The claimant
   never gets more than the entitlement under the schedule.
An advance on injury or death (claims/approval/advances.py) leaves the split as it is: it is paid from county funds,
and the final decision deducts it from the payments, the government's share first (docs/payments.md, section 4).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from claims.core.money import FEN
from claims.insurance.models import DeductibleMode, PolicyLimit

ZERO = Decimal("0.00")

CROPS_TREES = {"crop", "economic_tree"}
LIVESTOCK_POULTRY = {"livestock", "poultry"}


@dataclass(frozen=True)
class PolicyTerms:
    categories: frozenset[str]
    limits: Mapping[PolicyLimit, Decimal]
    deductible_mode: DeductibleMode = DeductibleMode.NONE
    deductible_amount: Decimal | None = None
    deductible_percent: Decimal | None = None


@dataclass
class SplitResult:
    entitlement: Decimal
    insurer_share: Decimal
    government_share: Decimal
    draws: dict[PolicyLimit, Decimal] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)


def _q(amount: Decimal) -> Decimal:
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


def _cap(amount: Decimal, kind: PolicyLimit, terms: PolicyTerms, used: Mapping[PolicyLimit, Decimal], reasons: list[str]) -> Decimal:
    limit = terms.limits.get(kind)
    if limit is None:
        return amount
    room = max(limit - used.get(kind, ZERO), ZERO)
    if amount > room:
        reasons.append(f"{kind.value}: {amount} > {room}")
        return room
    return amount


def split_award(
    lines: list[tuple[str, Decimal]],
    terms: PolicyTerms | None,
    *,
    used: Mapping[PolicyLimit, Decimal] | None = None,
    government_tops_up: bool = True,
) -> SplitResult:
    """Split (category, amount) lines; `used` holds what this person and this policy already drew."""
    used = used or {}
    entitlement = _q(sum((amount for _, amount in lines), ZERO))
    reasons: list[str] = []
    if terms is None:
        return SplitResult(entitlement, ZERO, entitlement, {}, ["no_policy"])
    by_cat: dict[str, Decimal] = {}
    for category, amount in lines:
        if category in terms.categories:
            by_cat[category] = by_cat.get(category, ZERO) + amount
        elif amount:
            reasons.append(f"not_covered:{category}")
    draws: dict[PolicyLimit, Decimal] = {}
    crops = _cap(sum((by_cat.get(c, ZERO) for c in CROPS_TREES), ZERO), PolicyLimit.PER_ACCIDENT_CROPS_TREES, terms, {}, reasons)
    herd = _cap(sum((by_cat.get(c, ZERO) for c in LIVESTOCK_POULTRY), ZERO), PolicyLimit.PER_ACCIDENT_LIVESTOCK_POULTRY, terms, {}, reasons)
    prop = crops + herd + by_cat.get("property", ZERO)
    prop = _cap(prop, PolicyLimit.PER_PERSON_PROPERTY, terms, used, reasons)
    prop = _cap(prop, PolicyLimit.AGGREGATE_PROPERTY, terms, used, reasons)
    medical = _cap(by_cat.get("injury", ZERO), PolicyLimit.PER_PERSON_MEDICAL, terms, used, reasons)
    death = _cap(by_cat.get("death", ZERO), PolicyLimit.PER_PERSON_DEATH_DISABILITY, terms, used, reasons)
    personal = _cap(medical + death, PolicyLimit.AGGREGATE_PERSONAL, terms, used, reasons)
    covered = prop + personal
    insurer = _apply_deductible(covered, terms, reasons)
    if covered and insurer != covered:
        # Scale the draws with the deductible so the ledger matches what the insurer pays.
        ratio = insurer / covered
        prop, personal, medical, death = (_q(x * ratio) for x in (prop, personal, medical, death))
        insurer = prop + personal
    insurer = _q(insurer)
    for kind, amount in (
        (PolicyLimit.PER_ACCIDENT_CROPS_TREES, min(crops, prop)),
        (PolicyLimit.PER_ACCIDENT_LIVESTOCK_POULTRY, min(herd, prop)),
        (PolicyLimit.PER_PERSON_PROPERTY, prop),
        (PolicyLimit.AGGREGATE_PROPERTY, prop),
        (PolicyLimit.PER_PERSON_MEDICAL, min(medical, personal)),
        (PolicyLimit.PER_PERSON_DEATH_DISABILITY, min(death, personal)),
        (PolicyLimit.AGGREGATE_PERSONAL, personal),
    ):
        if amount > 0 and kind in terms.limits:
            draws[kind] = _q(amount)
    government = _q(entitlement - insurer) if government_tops_up else ZERO
    if not government_tops_up and entitlement > insurer:
        reasons.append("no_top_up")
    return SplitResult(entitlement, insurer, government, draws, reasons)


def _apply_deductible(covered: Decimal, terms: PolicyTerms, reasons: list[str]) -> Decimal:
    if terms.deductible_mode == DeductibleMode.NONE or covered <= 0:
        return covered
    percent = terms.deductible_percent
    deductible = _q(covered * percent / 100) if percent is not None else (terms.deductible_amount or ZERO)
    if terms.deductible_mode == DeductibleMode.THRESHOLD:
        if covered < deductible:
            reasons.append(f"below_threshold:{deductible}")
            return ZERO
        return covered
    reasons.append(f"deductible:{deductible}")
    return max(covered - deductible, ZERO)
