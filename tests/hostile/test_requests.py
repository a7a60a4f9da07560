"""Hostile requests beyond form fields: JSON sent to pages, UTF-16 JSON, field names WTForms would read as
indexes, numbers too long to write out, control characters and huge ids in URL paths, and an error while
committing. Each is a clean 4xx (or the Chinese error page), never a 500 from the input, never a log line
that quotes personal data."""

from __future__ import annotations

import logging

import pytest
from flask import Flask
from sqlalchemy.exc import IntegrityError

from claims.extensions import db
from tests.conftest import csrf_token
from tests.factories import VILLAGER, claim_form, open_form, parse_form, photo, post_form
from tests.hostile.values import deep_json
from tests.valuation.helpers import QUOTE

NAME, MOBILE = "欧阳秀兰", "13912349876"


@pytest.mark.parametrize("body", ["[1]", '"ab"', "5", '{"login": 5, "password": ["x"]}'])
def test_json_sent_to_a_page_is_refused(client, body: str) -> None:  # type: ignore[no-untyped-def]
    token = csrf_token(client)
    response = client.post("/login", data=body, headers={"Content-Type": "application/json", "X-CSRFToken": token})
    assert response.status_code == 415
    assert "表" in response.get_data(as_text=True)


def test_utf16_json_cannot_hide_its_depth(as_user) -> None:  # type: ignore[no-untyped-def]
    client = as_user("officer")
    body = ('["\u2200",' + deep_json(5000) + "]").encode("utf-16")
    response = client.post("/api/v1/valuation/quote", data=body, headers={"Content-Type": "application/json", "X-CSRFToken": csrf_token(client, "/claims/")})
    assert response.status_code == 400


def test_a_large_json_body_is_refused(as_user) -> None:  # type: ignore[no-untyped-def]
    client = as_user("officer")
    body = '{"region": "' + "4" * 2_000_000 + '"}'
    response = client.post("/api/v1/valuation/quote", data=body, headers={"Content-Type": "application/json", "X-CSRFToken": csrf_token(client, "/claims/")})
    assert response.status_code == 413
    assert client.post("/api/v1/valuation/quote", json=QUOTE, headers={"X-CSRFToken": csrf_token(client, "/claims/")}).status_code == 200


@pytest.mark.parametrize("name", ["losses-²-item", "losses-①-quantity", "losses-" + "9" * 5000 + "-item", "x" * 500])
def test_field_names_that_are_not_ours_are_ignored(app: Flask, as_user, name: str) -> None:  # type: ignore[no-untyped-def]
    client = as_user(VILLAGER)
    page = open_form(client)
    response = post_form(client, "/claims/new", {**claim_form(app, page), name: "水稻"}, [photo()])
    assert response.status_code == 302


@pytest.mark.parametrize("value", ["1e999999999", "-1e999999999", "1e-999999999", "9" * 40])
def test_a_number_too_long_to_write_out_is_refused(app: Flask, as_user, value: str) -> None:  # type: ignore[no-untyped-def]
    client = as_user(VILLAGER)
    page = open_form(client)
    response = post_form(client, "/claims/new", claim_form(app, page, **{"losses-0-quantity": value}), [photo()])
    assert response.status_code == 422
    assert parse_form(response.get_data(as_text=True)).errors["losses-0-quantity"]


@pytest.mark.parametrize("path", ["/verify/ab%00cd", "/verify/ab%0Acd", "/claims/99999999999999999999", "/claims/2147483648/edit", "/verify/" + "a" * 500])
def test_hostile_paths_are_not_found(as_user, path: str) -> None:  # type: ignore[no-untyped-def]
    response = as_user("clerk").get(path)
    assert response.status_code == 404
    assert "找不到" in response.get_data(as_text=True) or "不存在" in response.get_data(as_text=True)


def test_an_error_while_committing_logs_no_personal_data(app: Flask, as_user, monkeypatch, caplog) -> None:  # type: ignore[no-untyped-def]
    client = as_user(VILLAGER)
    page = open_form(client)
    data = claim_form(app, page, name=NAME, mobile=MOBILE)

    def fail() -> None:  # as PostgreSQL words a unique violation: the values are in the message
        raise IntegrityError("INSERT INTO claims ...", {"claimant_name": NAME}, Exception(f"Key (mobile)=({MOBILE}) already exists."))

    monkeypatch.setattr(db.session, "commit", fail)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)  # as in production (TESTING re-raises)
    caplog.set_level(logging.DEBUG)
    response = post_form(client, "/claims/new", data, [photo()])
    assert response.status_code == 500 and "出错了" in response.get_data(as_text=True)
    logged = "\n".join(record.getMessage() + (record.exc_text or "") for record in caplog.records)
    assert "IntegrityError" in logged
    assert NAME not in logged and MOBILE not in logged
