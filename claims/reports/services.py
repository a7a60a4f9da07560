"""Stage times: how long claims stay in each status, per county and township, against the statutory limits.

What is measured (docs/reports.md says it for readers):
- a *stay* is a row of `claim_stages` (claims.workflow.models.ClaimStage): one claim in one status, from the step
  that brought it there to the step that took it on; only completed stays count, those that ended in the period;
- days are counted between local (Asia/Shanghai) dates: calendar days are the dates passed (a stay that ends the
  day it began is 0 days), working days those after the entry date up to and including the leaving date, by the
  working-day calendar of claims.regions (the published calendar and the administrators' overrides);
- the median and the 90th percentile interpolate between the nearest ranks (PostgreSQL's `percentile_cont`);
- a stay is within its limit when the claim left the status by the deadline that entering it set, by the rule of
  `claims.lifecycle.WAITS`: a working-day time limit (`regions.TimeLimit` of the county in force on the entry date,
  else the default) or a county setting in calendar days (the public notice period).

How it scales: the database filters the stays by the index (status, left_at), joins their claims for the scope and
groups them by stage, township and the two local dates, so Python receives one row per distinct group, not per
stay (a county's year is at most a few thousand groups). The percentiles, the working days and the limits are then
computed in Python over those counted groups, with the calendar and the time limits read once; the period is at
most 366 days (claims.reports.forms), which bounds that work.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from fractions import Fraction
from math import ceil, floor

from sqlalchemy import func, null, select

from claims.core.db import local_date
from claims.core.time import LOCAL_TZ, local_to_utc
from claims.extensions import db
from claims.intake.models import Claim
from claims.lifecycle import WAITS
from claims.regions.models import LimitKind, Region, RegionLevel
from claims.regions.services import TimeLimits, WorkingDays
from claims.regions.settings import county_setting
from claims.reports.permissions import ReportScope
from claims.workflow.models import ClaimStage
from claims.workflow.states import ClaimStatus

# The stages reported, in the lifecycle's order: a draft is the filer's own work and a final status is never left.
REPORTED_STAGES = tuple(s for s in ClaimStatus if s != ClaimStatus.DRAFT and not s.is_final)
MEDIAN, P90 = Fraction(1, 2), Fraction(9, 10)


@dataclass(frozen=True)
class Period:
    """Stays that ended between these local dates, both included."""

    first: date
    last: date

    def utc_bounds(self) -> tuple[datetime, datetime]:
        start = local_to_utc(datetime.combine(self.first, time.min, LOCAL_TZ))
        return start, local_to_utc(datetime.combine(self.last + timedelta(days=1), time.min, LOCAL_TZ))


@dataclass(frozen=True)
class Stay:
    """Stays with the same length: how many, calendar and working days, and whether within the limit (None: no limit)."""

    count: int
    days: int
    working_days: int
    within: bool | None


@dataclass(frozen=True)
class StageFigures:
    stays: int
    median_days: float
    p90_days: float
    median_working_days: float
    p90_working_days: float
    within_limit: float | None  # the share (0 to 1) of stays that ended by their deadline; None: the stage has none


@dataclass(frozen=True)
class StageRow:
    status: ClaimStatus
    region: str  # the county's or township's name
    level: RegionLevel
    figures: StageFigures


@dataclass(frozen=True)
class StageReport:
    period: Period
    rows: list[StageRow]  # stage by stage in the lifecycle's order; each county, then its townships

    def by_stage(self) -> dict[ClaimStatus, list[StageRow]]:
        grouped: dict[ClaimStatus, list[StageRow]] = {}
        for row in self.rows:
            grouped.setdefault(row.status, []).append(row)
        return grouped


def percentile(stays: list[tuple[int, int]], fraction: Fraction) -> float:
    """The percentile of (value, count) pairs, interpolated between the nearest ranks as `percentile_cont` does."""
    ordered = sorted(stays)
    total = sum(count for _value, count in ordered)
    position = (total - 1) * fraction
    low, high = _value_at(ordered, floor(position)), _value_at(ordered, ceil(position))
    return float(low + (high - low) * (position - floor(position)))


def _value_at(ordered: list[tuple[int, int]], rank: int) -> int:
    """The value at a 0-based rank of the expanded list, without expanding it."""
    seen = 0
    for value, count in ordered:
        seen += count
        if rank < seen:
            return value
    raise IndexError(rank)


def figures(stays: list[Stay]) -> StageFigures:
    days = [(s.days, s.count) for s in stays]
    working = [(s.working_days, s.count) for s in stays]
    limited = [s for s in stays if s.within is not None]
    total = sum(s.count for s in stays)
    share = sum(s.count for s in limited if s.within) / sum(s.count for s in limited) if limited else None
    return StageFigures(total, percentile(days, MEDIAN), percentile(days, P90), percentile(working, MEDIAN), percentile(working, P90), share)


def _grouped_stays(scope: ReportScope, period: Period) -> list[tuple[ClaimStatus, int | None, int | None, date, date, int]]:
    """Completed stays in the period and scope, counted by the database per stage, county, local dates and (for a
    county's users, who see them) township; the province's groups stay per county, far fewer rows."""
    start, end = period.utc_bounds()
    day_in, day_out = local_date(ClaimStage.entered_at), local_date(ClaimStage.left_at)
    township = Claim.township_id if scope.townships else null()
    keys = (ClaimStage.status, Claim.county_id, day_in, day_out) + ((Claim.township_id,) if scope.townships else ())
    query = (
        select(ClaimStage.status, Claim.county_id, township, day_in, day_out, func.count())
        .join(Claim, Claim.id == ClaimStage.claim_id)
        .where(ClaimStage.status.in_(REPORTED_STAGES), ClaimStage.left_at >= start, ClaimStage.left_at < end, scope.claims)
        .group_by(*keys)
    )
    return [tuple(row) for row in db.session.execute(query)]  # type: ignore[misc]


class Deadlines:
    """Whether a stay ended by the deadline its entry set (claims.lifecycle.WAITS), the rules read once."""

    def __init__(self, county_ids: list[int], first: date, last: date) -> None:
        self.limits = TimeLimits(county_ids)
        self.calendar = WorkingDays(first, last)
        self.counties = {r.id: r for r in db.session.execute(select(Region).where(Region.id.in_(county_ids))).scalars()}
        self._settings: dict[tuple[int | None, str, date], int] = {}
        self._within: dict[tuple[ClaimStatus, int | None, date, date], bool | None] = {}

    def within(self, status: ClaimStatus, county_id: int | None, entered: date, left: date) -> bool | None:
        key = (status, county_id, entered, left)  # a county's townships share their county's answers
        if key not in self._within:
            self._within[key] = self._within_rule(status, county_id, entered, left)
        return self._within[key]

    def _within_rule(self, status: ClaimStatus, county_id: int | None, entered: date, left: date) -> bool | None:
        rule = WAITS.get(status)
        if rule is None:
            return None
        if isinstance(rule, LimitKind):
            return self._by_working_day(entered, left, self.limits.days(county_id, rule, entered))
        if rule.endswith("working_days"):  # a county setting in working days, by its name (as docs/workflow.md reads it)
            return self._by_working_day(entered, left, self._setting(county_id, rule, entered))
        return (left - entered).days <= self._setting(county_id, rule, entered)  # a setting in calendar days

    def _by_working_day(self, entered: date, left: date, limit: int) -> bool:
        """Left by the deadline (the limit-th working day after entry) when fewer working days than the limit passed
        before the leaving date: leaving on the deadline itself is in time, as on the overdue list."""
        return self.calendar.between(entered, left - timedelta(days=1)) < limit

    def _setting(self, county_id: int | None, key: str, on_date: date) -> int:
        cache_key = (county_id, key, on_date)
        if cache_key not in self._settings:
            self._settings[cache_key] = int(county_setting(self.counties.get(county_id or 0), key, on_date))
        return self._settings[cache_key]


def stage_times(scope: ReportScope, period: Period) -> StageReport:
    """Median and 90th-percentile stays in each stage, per county (and township, for a county's users)."""
    groups = _grouped_stays(scope, period)
    if not groups:
        return StageReport(period, [])
    county_ids = sorted({g[1] for g in groups if g[1] is not None})
    first = min(g[3] for g in groups)
    deadlines = Deadlines(county_ids, first, period.last)
    by_county: dict[CountyKey, list[Stay]] = defaultdict(list)
    by_township: dict[TownshipKey, list[Stay]] = defaultdict(list)
    for status, county_id, township_id, entered, left, count in groups:
        stay = Stay(count, (left - entered).days, deadlines.calendar.between(entered, left), deadlines.within(status, county_id, entered, left))
        by_county[(status, county_id)].append(stay)
        by_township[(status, county_id, township_id)].append(stay)
    return StageReport(period, _rows(by_county, by_township if scope.townships else {}))


CountyKey = tuple[ClaimStatus, int | None]
TownshipKey = tuple[ClaimStatus, int | None, int | None]


def _rows(by_county: dict[CountyKey, list[Stay]], by_township: dict[TownshipKey, list[Stay]]) -> list[StageRow]:
    ids = {key[1] for key in by_county} | {key[2] for key in by_township}
    regions = {r.id: r for r in db.session.execute(select(Region).where(Region.id.in_([i for i in ids if i is not None]))).scalars()}
    order = {status: n for n, status in enumerate(REPORTED_STAGES)}

    def code(region_id: int | None) -> str:
        return regions[region_id].code if region_id in regions else "~"

    def name(region_id: int | None) -> str:
        return regions[region_id].name if region_id in regions else "—"

    rows: list[StageRow] = []
    for status, county_id in sorted(by_county, key=lambda k: (order[k[0]], code(k[1]))):
        rows.append(StageRow(status, name(county_id), RegionLevel.COUNTY, figures(by_county[(status, county_id)])))
        townships = sorted((k for k in by_township if k[0] == status and k[1] == county_id), key=lambda k: code(k[2]))
        rows += [StageRow(status, name(k[2]), RegionLevel.TOWNSHIP, figures(by_township[k])) for k in townships]
    return rows
