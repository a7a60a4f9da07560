"""Eligibility of species, the working-day calendar and time limits, all answered from data."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache, cached_property
from typing import Any

import chinese_calendar
from flask import current_app
from sqlalchemy import Exists, Select, and_, bindparam, or_, select
from sqlalchemy.orm import aliased

from claims.core.time import local_today
from claims.extensions import db
from claims.regions.models import CalendarDay, CountyDesignation, LimitKind, Region, RegionLevel, Species, SpeciesListing, TimeLimit

# Defaults in working days, used when no TimeLimit row says otherwise. Application 10, survey report 5
# and payment 10 are Shanxi's published rules, intake 3 the default (domain brief, section 4);
# [design] confirmation, valuation, insurer and approval are our own defaults until a county sets them.
DEFAULT_LIMITS = {
    LimitKind.APPLICATION: 10,
    LimitKind.INTAKE: 3,
    LimitKind.SURVEY: 5,
    LimitKind.CONFIRMATION: 5,
    LimitKind.VALUATION: 5,
    LimitKind.INSURER: 10,
    LimitKind.APPROVAL: 5,
    LimitKind.PAYMENT: 10,
    LimitKind.OBJECTION: 10,  # [design] two working weeks to look again at the survey or the valuation
}


def _in_force(model: type[SpeciesListing] | type[CountyDesignation], on_date: date):  # type: ignore[no-untyped-def]
    return and_(model.effective_from <= on_date, or_(model.effective_to.is_(None), model.effective_to >= on_date))


def listings_in_force(species: Species, on_date: date) -> list[SpeciesListing]:
    query = select(SpeciesListing).where(SpeciesListing.species_id == species.id, _in_force(SpeciesListing, on_date))
    return list(db.session.execute(query).scalars())


def designation_in_force(species: Species, county: Region, on_date: date) -> CountyDesignation | None:
    """A designation by the county or by its prefecture that covers the date."""
    scopes = [county.id] + ([county.parent_id] if county.parent_id else [])
    query = select(CountyDesignation).where(
        CountyDesignation.species_id == species.id,
        CountyDesignation.region_id.in_(scopes),
        _in_force(CountyDesignation, on_date),
    )
    return db.session.execute(query.limit(1)).scalar_one_or_none()


# The statements a filing runs on every submission are built once, their values bound when they run: building them
# each time cost about as much as running them (bench/intake.py).
@cache
def _coverage() -> Select[Any]:
    on_date = bindparam("on_date")
    species_id = bindparam("species_id")
    listed = select(SpeciesListing.id).where(SpeciesListing.species_id == species_id, _in_force(SpeciesListing, on_date)).exists()
    designated = (
        select(CountyDesignation.id)
        .where(
            CountyDesignation.species_id == species_id,
            CountyDesignation.region_id.in_(bindparam("scopes", expanding=True)),
            _in_force(CountyDesignation, on_date),
        )
        .exists()
    )
    return select(or_(listed, designated))


def is_covered(species: Species, county: Region, on_date: date) -> bool:
    """Hunan Art. 2: on a national or provincial list in force, or designated for the county (or its prefecture), on
    that date; asked in one statement."""
    scopes = [county.id] + ([county.parent_id] if county.parent_id else [])
    return bool(db.session.execute(_coverage(), {"species_id": species.id, "scopes": scopes, "on_date": on_date}).scalar_one())


def _package_workday(day: date) -> bool:
    """The published calendar (chinesecalendar): holidays and adjusted working weekends; weekdays beyond
    the years it knows, until an administrator enters the year."""
    if day in chinese_calendar.workdays:
        return True
    if day in chinese_calendar.holidays:
        return False
    return day.weekday() < 5


@cache
def _overrides_between() -> Select[tuple[date, bool]]:
    return select(CalendarDay.day, CalendarDay.is_workday).where(CalendarDay.day >= bindparam("first"), CalendarDay.day <= bindparam("last"))


def _overrides(first: date, last: date) -> dict[date, bool]:
    """The administrators' overrides between two dates (inclusive), in one query."""
    return {day: bool(workday) for day, workday in db.session.execute(_overrides_between(), {"first": first, "last": last})}


def is_workday(day: date) -> bool:
    override = _overrides(day, day)
    return override[day] if day in override else _package_workday(day)


def _weekdays_after(start: date, end: date) -> int:
    """Monday-to-Friday days in (start, end], counted without walking the days."""
    if end <= start:
        return 0
    full_weeks, rest = divmod((end - start).days, 7)
    count = full_weeks * 5
    weekday = start.weekday()
    for _ in range(rest):
        weekday = (weekday + 1) % 7
        count += weekday < 5
    return count


def _exceptions(first: date, last: date) -> dict[date, bool]:
    """The days in [first, last] whose working status is not the plain weekday rule's (holidays, adjusted
    weekends, the administrators' overrides), with their actual status: one query."""
    overrides = _overrides(first, last)
    days = {day for day in (*chinese_calendar.holidays, *chinese_calendar.workdays) if first <= day <= last} | set(overrides)
    actual = {day: overrides[day] if day in overrides else _package_workday(day) for day in days}
    return {day: workday for day, workday in actual.items() if workday != (day.weekday() < 5)}


def _count_working_days(start: date, end: date, exceptions: dict[date, bool]) -> int:
    if end <= start:
        return 0
    count = _weekdays_after(start, end)
    return count + sum((1 if workday else -1) for day, workday in exceptions.items() if start < day <= end)


def working_days_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end` (0 when end <= start).

    Weekdays are counted by arithmetic, then corrected by the holidays and adjusted weekends in the range
    (the package's and the administrators', read in one query): microseconds for any range.
    """
    if end <= start:
        return 0
    return _count_working_days(start, end, _exceptions(start + timedelta(days=1), end))


class WorkingDays:
    """`working_days_between` for many ranges inside [first, last] in constant time each: the calendar is read
    once and the working days before each date are summed up front (reports count hundreds of thousands of stays)."""

    def __init__(self, first: date, last: date) -> None:
        self.first, self.last = first, last
        exceptions = _exceptions(first, last)
        self._before = [0]  # _before[i]: working days in [first, first + i)
        for offset in range((last - first).days + 1):
            day = first + timedelta(days=offset)
            self._before.append(self._before[-1] + int(exceptions.get(day, day.weekday() < 5)))

    def between(self, start: date, end: date) -> int:
        if end <= start:
            return 0
        if start + timedelta(days=1) < self.first or end > self.last:
            return working_days_between(start, end)
        return self._before[(end - self.first).days + 1] - self._before[(start - self.first).days + 1]


def add_working_days(start: date, days: int) -> date:
    """The date `days` working days after `start` (the start day itself does not count)."""
    return _walk_working_days(start, days, timedelta(days=1))


def working_days_back(day: date, days: int) -> date:
    """The working day `days` working days before `day` (`day` itself not counted): on a working day, something
    due before it is more than `days` working days late (`working_days_between(due, day) > days`)."""
    return _walk_working_days(day, days, timedelta(days=-1))


def _walk_working_days(start: date, days: int, step: timedelta) -> date:
    """The date `days` working days from `start` in the direction of `step` (one day forward or back).

    The overrides are read once for a window that surely holds the answer (Chinese holidays never take
    more than about a third of a stretch of days); a wider window is read only if it somehow does not.
    """
    window = max(days, 0) * 2 + 30
    while True:
        far = start + step * window
        overrides = _overrides(min(start + step, far), max(start + step, far))
        current, remaining = start, days
        for _ in range(window):
            if remaining <= 0:
                return current
            current += step
            if overrides[current] if current in overrides else _package_workday(current):
                remaining -= 1
        if remaining <= 0:
            return current
        window *= 2


class TimeLimits:
    """The time limits of some counties, their provinces and the general ones, answering `time_limit` for any county
    among them, kind and date (reports look up thousands of stays): read in one statement when the counties' paths
    are given (`paths`, from county rows already loaded), else in two."""

    def __init__(self, county_ids: list[int], paths: dict[int, str] | None = None) -> None:
        if paths is None or not set(county_ids) <= set(paths):
            paths = dict(db.session.execute(select(Region.id, Region.path).where(Region.id.in_(county_ids))).all()) if county_ids else {}
        codes = {path.split("/")[0] for path in paths.values()}
        found = db.session.execute(_limits_of(), {"county_ids": list(county_ids), "codes": sorted(codes)}).all()
        self._rows = [row for row, _code in found]
        provinces = {code: row.region_id for row, code in found if code in codes}
        self._province_of = {county: provinces.get(path.split("/")[0]) for county, path in paths.items()}

    def days(self, county_id: int | None, kind: LimitKind, on_date: date) -> int:
        """The county's row in force, else its province's, else the general row, else the default; the latest start wins."""
        for region_id in (county_id, self._province_of.get(county_id or 0), None):
            rows = [
                r
                for r in self._rows
                if r.kind == kind and r.region_id == region_id and r.effective_from <= on_date and (r.effective_to is None or r.effective_to >= on_date)
            ]
            if rows:
                return max(1, max(rows, key=lambda r: r.effective_from).working_days)  # a limit stored before zero was refused still gives a day
        return DEFAULT_LIMITS[kind]


@cache
def _limits_of() -> Select[tuple[TimeLimit, str]]:
    """The general time limits and those of some counties (`county_ids`) and provinces (by `codes`)."""
    owner = aliased(Region)  # a row's region, by whose code a province's rows are known
    return (
        select(TimeLimit, owner.code)
        .outerjoin(owner, owner.id == TimeLimit.region_id)
        .where(
            or_(
                TimeLimit.region_id.is_(None),
                TimeLimit.region_id.in_(bindparam("county_ids", expanding=True)),
                owner.code.in_(bindparam("codes", expanding=True)),
            )
        )
    )


def time_limit(county: Region | None, kind: LimitKind, on_date: date) -> int:
    """Working days allowed for a step: the county's row in force, else its province's, else the general row, else the
    default."""
    return TimeLimits([county.id], {county.id: county.path}).days(county.id, kind, on_date) if county else TimeLimits([]).days(None, kind, on_date)


def due_date(county: Region | None, kind: LimitKind, start: date | None = None) -> date:
    """The local date by which a step must be done, counted in working days from `start` (today)."""

    start = start or local_today()
    return add_working_days(start, time_limit(county, kind, start))


def _with_villages(county_id: Any) -> Exists:
    """Whether the county (an id, or a column such as Region.id) has an active village under one of its townships."""
    township, village = aliased(Region), aliased(Region)
    return select(village.id).join(township, village.parent_id == township.id).where(township.parent_id == county_id, village.active).exists()


def counties() -> list[Region]:
    """The active counties that have villages, where claims are filed: not the rest of the national list."""
    query = select(Region).where(Region.level == RegionLevel.COUNTY, Region.active, _with_villages(Region.id)).order_by(Region.code)
    return list(db.session.execute(query).scalars())


def _has_villages(county_id: int) -> bool:
    return bool(db.session.execute(select(_with_villages(county_id))).scalar_one())


def children_of(region_ids: list[int]) -> list[Region]:
    query = select(Region).where(Region.parent_id.in_(region_ids), Region.active).order_by(Region.code)
    return list(db.session.execute(query).scalars())


@dataclass(frozen=True)
class PlaceTree:
    """The filing forms' townships by county and villages by township, as one script for the phone to keep (served
    at /places.js, precached by the service worker): a form's page then lists only the chosen county's townships and
    the chosen township's villages, and stays small with a province's 24,000 villages. `etag` names the content."""

    script: bytes
    etag: str
    integrity: str  # Subresource Integrity of the script, for the service worker's precache


PLACE_TREE_SECONDS = 60  # how long a process serves the tree it read; the place check on saving reads the database


def place_tree() -> PlaceTree:
    """The tree of the counties that have villages (as the forms list them), read again after PLACE_TREE_SECONDS
    (regions change by `flask regions load`, in another process; a place made inactive meanwhile is refused by the
    form's place check, which reads the database)."""
    held: tuple[float, PlaceTree] | None = current_app.extensions.get("claims_place_tree")
    now = time.monotonic()
    if held is not None and now - held[0] < current_app.config.get("PLACE_TREE_SECONDS", PLACE_TREE_SECONDS):
        return held[1]
    picker = PlacePicker()
    townships: dict[int, list[tuple[int, str]]] = {}
    villages: dict[int, list[tuple[int, str]]] = {}
    for township in picker.townships:
        townships.setdefault(township.parent_id or 0, []).append((township.id, township.name))
    for village in picker.villages:
        villages.setdefault(village.parent_id or 0, []).append((village.id, village.name))
    data = json.dumps({"townships": townships, "villages": villages}, ensure_ascii=False, separators=(",", ":"))
    # The filing form loads this script without waiting for it (async): the event tells its script the tree is here.
    script = f'self.claimsPlaces={data};self.dispatchEvent(new Event("claims-places"));\n'.encode()
    digest = hashlib.sha256(script)
    tree = PlaceTree(script=script, etag=digest.hexdigest()[:20], integrity="sha256-" + base64.b64encode(digest.digest()).decode())
    current_app.extensions["claims_place_tree"] = (now, tree)
    return tree


DRILL_LEVELS = (RegionLevel.PROVINCE, RegionLevel.PREFECTURE)


def region_page(node: Region | None) -> list[Region]:
    """The rows of the regions page at `node`: the provinces at the top; a province or prefecture and its children;
    a county or below whole (its townships and villages, a few hundred rows)."""
    if node is None:
        return list(db.session.execute(select(Region).where(Region.parent_id.is_(None)).order_by(Region.code)).scalars())
    if node.level in DRILL_LEVELS:
        return [node, *db.session.execute(select(Region).where(Region.parent_id == node.id).order_by(Region.code)).scalars()]
    return list(db.session.execute(select(Region).where(Region.path.startswith(node.path)).order_by(Region.path)).scalars())


def region_trail(node: Region | None) -> list[Region]:
    """`node`'s ancestors from the province down, itself last."""
    trail: list[Region] = []
    while node is not None:
        trail.insert(0, node)
        node = node.parent
    return trail


@cache
def _species_by_name() -> Select[tuple[Species]]:
    return select(Species).order_by(Species.name_zh)


def all_species() -> list[Species]:
    return list(db.session.execute(_species_by_name()).scalars())


@cache
def _places_with_villages() -> Select[tuple[Region, bool]]:
    """Some active places (`ids`), each with whether it is a county with an active village."""
    return select(Region, and_(Region.level == RegionLevel.COUNTY, _with_villages(Region.id))).where(
        Region.id.in_(bindparam("ids", expanding=True)), Region.active
    )


class PlacePicker:
    """County, township and village choices for a form, and the check that they belong together.

    The lists are read when a page shows them; a form that is only checked (a POST that goes through) reads just the
    three places chosen."""

    def __init__(self, county_ids: list[int] | None = None) -> None:
        self._county_ids = county_ids
        self._held: list[Region] = []  # the places read for a check, held while the picker lives (see `_chosen`)
        self._villages_known: dict[int, bool] = {}

    @cached_property
    def counties(self) -> list[Region]:
        return [c for c in counties() if self._county_ids is None or c.id in self._county_ids]

    @cached_property
    def townships(self) -> list[Region]:
        return children_of([c.id for c in self.counties])

    @cached_property
    def villages(self) -> list[Region]:
        return children_of([t.id for t in self.townships])

    def shown(self, county_id: int | None, township_id: int | None, village_id: int | None) -> tuple[list[Region], list[Region], list[Region]]:
        """What a form's page lists: the counties, the chosen county's townships and the chosen township's villages,
        with the township and village chosen even where they do not belong together (the page says so, and shows what
        was chosen). The page's script fills the lists from the place tree (/places.js) as the user chooses; without
        it, saving the draft shows the next list."""
        county = county_id if county_id in {c.id for c in self.counties} else None
        townships = children_of([county]) if county else []
        village_parent = township_id if township_id in {t.id for t in townships} else None
        villages = children_of([village_parent]) if village_parent else []
        missing = [i for i, listed in ((township_id, townships), (village_id, villages)) if i and i not in {r.id for r in listed}]
        if missing:
            chosen = self._chosen(county_id, township_id, village_id)
            townships += [chosen[township_id]] if township_id in missing and township_id in chosen else []
            villages += [chosen[village_id]] if village_id in missing and village_id in chosen else []
        return self.counties, townships, villages

    def _chosen(self, county_id: int | None, township_id: int | None, village_id: int | None) -> dict[int, Region]:
        """The places among the lists, by id: the three chosen, and the chosen village's own township and county
        (on the lists it may lie under another of them), read alone unless the lists are read already. A place is on
        the lists when it is active and its parent is; a county when it is in the picker's scope and has an active
        village."""
        if "villages" in self.__dict__:
            return {r.id: r for r in self.counties + self.townships + self.villages}
        ids = [i for i in (county_id, township_id, village_id) if i]
        rows = db.session.execute(_places_with_villages(), {"ids": ids}).all()
        found = {r.id: r for r, _villages in rows}
        self._villages_known = {r.id: bool(villages) for r, villages in rows}  # asked with the places, for the county chosen
        for below in (village_id, township_id):  # the village's own township and county, the township's own county
            above = found.get(below or 0)
            for _generation in ("township", "county"):
                if above is None or above.parent_id is None or above.level == RegionLevel.COUNTY:
                    break
                above = found.get(above.parent_id) or db.session.get(Region, above.parent_id)
                found |= {above.id: above} if above is not None and above.active else {}
        # Held, so that the claim saved from the form finds its county, township and village in the session's
        # identity map (which holds only what is referenced somewhere) instead of reading them again.
        self._held = list(found.values())
        listed = {r.id: r for r in found.values() if self._on_list(r)}
        for _generation in ("townships", "villages"):  # the listed counties' active children, then theirs
            listed |= {r.id: r for r in found.values() if r.parent_id in listed}
        return listed

    def _on_list(self, region: Region) -> bool:
        in_scope = self._county_ids is None or region.id in self._county_ids
        if region.level != RegionLevel.COUNTY or not in_scope:
            return False
        known = self._villages_known.get(region.id)
        return known if known is not None else _has_villages(region.id)

    def place_problem(self, county_id: int | None, township_id: int | None, village_id: int | None, *, partial: bool = False) -> str | None:
        """Why the three places do not do, or None. `partial`: a county alone, or a county and one of its townships,
        does (a draft saved on the way to the village: without JavaScript, saving shows the next list)."""
        from flask_babel import gettext as _

        if not (county_id or township_id or village_id):
            return None
        chosen = self._chosen(county_id, township_id, village_id)
        county, township, village = (chosen.get(i or 0) for i in (county_id, township_id, village_id))
        if county is None or county.level != RegionLevel.COUNTY:
            return _("Choose the county.")
        if partial and not village_id and (not township_id or (township is not None and township.parent_id == county.id)):
            return None
        if township is None or township.parent_id != county.id:
            return _("The township is not in the chosen county. Please choose again.")
        if village is None or village.level != RegionLevel.VILLAGE:
            return _("Choose the village.")
        if village.parent_id != township.id:
            return _("The village %(village)s is not in %(township)s. Please choose the village again.", village=village.name, township=township.name)
        return None
