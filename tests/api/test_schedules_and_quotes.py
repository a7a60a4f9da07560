"""The rules through the API: the schedules in force for a county on a day, and a quote with them (scope claims:read),
the same valuation the app's pages get from their session quote."""

from __future__ import annotations

import json

from flask import Flask

from tests.api.conftest import call, make_token
from tests.api.test_quote import QUOTE


def test_the_schedules_in_force_most_specific_first(app: Flask) -> None:
    token = make_token(app, "insurer")
    listed = call(app.test_client(), "/api/v1/schedules?county=430921&on=2026-07-01", token)
    assert listed.status_code == 200
    items = listed.get_json()["items"]
    assert [s["code"] for s in items] == ["hn-nanxian-rice-2025", "hn-default-2024"]
    assert items[0]["region"]["code"] == "430921" and items[1]["region"]["level"] == "province"
    assert items[0]["rules"] and items[0]["rules"] != items[1]["rules"] and "file" not in items[0]  # rules, not the file's text
    before = call(app.test_client(), "/api/v1/schedules?county=430921&on=2001-01-01", token).get_json()["items"]
    assert before == []  # nothing was in force then
    for query in ("county=430900", "county=999999"):  # a prefecture is no county; no such county
        assert call(app.test_client(), f"/api/v1/schedules?{query}", token).status_code == 404
    assert call(app.test_client(), "/api/v1/schedules?county=abc", token).status_code == 422


def test_a_token_quotes_as_the_pages_do(app: Flask) -> None:
    token = make_token(app, "nan")
    client = app.test_client()
    answer = call(client, "/api/v1/quote", token, "POST", json=QUOTE)
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["total"] == "1308.00" and body["payable"] is True
    assert [s["code"] for s in body["schedules"]] == ["hn-nanxian-rice-2025", "hn-default-2024"]
    wrong = call(client, "/api/v1/quote", token, "POST", json={**QUOTE, "losses": [{"category": "crop", "quantity": "x"}]})
    assert wrong.status_code == 422 and {e["field"] for e in wrong.get_json()["errors"]} == {"losses[0].item", "losses[0].quantity"}
    not_json = call(client, "/api/v1/quote", token, "POST", data="{", content_type="application/json")
    assert not_json.status_code == 400 and not_json.mimetype == "application/problem+json"
    exact = json.dumps(QUOTE).replace('"2.5"', "2.50001")
    assert call(client, "/api/v1/quote", token, "POST", data=exact, content_type="application/json").status_code == 422  # five decimals
    assert call(client, "/api/v1/quote", make_token(app, "statistics_only"), "POST", json=QUOTE).status_code == 403
