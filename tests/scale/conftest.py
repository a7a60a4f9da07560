"""The services the several-node tests need: PostgreSQL (the suite's PostgreSQL pass), Redis, the S3 test server.

Where one is missing the test is skipped with the reason, except under CI=true, where the run fails. In the
SQLite pass of `make test`, when TEST_DATABASE_URL names the PostgreSQL of the pass that follows, these tests
are deselected there (they run in that pass), not skipped.
"""

from __future__ import annotations

import os

import pytest

from tests.conftest import IS_PG

REDIS_URL = os.environ.get("CLAIMS_TEST_REDIS", "redis://127.0.0.1:6379/0")


def missing(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: a missing service fails the run)", pytrace=False)
    pytest.skip(reason)


def require_service(name: str) -> str:
    if name == "postgresql":
        if not IS_PG:
            missing("needs PostgreSQL: run with CLAIMS_TEST_DB=postgresql://... (`make test` does when TEST_DATABASE_URL is set)")
        return os.environ["CLAIMS_TEST_DB"]
    if name == "redis":
        try:
            from redis import Redis

            Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
        except Exception as exc:
            missing(f"no Redis at {REDIS_URL} ({type(exc).__name__}); set CLAIMS_TEST_REDIS")
        return REDIS_URL
    raise ValueError(name)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if IS_PG:
        return
    postgres_pass_follows = bool(os.environ.get("TEST_DATABASE_URL"))
    selected, deselected = [], []
    for item in items:
        if item.get_closest_marker("postgres") is None:
            selected.append(item)
        elif postgres_pass_follows:
            deselected.append(item)
        else:
            selected.append(item)  # skipped by require_service("postgresql"), with the reason
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected
