"""The incident map's figures: each claim's incident point and survey point, and the claims counted per township and
species, for the reader's scope and the filters (docs/reports.md, "The incident map").

- Which claims: submitted ones (a draft is no incident yet) in the reader's scope (`MapScope`), whose incident date
  (local, Asia/Shanghai) is in the period, of the species and status chosen.
- Which points: the position filed with the claim (`Claim.gps_lat/gps_lon`) and the one the surveyors recorded on
  site in the claim's latest survey (`FieldSurvey.gps_lat/gps_lon`); a claim without either is counted in the table
  but not drawn.
- Compact: each point is `[lat, lon, claim id or None, species code or None]`, positions rounded to 5 decimals
  (about a metre); the id only where the reader may open the claim (`MapScope.opens`), else None.
- Bounded: the newest POINT_LIMIT claims by incident time (an index on (county_id, incident_at)); more than that
  and the answer says it is capped. One statement for the points, one for the counts, never one per claim.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, func, null, or_, select
from sqlalchemy.orm import aliased

from claims.extensions import db
from claims.intake.models import Claim
from claims.regions.models import Region, RegionLevel, Species
from claims.reports.permissions import MapScope
from claims.reports.services import Period
from claims.survey.models import FieldSurvey
from claims.workflow.states import ClaimStatus

POINT_LIMIT = 50_000  # claims; a province's year is about 25,000
DECIMALS = 5  # 1e-5 degrees is about 1 m: finer than a phone's fix, and the JSON stays small


@dataclass(frozen=True)
class MapFilter:
    period: Period  # of the incident date, local
    species: str | None  # a species' code
    status: ClaimStatus | None


@dataclass(frozen=True)
class MapPoints:
    incidents: list[list[Any]]
    surveys: list[list[Any]]
    capped: bool  # more claims matched than `limit`: only the newest `limit` are given
    limit: int

    def as_json(self) -> dict[str, Any]:
        return {"incidents": self.incidents, "surveys": self.surveys, "capped": self.capped, "limit": self.limit}


@dataclass(frozen=True)
class CountRow:
    township: str
    species: str
    claims: int
    placed: int  # of them with a point on the map


@dataclass(frozen=True)
class Place:
    """A county's or township's centre, drawn with its name (the map without tiles)."""

    lat: float
    lon: float
    name: str
    level: RegionLevel


def _latest_survey() -> Any:
    """The claim's latest recorded survey (a second round after a dispute replaces the first), joined per claim."""
    later = aliased(FieldSurvey)
    latest_round = select(func.max(later.round)).where(later.claim_id == Claim.id).correlate(Claim).scalar_subquery()
    return and_(FieldSurvey.claim_id == Claim.id, FieldSurvey.round == latest_round)


def _conditions(scope: MapScope, chosen: MapFilter) -> list[Any]:
    start, end = chosen.period.utc_bounds()
    conditions = [scope.claims, Claim.incident_at >= start, Claim.incident_at < end]
    if chosen.species is not None:
        conditions.append(Claim.species_id == select(Species.id).where(Species.code == chosen.species).scalar_subquery())
    if chosen.status is not None:
        conditions.append(Claim.status == chosen.status)
    return conditions


def _placed() -> Any:
    return or_(Claim.gps_lat.is_not(None), FieldSurvey.gps_lat.is_not(None))


def point_limit() -> int:
    return POINT_LIMIT


def map_points(scope: MapScope, chosen: MapFilter) -> MapPoints:
    """The points of the newest POINT_LIMIT claims that have one, in one statement."""
    limit = point_limit()
    query = (
        select(Claim.gps_lat, Claim.gps_lon, FieldSurvey.gps_lat, FieldSurvey.gps_lon, case((scope.opens, Claim.id), else_=null()), Species.code)
        .select_from(Claim)
        .outerjoin(Species, Species.id == Claim.species_id)
        .outerjoin(FieldSurvey, _latest_survey())
        .where(*_conditions(scope, chosen), _placed())
        .order_by(Claim.incident_at.desc(), Claim.id.desc())
        .limit(limit + 1)
    )
    rows = db.session.execute(query).all()
    incidents, surveys = [], []
    for lat, lon, survey_lat, survey_lon, claim_id, species in rows[:limit]:
        if lat is not None and lon is not None:
            incidents.append([round(lat, DECIMALS), round(lon, DECIMALS), claim_id, species])
        if survey_lat is not None and survey_lon is not None:
            surveys.append([round(survey_lat, DECIMALS), round(survey_lon, DECIMALS), claim_id, species])
    return MapPoints(incidents, surveys, len(rows) > limit, limit)


def map_counts(scope: MapScope, chosen: MapFilter, species: list[Species], unknown: str) -> list[CountRow]:
    """The claims of the filtered set per township and species (one grouped statement, one for the townships' names),
    ordered by township code and species name; `unknown` names claims whose animal was not identified."""
    query = (
        select(Claim.township_id, Claim.species_id, func.count(), func.count(case((_placed(), 1))))
        .select_from(Claim)
        .outerjoin(FieldSurvey, _latest_survey())
        .where(*_conditions(scope, chosen))
        .group_by(Claim.township_id, Claim.species_id)
    )
    groups = db.session.execute(query).all()
    townships = {r.id: r for r in db.session.execute(select(Region).where(Region.id.in_({g[0] for g in groups if g[0]}))).scalars()}
    names = {s.id: s.name_zh for s in species}
    rows = [
        (townships[t].code if t in townships else "", CountRow(townships[t].name if t in townships else "—", names.get(s, unknown), n, placed))
        for t, s, n, placed in groups
    ]
    return [row for _code, row in sorted(rows, key=lambda item: (item[0], item[1].species))]


def map_places(region: Region) -> list[Place]:
    """The centres of the counties and townships of the reader's region (a clerk's: of their county), where known."""
    base = region.ancestor_or_self_county() or region if region.level == RegionLevel.TOWNSHIP else region
    query = (
        select(Region)
        .where(
            Region.path.startswith(base.path), Region.level.in_([RegionLevel.COUNTY, RegionLevel.TOWNSHIP]), Region.lat.is_not(None), Region.lon.is_not(None)
        )
        .order_by(Region.code)
    )
    return [Place(r.lat, r.lon, r.name, r.level) for r in db.session.execute(query).scalars() if r.active]  # type: ignore[arg-type]
