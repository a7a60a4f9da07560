"""The JSON quote endpoint (/api/v1/valuation/quote): values what is sent, for whoever is signed in, with a CSRF token."""

from __future__ import annotations

from flask import Flask

from tests.conftest import csrf_token
from tests.valuation.helpers import QUOTE


def test_quote_endpoint(app: Flask, as_user) -> None:  # type: ignore[no-untyped-def]
    client = as_user("clerk")
    token = csrf_token(client, "/claims/")
    response = client.post("/api/v1/valuation/quote", json=QUOTE, headers={"X-CSRFToken": token})
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["total"] == "1308.00" and body["payable"] is True and [s["code"] for s in body["schedules"]] == ["hn-nanxian-rice-2025", "hn-default-2024"]
    assert body["lines"][0]["rule"].startswith("水稻 2.5亩 × 600元/亩")
    wrong = client.post("/api/v1/valuation/quote", json={**QUOTE, "losses": [{"category": "crop", "quantity": "x"}]}, headers={"X-CSRFToken": token})
    assert wrong.status_code == 422 and {e["field"] for e in wrong.get_json()["errors"]} == {"losses[0].item", "losses[0].quantity"}
    assert client.post("/api/v1/valuation/quote", json=QUOTE).status_code == 400  # no CSRF token
    assert client.post("/api/v1/valuation/quote", data={"csrf_token": token}).status_code == 415
    anonymous = app.test_client()
    anonymous_token = csrf_token(anonymous)
    assert anonymous.post("/api/v1/valuation/quote", json=QUOTE, headers={"X-CSRFToken": anonymous_token}).status_code == 401
