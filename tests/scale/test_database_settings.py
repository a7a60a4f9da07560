"""How the app talks to its database: PostgreSQL sessions run without JIT compilation (issue 12), keeping the
options a deployer gave in DATABASE_URL."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import text

from claims import create_app
from claims.extensions import db
from tests.conftest import _pg_url, base_config
from tests.scale.conftest import require_service


@pytest.mark.postgres
def test_postgresql_sessions_run_without_jit_and_keep_the_urls_options(app: Flask, tmp_path) -> None:  # type: ignore[no-untyped-def]
    require_service("postgresql")
    with app.app_context():
        assert db.session.execute(text("SHOW jit")).scalar_one() == "off"
        name = db.engine.url.database
    url = _pg_url(name) + "?options=-c%20statement_timeout%3D4321"
    other = create_app(base_config(url, tmp_path))
    with other.app_context():
        assert db.session.execute(text("SHOW jit")).scalar_one() == "off"
        assert db.session.execute(text("SHOW statement_timeout")).scalar_one() == "4321ms"
        db.session.remove()
        db.engine.dispose()
