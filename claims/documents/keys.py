"""The counties' signing keys as the administrator sees them: trial keys made for a county, and which county has one."""

from __future__ import annotations

from sqlalchemy import select

from claims.documents import signing
from claims.documents.models import DocumentKind
from claims.documents.services import SETTING_KEYS, issuer_name
from claims.extensions import db
from claims.regions.models import Region, RegionLevel
from claims.regions.settings import county_settings


def _issuing_region(code: str) -> Region:
    levels = (RegionLevel.COUNTY, RegionLevel.TOWNSHIP)
    region = db.session.execute(select(Region).where(Region.code == code, Region.level.in_(levels))).scalar_one_or_none()
    if region is None:
        raise LookupError(f"{code}: no county or township with this division code")
    return region


def region_issuer(region: Region) -> str:
    """The name a body issues documents under: a township's government (<township>人民政府), a county's issuing authority
    (its setting, or <county>林业局). The trial certificate's name."""
    if region.level == RegionLevel.TOWNSHIP:
        return f"{region.name}人民政府"
    return issuer_name(DocumentKind.COMPENSATION, region, None, county_settings(region, SETTING_KEYS)["doc_issuing_authority"])


def create_county_trial_key(code: str, *, days: int = signing.TRIAL_DAYS, replace: bool = False) -> signing.CountyKey:
    region = _issuing_region(code)
    directory = signing.keys_dir()
    signing.create_trial_key(region.code, region_issuer(region), directory, days=days, replace=replace)
    key = signing.county_key(region.code, directory)
    assert key is not None  # just written
    return key


def with_townships(codes: list[str]) -> list[str]:
    """The codes, each county's followed by its active townships' (who issue receipts and correction notices)."""
    found: list[str] = []
    for code in codes:
        region = _issuing_region(code)
        found.append(region.code)
        if region.level == RegionLevel.COUNTY:
            townships = select(Region.code).where(Region.parent_id == region.id, Region.level == RegionLevel.TOWNSHIP, Region.active.is_(True))
            found.extend(db.session.execute(townships.order_by(Region.code)).scalars())
    return found


def ensure_trial_keys(codes: list[str]) -> list[signing.CountyKey]:
    """A trial key for each of these counties, and each of their townships, that has none (`flask demo load`, the
    samples)."""
    made = []
    for code in with_townships(codes):
        if signing.county_key(code) is None:
            made.append(create_county_trial_key(code))
    return made


def county_key_rows(codes: list[str] | None = None) -> list[tuple[str, ...]]:
    """code, name, and its key's name, fingerprint, expiry and kind, "no key", or why it does not load: for every active
    county, or for the given counties and their townships."""
    if codes:
        regions = [_issuing_region(code) for code in with_townships(codes)]
    else:
        counties = select(Region).where(Region.level == RegionLevel.COUNTY, Region.active.is_(True)).order_by(Region.code)
        regions = list(db.session.execute(counties).scalars())
    rows = []
    for region in regions:
        try:
            key = signing.county_key(region.code)
        except signing.SigningError as exc:
            rows.append((region.code, region.name, f"KEY DOES NOT LOAD: {exc}"))
            continue
        if key is None:
            rows.append((region.code, region.name, "no key"))
        else:
            kind = "self-signed (trial)" if key.self_signed else "CA-issued"
            rows.append((region.code, region.name, key.subject, f"SHA-256 {key.fingerprint}", f"valid until {key.not_after:%Y-%m-%d}", kind))
    return rows
