"""The hostile-input battery on the JSON API: every bad body is a 4xx with a Chinese message naming the field,
never a 500, and nothing is stored (the quote stores nothing by design; the audit head must not move)."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import csrf_token
from tests.database import checksum
from tests.hostile.values import BAD_DATES, CONTROL_TEXTS, deep_json, deep_object
from tests.valuation.helpers import QUOTE

CJK = re.compile(r"[\u4e00-\u9fff]")
URL = "/api/v1/valuation/quote"


@pytest.fixture
def officer(as_user) -> tuple[FlaskClient, dict[str, str]]:  # type: ignore[no-untyped-def]
    client = as_user("officer")
    return client, {"X-CSRFToken": csrf_token(client, "/claims/"), "Content-Type": "application/json"}


def _line(**fields: object) -> dict[str, object]:
    return {**QUOTE, "losses": [{**QUOTE["losses"][0], **fields}]}  # type: ignore[dict-item]


def _errors(response) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    assert 400 <= response.status_code < 500, (response.status_code, response.get_data(as_text=True)[:300])
    errors = response.get_json()["errors"]
    assert errors and all(CJK.search(e["message"]) for e in errors), errors
    return errors


@pytest.mark.parametrize("body", [deep_json(), deep_object(), "[" * 50_000, '{"region": "430921128", "losses": [NaN]}', '{"a": Infinity}', "{", "\x00"])
def test_a_body_that_is_not_plain_json_is_a_400(app: Flask, officer, body: str) -> None:  # type: ignore[no-untyped-def]
    client, headers = officer
    before = checksum(app)
    response = client.post(URL, data=body, headers=headers)
    assert response.status_code == 400
    _errors(response)
    assert checksum(app) == before


@pytest.mark.parametrize("value", ["NaN", "sNaN", "Infinity", "-Infinity", "1e999", "０x10", [], {}, True])
def test_a_quantity_that_is_not_a_number_is_named(officer, value: object) -> None:  # type: ignore[no-untyped-def]
    client, headers = officer
    errors = _errors(client.post(URL, json=_line(quantity=value), headers=headers))
    assert [e["field"] for e in errors] == ["losses[0].quantity"]


def test_a_number_too_large_for_a_float_is_named(officer) -> None:  # type: ignore[no-untyped-def]
    client, headers = officer
    body = '{"region": "430921128", "incident_date": "2026-06-14", "losses": [{"category": "crop", "item": "水稻", "quantity": 1e400}]}'
    errors = _errors(client.post(URL, data=body, headers=headers))  # Python reads 1e400 as infinity
    assert [e["field"] for e in errors] == ["losses[0].quantity"]


@pytest.mark.parametrize("value", BAD_DATES)
def test_an_incident_date_out_of_range_is_named(officer, value: str) -> None:  # type: ignore[no-untyped-def]
    client, headers = officer
    errors = _errors(client.post(URL, json={**QUOTE, "incident_date": value}, headers=headers))
    assert [e["field"] for e in errors] == ["incident_date"]


@pytest.mark.parametrize(("label", "value"), CONTROL_TEXTS)
def test_control_characters_in_strings_are_stripped(officer, label: str, value: str) -> None:  # type: ignore[no-untyped-def]
    client, headers = officer
    response = client.post(URL, json=_line(item=f"水稻{value}"), headers=headers)
    assert response.status_code == 200, (label, response.get_data(as_text=True)[:300])
    assert "\x00" not in response.get_data(as_text=True)


def test_a_lone_surrogate_is_stripped(officer) -> None:  # type: ignore[no-untyped-def]
    client, headers = officer
    response = client.post(URL, data='{"region": "430921128\\ud800", "incident_date": "2026-06-14", "losses": []}', headers=headers)
    errors = _errors(response)
    assert [e["field"] for e in errors] == ["losses"]  # the region was read as 430921128
