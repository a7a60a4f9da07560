"""The error page never crashes: after a failed database write the session is rolled back first, the Chinese
page renders with an error number, and the log line holds that number and where it happened, never what the
user typed. When even the page cannot be rendered, a plain Chinese page answers.
"""

from __future__ import annotations

import logging
from datetime import date

from flask import Flask

from claims.extensions import db
from claims.regions.models import CalendarDay
from tests.factories import VILLAGER, claim_form, open_form, post_form

NAME, MOBILE, ADDRESS = "欧阳秀兰", "13912349876", "三仙湖村7组88号"


def _failed_write(*args: object, **kwargs: object) -> None:
    db.session.add(CalendarDay(day=date(2099, 1, 1), is_workday=None, note=NAME))  # NOT NULL: the flush fails
    db.session.flush()


def _post_filing(app: Flask, as_user):  # type: ignore[no-untyped-def]
    client = as_user(VILLAGER)
    page = open_form(client)
    data = claim_form(app, page, name=NAME, mobile=MOBILE, claimant_address=ADDRESS)
    return post_form(client, "/claims/new", data, headers={"X-Request-ID": "req-hostile-0001"})


def test_a_failed_write_gives_the_chinese_error_page_and_a_clean_log(app: Flask, as_user, monkeypatch, caplog) -> None:  # type: ignore[no-untyped-def]
    from claims.intake import operations as services

    monkeypatch.setattr(services, "save_filing", _failed_write)
    caplog.set_level(logging.DEBUG)
    response = _post_filing(app, as_user)
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "出错了" in html and "req-hostile-0001" in html  # the app's page (base layout), with the error number
    assert 'class="topbar"' in html  # rendered through base.html, not the fallback
    assert response.headers["X-Request-ID"] == "req-hostile-0001"
    logged = "\n".join(record.getMessage() + (record.exc_text or "") for record in caplog.records)
    assert "req-hostile-0001" in logged and "IntegrityError" in logged and "_failed_write" in logged
    for secret in (NAME, MOBILE, ADDRESS):
        assert secret not in logged and secret not in html
    with app.app_context():  # nothing of the failed step was stored
        assert db.session.query(CalendarDay).filter(CalendarDay.note == NAME).count() == 0


def test_when_the_error_page_itself_fails_a_plain_chinese_page_answers(app: Flask, as_user, monkeypatch, caplog) -> None:  # type: ignore[no-untyped-def]
    from claims import errors
    from claims.intake import operations as services

    def broken_template(*args: object, **kwargs: object) -> str:
        raise RuntimeError("template store unavailable")

    monkeypatch.setattr(services, "save_filing", _failed_write)
    monkeypatch.setattr(errors, "render_template", broken_template)
    caplog.set_level(logging.DEBUG)
    response = _post_filing(app, as_user)
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "出错了" in html and "req-hostile-0001" in html and "Internal Server Error" not in html
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "broken_template" in logged and NAME not in logged


def test_a_forged_request_id_is_replaced(app: Flask, client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/claims/987654321", headers={"X-Request-ID": "<script>alert(1)</script>"})
    assert response.status_code in (302, 404)
    assert "<script>" not in response.headers.get("X-Request-ID", "")
