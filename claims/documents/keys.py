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


def ensure_trial_keys(codes: list[str]) -> list[signing.CountyKey]:
    """A trial key for each of these counties that has none (the demo: `flask demo load`)."""
    made = []
    for code in codes:
        if signing.county_key(code) is None:
            made.append(create_county_trial_key(code))
    return made


def county_key_rows() -> list[tuple[str, ...]]:
    """code, county, and its key's name, fingerprint, expiry and kind, or "no key", for every active county."""
    rows = []
    counties = db.session.execute(select(Region).where(Region.level == RegionLevel.COUNTY, Region.active.is_(True)).order_by(Region.code)).scalars()
    for county in counties:
        try:
            key = signing.county_key(county.code)
        except signing.SigningError as exc:
            rows.append((county.code, county.name, f"KEY DOES NOT LOAD: {exc}"))
            continue
        if key is None:
            rows.append((county.code, county.name, "no key"))
        else:
            kind = "self-signed (trial)" if key.self_signed else "CA-issued"
            rows.append((county.code, county.name, key.subject, f"SHA-256 {key.fingerprint}", f"valid until {key.not_after:%Y-%m-%d}", kind))
    return rows
