"""Large text (大字模式): a choice of the device kept in a cookie of its own, through logging out and in."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.conftest import csrf_token, login


def switch(client: FlaskClient, size: str, next_page: str = "/login") -> TestResponse:
    return client.post("/text-size", data={"size": size, "next": next_page, "csrf_token": csrf_token(client)})


def test_large_text_is_a_long_lived_cookie_that_marks_every_page(app: Flask) -> None:
    client = app.test_client()
    assert 'class="large-text"' not in client.get("/login").get_data(as_text=True)
    response = switch(client, "large")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("text_size=large;") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Max-Age=34560000" in cookie  # 400 days: the longest a browser keeps it
    assert '<html lang="zh-CN" class="large-text">' in client.get("/login").get_data(as_text=True)

    login(client, "13800000001")
    assert 'class="large-text"' in client.get("/").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    assert 'class="large-text"' in client.get("/login").get_data(as_text=True)  # the phone's, not the session's

    switch(client, "normal")
    assert client.get_cookie("text_size") is None
    assert 'class="large-text"' not in client.get("/login").get_data(as_text=True)


def test_an_unknown_size_changes_nothing_and_a_post_without_its_token_goes_back_to_its_page(app: Flask) -> None:
    client = app.test_client()
    switch(client, "large")
    response = switch(client, "<script>huge</script>")
    assert response.status_code == 302 and "Set-Cookie" not in response.headers
    assert client.get_cookie("text_size").value == "large"

    other = app.test_client()
    refused = other.post("/text-size", data={"size": "large", "next": "/claims/status"})  # no or an old CSRF token
    assert refused.status_code == 302 and refused.headers["Location"] == "/claims/status"  # back to its page, not a 405
    assert other.get_cookie("text_size") is None
    assert other.get("/claims/status").status_code == 200


def test_a_page_answering_a_post_has_no_switch_that_would_lose_the_form(app: Flask) -> None:
    """A refused form comes back as the answer to its POST: reloading it through a switch would lose what was typed."""
    client = app.test_client()
    login(client, "13800000001")
    page = client.get("/claims/new").get_data(as_text=True)
    assert 'action="/text-size"' in page and 'action="/language"' in page
    refused = client.post("/claims/new", data={"csrf_token": csrf_token(client), "action": "submit", "description": "野猪拱了稻田"})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "野猪拱了稻田" in html  # what was typed is on the page...
    assert 'action="/text-size"' not in html and 'action="/language"' not in html  # ...and no switch reloads it away
