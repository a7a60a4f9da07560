"""Document numbers per county, year and kind: 南林补决〔2026〕12号, gap-free and unique.

The number is taken inside the transaction that issues the document: the sequence row stays locked
(PostgreSQL row lock; SQLite's single writer) until it commits, and a rollback returns the number, so
numbers have no gaps and no duplicates under concurrent issuing (the same pattern as claim numbers).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from claims.documents.models import DocumentKind, DocumentSequence
from claims.extensions import db
from claims.regions.models import Region
from claims.regions.settings import county_setting

COUNTY_SUFFIXES = ("自治县", "县", "市", "区", "旗")


@dataclass(frozen=True)
class DocumentNumber:
    prefix: str
    year: int
    seq: int

    def __str__(self) -> str:
        return f"{self.prefix}〔{self.year}〕{self.seq}号"


def short_name(county: Region) -> str:
    """The county's one-character abbreviation used by default in prefixes: 南县 -> 南, 茶陵县 -> 茶."""
    name = county.name
    for suffix in COUNTY_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            name = name[: -len(suffix)]
            break
    return name[:1]


def number_prefix(county: Region, kind: DocumentKind, configured: str | None = None) -> str:
    """The county's setting for this kind, else its short name and the kind's default, e.g. 南林补决."""
    if configured is None:
        configured = county_setting(county, kind.setting_key)
    return configured or short_name(county) + kind.info.prefix_suffix


def next_document_number(county: Region, year: int, kind: DocumentKind, prefix: str | None = None) -> DocumentNumber:
    """Take the next number in the open transaction (the row stays locked until it ends).

    `prefix` is the county's configured prefix when the caller has read it already ("" for none)."""
    stmt = (
        update(DocumentSequence)
        .where(DocumentSequence.county_id == county.id, DocumentSequence.year == year, DocumentSequence.kind == kind)
        .values(last_value=DocumentSequence.last_value + 1)
        .returning(DocumentSequence.last_value)
    )
    value = db.session.execute(stmt).scalar_one_or_none()
    if value is None:
        try:
            with db.session.begin_nested():
                db.session.add(DocumentSequence(county_id=county.id, year=year, kind=kind, last_value=1))
            value = 1
        except IntegrityError:
            value = db.session.execute(stmt).scalar_one()
    return DocumentNumber(number_prefix(county, kind, prefix), year, value)
