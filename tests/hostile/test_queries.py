"""Hostile query strings on every page the access matrix knows, as every role: never a 5xx. The claim list's
keyset cursor (`after=`, claims/core/pagination.py) malformed or out of range is the first page, not an overflow."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from flask import Flask

from tests.factories import VILLAGER
from tests.hostile.values import deep_json
from tests.security.routes import cases
from tests.security.world import ROLES, World, client_as, world_for

VALUES = ["99999999999999999999999", "-1", "0", "NaN", "张\x00三", deep_json(200), "x" * 3000, "//evil.example", "\\\\evil"]
# Cursors of two and three parts, as the paged lists write them, with a value no key holds (a role that is not
# one, a NUL only percent-encoding lets through, a date in a number's place).
VALUES += ["zzz,a,1", "admin,%00,1", "0,2026-09-27,1", "2026-13-01,1", ",1"]


@pytest.fixture
def world(app: Flask) -> World:
    return world_for(app)


@pytest.mark.parametrize("role", ROLES)
def test_hostile_query_strings_on_every_page(app: Flask, world: World, role: str) -> None:
    client = client_as(app, role)
    failures = []
    for case in cases("GET"):
        if case.endpoint == "static":
            continue
        for value in VALUES:
            query = urlencode({"after": value, "list": value, "status": value, "next": value, "page": value})
            # url_for's own argument names and view arguments in the query must not reach url_for (page links)
            query += "&" + urlencode({"endpoint": value, "_external": "1", "batch_id": value, "claim_id": value})
            response = client.get(f"{case.path(world)}?{query}")
            response.get_data()
            if response.status_code >= 500:
                failures.append(f"{case.name} ?{value[:20]!r}: {response.status_code}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("after", ["99999999999999999999999", "2147483648", "-5", "abc", "", "1,2", "%2C"])
def test_a_cursor_out_of_range_is_the_first_page(as_user, after: str) -> None:  # type: ignore[no-untyped-def]
    client = as_user(VILLAGER)
    first = client.get("/claims/").get_data(as_text=True)
    response = client.get(f"/claims/?after={after}")
    assert response.status_code == 200
    assert response.get_data(as_text=True).count("/claims/") == first.count("/claims/")
