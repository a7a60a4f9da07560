"""The provincial annual statistics table: a year's claims per county (or township), as counties report to the province.

Which claims count (docs/reports.md says it for readers):
- a claim counts in the year of its incident: the local (Asia/Shanghai) date of `incident_at`, as the provinces count
  damage incidents per year (domain README, section 9); a claim is counted once, in one year, whatever its later steps;
- every submitted claim counts as a case (it has a number): drafts never submitted do not; a claim refused at intake or
  after survey or notice, and a claim withdrawn after submission, are cases with nothing approved;
- the amounts are those recorded when the report is read: valued (the current valuation once the value step froze
  it), approved (the decision: insurer share + government share, and per loss category from its lines), paid (the
  settled shares). A claim of the year still in progress shows what it has reached so far.
- households are distinct claimants by the keyed hash of the ID number (`claimant_id_hash`; the number itself is never
  read); a claim without an ID number is a household of its own. A household that claimed in two townships is one
  household in the county's total, so totals of households are counted again, not added up.

How it scales: a handful of GROUP BY queries over the year's claims in the reader's scope (the same WHERE clause
as the claim lists): the counts and amounts per unit, the paid shares per unit, the species groups per unit, the
approved amounts per loss category and unit (from the decisions' lines, in JSON), and distinct households per
prefecture and in all. Python receives one row per unit and group, never one per claim.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, Numeric, case, cast, func, literal_column, select, true, tuple_
from sqlalchemy.orm import aliased

from claims.approval.models import Decision, Settlement, Share
from claims.core.money import FEN
from claims.core.time import LOCAL_TZ, local_to_utc
from claims.extensions import db
from claims.intake.models import Claim, LossCategory
from claims.regions.models import Region, RegionLevel, Species
from claims.reports.permissions import ReportScope
from claims.valuation.models import ClaimValuation
from claims.workflow.states import ClaimStatus

ZERO = Decimal("0.00")
FIRST_YEAR, LAST_YEAR = 2000, 2100  # the years a report may ask for
COMPENSATED = (ClaimStatus.APPROVED, ClaimStatus.PAID, ClaimStatus.CLOSED)
REFUSED = (ClaimStatus.NOT_ACCEPTED, ClaimStatus.NOT_COMPENSATED)
SPECIES_GROUPS = ("mammal", "bird", "reptile")  # the groups of species.json, in this order; others follow by name
_GROUP_TITLES = {"mammal": _l("Mammals"), "bird": _l("Birds"), "reptile": _l("Reptiles")}
UNKNOWN = ""  # the species group of a claim whose animal was not identified


def group_title(group: str) -> str:
    if group == UNKNOWN:
        return str(_l("Species unknown"))
    return str(_GROUP_TITLES[group]) if group in _GROUP_TITLES else group


@dataclass
class Figures:
    """One row's figures. Households are not additive (see the module docstring): a total's are set apart."""

    cases: int = 0
    households: int = 0
    compensated: int = 0
    refused: int = 0
    withdrawn: int = 0
    species: dict[str, int] = field(default_factory=dict)  # species group ("" unknown) -> cases
    categories: dict[LossCategory, Decimal] = field(default_factory=dict)  # approved amount per loss category
    valued: Decimal = ZERO
    approved: Decimal = ZERO
    insurer_share: Decimal = ZERO
    government_share: Decimal = ZERO
    paid_insurer: Decimal = ZERO
    paid_government: Decimal = ZERO

    @property
    def in_progress(self) -> int:
        return self.cases - self.compensated - self.refused - self.withdrawn

    @property
    def paid(self) -> Decimal:
        return self.paid_insurer + self.paid_government

    def add(self, other: Figures) -> None:
        """Add another row's figures, except households (counted apart for a total)."""
        for name in ("cases", "compensated", "refused", "withdrawn", "valued", "approved", "insurer_share", "government_share"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.paid_insurer += other.paid_insurer
        self.paid_government += other.paid_government
        for group, count in other.species.items():
            self.species[group] = self.species.get(group, 0) + count
        for category, amount in other.categories.items():
            self.categories[category] = self.categories.get(category, ZERO) + amount


@dataclass(frozen=True)
class Row:
    name: str
    level: str  # "unit" (a county or township), "subtotal" (a prefecture) or "total"
    figures: Figures


@dataclass(frozen=True)
class Period:
    """A calendar year, or one of its quarters or months, in local (Beijing) time: the incidents a table counts."""

    year: int
    quarter: int | None = None  # 1-4
    month: int | None = None  # 1-12; a month or a quarter, not both

    def __post_init__(self) -> None:
        if self.quarter is not None and self.month is not None:
            raise ValueError("a period is a year, a quarter or a month")
        if not (FIRST_YEAR <= self.year <= LAST_YEAR and (self.quarter is None or 1 <= self.quarter <= 4) and (self.month is None or 1 <= self.month <= 12)):
            raise ValueError("no such period")

    def bounds(self) -> tuple[datetime, datetime]:
        """The UTC moments that begin the period and the next one."""
        first, months = (self.month, 1) if self.month else ((self.quarter - 1) * 3 + 1, 3) if self.quarter else (1, 12)
        end_year, end_month = self.year + (first - 1 + months) // 12, (first - 1 + months) % 12 + 1
        return local_to_utc(datetime(self.year, first, 1, tzinfo=LOCAL_TZ)), local_to_utc(datetime(end_year, end_month, 1, tzinfo=LOCAL_TZ))


@dataclass(frozen=True)
class StatisticsReport:
    period: Period
    region: Region
    rows: list[Row]  # units, each prefecture's subtotal after its counties, the total last
    groups: list[str]  # the species groups shown, in column order: always the three of species.json and "unknown"

    @property
    def total(self) -> Figures:
        return self.rows[-1].figures

    @property
    def year(self) -> int:
        return self.period.year


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """The UTC moments that begin the local year and the next one."""
    return Period(year).bounds()


def counted(scope: ReportScope, period: Period) -> list[Any]:
    """The WHERE clause of every query: the period's submitted claims in the reader's scope."""
    start, end = period.bounds()
    return [scope.claims, Claim.number.is_not(None), Claim.incident_at >= start, Claim.incident_at < end]


def _unit(scope: ReportScope) -> Any:
    return Claim.township_id if scope.townships else Claim.county_id


def _fen_sum(column: Any) -> Any:
    return func.coalesce(func.sum(column), 0)


def _main_figures(scope: ReportScope, period: Period) -> dict[int | None, Figures]:
    """Cases, outcomes and amounts per unit: one query over the claims with their valuation and decision."""
    unit = _unit(scope)

    def count_of(condition: Any) -> Any:
        return func.sum(case((condition, 1), else_=0))

    query = (
        select(
            unit,
            func.count(),
            count_of(Claim.status.in_(COMPENSATED)),
            count_of(Claim.status.in_(REFUSED)),
            count_of(Claim.status == ClaimStatus.WITHDRAWN),
            func.sum(ClaimValuation.total),
            func.sum(Decision.total),
            func.sum(Decision.insurer_share),
            func.sum(Decision.government_share),
        )
        .outerjoin(ClaimValuation, (ClaimValuation.claim_id == Claim.id) & ClaimValuation.current & ClaimValuation.frozen_at.is_not(None))
        .outerjoin(Decision, Decision.claim_id == Claim.id)
        .where(*counted(scope, period))
        .group_by(unit)
    )
    out: dict[int | None, Figures] = {}
    for key, cases, compensated, refused, withdrawn, valued, approved, insurer, government in db.session.execute(query):
        out[key] = Figures(
            cases=cases,
            compensated=compensated,
            refused=refused,
            withdrawn=withdrawn,
            valued=valued or ZERO,
            approved=approved or ZERO,
            insurer_share=insurer or ZERO,
            government_share=government or ZERO,
        )
    return out


def _paid(scope: ReportScope, period: Period) -> Iterator[tuple[int | None, Share, Decimal]]:
    unit = _unit(scope)
    query = select(unit, Settlement.share, func.sum(Settlement.amount)).join(Claim, Claim.id == Settlement.claim_id).where(*counted(scope, period))
    for key, share, amount in db.session.execute(query.group_by(unit, Settlement.share)):
        yield key, Share(share), amount or ZERO


def _species(scope: ReportScope, period: Period) -> Iterator[tuple[int | None, str, int]]:
    unit = _unit(scope)
    query = select(unit, Species.group, func.count()).outerjoin(Species, Species.id == Claim.species_id).where(*counted(scope, period))
    for key, group, count in db.session.execute(query.group_by(unit, Species.group)):
        yield key, group or UNKNOWN, count


def _categories(scope: ReportScope, period: Period) -> Iterator[tuple[int | None, LossCategory, Decimal]]:
    """The approved amount per loss category: the decisions' lines (JSON: category, amount as a decimal string),
    summed by the database in integer fen. A deduction line carries its category, so the lines add up to the total."""
    unit = _unit(scope)
    # The keys are literals, not bound parameters: PostgreSQL matches the GROUP BY expression with the selected one
    # only when they are written the same (two parameters $2 and $3 would be two expressions).
    if db.session.get_bind().dialect.name == "postgresql":
        line = func.json_array_elements(Decision.lines).table_valued("value").alias("line")
        category = line.c.value.op("->>")(literal_column("'category'"))
        fen = cast(line.c.value.op("->>")(literal_column("'amount'")), Numeric) * 100
    else:
        line = func.json_each(Decision.lines).table_valued("value").alias("line")
        category = func.json_extract(line.c.value, literal_column("'$.category'"))
        fen = cast(func.round(cast(func.json_extract(line.c.value, literal_column("'$.amount'")), Numeric) * 100), Integer)
    query = select(unit, category, _fen_sum(fen)).select_from(Claim).join(Decision, Decision.claim_id == Claim.id).join(line, true())
    for key, code, total in db.session.execute(query.where(*counted(scope, period)).group_by(unit, category)):
        if code in LossCategory._value2member_map_:
            yield key, LossCategory(code), (Decimal(total) / 100).quantize(FEN)


@dataclass(frozen=True)
class Households:
    total: int
    units: dict[int | None, int]
    prefectures: dict[int | None, int]


def _households(scope: ReportScope, period: Period, by_prefecture: bool) -> Households:
    """Distinct households per unit, per prefecture (the province's subtotals) and in all. PostgreSQL counts the three
    in one scan (GROUPING SETS, the hashes compared bytewise); SQLite in three queries."""
    unit, county = _unit(scope), aliased(Region)
    postgres = db.session.get_bind().dialect.name == "postgresql"
    hashes = Claim.claimant_id_hash.collate("C") if postgres else Claim.claimant_id_hash
    counts = (func.count(hashes.distinct()), func.sum(case((Claim.claimant_id_hash.is_(None), 1), else_=0)))
    base = select().outerjoin(county, county.id == Claim.county_id).where(*counted(scope, period))
    if not postgres:
        units = {key: (h or 0) + (u or 0) for key, h, u in db.session.execute(base.add_columns(unit, *counts).group_by(unit))}
        parents = {key: (h or 0) + (u or 0) for key, h, u in db.session.execute(base.add_columns(county.parent_id, *counts).group_by(county.parent_id))}
        return Households(sum(v or 0 for v in db.session.execute(base.add_columns(*counts)).one()), units, parents if by_prefecture else {})
    keys = [unit, county.parent_id] if by_prefecture else [unit]
    query = base.add_columns(*(func.grouping(key) for key in keys), *keys, *counts)
    found = Households(0, {}, {})
    for row in db.session.execute(query.group_by(func.grouping_sets(*(tuple_(key) for key in keys), tuple_()))):
        flags, values, count = row[: len(keys)], row[len(keys) : 2 * len(keys)], (row[-2] or 0) + (row[-1] or 0)
        if not flags[0]:  # a unit's row (GROUPING is 0 for the keys a row is grouped by)
            found.units[values[0]] = count
        elif by_prefecture and not flags[1]:
            found.prefectures[values[1]] = count
        else:
            found = Households(count, found.units, found.prefectures)
    return found


def _figures_by_unit(scope: ReportScope, period: Period) -> dict[int | None, Figures]:
    figures = _main_figures(scope, period)
    for key, share, amount in _paid(scope, period):
        row = figures.setdefault(key, Figures())
        if share == Share.INSURER:
            row.paid_insurer += amount
        else:
            row.paid_government += amount
    for key, group, count in _species(scope, period):
        figures.setdefault(key, Figures()).species[group] = count
    for key, category, amount in _categories(scope, period):
        figures.setdefault(key, Figures()).categories[category] = amount
    return figures


def _units(region: Region, townships: bool) -> list[Region]:
    """Every county (or township) of the reader's region, in code order: a unit without claims shows zeros."""
    level = RegionLevel.TOWNSHIP if townships else RegionLevel.COUNTY
    if region.level == level:
        return [region]
    query = select(Region).where(Region.path.startswith(region.path), Region.level == level).order_by(Region.code)
    return list(db.session.execute(query).scalars())


def annual_statistics(scope: ReportScope, year: int) -> StatisticsReport:
    """The year's table for the reader's scope: units (grouped by prefecture for the province), subtotals, the total."""
    return statistics_for(scope, Period(year))


def statistics_for(scope: ReportScope, period: Period) -> StatisticsReport:
    """The period's table for the reader's scope: units (grouped by prefecture for the province), subtotals, the total."""
    region = scope.region
    assert region is not None, "statistics need the reader's region"
    by_unit = _figures_by_unit(scope, period)
    units = _units(region, scope.townships)
    known = {u.id for u in units}
    extra = [i for i in by_unit if i not in known]  # a claim outside the listed units (an inactive region): still counted
    units += list(db.session.execute(select(Region).where(Region.id.in_([i for i in extra if i is not None]))).scalars())
    by_prefecture = region.level == RegionLevel.PROVINCE
    households = _households(scope, period, by_prefecture)
    for key, count in households.units.items():
        by_unit.setdefault(key, Figures()).households = count
    rows = _grouped_rows(units, by_unit, households.prefectures) if by_prefecture else [_unit_row(u.name, by_unit.get(u.id)) for u in units]
    if None in by_unit:
        rows.append(_unit_row(str(_l("Region unknown")), by_unit[None]))
    total = Figures(households=households.total)
    for row in rows:
        if row.level == "unit":
            total.add(row.figures)
    rows.append(Row(str(_l("Total")), "total", total))
    others = sorted(g for g in total.species if g not in SPECIES_GROUPS and g != UNKNOWN)  # a group added to the species list
    return StatisticsReport(period, region, rows, [*SPECIES_GROUPS, *others, UNKNOWN])


def _unit_row(name: str, figures: Figures | None) -> Row:
    return Row(name, "unit", figures or Figures())


def _grouped_rows(units: list[Region], by_unit: dict[int | None, Figures], households: dict[int | None, int]) -> list[Row]:
    """The province's counties under their prefectures, each prefecture followed by its subtotal."""
    parents = {r.id: r for r in db.session.execute(select(Region).where(Region.id.in_({u.parent_id for u in units}))).scalars()}
    rows: list[Row] = []
    for parent_id in sorted(parents, key=lambda i: parents[i].code):
        subtotal = Figures(households=households.get(parent_id, 0))
        for unit in (u for u in units if u.parent_id == parent_id):
            row = _unit_row(unit.name, by_unit.get(unit.id))
            subtotal.add(row.figures)
            rows.append(row)
        rows.append(Row(str(_l("Subtotal: %(name)s", name=parents[parent_id].name)), "subtotal", subtotal))
    return rows
