"""Sessions, passwords and the administration of users (quality.md 4 and 5).

tests/accounts/test_login.py covers logout replay, idle expiry and the equal answer for an unknown user,
tests/accounts/test_throttling.py the back-off after failed logins; these tests add the cookie flags, a fresh session at login, the other ways a session must
end (password change, deactivation and reset through the admin pages, the absolute limit), password rules
at every place a password is set, and administrators kept inside their region.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from claims import create_app
from claims.accounts.models import Role, User
from claims.accounts.services import find_user
from claims.core import time as clock
from claims.extensions import db
from tests.conftest import CSRF_RE, DEMO_PASSWORD, TEST_KEY, base_config, csrf_token, login
from tests.database import checksum
from tests.security.world import client_as, region

GOOD_PASSWORD = "Hunan-field-2026"


def _session_cookie_header(response) -> str:  # type: ignore[no-untyped-def]
    headers = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("session=")]
    assert headers, "no session cookie set"
    return headers[-1]


def _attributes(header: str) -> dict[str, str]:
    parts = [p.strip() for p in header.split(";")[1:]]
    return {p.split("=", 1)[0].lower(): (p.split("=", 1)[1] if "=" in p else "") for p in parts}


def _session(app: Flask, client: FlaskClient) -> dict[str, object]:
    cookie = client.get_cookie("session")
    assert cookie is not None
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    return dict(serializer.loads(cookie.value))


def _user(app: Flask, login_name: str) -> User:
    with app.app_context():
        user = find_user(login_name)
        assert user is not None
        db.session.expunge(user)
        return user


def _signed_in(client: FlaskClient) -> bool:
    return client.get("/account/password").status_code == 200


def _post_login(client: FlaskClient, login_name: str, password: str) -> int:
    return client.post("/login", data={"login": login_name, "password": password, "csrf_token": csrf_token(client)}).status_code


# --- cookies and session identity --------------------------------------------------------------------


def test_session_cookie_flags(app: Flask) -> None:
    client = app.test_client()
    token = csrf_token(client)
    response = client.post("/login", data={"login": "clerk", "password": DEMO_PASSWORD, "csrf_token": token})
    attributes = _attributes(_session_cookie_header(response))
    assert "httponly" in attributes
    assert attributes.get("samesite", "").lower() == "lax"
    assert "secure" not in attributes  # development: plain http on the laptop
    assert attributes.get("path") == "/"


def test_production_session_cookie_is_secure(app: Flask, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CLAIMS_ENV", "production")
    keys = {"SECRET_KEY": "p" * 64, "FIELD_ENCRYPTION_KEY": TEST_KEY, "PUBLIC_BASE_URL": "https://claims.example"}
    prod = create_app(base_config(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path) | keys)
    try:
        assert prod.config["SESSION_COOKIE_SECURE"] is True
        client = prod.test_client()
        html = client.get("/login", base_url="https://claims.example").get_data(as_text=True)
        match = CSRF_RE.search(html)
        assert match
        token = match.group(1) or match.group(2)
        response = client.post("/login", base_url="https://claims.example", data={"login": "clerk", "password": DEMO_PASSWORD, "csrf_token": token})
        attributes = _attributes(_session_cookie_header(response))
        assert {"secure", "httponly"} <= set(attributes)
        assert attributes.get("samesite", "").lower() == "lax"
    finally:
        with prod.app_context():
            db.engine.dispose()


def test_login_starts_a_new_session(app: Flask) -> None:
    client = app.test_client()
    csrf_token(client)
    anonymous_cookie = client.get_cookie("session").value  # type: ignore[union-attr]
    anonymous = _session(app, client)
    login(client, "clerk")
    first = _session(app, client)
    assert client.get_cookie("session").value != anonymous_cookie  # type: ignore[union-attr]
    assert "csrf_token" in anonymous and first.get("csrf_token") != anonymous["csrf_token"]
    assert first["uid"] == _user(app, "clerk").id and first["sid"]

    # The cookie from before login stays anonymous: nobody can fix a session id and wait.
    planted = app.test_client()
    planted.set_cookie("session", anonymous_cookie)
    assert not _signed_in(planted)

    # Every login is a new session id.
    other = app.test_client()
    login(other, "clerk")
    assert _session(app, other)["sid"] != first["sid"]


def test_a_tampered_cookie_is_no_session(app: Flask) -> None:
    client = client_as(app, "admin")
    value = client.get_cookie("session").value  # type: ignore[union-attr]
    forged = app.test_client()
    forged.set_cookie("session", value[:-2] + ("AA" if not value.endswith("AA") else "BB"))
    assert forged.get("/admin/users").status_code == 302


# --- sessions end when they must -------------------------------------------------------------------


def test_password_change_ends_the_other_sessions(app: Flask) -> None:
    phone, laptop = client_as(app, "owner"), client_as(app, "owner")
    old_cookie = laptop.get_cookie("session").value  # type: ignore[union-attr]
    response = phone.post(
        "/account/password",
        data={"current_password": DEMO_PASSWORD, "password": GOOD_PASSWORD, "confirm": GOOD_PASSWORD, "csrf_token": csrf_token(phone, "/")},
    )
    assert response.status_code == 302
    assert _signed_in(phone)
    assert not _signed_in(laptop)
    replay = app.test_client()
    replay.set_cookie("session", old_cookie)
    response = replay.get("/claims/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert _post_login(app.test_client(), "13800000001", DEMO_PASSWORD) == 200  # the old password is refused
    assert _post_login(app.test_client(), "13800000001", GOOD_PASSWORD) == 302


def _edit_user(admin: FlaskClient, user: User, **changes: object) -> int:
    data: dict[str, object] = {
        "login": user.login,
        "name": user.name,
        "mobile": user.mobile or "",
        "role": user.role.value,
        "region_id": str(user.region_id or 0),
        "organisation": user.organisation or "",
        "password": "",
        "active": "y",
        "csrf_token": csrf_token(admin, "/"),
    }
    data.update(changes)
    data = {k: v for k, v in data.items() if v is not None}
    return admin.post(f"/admin/users/{user.id}", data=data).status_code


def test_deactivation_through_the_admin_page_ends_sessions_and_logins(app: Flask) -> None:
    clerk = client_as(app, "clerk")
    cookie = clerk.get_cookie("session").value  # type: ignore[union-attr]
    admin = client_as(app, "admin")
    assert _edit_user(admin, _user(app, "clerk"), active=None) == 302
    assert not _user(app, "clerk").active
    assert clerk.get("/claims/").status_code == 302
    replay = app.test_client()
    replay.set_cookie("session", cookie)
    assert replay.get("/claims/").headers["Location"].startswith("/login")
    assert _post_login(app.test_client(), "clerk", DEMO_PASSWORD) == 200
    # Reactivated, the clerk logs in again.
    assert _edit_user(admin, _user(app, "clerk")) == 302
    assert _post_login(app.test_client(), "clerk", DEMO_PASSWORD) == 302


def test_a_password_reset_by_the_admin_ends_sessions(app: Flask) -> None:
    clerk = client_as(app, "clerk")
    admin = client_as(app, "admin")
    assert _edit_user(admin, _user(app, "clerk"), password=GOOD_PASSWORD) == 302
    assert not _signed_in(clerk)
    assert _post_login(app.test_client(), "clerk", GOOD_PASSWORD) == 302


def test_the_absolute_session_limit_holds_despite_activity(app: Flask) -> None:
    client = client_as(app, "clerk")
    start = clock.utcnow()
    for step in range(1, 29):  # a request every 25 minutes for 11 h 40 min: never idle
        clock.freeze(start + timedelta(minutes=25 * step))
        assert client.get("/claims/").status_code == 200, step
    clock.freeze(start + timedelta(hours=12, minutes=5))
    response = client.get("/claims/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_session_cookie_is_sent_again_once_a_minute_and_idle_time_counts_from_then(app: Flask) -> None:
    """A page within a minute of the last recorded visit sends no new cookie; later ones do. The idle limit
    counts from the time recorded, so a session ends at most a minute early, never late."""
    client = client_as(app, "clerk")
    start = clock.utcnow()
    clock.freeze(start)
    client.get("/claims/")  # the first page after logging in stores the form token (CSRF) in the session
    clock.freeze(start + timedelta(seconds=30))
    assert "Set-Cookie" not in client.get("/claims/").headers
    clock.freeze(start + timedelta(seconds=61))
    assert "session=" in client.get("/claims/").headers.get("Set-Cookie", "")
    clock.freeze(start + timedelta(seconds=61 + 30 * 60 - 1))  # 30 minutes after the recorded visit, less a second
    assert client.get("/claims/").status_code == 200
    clock.freeze(start + timedelta(seconds=61 + 30 * 60 - 1 + 30 * 60 + 1))
    response = client.get("/claims/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- passwords -----------------------------------------------------------------------------------------

WEAK = [
    ("Ab3$xyz", "7 characters"),
    ("password123", "common"),
    ("PASSWORD123", "common, other case"),
    ("woaini1314", "common in China"),
    ("12345678", "common digits"),
    ("aaaaaaaaaaaa", "too few different characters"),
]


def _register(client: FlaskClient, mobile: str, password: str, confirm: str | None = None) -> int:
    token = csrf_token(client, "/register")
    data = {"mobile": mobile, "name": "赵新", "password": password, "confirm": password if confirm is None else confirm, "csrf_token": token}
    return client.post("/register", data=data).status_code


@pytest.mark.parametrize(("password", "why"), WEAK, ids=[w for _, w in WEAK])
def test_registration_refuses_weak_passwords(app: Flask, password: str, why: str) -> None:
    client = app.test_client()
    assert _register(client, "13655550001", password) == 200
    assert find_user_in(app, "13655550001") is None


def test_registration_refuses_the_mobile_number_as_password(app: Flask) -> None:
    assert _register(app.test_client(), "13655550002", "13655550002") == 200
    assert find_user_in(app, "13655550002") is None


def test_registration_of_an_existing_mobile_is_refused(app: Flask) -> None:
    before = checksum(app)
    client = app.test_client()
    assert _register(client, "13800000001", GOOD_PASSWORD) == 200
    assert _register(client, "138 0000 0001", GOOD_PASSWORD) == 200  # the same number typed with spaces
    assert checksum(app) == before
    assert _post_login(app.test_client(), "13800000001", GOOD_PASSWORD) == 200  # nobody took the account over


def test_registration_with_a_good_password_makes_a_villager(app: Flask) -> None:
    client = app.test_client()
    assert _register(client, "13655550003", GOOD_PASSWORD) == 302
    user = find_user_in(app, "13655550003")
    assert user is not None and user.role == Role.VILLAGER and user.region_id is None and user.active
    assert user.password_hash.startswith(("scrypt:", "argon2")) and GOOD_PASSWORD not in user.password_hash
    assert _signed_in(client)


@pytest.mark.parametrize(("password", "why"), WEAK, ids=[w for _, w in WEAK])
def test_password_change_refuses_weak_passwords(app: Flask, password: str, why: str) -> None:
    client = client_as(app, "owner")
    before = _user(app, "13800000001").password_hash
    data = {"current_password": DEMO_PASSWORD, "password": password, "confirm": password, "csrf_token": csrf_token(client, "/")}
    assert client.post("/account/password", data=data).status_code == 200
    assert _user(app, "13800000001").password_hash == before


def test_password_change_needs_the_current_password(app: Flask) -> None:
    client = client_as(app, "owner")
    before = _user(app, "13800000001").password_hash
    data = {"current_password": "Wrong-pass-1", "password": GOOD_PASSWORD, "confirm": GOOD_PASSWORD, "csrf_token": csrf_token(client, "/")}
    assert client.post("/account/password", data=data).status_code == 200
    assert _user(app, "13800000001").password_hash == before


def find_user_in(app: Flask, login_name: str) -> User | None:
    with app.app_context():
        user = find_user(login_name)
        if user is not None:
            db.session.expunge(user)
        return user


# --- administration of users -----------------------------------------------------------------------------


def _new_user(admin: FlaskClient, app: Flask, **fields: object) -> int:
    with app.app_context():
        township = region("430224113").id
    data: dict[str, object] = {
        "login": "clerk_new",
        "name": "新文员",
        "mobile": "13900000099",
        "role": "clerk",
        "region_id": str(township),
        "organisation": "",
        "password": GOOD_PASSWORD,
        "active": "y",
        "csrf_token": csrf_token(admin, "/"),
    }
    data.update(fields)
    return admin.post("/admin/users/new", data=data).status_code


@pytest.mark.parametrize("role", ["admin", "admin_cl"])
def test_admin_creates_a_user_who_can_log_in(app: Flask, role: str) -> None:
    from tests.security.world import world_for

    world_for(app)
    admin = client_as(app, role)
    assert _new_user(admin, app) == 302
    user = find_user_in(app, "clerk_new")
    assert user is not None and user.role == Role.CLERK and user.active
    assert _post_login(app.test_client(), "clerk_new", GOOD_PASSWORD) == 302


@pytest.mark.parametrize(("password", "why"), [*WEAK, ("", "empty")], ids=[w for _, w in WEAK] + ["empty"])
def test_admin_cannot_set_a_weak_password(app: Flask, password: str, why: str) -> None:
    admin = client_as(app, "admin")
    assert _new_user(admin, app, password=password) == 200
    assert find_user_in(app, "clerk_new") is None
    before = _user(app, "clerk2").password_hash
    assert _edit_user(admin, _user(app, "clerk2"), password=password or None) in (200, 302)
    assert _user(app, "clerk2").password_hash == before


def test_admin_edits_a_user(app: Flask) -> None:
    admin = client_as(app, "admin")
    assert _edit_user(admin, _user(app, "clerk2"), name="刘洋洋") == 302
    assert _user(app, "clerk2").name == "刘洋洋"


def test_admin_cannot_deactivate_or_demote_itself(app: Flask) -> None:
    admin = client_as(app, "admin")
    me = _user(app, "admin")
    assert _edit_user(admin, me, active=None) == 200
    with app.app_context():
        county = region("430921").id
    assert _edit_user(admin, me, role="officer", region_id=str(county)) == 200
    assert _user(app, "admin").active and _user(app, "admin").role == Role.ADMIN


@pytest.mark.parametrize(("role", "code"), [("clerk", "430921"), ("officer", "430921128"), ("approver", "430000")])
def test_a_region_of_the_wrong_level_is_a_form_error(app: Flask, role: str, code: str) -> None:
    """A clerk needs a township, an officer a county: a wrong choice is explained on the form, not a 500."""
    admin = client_as(app, "admin")
    with app.app_context():
        region_id = region(code).id
    before = checksum(app)
    assert _new_user(admin, app, role=role, region_id=str(region_id)) == 200
    assert _edit_user(admin, _user(app, "clerk2"), role=role, region_id=str(region_id)) == 200
    assert checksum(app) == before


def test_county_admin_cannot_manage_users_outside_its_region(app: Flask) -> None:
    from tests.security.world import world_for

    world = world_for(app)
    admin = client_as(app, "admin_cl")
    before = checksum(app)
    for outsider in ("clerk", "officer", "approver", "admin"):
        user = _user(app, outsider)
        assert admin.get(f"/admin/users/{user.id}").status_code == 404, outsider
        assert _edit_user(admin, user, name="被改了", active=None) == 404, outsider
    # Nor create one there, nor move one of its own users there.
    with app.app_context():
        nan_township = region("430921128").id
        nan_county = region("430921").id
        province = region("430000").id
    for region_id, role in ((nan_township, "clerk"), (nan_county, "officer"), (province, "admin")):
        assert _new_user(admin, app, region_id=str(region_id), role=role) in (200, 404)
        assert _edit_user(admin, _user(app, "clerk_cl"), region_id=str(region_id), role=role) in (200, 404)
    assert find_user_in(app, "clerk_new") is None
    assert checksum(app) == before
    # Its list shows its own region's staff, and none of Nan county's.
    html = admin.get("/admin/users").get_data(as_text=True)
    assert f'/admin/users/{world.users["clerk_cl"]}"' in html
    for outsider in ("clerk", "clerk2", "officer", "approver", "admin"):
        assert f'/admin/users/{world.users[outsider]}"' not in html, outsider


def test_admin_list_masks_villagers_mobile_numbers(app: Flask) -> None:
    html = client_as(app, "admin").get("/admin/users").get_data(as_text=True)
    assert "138****0001" in html and "13800000001" not in html


def test_no_default_accounts_without_the_demo_data(app: Flask, tmp_path: Path) -> None:
    """A database migrated without `flask demo load` has no user at all to log in as."""
    from flask_migrate import upgrade

    # Its own SQLite file on either test run: the question is what the migrations and set-up create, not the engine.
    fresh = create_app(base_config(f"sqlite:///{tmp_path / 'empty.db'}", tmp_path))
    with fresh.app_context():
        upgrade(revision="heads")
        assert db.session.execute(select(User)).first() is None
        db.engine.dispose()


def test_county_admin_cannot_take_over_a_villager_of_another_county(app: Flask) -> None:
    from tests.security.world import world_for

    world = world_for(app)
    admin = client_as(app, "admin_cl")  # Chaling county; the owner's claims are all in Nan county
    _edit_user(admin, _user(app, "13800000001"), password=GOOD_PASSWORD)
    takeover = app.test_client()
    assert _post_login(takeover, "13800000001", GOOD_PASSWORD) == 200, "signed in as the villager"
    assert takeover.get(f"/claims/{world.claims['a']}").status_code != 200


def test_an_admin_cannot_give_a_registered_mobile_to_a_second_villager(app: Flask) -> None:
    """Claims filed for a villager are linked by the mobile: registration refuses a mobile already used, and so does the
    administrator's form (a second villager account with it could take those claims)."""
    admin = client_as(app, "admin")
    assert _new_user(admin, app, login="13800000001x", name="新用户", mobile="13800000001", role="villager", region_id="0") == 200
    assert find_user_in(app, "13800000001x") is None
    data = {"login": "13800000001x", "name": "新用户", "mobile": "13800000001", "role": "villager", "region_id": "0", "password": GOOD_PASSWORD,
            "active": "y", "csrf_token": csrf_token(admin, "/")}  # fmt: skip
    assert "这个手机号码已经属于另一个账户。" in admin.post("/admin/users/new", data=data).get_data(as_text=True)
    with app.app_context():
        from claims.accounts.services import AccountError, check_villager_mobile

        with pytest.raises(AccountError, match=r"另一个账户|another account"):
            check_villager_mobile(Role.VILLAGER, " 13800000001 ")
        check_villager_mobile(Role.VILLAGER, "13800000001", user=find_user("13800000001"))  # its own number: kept
        check_villager_mobile(Role.CLERK, "13800000001")  # staff accounts are not linked to claims by mobile
    assert _new_user(admin, app, login="13800000077", name="新用户", mobile="13800000077", role="villager", region_id="0") == 302
