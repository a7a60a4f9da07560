"""Throttling (quality.md #5; claims/accounts/throttle.py has the policy, claims/core/throttle.py the limits).

Wrong passwords make the address wait longer and longer (429 with a growing Retry-After, never a
sleep); the account has a higher threshold, so one attacker's failures do not keep its owner out; an
unknown login and a known one get the same answer. The rest of the suite runs with throttling off
(tests/conftest.py); the app here has it on, with fresh counters for each test. The wait's end is
tested on a stopped clock that the test moves on, never by waiting.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import limits.storage.memory
import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from claims import create_app
from claims.accounts import throttle
from claims.core import throttle as core_throttle
from claims.core.throttle import ENDPOINT_LIMITS
from claims.extensions import db
from tests.accounts.test_sessions_and_passwords import GOOD_PASSWORD, _edit_user, _user
from tests.conftest import DEMO_PASSWORD, Databases, base_config, csrf_token
from tests.security.world import client_as

# CI has Redis; so has every developer machine of this project (README). The test fails, never skips, without it.
REDIS_URL = os.environ.get("CLAIMS_TEST_REDIS", "redis://127.0.0.1:6379/0")


def _throttled_app(databases: Databases, workdir: Path, **extra: object) -> Flask:
    return create_app({**base_config(databases.url, workdir), "RATELIMIT_ENABLED": True, **extra})


@pytest.fixture
def throttled(app: Flask, databases: Databases, tmp_path: Path) -> Iterator[Flask]:
    """An app with throttling on, over the test's fresh database (restored by `app`), with its own counters."""
    throttled_app = _throttled_app(databases, tmp_path)
    yield throttled_app
    with throttled_app.app_context():
        db.engine.dispose()


def _client(app: Flask, address: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _try(client: FlaskClient, login_name: str, password: str = "wrong-password") -> TestResponse:
    return client.post("/login", data={"login": login_name, "password": password, "csrf_token": csrf_token(client)})


def _fail(client: FlaskClient, login_name: str, times: int) -> list[int]:
    return [_try(client, login_name).status_code for _ in range(times)]


def test_wrong_passwords_from_one_address_get_a_growing_wait(throttled: Flask) -> None:
    attacker = _client(throttled, "203.0.113.5")
    statuses, waits = [], []
    for _ in range(21):
        response = _try(attacker, "clerk")
        statuses.append(response.status_code)
        if response.status_code == 429:
            waits.append(int(response.headers["Retry-After"]))
            assert "请求过于频繁" in response.get_data(as_text=True)  # the app's Chinese error page
    assert statuses == [200] * 5 + [429] * 16
    # Attempt 6 waits for the minute, attempt 11 for ten minutes, attempt 21 for the hour.
    assert waits[0] == 60 and waits[5] == 600 and waits[15] == 3600
    assert waits == sorted(waits)


def test_the_owner_can_log_in_from_elsewhere_after_an_attackers_five_failures(throttled: Flask) -> None:
    attacker = _client(throttled, "203.0.113.5")
    assert _fail(attacker, "clerk", 6) == [200] * 5 + [429]
    owner = _client(throttled, "198.51.100.7")
    assert _try(owner, "clerk", DEMO_PASSWORD).status_code == 302


def test_many_addresses_make_the_account_back_off_without_the_owners_tries_lengthening_it(throttled: Flask) -> None:
    for n in range(2):
        assert _fail(_client(throttled, f"203.0.113.{n + 10}"), "clerk", 5) == [200] * 5
    owner = _client(throttled, "198.51.100.7")
    first = _try(owner, "clerk", DEMO_PASSWORD)
    assert first.status_code == 429 and int(first.headers["Retry-After"]) == 300  # 10 failures in 5 minutes
    again = _try(owner, "clerk", DEMO_PASSWORD)
    assert again.status_code == 429 and int(again.headers["Retry-After"]) <= 300
    assert _try(_client(throttled, "198.51.100.8"), "13800000001", DEMO_PASSWORD).status_code == 302  # others unaffected


class StoppedClock:
    """Stands in for the `time` module where the throttle reads it: the time moves only when a test says so."""

    def __init__(self, now: float) -> None:
        self.now = now

    def time(self) -> float:
        return self.now


@pytest.fixture
def stopped_clock(monkeypatch: pytest.MonkeyPatch) -> StoppedClock:
    """The counters' clock (limits' memory storage, our policy and the Retry-After header), stopped at a fixed instant."""
    clock = StoppedClock(1_800_000_000.0)  # 2027-01-15 08:00 UTC
    for module in (limits.storage.memory, throttle, core_throttle):
        monkeypatch.setattr(module, "time", clock)
    return clock


def test_the_wait_ends_by_itself(throttled: Flask, stopped_clock: StoppedClock) -> None:
    client = _client(throttled, "203.0.113.5")
    assert _fail(client, "clerk", 5) == [200] * 5
    refused = _try(client, "clerk", DEMO_PASSWORD)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) == 60
    stopped_clock.now += 61
    assert _try(client, "clerk", DEMO_PASSWORD).status_code == 302


def test_an_administrators_password_reset_ends_the_accounts_wait(throttled: Flask) -> None:
    for n in range(2):
        _fail(_client(throttled, f"203.0.113.{n + 10}"), "clerk", 5)
    assert _try(_client(throttled, "198.51.100.7"), "clerk", DEMO_PASSWORD).status_code == 429
    admin = _client(throttled, "198.51.100.9")
    assert _try(admin, "admin", DEMO_PASSWORD).status_code == 302
    assert _edit_user(admin, _user(throttled, "clerk"), password=GOOD_PASSWORD) == 302
    assert _try(_client(throttled, "198.51.100.7"), "clerk", GOOD_PASSWORD).status_code == 302


def _comparable(response: TestResponse) -> tuple[int, str, list[tuple[str, str]]]:
    body = re.sub(r'<input[^>]*name="csrf_token"[^>]*>', "", response.get_data(as_text=True))
    headers = sorted((k, v) for k, v in response.headers.items() if k not in ("Set-Cookie", "Date", "X-Request-ID"))
    return response.status_code, body, headers


def test_unknown_and_known_logins_get_identical_answers(throttled: Flask) -> None:
    known, unknown = _client(throttled, "203.0.113.5"), _client(throttled, "203.0.113.6")
    for _ in range(6):
        a, b = _try(known, "clerk"), _try(unknown, "nobody-at-all")
        assert a.status_code == b.status_code
    assert a.status_code == 429
    assert _comparable(a) == _comparable(b)
    assert [c.split("=", 1)[0] for c in a.headers.getlist("Set-Cookie")] == [c.split("=", 1)[0] for c in b.headers.getlist("Set-Cookie")]


def test_every_limited_endpoint_exists(throttled: Flask) -> None:
    assert set(ENDPOINT_LIMITS) <= set(throttled.view_functions)


def test_registration_is_limited_per_address(throttled: Flask) -> None:
    client = _client(throttled, "203.0.113.7")
    statuses = [client.post("/register", data={"csrf_token": csrf_token(client, "/register")}).status_code for _ in range(11)]
    assert statuses == [200] * 10 + [429]


def test_the_rest_of_the_suite_runs_unthrottled(app: Flask) -> None:
    client = client_as(app, "anonymous")
    assert _fail(client, "clerk", 12) == [200] * 12


def test_counters_are_kept_in_redis_when_redis_url_is_set(app: Flask, databases: Databases, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", REDIS_URL)
    prefix = f"claims-test-{uuid.uuid4().hex}"
    config = {k: v for k, v in base_config(databases.url, tmp_path).items() if k != "RATELIMIT_STORAGE_URI"}
    redis_app = create_app({**config, "RATELIMIT_ENABLED": True, "RATELIMIT_KEY_PREFIX": prefix})
    other = create_app({**config, "RATELIMIT_ENABLED": True, "RATELIMIT_KEY_PREFIX": prefix})  # another worker
    server = redis.Redis.from_url(REDIS_URL)
    try:
        assert redis_app.config["RATELIMIT_STORAGE_URI"] == REDIS_URL
        assert server.ping()  # fails, rather than skips, when Redis is not running
        attacker = _client(redis_app, "203.0.113.5")
        assert _fail(attacker, "clerk", 6) == [200] * 5 + [429]
        assert list(server.scan_iter(f"*{prefix}*"))  # the counters are in Redis, under this app's prefix
        # Another worker sees the same counters.
        assert _try(_client(other, "203.0.113.5"), "clerk", DEMO_PASSWORD).status_code == 429
        assert _try(_client(other, "198.51.100.7"), "clerk", DEMO_PASSWORD).status_code == 302
    finally:
        for key in server.scan_iter(f"*{prefix}*"):
            server.delete(key)
        server.close()
        for each in (redis_app, other):
            with each.app_context():
                db.engine.dispose()


def test_forwarded_for_is_ignored_unless_a_proxy_is_trusted(throttled: Flask) -> None:
    """Without TRUSTED_PROXIES an attacker cannot pose as many clients by writing X-Forwarded-For."""
    client = _client(throttled, "203.0.113.5")
    statuses = []
    for n in range(6):
        client.environ_base["HTTP_X_FORWARDED_FOR"] = f"198.51.100.{n}"
        statuses.append(_try(client, "clerk").status_code)
    assert statuses == [200] * 5 + [429]


def test_behind_a_trusted_proxy_each_client_is_counted_apart(app: Flask, databases: Databases, tmp_path: Path) -> None:
    proxied = _throttled_app(databases, tmp_path, TRUSTED_PROXIES=1)
    try:
        attacker, owner = _client(proxied, "127.0.0.1"), _client(proxied, "127.0.0.1")
        attacker.environ_base["HTTP_X_FORWARDED_FOR"] = "203.0.113.5"
        owner.environ_base["HTTP_X_FORWARDED_FOR"] = "198.51.100.7"
        assert _fail(attacker, "clerk", 6) == [200] * 5 + [429]
        assert _try(owner, "clerk", DEMO_PASSWORD).status_code == 302
    finally:
        with proxied.app_context():
            db.engine.dispose()


def test_filing_posts_are_limited_per_user(throttled: Flask) -> None:
    owner = _client(throttled, "203.0.113.8")
    assert _try(owner, "13800000001", DEMO_PASSWORD).status_code == 302
    token = csrf_token(owner, "/claims/new")
    statuses = [owner.post("/claims/new", data={"csrf_token": token}).status_code for _ in range(21)]
    assert 429 not in statuses[:20] and statuses[20] == 429
    last = owner.post("/claims/new", data={"csrf_token": token})
    assert 0 < int(last.headers["Retry-After"]) <= 60 and "请求过于频繁" in last.get_data(as_text=True)


def test_the_api_is_limited_and_answers_in_json(throttled: Flask) -> None:
    client = _client(throttled, "203.0.113.9")
    headers = {"X-CSRFToken": csrf_token(client)}
    statuses = [client.post("/api/v1/valuation/quote", json={}, headers=headers).status_code for _ in range(121)]
    assert 429 not in statuses[:120] and statuses[120] == 429
    last = client.post("/api/v1/valuation/quote", json={}, headers=headers)
    assert last.status_code == 429 and last.is_json and last.get_json()["status"] == 429 and last.get_json()["messages"]["zh"]
    assert 0 < int(last.headers["Retry-After"]) <= 60
