"""Consistency between stored files and the rows that refer to them: photos and issued documents."""

from __future__ import annotations

from sqlalchemy import select, union_all

from claims.core.storage import get_storage
from claims.documents.models import IssuedDocument
from claims.extensions import db
from claims.intake.models import Photo


def referenced_keys() -> set[str]:
    query = union_all(select(Photo.original_key), select(Photo.display_key), select(Photo.thumb_key), select(IssuedDocument.storage_key))
    return set(db.session.execute(query).scalars())


def orphaned_keys(older_than_seconds: float) -> list[str]:
    known = referenced_keys()
    return sorted(key for key in get_storage().keys_older_than(older_than_seconds) if key not in known)
