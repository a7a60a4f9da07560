"""A quote from plain data (the JSON endpoint and `flask valuation quote`): docs/valuation.md.

One function, `quote(payload)`, validates the input, applies the schedules in force for the region on
the incident date and returns the valuation as JSON-safe data. Nothing is stored.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from flask import current_app
from flask_babel import gettext as _

from claims.regions.models import RegionLevel
from claims.valuation.engine import NoSchedule
from claims.valuation.fileformat import FileError, FileProblem, Reader
from claims.valuation.schedules import region_by_code
from claims.valuation.services import region_path, run_engine
from claims.valuation.spec import CATEGORIES, CONDITIONS, PREVENTION_MEASURES, EarlierClaim, LossIn, ValuationInput, valuation_to_json

MAX_LINES = 50
LOSS_FIELDS = (
    "id",
    "category",
    "item",
    "quantity",
    "unit",
    "loss_rate",
    "growth_stage",
    "condition",
    "assessed_value",
    "medical_costs",
    "nutrition_costs",
    "hospital_days",
    "lost_work_days",
    "nursing_days",
    "disability_grade",
    "disability_amount",
    "grade",
    "owner",
)


MAX_EXPONENT = 999999  # the default decimal context's Emax: beyond it Decimal itself fails (1e400 is read, and refused by its field)


def _decimal(text: str) -> Decimal:
    """A JSON number with a fraction or an exponent, exactly; ValueError (so: not JSON, a 400) when its
    exponent is absurd, before Decimal is asked (1e-9999999999999999999 raises InvalidOperation there)."""
    exponent = text.lower().partition("e")[2]
    if exponent and (len(exponent.lstrip("+-")) > 7 or abs(int(exponent)) > MAX_EXPONENT):
        raise ValueError(f"number out of range: {text[:40]}")
    return Decimal(text)


def load_json(raw: str | bytes) -> Any:
    """A quote request's JSON with exact numbers: 2.5 is Decimal("2.5") read from the text, never a float,
    so more than four decimals is refused by the field rather than rounded away (ValueError: not JSON, also
    for a number whose exponent is above MAX_EXPONENT)."""
    return current_app.json.loads(raw, parse_float=_decimal)


def _loss(reader: Reader, raw: Any, i: int) -> LossIn | None:
    path = f"losses[{i}]"
    data = reader.mapping(raw, path)
    if data is None:
        return None
    reader.unknown(data, path, LOSS_FIELDS)
    category = reader.choice(data, "category", path, CATEGORIES)
    if "category" not in data:
        reader.fail(f"{path}.category", _("is required"))
    item = reader.text(data, "item", path, max_len=100)
    days = {k: reader.integer(data, k, path, high=3650) for k in ("hospital_days", "lost_work_days", "nursing_days")}
    money = {k: reader.number(data, k, path) for k in ("assessed_value", "medical_costs", "nutrition_costs", "disability_amount")}
    loss = LossIn(
        line_id=reader.text(data, "id", path, required=False, max_len=20) or f"L{i + 1}",
        category=category or "crop",
        item=item or "",
        quantity=reader.number(data, "quantity", path, high=Decimal(1000000)),
        unit=reader.text(data, "unit", path, required=False, max_len=20),
        loss_rate=reader.integer(data, "loss_rate", path, high=100),
        growth_stage=reader.text(data, "growth_stage", path, required=False, max_len=50),
        condition=reader.choice(data, "condition", path, CONDITIONS),
        disability_grade=reader.integer(data, "disability_grade", path, low=1, high=10),
        grade=reader.text(data, "grade", path, required=False, max_len=60),
        owner=reader.text(data, "owner", path, required=False, max_len=60),
        **days,
        **money,
    )
    return loss if category and item else None


def parse_quote(payload: Any) -> tuple[Any, ValuationInput]:
    """The region and the engine input of a quote request; FileError names each bad field."""
    reader = Reader()
    data = reader.mapping(payload, "", required=True) or {}
    reader.unknown(data, "", ("region", "incident_date", "losses", "earlier_claims", "claimant", "prevention", "in_protection_zone"))
    claimant = " ".join((reader.text(data, "claimant", "", required=False, max_len=60) or "").split())
    code = reader.text(data, "region", "", max_len=12)
    region = region_by_code(code) if code else None
    if code and (region is None or region.level not in (RegionLevel.COUNTY, RegionLevel.TOWNSHIP, RegionLevel.VILLAGE)):
        reader.fail("region", _("no county, township or village with the code %(code)s", code=code))
    day = reader.day(data, "incident_date", "", required=True)
    raw_losses = reader.listing(data.get("losses"), "losses")
    if not raw_losses or len(raw_losses) > MAX_LINES:
        reader.fail("losses", _("give 1 to %(n)d loss lines", n=MAX_LINES))
    losses = [_loss(reader, raw, i) for i, raw in enumerate(raw_losses[:MAX_LINES])]
    # the claimant's property under their own name is the claimant's (owner None), not another person's
    losses = [replace(x, owner=None) if x is not None and claimant and x.owner == claimant else x for x in losses]
    earlier = []
    for i, raw in enumerate(reader.listing(data.get("earlier_claims"), "earlier_claims")):
        row = reader.mapping(raw, f"earlier_claims[{i}]") or {}
        total = reader.number(row, "total", f"earlier_claims[{i}]", required=True)
        earlier.append(EarlierClaim(str(row.get("ref") or f"#{i + 1}"), total or Decimal(0)))
    prevention = _prevention(reader, data)
    zone = data.get("in_protection_zone")
    if zone is not None and not isinstance(zone, bool):
        reader.fail("in_protection_zone", _("must be true, false or null"))
    if reader.problems or region is None or day is None:
        raise FileError(reader.problems or [FileProblem(None, "region", _("is required"))])
    county = region.ancestor(RegionLevel.COUNTY)
    inp = ValuationInput(day, region_path(county), tuple(x for x in losses if x), tuple(earlier), prevention=prevention, in_protection_zone=zone)  # type: ignore[arg-type]
    return county, inp


def _prevention(reader: Reader, data: dict[str, Any]) -> tuple[str, ...] | None:
    """The measures in place, as a survey records them; absent or null: not recorded (no prevention rule applies)."""
    raw = data.get("prevention")
    if raw is None:
        return None
    if not isinstance(raw, list) or not all(isinstance(m, str) and m in PREVENTION_MEASURES for m in raw):
        reader.fail("prevention", _("must be a list of measures from: %(known)s", known=", ".join(PREVENTION_MEASURES)))
        return None
    return tuple(dict.fromkeys(raw))


def quote(payload: Any) -> dict[str, Any]:
    """The valuation of a quote request as JSON-safe data, or {"errors": [...]} naming each bad field."""
    try:
        county, inp = parse_quote(payload)
        valuation, schedules = run_engine(inp, county)
    except FileError as exc:
        return {"errors": [{"field": p.field, "message": p.message} for p in exc.problems]}
    except NoSchedule:
        return {"errors": [{"field": "region", "message": _("No compensation schedule is in force for this county on the incident date.")}]}
    out = valuation_to_json(valuation)
    out["payable"] = valuation.payable
    out["region"] = county.code
    out["incident_date"] = inp.incident_date.isoformat()
    out["schedules"] = [{"code": s.code, "title": s.title, "document": s.document_title, "number": s.document_number} for s in schedules]
    return out
