"""Evidence flags on a claim's photos: warnings a clerk or surveyor can act on, never a refusal.

Three checks, computed when photos are added and again for every photo at (re)submission:

- time: the capture time (EXIF, else the time the phone gave the file) lies well before the incident, in
  the future, or long after the damage was discovered. Never from the upload time, and never on survey
  photos or confirmation scans, which are taken later by design;
- place: the photo was taken far from the village's own reference point. A village without a point gets
  no distance flag (the claim page asks for the point instead of guessing from the township or county);
- duplicate: the photo is the same as, or nearly the same as (perceptual hash), an active photo of another
  submitted claim. Drafts are not evidence yet: a claimant's own unfinished draft never raises it.

The flags are stored on each photo, so lists read them for a whole page in one query.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import CompoundSelect, bindparam, literal, or_, select, union_all

from claims.accounts.models import User
from claims.core.time import to_local, utcnow
from claims.extensions import db
from claims.intake.models import PAPER_STAGES, Claim, Photo, PhotoStage
from claims.intake.permissions import can_view_claim
from claims.intake.photos import haversine_km, phash_distance
from claims.regions.models import Region
from claims.workflow.states import FINAL_STATES

# A photo taken this long before the incident, this long after the damage was discovered, or this far
# from the village, is flagged; within this Hamming distance two perceptual hashes are the same picture.
PHOTO_TIME_TOLERANCE_DAYS = 3
PHOTO_LONG_AFTER_DAYS = 30
PHOTO_DISTANCE_KM = 10.0
NEAR_DUPLICATE_DISTANCE = 3


class EvidenceFlag(enum.StrEnum):
    """The stored codes, in the order they are shown."""

    TIME_BEFORE_INCIDENT = "time_before_incident"
    TIME_IN_FUTURE = "time_in_future"
    TIME_LONG_AFTER = "time_long_after"
    FAR_FROM_VILLAGE = "far_from_village"
    DUPLICATE = "duplicate"

    @property
    def title(self) -> str:
        return str(_FLAG_TITLES[self])


_FLAG_TITLES = {
    EvidenceFlag.TIME_BEFORE_INCIDENT: _l("taken before the incident"),
    EvidenceFlag.TIME_IN_FUTURE: _l("time in the future"),
    EvidenceFlag.TIME_LONG_AFTER: _l("taken long after"),
    EvidenceFlag.FAR_FROM_VILLAGE: _l("far from the village"),
    EvidenceFlag.DUPLICATE: _l("same as a photo of another claim"),
}
_ORDER = list(EvidenceFlag)


# --- computing the flags -------------------------------------------------------------------------------


def flag_photos(claim: Claim, photos: Sequence[Photo]) -> None:
    """Each photo's flags, and its `duplicate_of` pointed at the photo it repeats (or cleared); the duplicates of all
    of them are looked up in one query. Scans of paper are left as they are: no flag says anything about them."""
    checked = [photo for photo in photos if photo.stage not in PAPER_STAGES]
    for photo, duplicate_id in zip(checked, near_duplicate_ids(checked, claim_id=claim.id), strict=True):
        photo.duplicate_of_id = duplicate_id
        found = [_time_flag(claim, photo), EvidenceFlag.FAR_FROM_VILLAGE if _is_far(claim, photo) else None]
        found.append(EvidenceFlag.DUPLICATE if duplicate_id is not None else None)
        photo.flags = [str(flag) for flag in found if flag is not None]
    for photo in photos:
        if photo.stage in PAPER_STAGES:
            photo.flags = []


def _time_flag(claim: Claim, photo: Photo) -> EvidenceFlag | None:
    if photo.stage != PhotoStage.FILING:
        return None  # the officer's survey photos are taken days later by design
    moment = photo.taken_at or photo.browser_time  # capture time: EXIF, else the phone's time for the file
    if moment is None or claim.incident_at is None:
        return None
    days_before = (claim.incident_at - moment).total_seconds() / 86400
    if moment > utcnow():
        return EvidenceFlag.TIME_IN_FUTURE
    if days_before > PHOTO_TIME_TOLERANCE_DAYS:
        return EvidenceFlag.TIME_BEFORE_INCIDENT
    discovered = claim.discovered_on or to_local(claim.incident_at).date()  # type: ignore[union-attr]
    if (to_local(moment).date() - discovered).days > PHOTO_LONG_AFTER_DAYS:  # type: ignore[union-attr]
        return EvidenceFlag.TIME_LONG_AFTER
    return None


def village_point(claim: Claim) -> tuple[float, float] | None:
    """The village's own reference point; never the township's or county's (they are kilometres off)."""
    village = claim.village
    if village is None or village.lat is None or village.lon is None:
        return None
    return village.lat, village.lon


def village_point_missing(claim: Claim) -> bool:
    """The claim names a village that has no point yet, so distances cannot be checked."""
    return claim.village is not None and village_point(claim) is None


def photo_distance_km(claim: Claim, photo: Photo) -> float | None:
    """How far from the village the photo was taken (EXIF position, else the phone's), if both are known."""
    place = village_point(claim)
    lat, lon = (photo.exif_lat, photo.exif_lon) if photo.exif_lat is not None else (photo.browser_lat, photo.browser_lon)
    if place is None or lat is None or lon is None:
        return None
    return haversine_km(lat, lon, *place)


def _is_far(claim: Claim, photo: Photo) -> bool:
    distance = photo_distance_km(claim, photo)
    return distance is not None and distance > PHOTO_DISTANCE_KM


BANDS = ("b0", "b1", "b2", "b3")


@lru_cache(maxsize=32)
def _candidates_of(count: int) -> CompoundSelect:
    """`near_duplicate_ids`' statement for `count` photos, built once per count (a filing checks its photos together),
    the hashes and the claim bound when it runs."""
    arms = []
    for position in range(count):
        bands = or_(
            Photo.sha256 == bindparam(f"sha256_{position}"),
            *(getattr(Photo, f"phash_{band}") == bindparam(f"{band}_{position}") for band in BANDS),
        )
        candidates = (
            select(Photo.id, Photo.sha256, Photo.phash)
            .join(Claim, Photo.claim_id == Claim.id)
            .where(bands, Photo.claim_id != bindparam("claim_id"), Photo.removed_at.is_(None))
            .where(Photo.stage.not_in(PAPER_STAGES), Claim.number.is_not(None))  # submitted claims: never a draft, withdrawn or not
            .order_by(Photo.id)
            .limit(200)
            .subquery()
        )
        arms.append(select(literal(position).label("position"), candidates))
    return union_all(*arms)


def near_duplicate_ids(photos: Sequence[Photo], *, claim_id: int) -> list[int | None]:
    """For each photo, the lowest id of an identical or near-identical active photo of another submitted claim,
    else None. Each photo's candidates share its SHA-256 or one of its four phash bands (two hashes within
    NEAR_DUPLICATE_DISTANCE, 3, share a band); the first 200 of each, ids and hashes only, in one statement."""
    if not photos:
        return []
    values: dict[str, object] = {"claim_id": claim_id}
    for position, photo in enumerate(photos):
        values |= {f"sha256_{position}": photo.sha256, **{f"{band}_{position}": getattr(photo, f"phash_{band}") for band in BANDS}}
    rows = db.session.execute(_candidates_of(len(photos)), values).all()
    found: list[int | None] = [None] * len(photos)
    for position, candidate_id, sha256, phash in sorted(rows, key=lambda row: row[1]):
        photo = photos[position]
        if found[position] is None and (sha256 == photo.sha256 or phash_distance(phash, photo.phash) <= NEAR_DUPLICATE_DISTANCE):
            found[position] = candidate_id
    return found


def _with_flag(flags: Iterable[str], flag: EvidenceFlag, present: bool) -> list[str]:
    kept = {f for f in flags if f != flag} | ({str(flag)} if present else set())
    return [str(f) for f in _ORDER if f in kept]


def refresh_duplicates_of(photo: Photo) -> None:
    """After `photo` is removed, the photos flagged as its duplicates look again (another match may remain)."""
    query = select(Photo).where(Photo.duplicate_of_id == photo.id)
    for other in db.session.execute(query).scalars():
        (match,) = near_duplicate_ids([other], claim_id=other.claim_id)
        other.duplicate_of_id = match
        other.flags = _with_flag(other.flags or [], EvidenceFlag.DUPLICATE, match is not None)


def refresh_distance_flags(village: Region) -> int:
    """Once a village has a (new) point, re-check the distance of the photos of its open claims.

    Decided claims keep the flags their deciders saw. Returns how many photos changed.
    """
    query = (
        select(Photo, Claim)
        .join(Claim, Photo.claim_id == Claim.id)
        .where(Claim.village_id == village.id, Claim.status.not_in(list(FINAL_STATES)), Photo.removed_at.is_(None))
        .where(Photo.stage.not_in(PAPER_STAGES))
    )
    changed = 0
    for photo, claim in db.session.execute(query):
        flags = _with_flag(photo.flags or [], EvidenceFlag.FAR_FROM_VILLAGE, _is_far(claim, photo))
        if flags != list(photo.flags or []):
            photo.flags = flags
            changed += 1
    return changed


# --- reading the flags: lists and the claim page -------------------------------------------------------


@dataclass(frozen=True)
class EvidenceSummary:
    """What a list row shows: how many flags, and which kinds (for the badge's title)."""

    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def description(self) -> str:
        return "、".join(f"{EvidenceFlag(code).title} × {n}" for code, n in self.counts.items())


def evidence_summaries(claim_ids: Iterable[int]) -> dict[int, EvidenceSummary]:
    """The flags of the active photos of these claims, in one query (a list page calls this once)."""
    ids = list(claim_ids)
    if not ids:
        return {}
    query = select(Photo.claim_id, Photo.flags).where(Photo.claim_id.in_(ids), Photo.removed_at.is_(None))
    counts: dict[int, Counter[str]] = {}
    for claim_id, flags in db.session.execute(query):
        for flag in flags or []:
            if flag in EvidenceFlag._value2member_map_:
                counts.setdefault(claim_id, Counter())[flag] += 1
    return {cid: EvidenceSummary({str(f): c[f] for f in _ORDER if c[f]}) for cid, c in counts.items()}


@dataclass(frozen=True)
class FlagNote:
    """One flag of one photo as the viewer reads it; `other_claim_id` is set only when they may open it."""

    flag: EvidenceFlag
    text: str
    other_claim_id: int | None = None
    other_number: str | None = None


def photo_flag_notes(claim: Claim, photos: list[Photo], viewer: User) -> dict[int, list[FlagNote]]:
    """The notes under each photo on the claim page; the claims that photos repeat are loaded in one query."""
    targets = _duplicate_targets([p.duplicate_of_id for p in photos if p.duplicate_of_id is not None])
    notes: dict[int, list[FlagNote]] = {}
    for photo in photos:
        for code in photo.flags or []:
            if code not in EvidenceFlag._value2member_map_:
                continue
            flag = EvidenceFlag(code)
            if flag == EvidenceFlag.DUPLICATE:
                note = _duplicate_note(claim, targets.get(photo.duplicate_of_id or 0), viewer)
            elif flag == EvidenceFlag.FAR_FROM_VILLAGE:
                note = _distance_note(claim, photo)
            else:
                note = FlagNote(flag, flag.title)
            notes.setdefault(photo.id, []).append(note)
    return notes


def _duplicate_targets(photo_ids: list[int]) -> dict[int, Claim]:
    if not photo_ids:
        return {}
    query = select(Photo.id, Claim).join(Claim, Photo.claim_id == Claim.id).where(Photo.id.in_(photo_ids))
    return {photo_id: other for photo_id, other in db.session.execute(query)}


def _duplicate_note(claim: Claim, other: Claim | None, viewer: User) -> FlagNote:
    flag = EvidenceFlag.DUPLICATE
    if other is not None and can_view_claim(viewer, other):
        return FlagNote(flag, _("same as a photo of claim %(number)s", number=other.number), other.id, other.number)
    if other is not None and other.township_id != claim.township_id:
        # Outside the viewer's scope: not even its number, only that it lies elsewhere.
        return FlagNote(flag, _("same as a photo of another claim in another township"))
    return FlagNote(flag, flag.title)


def _distance_note(claim: Claim, photo: Photo) -> FlagNote:
    flag = EvidenceFlag.FAR_FROM_VILLAGE
    distance = photo_distance_km(claim, photo)
    if distance is None:
        return FlagNote(flag, flag.title)
    return FlagNote(flag, _("taken %(km)s km from the village", km=format_decimal(round(distance, 1), format="0.0")))
