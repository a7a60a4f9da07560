"""The engine's vocabulary, as plain frozen data: a parsed schedule, reference data, input and output.

Nothing here touches the database or Flask; `claims.valuation.fileformat` builds `ScheduleSpec` from a
schedule file (docs/schedules.md) and `claims.valuation.services` builds `ValuationInput` from a claim.
Amounts are `Decimal` yuan; ratios are `Decimal` fractions (0.80); loss rates are integer percent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cached_property
from typing import Any

from claims.intake.models import PERSONAL_CATEGORIES, LossCategory

PERSONAL = PERSONAL_CATEGORIES
CATEGORIES = tuple(str(c) for c in LossCategory)
PROPERTY = tuple(c for c in CATEGORIES if c not in PERSONAL)
METHODS = ("fixed_rate", "market_value", "assessed_value")
ANIMALS = ("livestock", "poultry")  # the categories whose lines carry a condition: killed, injured or missing
CONDITIONS = ("killed", "injured", "missing")
# The prevention measures a survey can record (claims.survey.models.PreventionMeasure has the same codes, with titles).
PREVENTION_MEASURES = ("fence", "electric_fence", "guarding", "scaring", "penned", "herded", "hive_protection")
MISSING_TREATMENTS = ("not_paid", "killed", "injured")


# --- schedules ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PriceRef:
    """Which reference price a market-value item uses: `key` (None: the loss's own item name) and year."""

    key: str | None = None
    year_offset: int = -1  # -1: the year before the incident ("last year's local average price")


@dataclass(frozen=True)
class IncomeRef:
    """A base income: per-capita disposable income of the claim's province/prefecture/county and a year."""

    kind: str = "urban"
    level: str = "province"
    year_offset: int = -1


@dataclass(frozen=True)
class ItemRule:
    key: str
    category: str
    method: str
    names: tuple[str, ...] = ()  # empty: every item of the category that no named rule matches
    unit: str | None = None
    rate: Decimal | None = None
    stage_rates: Mapping[str, Decimal] = field(default_factory=dict)
    price: PriceRef | None = None
    grades: Mapping[str, Decimal | str] = field(default_factory=dict)  # grade -> fixed rate, or reference price key
    ratio: Decimal | None = None
    ratio_killed: Decimal | None = None
    ratio_injured: Decimal | None = None
    tiered: bool = False
    use_loss_rate: bool = True
    cap: Decimal | None = None
    cap_per_unit: Decimal | None = None
    size: str = "small"  # for the minimum event size: small or large animals
    excluded: bool = False
    note: str = ""

    def matches(self, category: str, item: str) -> bool:
        return self.category == category and (not self.names or item.strip() in self.names)


@dataclass(frozen=True)
class Tier:
    lower: Decimal
    upper: Decimal | None
    ratio: Decimal


@dataclass(frozen=True)
class Minimum:
    kind: str  # threshold | deductible | none
    amount: Decimal = Decimal(0)
    categories: tuple[str, ...] = PROPERTY
    order: str = "after_ratio"  # deductible: after_ratio (off the compensated amount) | before_ratio (off the loss)


@dataclass(frozen=True)
class CategoryCap:
    categories: tuple[str, ...]
    amount: Decimal


@dataclass(frozen=True)
class MinEventSize:
    categories: tuple[str, ...]
    small: int
    large: int
    count: str = "separate"  # separate: small >= S or large >= L; together: small / S + large / L >= 1


@dataclass(frozen=True)
class DailyRule:
    """Lost work, nursing or nutrition: days x (a daily rate, or a base income / 365) x persons."""

    rate: Decimal | None = None
    income: IncomeRef | None = None
    days: str = "hospital"  # hospital: hospital days only; claimed: the days claimed (hospital days if none);
    # claimed_up_to_hospital: the days claimed, at most the hospital days (the days left out get a line saying so)
    persons: int = 1


@dataclass(frozen=True)
class PreventionRule:
    """Lines of `categories` when none of `measures` was in place: paid at `ratio` of their amount, or refused."""

    categories: tuple[str, ...]
    measures: tuple[str, ...]
    ratio: Decimal | None = None  # None: refused
    note: str = ""


@dataclass(frozen=True)
class Disability:
    income: IncomeRef | None = None
    multiples: Mapping[int, Decimal] = field(default_factory=dict)
    method: str = "grade"  # grade: multiple x base income; assessed: the assessed amount x ratio
    ratio: Decimal = Decimal(1)


@dataclass(frozen=True)
class Death:
    flat: Decimal | None = None
    multiple: Decimal | None = None
    income: IncomeRef | None = None


@dataclass(frozen=True)
class Personal:
    medical_ratio: Decimal | None = None  # None: medical costs not covered
    lost_work: DailyRule | None = None
    nursing: DailyRule | None = None
    nutrition: DailyRule | None = None  # None: nutrition costs excluded
    disability: Disability | None = None
    medical_disability_cap: Decimal | None = None
    death: Death | None = None


@dataclass(frozen=True)
class ScheduleSpec:
    """One schedule. A section left as None is taken from the next, less specific schedule."""

    code: str
    title: str
    region: str
    effective_from: date
    document_title: str = ""
    document_number: str = ""
    effective_to: date | None = None
    items: tuple[ItemRule, ...] = ()
    rounding: str | None = None  # line | total
    minimum: Minimum | None = None
    tiers: tuple[Tier, ...] | None = None
    tier_method: str | None = None  # bracket (default): the whole loss at one tier's ratio; marginal: each slice at its own
    per_claim: Decimal | None = None
    per_accident: Decimal | None = None  # across the claims of one incident (several households); alone: the claim's own cap
    per_person: Decimal | None = None
    per_person_property: Decimal | None = None
    per_household_year: Decimal | None = None
    category_caps: tuple[CategoryCap, ...] | None = None
    max_claims_per_household_year: int | None = None
    min_event_size: MinEventSize | None = None
    personal: Personal | None = None
    prevention: tuple[PreventionRule, ...] | None = None
    missing: str | None = None  # missing animals: not_paid (the default), or valued as killed / injured

    @cached_property
    def _item_index(self) -> tuple[dict[tuple[str, str], ItemRule], dict[str, ItemRule]]:
        named: dict[tuple[str, str], ItemRule] = {}
        default: dict[str, ItemRule] = {}
        for rule in self.items:
            for name in rule.names:
                named.setdefault((rule.category, name), rule)
            if not rule.names:
                default.setdefault(rule.category, rule)
        return named, default

    def item_rule(self, category: str, item: str) -> ItemRule | None:
        """The first rule naming the item, else the first default rule of its category (None: neither)."""
        named, default = self._item_index
        return named.get((category, item.strip())) or default.get(category)

    @cached_property
    def citation(self) -> str:
        number = f"（{self.document_number}）" if self.document_number else ""
        return f"{self.document_title or self.title}{number}"


# --- reference data -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Price:
    amount: Decimal
    unit: str
    source: str = ""


@dataclass(frozen=True)
class Income:
    amount: Decimal
    source: str = ""


@dataclass(frozen=True)
class ReferenceData:
    """prices[(key, region code, year)] and incomes[(region code, year, kind)]."""

    prices: Mapping[tuple[str, str, int], Price] = field(default_factory=dict)
    incomes: Mapping[tuple[str, int, str], Income] = field(default_factory=dict)

    def price(self, key: str, region_path: tuple[str, ...], year: int) -> tuple[str, Price] | None:
        """The price of the most specific region on the path (county, then prefecture, then province)."""
        for code in reversed(region_path):
            found = self.prices.get((key, code, year))
            if found is not None:
                return code, found
        return None

    def income(self, code: str, year: int, kind: str) -> Income | None:
        return self.incomes.get((code, year, kind))


# --- input --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LossIn:
    """One verified loss. Personal lines: one line per person (injured or dead)."""

    line_id: str
    category: str
    item: str
    quantity: Decimal | None = None
    unit: str | None = None
    loss_rate: int | None = None
    growth_stage: str | None = None
    condition: str | None = None  # animals: killed | injured | missing (None: killed)
    assessed_value: Decimal | None = None
    medical_costs: Decimal | None = None
    nutrition_costs: Decimal | None = None
    hospital_days: int | None = None
    lost_work_days: int | None = None
    nursing_days: int | None = None
    disability_grade: int | None = None
    disability_amount: Decimal | None = None  # disability compensation assessed in money
    grade: str | None = None  # the price grade of the item, from the schedule's list (e.g. 成年母牛, 犊牛)
    owner: str | None = None  # property lines: whose property (None: the claimant), for per_person_property
    medical_note: str | None = None  # injury: why no medical costs are paid (e.g. the survey saw no invoice)

    def __post_init__(self) -> None:
        # an owner's name trimmed, inner spaces collapsed ("李  四 " is 李 四); no name is the claimant
        if self.owner is not None:
            object.__setattr__(self, "owner", " ".join(self.owner.split()) or None)
        # -0 is 0: a line must never read "-0.00元"
        for name in ("quantity", "assessed_value", "medical_costs", "nutrition_costs", "disability_amount"):
            value = getattr(self, name)
            if isinstance(value, Decimal) and value.is_zero() and value.is_signed():
                object.__setattr__(self, name, abs(value))


@dataclass(frozen=True)
class EarlierClaim:
    """A claim of the same household (claimant ID) in the same year, submitted before this one."""

    ref: str
    total: Decimal = Decimal(0)


@dataclass(frozen=True)
class IncidentShare:
    """The claim is one household's part of an incident (one event, several households): the per-accident cap
    applies across the incident's claims, and `share` is what this claim may take of it (claims/valuation/accident.py);
    None: not shared yet (the amount before the cap is wanted). `explanation` is the deduction line's rule text."""

    ref: str  # the incident's number
    share: Decimal | None = None
    explanation: str = ""


@dataclass(frozen=True)
class ValuationInput:
    incident_date: date
    region_path: tuple[str, ...]  # codes from the province down to the county
    losses: tuple[LossIn, ...]
    earlier_claims: tuple[EarlierClaim, ...] = ()
    prevention: tuple[str, ...] | None = None  # measures the survey found in place (None: not recorded, no prevention rule applies)
    in_protection_zone: bool | None = None  # shown with the valuation; no published rule values it
    incident: IncidentShare | None = None  # None: valued alone, the per-accident cap is the claim's own


# --- output -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Line:
    id: str
    kind: str  # loss, medical, lost_work, nursing, nutrition, disability, death, deduction, rounding
    category: str
    item: str
    amount: Decimal
    rule: str  # in Chinese: how the amount was found, with the schedule it comes from
    schedule: str = ""
    source_line: str | None = None
    quantity: Decimal | None = None
    unit: str | None = None
    rate: Decimal | None = None
    loss_rate: int | None = None
    ratio: Decimal | None = None
    loss_value: Decimal | None = None
    caps: tuple[str, ...] = ()
    payable: bool = True
    reason: str | None = None

    @property
    def adjustable(self) -> bool:
        return self.kind not in ("deduction", "rounding")


@dataclass(frozen=True)
class Valuation:
    lines: tuple[Line, ...]
    total: Decimal
    schedules: tuple[str, ...]
    reasons: tuple[str, ...] = ()

    @property
    def payable(self) -> bool:
        return self.total > 0


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


_DECIMAL_FIELDS = ("amount", "quantity", "rate", "ratio", "loss_value")


def valuation_to_json(valuation: Valuation) -> dict[str, Any]:
    lines = [{name: _plain(getattr(line, name)) for name in Line.__dataclass_fields__} for line in valuation.lines]
    return {"lines": lines, "total": str(valuation.total), "schedules": list(valuation.schedules), "reasons": list(valuation.reasons)}


def valuation_from_json(data: Mapping[str, Any]) -> Valuation:
    lines = []
    for raw in data["lines"]:
        values = dict(raw)
        for name in _DECIMAL_FIELDS:
            if values.get(name) is not None:
                values[name] = Decimal(values[name])
        values["caps"] = tuple(values.get("caps") or ())
        lines.append(Line(**values))
    return Valuation(tuple(lines), Decimal(data["total"]), tuple(data["schedules"]), tuple(data.get("reasons") or ()))


def loss_to_json(loss: LossIn) -> dict[str, Any]:
    return {name: _plain(getattr(loss, name)) for name in LossIn.__dataclass_fields__ if getattr(loss, name) is not None}


_LOSS_DECIMALS = ("quantity", "assessed_value", "medical_costs", "nutrition_costs", "disability_amount")


def input_from_json(data: Mapping[str, Any]) -> ValuationInput:
    """The stored engine input back (ClaimValuation.input_snapshot), to apply the rules again after an adjustment."""
    losses = tuple(LossIn(**{k: (Decimal(v) if k in _LOSS_DECIMALS else v) for k, v in raw.items()}) for raw in data["losses"])
    earlier = tuple(EarlierClaim(c["ref"], Decimal(c["total"])) for c in data.get("earlier_claims") or ())
    prevention = tuple(data["prevention"]) if data.get("prevention") is not None else None
    raw = data.get("incident")
    incident = IncidentShare(raw["ref"], None if raw.get("share") is None else Decimal(raw["share"]), raw.get("explanation", "")) if raw else None
    return ValuationInput(
        date.fromisoformat(data["incident_date"]),
        tuple(data["region_path"]),
        losses,
        earlier,
        prevention=prevention,
        in_protection_zone=data.get("in_protection_zone"),
        incident=incident,
    )


def input_to_json(inp: ValuationInput) -> dict[str, Any]:
    return {
        "incident_date": inp.incident_date.isoformat(),
        "region_path": list(inp.region_path),
        "losses": [loss_to_json(loss) for loss in inp.losses],
        "earlier_claims": [{"ref": c.ref, "total": str(c.total)} for c in inp.earlier_claims],
        "prevention": list(inp.prevention) if inp.prevention is not None else None,
        "in_protection_zone": inp.in_protection_zone,
        **({"incident": {"ref": i.ref, "share": _plain(i.share), "explanation": i.explanation}} if (i := inp.incident) else {}),
    }
