"""Per-county settings with their defaults, answered from `CountySetting` rows in force on a date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from claims.core.time import local_today
from claims.extensions import db
from claims.regions.models import CountySetting, Region


@dataclass(frozen=True)
class SettingSpec:
    key: str
    default: Any
    title: Any
    kind: type


# [design] Defaults: two surveyors per on-site inspection (common practice), a 7-day public notice.
SPECS = {
    spec.key: spec
    for spec in (
        SettingSpec("surveyors_required", 2, _l("Surveyors per case"), int),
        SettingSpec("notice_days", 7, _l("Public notice period (days)"), int),
    )
}


def county_setting(county: Region | None, key: str, on_date: date | None = None) -> Any:
    """The value in force for the county (or its prefecture, or province), else the default."""
    spec = SPECS[key]
    on_date = on_date or local_today()
    node = county
    while node is not None:
        query = select(CountySetting).where(
            CountySetting.region_id == node.id,
            CountySetting.key == key,
            CountySetting.effective_from <= on_date,
            or_(CountySetting.effective_to.is_(None), CountySetting.effective_to >= on_date),
        )
        row = db.session.execute(query.order_by(CountySetting.effective_from.desc()).limit(1)).scalar_one_or_none()
        if row is not None:
            return spec.kind(row.value)
        node = node.parent
    return spec.default
