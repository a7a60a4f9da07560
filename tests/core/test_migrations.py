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
from sqlalchemy import create_engine, inspect, text

from claims import ROOT, create_app
from claims.extensions import db
from tests.conftest import IS_PG, TEST_DB, _pg_url, base_config


@pytest.fixture
def empty_app(tmp_path: Path) -> Iterator[Flask]:
    if IS_PG:
        from sqlalchemy.engine import make_url

        admin = create_engine(_pg_url(make_url(TEST_DB).database or "postgres"), isolation_level="AUTOCOMMIT")
        name = "claims_migration_test"
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
