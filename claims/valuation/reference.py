"""Reference data for valuations: market prices and base incomes, from a file (docs/schedules.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from claims.accounts.models import User
from claims.extensions import db
from claims.regions.models import Region
from claims.valuation.fileformat import FORMAT_VERSION, REGION_RE, FileError, FileProblem, Reader, load_with_lines
from claims.valuation.models import BaseIncome, IncomeKind, ReferencePrice
from claims.valuation.spec import Income, Price, ReferenceData
from claims.workflow.audit import record_event

PRICE_FIELDS = ("item", "region", "year", "price", "unit", "source")
INCOME_FIELDS = ("region", "year", "kind", "amount", "source")


@dataclass(frozen=True)
class Row:
    path: str
    line: int | None
    values: dict[str, Any]


@dataclass(frozen=True)
class ReferenceFile:
    prices: list[Row]
    incomes: list[Row]


def parse_reference(text: str) -> ReferenceFile:
    data, lines = load_with_lines(text)
    reader = Reader(lines)
    data = reader.mapping(data, "", required=True) or {}
    reader.unknown(data, "", ("format", "prices", "incomes", "source"))
    if data.get("format", FORMAT_VERSION) != FORMAT_VERSION:
        reader.fail("format", _("must be %(n)d", n=FORMAT_VERSION))
    prices = [_row(reader, lines, "prices", i, raw, PRICE_FIELDS) for i, raw in enumerate(reader.listing(data.get("prices"), "prices"))]
    incomes = [_row(reader, lines, "incomes", i, raw, INCOME_FIELDS) for i, raw in enumerate(reader.listing(data.get("incomes"), "incomes"))]
    if reader.problems:
        raise FileError(reader.problems)
    return ReferenceFile([r for r in prices if r], [r for r in incomes if r])  # type: ignore[misc]


def _row(reader: Reader, lines: dict[str, int], section: str, i: int, raw: Any, known: tuple[str, ...]) -> Row | None:
    path = f"{section}[{i}]"
    data = reader.mapping(raw, path)
    if data is None:
        return None
    reader.unknown(data, path, known)
    values: dict[str, Any] = {
        "region": reader.text(data, "region", path, max_len=12),
        "year": reader.integer(data, "year", path, low=1990, high=2100, required=True),
        "source": reader.text(data, "source", path, max_len=300),
    }
    if values["region"] and not REGION_RE.match(values["region"]):
        reader.fail(f"{path}.region", _("must be a 6-digit division code of a province, prefecture or county"))
    if section == "prices":
        values.update(item=reader.text(data, "item", path, max_len=60), price=reader.number(data, "price", path, required=True))
        values["unit"] = reader.text(data, "unit", path, max_len=20)
    else:
        values.update(kind=reader.choice(data, "kind", path, tuple(k.value for k in IncomeKind)), amount=reader.number(data, "amount", path, required=True))
        if "kind" not in data:
            reader.fail(f"{path}.kind", _("is required"))
    return Row(path, lines.get(path), values)


def import_reference(text: str, *, actor: User | None) -> tuple[int, int]:
    """Insert or update prices and incomes (by item, region and year; by region, year and kind)."""
    parsed = parse_reference(text)
    regions = {r.code: r for r in db.session.execute(select(Region)).scalars()}
    problems = [
        FileProblem(row.line, f"{row.path}.region", _("no region with the code %(code)s", code=row.values["region"]))
        for row in parsed.prices + parsed.incomes
        if row.values["region"] not in regions
    ]
    if actor is not None and actor.region is not None:
        problems += [
            FileProblem(row.line, f"{row.path}.region", _("%(name)s is outside the region you administer", name=regions[row.values["region"]].name))
            for row in parsed.prices + parsed.incomes
            if row.values["region"] in regions and not regions[row.values["region"]].is_within(actor.region)
        ]
    if problems:
        raise FileError(problems)
    for row in parsed.prices:
        v = row.values
        price = db.session.execute(
            select(ReferencePrice).where(
                ReferencePrice.item == v["item"], ReferencePrice.region_id == regions[v["region"]].id, ReferencePrice.year == v["year"]
            )
        ).scalar_one_or_none() or ReferencePrice(item=v["item"], region=regions[v["region"]], year=v["year"])
        price.price, price.unit, price.source = v["price"], v["unit"], v["source"]
        db.session.add(price)
    for row in parsed.incomes:
        v = row.values
        income = db.session.execute(
            select(BaseIncome).where(BaseIncome.region_id == regions[v["region"]].id, BaseIncome.year == v["year"], BaseIncome.kind == v["kind"])
        ).scalar_one_or_none() or BaseIncome(region=regions[v["region"]], year=v["year"], kind=v["kind"])
        income.amount, income.source = v["amount"], v["source"]
        db.session.add(income)
    db.session.flush()
    changes = {"prices": len(parsed.prices), "incomes": len(parsed.incomes)}
    record_event(entity="reference_data", action="reference_imported", actor=actor, changes=changes)
    return len(parsed.prices), len(parsed.incomes)


def reference_for(region_path: tuple[str, ...], years: set[int]) -> ReferenceData:
    """The prices and incomes of the regions on a path for the given years (what one valuation can use)."""
    region_ids = select(Region.id).where(Region.code.in_(region_path))
    price_rows = db.session.execute(
        select(ReferencePrice, Region.code)
        .join(Region, ReferencePrice.region_id == Region.id)
        .where(ReferencePrice.region_id.in_(region_ids), ReferencePrice.year.in_(years))
    ).all()
    income_rows = db.session.execute(
        select(BaseIncome, Region.code).join(Region, BaseIncome.region_id == Region.id).where(BaseIncome.region_id.in_(region_ids), BaseIncome.year.in_(years))
    ).all()
    prices = {(p.item, code, p.year): Price(p.price, p.unit, p.source) for p, code in price_rows}
    incomes = {(code, i.year, i.kind): Income(i.amount, i.source) for i, code in income_rows}
    return ReferenceData(prices, incomes)


def all_reference() -> tuple[list[ReferencePrice], list[BaseIncome]]:
    prices = db.session.execute(select(ReferencePrice).order_by(ReferencePrice.year.desc(), ReferencePrice.item)).scalars().all()
    incomes = db.session.execute(select(BaseIncome).order_by(BaseIncome.year.desc(), BaseIncome.kind)).scalars().all()
    return list(prices), list(incomes)
