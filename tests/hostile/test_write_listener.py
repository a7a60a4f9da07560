"""Guards the guard: the hostile battery judges "stored nothing" by the tables that committed writes touched
(tests.database.committed_writes); a write rolled back, alone or in a savepoint, does not count, one committed does."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import text

from claims.extensions import db
from tests.database import committed_writes


def test_only_committed_writes_are_counted(app: Flask) -> None:
    with committed_writes(app) as writes, app.app_context():
        db.session.execute(text("UPDATE claims SET version = version WHERE id = -1"))
        db.session.rollback()
        assert writes == set()
        with db.session.begin_nested():
            db.session.execute(text("UPDATE regions SET name = name WHERE id = -1"))
        try:
            with db.session.begin_nested():
                db.session.execute(text("UPDATE claims SET version = version WHERE id = -1"))
                raise ValueError
        except ValueError:
            pass
        db.session.commit()
        assert writes == {"regions"}, writes
