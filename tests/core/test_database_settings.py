"""How the app talks to its database: PostgreSQL sessions run without JIT compilation (issue 12)."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import text

from claims.config import load_config
from claims.extensions import db
from tests.conftest import IS_PG


def test_postgresql_connections_ask_for_no_jit(tmp_path) -> None:  # type: ignore[no-untyped-def]
    for url in ("postgresql://u@db/claims", "postgres://u@db/claims"):
        cfg = load_config(str(tmp_path), {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x", "FIELD_ENCRYPTION_KEY": "ab" * 32})
        assert cfg["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"] == {"options": "-c jit=off"}
        assert cfg["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is True
    sqlite = load_config(str(tmp_path), {"SQLALCHEMY_DATABASE_URI": "sqlite:///x.db", "SECRET_KEY": "x", "FIELD_ENCRYPTION_KEY": "ab" * 32})
    assert "connect_args" not in sqlite["SQLALCHEMY_ENGINE_OPTIONS"]


def test_the_app_session_runs_without_jit(app: Flask) -> None:
    with app.app_context():
        if IS_PG:
            assert db.session.execute(text("SHOW jit")).scalar_one() == "off"
        else:
            assert db.engine.dialect.name == "sqlite"  # no JIT to turn off
