from __future__ import annotations

import re
from datetime import timedelta

from claims.accounts.services import find_user
from claims.core import time as clock
from claims.extensions import db
from tests.conftest import csrf_token, login


def test_login_and_logout(client):
    login(client, "13800000001")
    assert "张建国" in client.get("/").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert client.get("/claims/").status_code == 302


def test_unknown_user_and_wrong_password_get_the_same_answer(client):
    token = csrf_token(client)
    a = client.post("/login", data={"login": "nobody", "password": "x" * 9, "csrf_token": token}).get_data(as_text=True)
    b = client.post("/login", data={"login": "clerk", "password": "x" * 9, "csrf_token": token}).get_data(as_text=True)
    assert "登录名或密码错误" in a or "login or the password is wrong" in a

    def strip(html: str) -> str:  # the typed login and the time-stamped CSRF token differ by design
        return re.sub(r'<input[^>]*name="csrf_token"[^>]*>', "", html).replace('value="nobody"', "").replace('value="clerk"', "")

    assert strip(a) == strip(b)


def test_replayed_cookie_after_logout_is_dead(client, app):
    login(client, "clerk")
    cookie = client.get_cookie("session").value
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    client.set_cookie("session", cookie)
    response = client.get("/claims/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_deactivation_takes_effect_on_next_request(client, app):
    login(client, "clerk")
    assert client.get("/claims/").status_code == 200
    with app.app_context():
        user = find_user("clerk")
        user.active = False
        user.session_epoch += 1
        db.session.commit()
    assert client.get("/claims/").status_code == 302


def test_idle_session_expires(client, app):
    login(client, "clerk")
    clock.freeze(clock.utcnow() + timedelta(minutes=31))
    response = client.get("/claims/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
