"""The rule sections of a schedule file: items, minimum, tiers, caps, household limits, personal injury."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _

from claims.valuation.fileformat_reader import Reader, income_ref, item_rule, iter_items
from claims.valuation.spec import (
    MISSING_TREATMENTS,
    PREVENTION_MEASURES,
    PROPERTY,
    CategoryCap,
    DailyRule,
    Death,
    Disability,
    ItemRule,
    MinEventSize,
    Minimum,
    Personal,
    PreventionRule,
    Tier,
)

PERSONAL_FIELDS = ("medical", "lost_work", "nursing", "nutrition", "disability", "medical_disability_cap", "death")


def read_items(reader: Reader, data: dict[str, Any]) -> tuple[ItemRule, ...]:
    items: list[ItemRule] = []
    keys: set[str] = set()
    defaults: set[str] = set()
    for path, raw in iter_items(reader, data):
        rule = item_rule(reader, path, raw)
        if rule is None:
            continue
        if rule.key in keys:
            reader.fail(f"{path}.key", _("another item has the key %(key)s", key=rule.key))
        if not rule.names and rule.category in defaults:
            reader.fail(f"{path}.names", _("a second default item (without names) for the category %(c)s", c=rule.category))
        if rule.method == "market_value" and rule.unit is None:
            reader.fail(f"{path}.unit", _("a market-value item needs the unit its reference price is per"))
        keys.add(rule.key)
        if not rule.names:
            defaults.add(rule.category)
        items.append(rule)
    return tuple(items)


def read_rules(reader: Reader, data: dict[str, Any]) -> dict[str, Any]:
    caps = reader.mapping(data.get("caps"), "caps") or {}
    reader.unknown(caps, "caps", ("per_claim", "per_accident", "per_person", "per_person_property", "per_household_year", "categories"))
    return {
        "rounding": reader.choice(data, "rounding", "", ("line", "total")),
        "minimum": _minimum(reader, data.get("minimum")),
        "tiers": _tiers(reader, data.get("tiers")),
        "tier_method": reader.choice(data, "tier_method", "", ("bracket", "marginal")),
        "per_claim": reader.number(caps, "per_claim", "caps"),
        "per_accident": reader.number(caps, "per_accident", "caps"),
        "per_person": reader.number(caps, "per_person", "caps"),
        "per_person_property": reader.number(caps, "per_person_property", "caps"),
        "per_household_year": reader.number(caps, "per_household_year", "caps"),
        "category_caps": _category_caps(reader, caps.get("categories")),
        "max_claims_per_household_year": reader.integer(data, "max_claims_per_household_year", "", low=1, high=1000),
        "min_event_size": _min_event_size(reader, data.get("min_event_size")),
        "personal": _personal(reader, data.get("personal")),
        "prevention": _prevention(reader, data.get("prevention")),
        "missing": reader.choice(data, "missing", "", MISSING_TREATMENTS),
    }


def _rows(reader: Reader, raw: Any, name: str, fields: tuple[str, ...]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(path, mapping) of each row of a list section, its unknown fields reported; a row that is no mapping is skipped."""
    for i, row in enumerate(reader.listing(raw, name)):
        path = f"{name}[{i}]"
        data = reader.mapping(row, path)
        if data is not None:
            reader.unknown(data, path, fields)
            yield path, data


def _prevention(reader: Reader, raw: Any) -> tuple[PreventionRule, ...] | None:
    """`prevention`: rules for lines of listed categories when the survey found none of the listed measures."""
    if raw is None:
        return None
    rules = []
    for path, data in _rows(reader, raw, "prevention", ("categories", "measures", "ratio", "refuse", "note")):
        if "categories" not in data:
            reader.fail(f"{path}.categories", _("is required"))
        categories = reader.categories(data, "categories", path, ())
        if any(c not in PROPERTY for c in categories):
            reader.fail(f"{path}.categories", _("prevention rules are for property categories: %(choices)s", choices=", ".join(PROPERTY)))
            categories = ()
        measures = data.get("measures")
        if not isinstance(measures, list) or not measures or not all(m in PREVENTION_MEASURES for m in measures):
            reader.fail(f"{path}.measures", _("must be a list of measures from: %(known)s", known=", ".join(PREVENTION_MEASURES)))
            measures = []
        ratio = reader.number(data, "ratio", path, high=Decimal(1))
        refuse = data.get("refuse", False)
        if (ratio is None) == (refuse is not True):
            reader.fail(f"{path}.ratio", _("give either a ratio or refuse: true"))
        note = reader.text(data, "note", path, required=False, max_len=300) or ""
        if categories and measures:
            rules.append(PreventionRule(categories, tuple(measures), ratio if refuse is not True else None, note))
    return tuple(rules)


def _minimum(reader: Reader, raw: Any) -> Minimum | None:
    data = reader.mapping(raw, "minimum")
    if data is None:
        return None
    reader.unknown(data, "minimum", ("kind", "amount", "categories", "order"))
    kind = reader.choice(data, "kind", "minimum", ("threshold", "deductible", "none"))
    if "kind" not in data:
        reader.fail("minimum.kind", _("is required"))
    amount = reader.number(data, "amount", "minimum", required=kind in ("threshold", "deductible"))
    categories = reader.categories(data, "categories", "minimum", PROPERTY)
    order = reader.choice(data, "order", "minimum", ("after_ratio", "before_ratio"), default="after_ratio") or "after_ratio"
    if "order" in data and kind != "deductible":
        reader.fail("minimum.order", _("applies only to a deductible (kind: deductible)"))
    return Minimum(kind or "none", amount or Decimal(0), categories, order)


def _tiers(reader: Reader, raw: Any) -> tuple[Tier, ...] | None:
    if raw is None:
        return None
    tiers: list[Tier] = []
    for i, row in enumerate(reader.listing(raw, "tiers")):
        path = f"tiers[{i}]"
        data = reader.mapping(row, path)
        if data is None:
            continue
        reader.unknown(data, path, ("from", "to", "ratio"))
        lower = reader.number(data, "from", path, required=True)
        upper = reader.number(data, "to", path)
        ratio = reader.number(data, "ratio", path, required=True, high=Decimal(1))
        if lower is not None and upper is not None and upper <= lower:
            reader.fail(f"{path}.to", _("must be more than from"))
        if tiers and lower is not None and tiers[-1].upper != lower:
            reader.fail(f"{path}.from", _("must equal the previous tier's to (tiers follow each other without gaps)"))
        if lower is not None and ratio is not None:
            tiers.append(Tier(lower, upper, ratio))
    return tuple(tiers)


def _category_caps(reader: Reader, raw: Any) -> tuple[CategoryCap, ...] | None:
    if raw is None:
        return None
    caps = []
    for path, data in _rows(reader, raw, "caps.categories", ("categories", "amount")):
        amount = reader.number(data, "amount", path, required=True)
        if "categories" not in data:
            reader.fail(f"{path}.categories", _("is required"))
        categories = reader.categories(data, "categories", path, ())
        if amount is not None and categories:
            caps.append(CategoryCap(categories, amount))
    return tuple(caps)


def _min_event_size(reader: Reader, raw: Any) -> MinEventSize | None:
    data = reader.mapping(raw, "min_event_size")
    if data is None:
        return None
    reader.unknown(data, "min_event_size", ("categories", "small", "large", "count"))
    small = reader.integer(data, "small", "min_event_size", low=1, required=True)
    large = reader.integer(data, "large", "min_event_size", low=1, required=True)
    categories = reader.categories(data, "categories", "min_event_size", ("livestock",))
    count = reader.choice(data, "count", "min_event_size", ("separate", "together"), default="separate") or "separate"
    return MinEventSize(categories, small or 1, large or 1, count)


def _personal(reader: Reader, raw: Any) -> Personal | None:
    data = reader.mapping(raw, "personal")
    if data is None:
        return None
    reader.unknown(data, "personal", PERSONAL_FIELDS)
    medical = None
    if data.get("medical") not in (None, "excluded"):
        section = reader.mapping(data["medical"], "personal.medical") or {}
        reader.unknown(section, "personal.medical", ("ratio",))
        medical = reader.number(section, "ratio", "personal.medical", required=True, high=Decimal(1))
    return Personal(
        medical_ratio=medical,
        lost_work=_daily(reader, data.get("lost_work"), "personal.lost_work"),
        nursing=_daily(reader, data.get("nursing"), "personal.nursing"),
        nutrition=_daily(reader, data.get("nutrition"), "personal.nutrition"),
        disability=_disability(reader, data.get("disability")),
        medical_disability_cap=reader.number(data, "medical_disability_cap", "personal"),
        death=_death(reader, data.get("death")),
    )


def _daily(reader: Reader, raw: Any, path: str) -> DailyRule | None:
    if raw in (None, "excluded"):
        return None
    data = reader.mapping(raw, path)
    if data is None:
        return None
    reader.unknown(data, path, ("rate", "income", "days", "persons"))
    rate = reader.number(data, "rate", path)
    income = income_ref(reader, data["income"], f"{path}.income") if data.get("income") is not None else None
    if (rate is None) == (income is None):
        reader.fail(f"{path}.rate", _("give either a daily rate or an income"))
    days = reader.choice(data, "days", path, ("hospital", "claimed", "claimed_up_to_hospital"), default="hospital") or "hospital"
    persons = reader.integer(data, "persons", path, low=1, high=10) or 1
    return DailyRule(rate, income, days, persons)


def _disability(reader: Reader, raw: Any) -> Disability | None:
    data = reader.mapping(raw, "personal.disability")
    if data is None:
        return None
    reader.unknown(data, "personal.disability", ("method", "income", "multiples", "ratio"))
    method = reader.choice(data, "method", "personal.disability", ("grade", "assessed"), default="grade")
    if method == "assessed":
        for key in ("income", "multiples"):
            if key in data:
                reader.fail(f"personal.disability.{key}", _("an assessed disability amount takes no %(field)s", field=key))
        ratio = reader.number(data, "ratio", "personal.disability", high=Decimal(1))
        return Disability(method="assessed", ratio=Decimal(1) if ratio is None else ratio)
    if "ratio" in data:
        reader.fail("personal.disability.ratio", _("only an assessed disability amount (method: assessed) takes a ratio"))
    income = income_ref(reader, data.get("income"), "personal.disability.income")
    multiples_raw = reader.mapping(data.get("multiples"), "personal.disability.multiples", required=True) or {}
    multiples: dict[int, Decimal] = {}
    for grade in multiples_raw:
        path = f"personal.disability.multiples.{grade}"
        if not str(grade).isdigit() or not 1 <= int(grade) <= 10:
            reader.fail(path, _("disability grades are 1 to 10"))
            continue
        value = reader.number(multiples_raw, grade, "personal.disability.multiples", required=True, high=Decimal(100))
        if value is not None:
            multiples[int(grade)] = value
    return Disability(income, multiples) if income is not None else None


def _death(reader: Reader, raw: Any) -> Death | None:
    data = reader.mapping(raw, "personal.death")
    if data is None:
        return None
    reader.unknown(data, "personal.death", ("flat", "multiple", "income"))
    flat = reader.number(data, "flat", "personal.death")
    multiple = reader.number(data, "multiple", "personal.death", high=Decimal(100))
    income = income_ref(reader, data["income"], "personal.death.income") if data.get("income") is not None else None
    if (flat is None) == (multiple is None) or (multiple is not None and income is None):
        reader.fail("personal.death", _("give either a flat amount, or a multiple with an income"))
    return Death(flat, multiple, income)
