"""The schedules and reference data shipped in claims/valuation/data (loaded by the demo data)."""

from __future__ import annotations

from importlib import resources

from sqlalchemy import func, select

from claims.accounts.models import User
from claims.extensions import db
from claims.valuation.fileformat import parse_schedule
from claims.valuation.models import ReferencePrice
from claims.valuation.reference import import_reference
from claims.valuation.schedules import find_schedule, import_schedule, publish_schedule

# Hunan's provincial default first, then the county override; the Xishuangbanna example (data/examples)
# is not loaded: the demo has only Hunan's regions (docs/regions.md imports its county, then publishes it).
SHIPPED_SCHEDULES = ("hunan-default-2024.yaml", "nan-county-2025.yaml")
SHIPPED_REFERENCE = "reference-hunan.yaml"


def data_text(name: str) -> str:
    return resources.files("claims.valuation").joinpath("data", name).read_text(encoding="utf-8")


def load_shipped(publisher: User) -> list[str]:
    """Import and publish the shipped schedules and reference prices once (idempotent); the codes added."""
    added = []
    if not db.session.execute(select(func.count()).select_from(ReferencePrice)).scalar_one():
        import_reference(data_text(SHIPPED_REFERENCE), actor=publisher)
    for name in SHIPPED_SCHEDULES:
        text = data_text(name)
        if find_schedule(parse_schedule(text).spec.code) is None:
            publish_schedule(import_schedule(text, actor=publisher), actor=publisher)
            added.append(name)
    return added
