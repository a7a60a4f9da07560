"""The schema exists only through the migrations: upgrade, downgrade and upgrade again, and no drift."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import Connection, create_engine, inspect, text

from claims import ROOT, create_app
from claims.extensions import db
from tests.conftest import IS_PG, TEST_DB, _pg_url, base_config, worker_name


@pytest.fixture
def empty_app(tmp_path: Path) -> Iterator[Flask]:
    if IS_PG:
        from sqlalchemy.engine import make_url

        admin = create_engine(_pg_url(make_url(TEST_DB).database or "postgres"), isolation_level="AUTOCOMMIT")
        name = worker_name("claims_migration_test")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = _pg_url(name)
    else:
        url = f"sqlite:///{tmp_path / 'empty.db'}"
    app = create_app(base_config(url, tmp_path))
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()
    if IS_PG:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _tables() -> set[str]:
    return set(inspect(db.engine).get_table_names()) - {"alembic_version"}


def test_upgrade_downgrade_upgrade(empty_app: Flask) -> None:
    upgrade(revision="heads")
    assert _tables() == set(db.metadata.tables)
    downgrade(revision="base")
    assert _tables() == set()
    upgrade(revision="heads")
    assert _tables() == set(db.metadata.tables)


def test_models_and_migrations_agree(empty_app: Flask) -> None:
    upgrade(revision="heads")
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": False})
        diff = compare_metadata(context, db.metadata)
    assert diff == [], f"models differ from the migrations; run `flask db migrate`: {diff}"


def _partial_condition(conn: Connection, table: str, name: str) -> str | None:
    """The index's WHERE as the database keeps it (PostgreSQL in its own normal form), or None."""
    if IS_PG:
        query = "SELECT pg_get_expr(i.indpred, i.indrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = :name"
        return conn.execute(text(query), {"name": name}).scalar_one()
    query = "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = :table AND name = :name"
    sql = conn.execute(text(query), {"table": table, "name": name}).scalar_one()
    return sql.split(" WHERE ", 1)[1].strip() if " WHERE " in sql else None


def test_partial_indexes_hold_the_rows_the_models_say(empty_app: Flask) -> None:
    """Alembic's comparison does not look at an index's WHERE: a partial index whose condition the models changed
    (a status added to OPEN_STATES) would silently stop serving its queries. Each one is compared here."""
    upgrade(revision="heads")
    partial = [(table, index) for table in db.metadata.sorted_tables for index in table.indexes if index.dialect_options["sqlite"]["where"] is not None]
    assert partial, "the models have partial indexes (claims' open and referred claims, waiting referrals)"
    with db.engine.connect() as conn:
        for table, index in partial:
            wanted = str(index.dialect_options["postgresql" if IS_PG else "sqlite"]["where"])
            if IS_PG:  # the model's condition in PostgreSQL's normal form: the same index made on an empty copy
                conn.execute(text(f"CREATE TEMP TABLE probe_{table.name} (LIKE {table.name})"))
                columns = ", ".join(column.name for column in index.columns)
                conn.execute(text(f"CREATE INDEX probe_{index.name} ON probe_{table.name} ({columns}) WHERE {wanted}"))
                wanted = _partial_condition(conn, f"probe_{table.name}", f"probe_{index.name}")
                conn.execute(text(f"DROP TABLE probe_{table.name}"))
            assert _partial_condition(conn, table.name, str(index.name)) == wanted, f"{index.name}: the migrations' condition differs from the model's"


def test_one_head_and_readable_names() -> None:
    from alembic.config import Config

    config = Config(str(ROOT / "migrations" / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    script = ScriptDirectory.from_config(config)
    assert len(script.get_heads()) == 1
    for revision in script.walk_revisions():
        assert revision.doc and revision.doc[0].isupper(), f"migration {revision.revision} needs a sentence docstring"
        assert Path(revision.path).name.startswith(revision.revision + "_")


def test_withdrawn_drafts_migrate_both_ways_over_real_rows(empty_app: Flask) -> None:
    """0006 rebuilds the claims table (SQLite batch mode) while loss lines, photos and audit events refer to it."""
    from claims.demo import load_demo
    from claims.intake.models import Claim
    from claims.lifecycle import apply_transition
    from tests.workflow.conftest import file_claim

    upgrade(revision="heads")
    load_demo()
    submitted = file_claim()  # commits: rows in loss_lines, photos and audit_events point at it
    draft = Claim(submission_key="migration-draft-0001", filed_by_id=submitted.filed_by_id, claimant_user_id=submitted.filed_by_id)
    db.session.add(draft)
    db.session.flush()
    apply_transition(draft, "withdraw", actor=submitted.filed_by, reason=None)
    db.session.commit()
    ids = (submitted.id, draft.id)
    db.session.remove()

    downgrade(revision="0005")  # the withdrawn draft is a draft again
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT status FROM claims WHERE id = :i"), {"i": ids[1]}).scalar_one() == "draft"
    upgrade(revision="heads")
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM loss_lines WHERE claim_id = :i"), {"i": ids[0]}).scalar_one() == 2


def test_claim_stages_are_rebuilt_from_the_audit_trail(empty_app: Flask) -> None:
    """0015 rebuilds the stays that the lifecycle writes from the audit trail: the same rows, and none for a claim
    that has no status event (nothing says when it entered its status)."""
    from datetime import UTC, datetime

    from sqlalchemy import select

    from claims.accounts.services import find_user
    from claims.core import time as clock
    from claims.demo import load_demo
    from claims.intake.models import Claim
    from claims.intake.review import accept_claim
    from claims.lifecycle import apply_transition
    from claims.workflow.models import ClaimStage
    from tests.factories import VILLAGER, file_claim

    upgrade(revision="heads")
    load_demo()
    clock.freeze(datetime(2026, 3, 2, 2, tzinfo=UTC))
    accepted, returned = file_claim(VILLAGER), file_claim(VILLAGER)
    db.session.commit()
    clock.freeze(datetime(2026, 3, 4, 2, tzinfo=UTC))
    accept_claim(accepted, actor=find_user("clerk"))
    apply_transition(returned, "withdraw", actor=returned.filed_by)
    silent = Claim(submission_key="migration-no-events", filed_by_id=accepted.filed_by_id, claimant_user_id=accepted.filed_by_id)
    db.session.add(silent)
    db.session.commit()
    clock.freeze(None)

    def stays() -> list[tuple[object, ...]]:
        query = select(ClaimStage.claim_id, ClaimStage.status, ClaimStage.entered_at, ClaimStage.left_at).order_by(
            ClaimStage.claim_id, ClaimStage.entered_at, ClaimStage.id
        )
        return [tuple(row) for row in db.session.execute(query)]

    written = stays()
    assert [(s[1], s[3] is None) for s in written if s[0] == accepted.id] == [("draft", False), ("submitted", False), ("accepted", True)]
    assert [s[1] for s in written if s[0] == returned.id] == ["draft", "submitted", "withdrawn"]
    silent_id = silent.id
    db.session.remove()

    downgrade(revision="0014")
    assert "claim_stages" not in _tables()
    upgrade(revision="heads")
    assert stays() == written
    assert not [s for s in stays() if s[0] == silent_id]
