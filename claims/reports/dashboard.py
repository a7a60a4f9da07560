"""The dashboards: a region's claims filed in the chosen months, read from the aggregate, and its overdue claims now.

`dashboard(user, region, period)` computes one page: two statements over the aggregate (claims/reports/models.py,
kept by claims/reports/figures.py): its rows of the region and months grouped by child region, status, species,
category and month (for a province's year, hundreds to tens of thousands of rows, whatever the number of claims),
rolled up here into each chart; and its refusals by reason. Then the overdue claims now, summed from the aggregate's
open claims per status and deadline as the overdue page sums them, by stage and by who holds them (the escalation's
rule, `HOLDERS`): the township (clerks), the county (officers, approvers), the insurer (from the claims referred).

The period is chosen in days (claims/reports/forms.PeriodForm) and counted in whole months of filing: the
aggregate's finest unit. The page says which months it covers.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field, fields
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, func, select

from claims.accounts.models import Role, User
from claims.core.time import local_today
from claims.extensions import db
from claims.insurance.models import InsurancePolicy, Insurer, Referral
from claims.intake.models import Claim, LossCategory
from claims.intake.permissions import scope_filter
from claims.regions.models import Region, RegionLevel, Species
from claims.reports.figures import next_month
from claims.reports.models import ClaimFigure, DeadlineFigure, RefusalFigure
from claims.reports.services import Period
from claims.workflow.escalation import CLAIMANT_CALLS, HOLDERS
from claims.workflow.queues import figures_in_scope, overdue_on
from claims.workflow.reasons import RefusalReason
from claims.workflow.states import ClaimStatus

ZERO = Decimal("0.00")
CHILD_LEVEL = {RegionLevel.PROVINCE: RegionLevel.PREFECTURE, RegionLevel.PREFECTURE: RegionLevel.COUNTY, RegionLevel.COUNTY: RegionLevel.TOWNSHIP}


@dataclass
class Amounts:
    """Sums in yuan: claimed (estimates at filing), verified (valued), approved and paid, with their shares."""

    claimed: Decimal = ZERO
    verified: Decimal = ZERO
    approved: Decimal = ZERO
    approved_insurer: Decimal = ZERO
    approved_government: Decimal = ZERO
    paid: Decimal = ZERO
    paid_insurer: Decimal = ZERO
    paid_government: Decimal = ZERO

    def add(self, values: tuple[Decimal, ...]) -> None:
        for f, value in zip(fields(self), values, strict=True):
            setattr(self, f.name, getattr(self, f.name) + value)


AMOUNT_NAMES = tuple(f.name for f in fields(Amounts))


@dataclass
class Tally:
    """Claims counted and their amounts, for one line of a table."""

    label: str
    claims: int = 0
    amounts: Amounts = field(default_factory=Amounts)


@dataclass
class RegionTally(Tally):
    region_id: int | None = None
    code: str = ""
    link: bool = False  # a drill-down to the region's own dashboard (within the reader's scope)


@dataclass
class Overdue:
    by_stage: list[tuple[str, int]]
    by_holder: list[tuple[str, str, int]]  # role, organisation, claims

    @property
    def total(self) -> int:
        return sum(n for _label, n in self.by_stage)


@dataclass
class Dashboard:
    region: Region
    period: Period
    months: list[date]  # the first day of each month counted
    total: Tally
    by_status: list[Tally]
    by_species: list[Tally]
    by_category: list[Tally]
    by_month: list[Tally]
    by_region: list[RegionTally]
    refusals: list[tuple[str, int, int]]  # reason, not accepted, not compensated
    overdue: Overdue
    parent: Region | None = None  # the region above, when the reader may open it


def months_of(period: Period) -> list[date]:
    months, month = [], period.first.replace(day=1)
    while month <= period.last:
        months.append(month)
        month = next_month(month)
    return months


def month_label(month: date) -> str:
    return _("%(year)d-%(month)02d", year=month.year, month=month.month)


def _counties_below(region: Region) -> Any:
    return select(Region.id).where(Region.path.startswith(region.path), Region.level == RegionLevel.COUNTY)


def _in_region(region: Region, township: Any, county: Any) -> ColumnElement[bool]:
    """The rows (of the aggregate or of claims) of a region, by their township and county columns."""
    if region.level == RegionLevel.TOWNSHIP:
        return township == region.id
    if region.level == RegionLevel.COUNTY:
        return county == region.id
    return county.in_(_counties_below(region))


def _child_column(region: Region) -> Any:
    """What splits the region into the regions one level down: townships, counties, or the counties' prefectures."""
    if region.level == RegionLevel.COUNTY:
        return ClaimFigure.township_id
    if region.level == RegionLevel.PREFECTURE:
        return ClaimFigure.county_id
    if region.level == RegionLevel.PROVINCE:
        return select(Region.parent_id).where(Region.id == ClaimFigure.county_id).correlate(ClaimFigure).scalar_subquery()
    return ClaimFigure.township_id  # a township: itself


def dashboard(user: User, region: Region, period: Period, *, may_open: Any = None) -> Dashboard:
    """The figures of `region` (within the reader's scope: the caller checks can_see_region) for the months of
    `period`. `may_open(region)` says whether a region may be linked to (its own dashboard)."""
    months = months_of(period)
    first, end = months[0], next_month(months[-1])
    where = (_in_region(region, ClaimFigure.township_id, ClaimFigure.county_id), ClaimFigure.month >= first, ClaimFigure.month < end)
    child = _child_column(region).label("child")
    keys = (child, ClaimFigure.status, ClaimFigure.species_id, ClaimFigure.category, ClaimFigure.month)
    sums = (func.sum(getattr(ClaimFigure, name)) for name in AMOUNT_NAMES)
    rows = db.session.execute(select(*keys, func.sum(ClaimFigure.claims), *sums).where(*where).group_by(*keys)).all()
    board = _rolled_up(region, period, months, rows, may_open)
    board.refusals = _refusals(region, first, end)
    board.overdue = overdue_by_holder(user, region)
    parent = region.parent
    board.parent = parent if parent is not None and may_open is not None and may_open(parent) else None
    return board


def _rolled_up(region: Region, period: Period, months: list[date], rows: list[Any], may_open: Any) -> Dashboard:
    total = Tally(_("Total"))
    statuses: dict[ClaimStatus, Tally] = {}
    species: dict[int | None, Tally] = {}
    categories: dict[LossCategory | None, Tally] = {}
    by_month = {m: Tally(month_label(m)) for m in months}
    children: dict[int | None, RegionTally] = {}
    for child, status, species_id, category, month, claims, *amounts in rows:
        for tally in (
            total,
            statuses.setdefault(status, Tally(status.title)),
            species.setdefault(species_id, Tally("")),
            categories.setdefault(category, Tally(category.title if category is not None else _("unknown"))),
            by_month[month],
            children.setdefault(child, RegionTally("", region_id=child)),
        ):
            tally.claims += claims
            tally.amounts.add(tuple(amounts))
    _name_species(species)
    order = {s: n for n, s in enumerate(ClaimStatus)}
    return Dashboard(
        region=region,
        period=period,
        months=months,
        total=total,
        by_status=[statuses[s] for s in sorted(statuses, key=order.__getitem__)],
        by_species=sorted(species.values(), key=lambda t: (-t.claims, t.label)),
        by_category=[categories[c] for c in [*LossCategory, None] if c in categories],
        by_month=list(by_month.values()),
        by_region=_name_regions(region, children, may_open),
        refusals=[],
        overdue=Overdue([], []),
    )


def _name_species(species: dict[int | None, Tally]) -> None:
    known = [i for i in species if i is not None]
    names = dict(db.session.execute(select(Species.id, Species.name_zh).where(Species.id.in_(known))).all()) if known else {}
    for species_id, tally in species.items():
        tally.label = names.get(species_id, "") if species_id is not None else _("unknown")


def _name_regions(region: Region, children: dict[int | None, RegionTally], may_open: Any) -> list[RegionTally]:
    if region.level not in CHILD_LEVEL:
        return []
    # Every region one level down, with or without claims, so that a quiet township shows its zero.
    below = db.session.execute(select(Region).where(Region.parent_id == region.id, Region.level == CHILD_LEVEL[region.level]).order_by(Region.code))
    found = []
    for child in below.scalars():
        tally = children.pop(child.id, RegionTally("", region_id=child.id))
        tally.label, tally.code, tally.link = child.name, child.code, may_open is not None and may_open(child)
        found.append(tally)
    for tally in children.values():  # a claim whose region is elsewhere in the tree (moved regions): shown, not linked
        tally.label = _("other")
        found.append(tally)
    return found


def _refusals(region: Region, first: date, end: date) -> list[tuple[str, int, int]]:
    where = (_in_region(region, RefusalFigure.township_id, RefusalFigure.county_id), RefusalFigure.month >= first, RefusalFigure.month < end)
    query = (
        select(RefusalFigure.reason, RefusalFigure.status, func.sum(RefusalFigure.claims)).where(*where).group_by(RefusalFigure.reason, RefusalFigure.status)
    )
    counts: dict[str, Counter[ClaimStatus]] = defaultdict(Counter)
    for reason, status, claims in db.session.execute(query):
        counts[reason][status] += claims
    known = {r.value: n for n, r in enumerate(RefusalReason)}
    ordered = sorted(counts, key=lambda code: (known.get(code, len(known)), code))
    return [(_reason_title(code), counts[code][ClaimStatus.NOT_ACCEPTED], counts[code][ClaimStatus.NOT_COMPENSATED]) for code in ordered]


def _reason_title(code: str) -> str:
    return RefusalReason(code).title if code in RefusalReason._value2member_map_ else RefusalReason.OTHER.title


# Overdue now: from the aggregate's open claims per deadline, by stage and by who holds them ---------------------
def overdue_by_holder(user: User, region: Region) -> Overdue:
    """The region's open claims whose deadline has passed, by status and by holder (role and organisation)."""
    figure = DeadlineFigure  # the open claims per deadline (claims/reports/figures.py): a few hundred rows, not every claim
    keys = (figure.status, figure.county_id, figure.township_id)
    in_region = (figures_in_scope(user, figure), _in_region(region, figure.township_id, figure.county_id), figure.due_at < local_today())
    rows = db.session.execute(select(*keys, func.sum(figure.claims)).where(*in_region).group_by(*keys)).all()
    names = _region_names({i for _s, county, township, _n in rows for i in (county, township) if i is not None})
    by_stage: Counter[ClaimStatus] = Counter()
    holders: Counter[tuple[str, str]] = Counter()
    for status, county, township, n in rows:
        by_stage[status] += n
        role = HOLDERS.get(status)
        if role in (Role.CLERK,):
            holders[(role.title, names.get(township, "—"))] += n
        elif role in (Role.OFFICER, Role.APPROVER):
            holders[(role.title, names.get(county, "—"))] += n
        elif status in CLAIMANT_CALLS or role is None:
            holders[(_("Claimant"), "—")] += n
    if by_stage[ClaimStatus.REFERRED]:
        where = (scope_filter(user), _in_region(region, Claim.township_id, Claim.county_id), overdue_on(local_today()))
        for insurer, n in _overdue_by_insurer(where):
            holders[(Role.INSURER.title, insurer)] += n
    order = {s: n for n, s in enumerate(ClaimStatus)}
    stages = [(s.title, by_stage[s]) for s in sorted(by_stage, key=order.__getitem__)]
    return Overdue(stages, [(role, org, n) for (role, org), n in sorted(holders.items(), key=lambda item: (-item[1], item[0]))])


def _overdue_by_insurer(where: tuple[Any, ...]) -> list[tuple[str, int]]:
    query = (
        select(Insurer.name, func.count())
        .select_from(Claim)
        .join(Referral, Referral.claim_id == Claim.id)
        .join(InsurancePolicy, InsurancePolicy.id == Referral.policy_id)
        .join(Insurer, Insurer.id == InsurancePolicy.insurer_id)
        .where(*where, Claim.status == ClaimStatus.REFERRED)
        .group_by(Insurer.name)
    )
    return [(name, n) for name, n in db.session.execute(query)]


def _region_names(ids: set[int]) -> dict[int, str]:
    return dict(db.session.execute(select(Region.id, Region.name).where(Region.id.in_(ids))).all()) if ids else {}


# What the charts draw (static/js/dashboard.js reads it from the page's JSON block; the tables show the same) ------
def _series(name: str, values: list[Any]) -> dict[str, Any]:
    return {"name": name, "data": [str(v) for v in values]}


def _counts(kind: str, tallies: list[Tally] | list[RegionTally]) -> dict[str, Any]:
    return {"kind": kind, "labels": [t.label for t in tallies], "series": [_series(_("Number of claims"), [t.claims for t in tallies])]}


def chart_data(board: Dashboard) -> dict[str, Any]:
    """The data of each chart: its kind (pie, bar, line), labels and series, amounts as decimal strings (exact)."""
    total = board.total.amounts
    amount_labels = [_("Amount claimed"), _("Amount verified"), _("Amount approved"), _("Amount paid")]
    charts = {
        "status": _counts("pie", board.by_status),
        "species": _counts("bar", board.by_species),
        "category": _counts("pie", board.by_category),
        "month": _counts("line", board.by_month),
        "amounts": {
            "kind": "bar",
            "stack": True,
            "labels": amount_labels,
            "series": [
                _series(_("Not split"), [total.claimed, total.verified, ZERO, ZERO]),
                _series(_("Insurer share"), [ZERO, ZERO, total.approved_insurer, total.paid_insurer]),
                _series(_("Government share"), [ZERO, ZERO, total.approved_government, total.paid_government]),
            ],
        },
        "regions": _counts("bar", board.by_region),
        "refusals": {
            "kind": "bar",
            "stack": True,
            "labels": [r[0] for r in board.refusals],
            "series": [_series(_("Not accepted"), [r[1] for r in board.refusals]), _series(_("Not compensated"), [r[2] for r in board.refusals])],
        },
        "overdue": {
            "kind": "bar",
            "labels": [s[0] for s in board.overdue.by_stage],
            "series": [_series(_("Overdue claims"), [s[1] for s in board.overdue.by_stage])],
        },
    }
    return charts
