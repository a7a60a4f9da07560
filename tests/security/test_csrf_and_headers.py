"""CSRF on every state change, nothing changes on GET, security headers, generic errors, fail closed,
open redirects (quality.md 3, 13, 18).

The routes come from the authorisation matrix in tests/security/routes.py, which the meta-test in
test_access_matrix.py keeps complete: a new route is checked here as soon as it is in the matrix.
"""

from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from claims import create_app
from claims.core import time as clock
from claims.documents.services import verify_url
from claims.extensions import db
from claims.intake import operations as intake_operations
from claims.intake import permissions
from claims.intake import services as intake_services
from tests.conftest import TEST_KEY, base_config, csrf_token, login
from tests.database import changed_tables, checksum
from tests.security.routes import LOGIN, ROUTE_CASES, Case, cases, outcome, run_case
from tests.security.world import ROLES, World, client_as, token_of, world_for

PREFERRED_ACTORS = ("owner", "clerk", "officer", "admin", "villager2", "clerk_cl", "officer_cl", "admin_cl", "approver", "approver_cl", "insurer")


def _actor(case: Case) -> str | None:
    """A signed-in role that may use the route on this object (so that a refusal is the token's doing)."""
    if set(case.expect.values()) == {LOGIN}:  # logging out: everyone ends on the login page
        return PREFERRED_ACTORS[0]
    return next((role for role in PREFERRED_ACTORS if case.expect[role] not in (404, 405, LOGIN)), None)


# The token API (claims/api/views.py) reads no cookie, so a browser cannot be made to call it: no CSRF token. A
# session there is no token (401: tests/api/test_resources.py::test_a_session_is_no_token).
BEARER_ONLY = frozenset(case.endpoint for case in ROUTE_CASES if set(case.expect.values()) == {401})


def _one_per_route() -> list[Case]:
    """The first case of each state-changing route that some role may use (the token check runs before the view)."""
    chosen: dict[str, Case] = {}
    for case in cases("POST"):
        if _actor(case) and case.endpoint not in chosen and case.endpoint not in BEARER_ONLY:
            chosen[case.endpoint] = case
    return list(chosen.values())


CSRF_CASES = _one_per_route()

# Where a refused POST from outside a session starts again: the login page, but a form anyone may send without an
# account (claims/errors.py's PUBLIC_FORMS) goes back to itself, empty.
START_AGAIN = {"intake.status_enquiry": "/claims/status"}
# The top bar's language and text-size buttons (claims/errors.py's SWITCHES) go back to their page, which has a fresh
# token, signed in or not: their address only takes a POST. The matrix's cases post next=/.
SWITCHES = {"accounts.set_language": "/", "accounts.set_text_size": "/"}
START_AGAIN.update(SWITCHES)


def _starts_again(response: TestResponse, case: Case) -> bool:
    page = START_AGAIN.get(case.endpoint)
    if page is None:
        return outcome(response) == LOGIN
    return response.status_code == 302 and urlsplit(response.headers.get("Location", "")).path == page


@pytest.fixture
def world(app: Flask) -> World:
    return world_for(app)


# --- CSRF ---------------------------------------------------------------------------------------------


def test_every_state_changing_route_is_tried_without_a_token(app: Flask) -> None:
    posted = {rule.endpoint for rule in app.url_map.iter_rules() if {"POST", "PUT", "PATCH", "DELETE"} & set(rule.methods or ())}
    tried = {case.endpoint for case in CSRF_CASES} | BEARER_ONLY
    assert posted <= tried, f"no CSRF test for {sorted(posted - tried)}: add a case some role may use to ROUTE_CASES"


@pytest.mark.parametrize("case", CSRF_CASES, ids=lambda c: c.name)
def test_post_without_or_with_a_foreign_token_is_refused(app: Flask, world: World, case: Case) -> None:
    role = _actor(case)
    assert role is not None
    client = client_as(app, role)
    other_session = client_as(app, role)  # the same user on another device: its token is not this session's
    foreign = token_of(other_session)
    before = checksum(app)

    for token in (None, foreign, "not-a-token"):
        response = run_case(client, case, world, token=token)
        if case.endpoint in SWITCHES:
            assert _starts_again(response, case), f"{case.name} as {role} with token {token!r}: {response.status_code}"
            assert "text_size=large" not in " ".join(response.headers.getlist("Set-Cookie"))
            continue
        assert response.status_code == 400, f"{case.name} as {role} with token {token!r}: {response.status_code}"
    assert changed_tables(before, checksum(app)) == []
    assert client.get("/account/password").status_code == 200  # still signed in: the refusal ended nothing


@pytest.mark.parametrize("case", CSRF_CASES, ids=lambda c: c.name)
def test_post_after_the_session_expired_goes_to_login_and_changes_nothing(app: Flask, world: World, case: Case) -> None:
    """An expired session: the token died with it. The only row written is the encrypted rescue of what was typed."""
    role = _actor(case)
    assert role is not None
    client = client_as(app, role)
    old_token = token_of(client)
    before = checksum(app, skip=("form_stashes",))
    clock.freeze(clock.utcnow() + timedelta(minutes=31))
    for token in (None, old_token):
        response = run_case(client, case, world, token=token)
        assert _starts_again(response, case), f"{case.name}: {response.status_code}"
    assert changed_tables(before, checksum(app, skip=("form_stashes",))) == []


@pytest.mark.parametrize("case", CSRF_CASES, ids=lambda c: c.name)
def test_post_from_a_stranger_without_a_session_changes_nothing(app: Flask, world: World, case: Case) -> None:
    before = checksum(app, skip=("form_stashes",))
    response = run_case(app.test_client(), case, world)
    assert _starts_again(response, case), f"{case.name}: {response.status_code}"
    assert changed_tables(before, checksum(app, skip=("form_stashes",))) == []


def test_the_anonymous_token_dies_at_login(app: Flask) -> None:
    """Login starts a new session: a token a stranger planted before login is useless after it."""
    client = app.test_client()
    before_login = csrf_token(client)
    login(client, "clerk")
    response = client.post("/logout", data={"csrf_token": before_login})
    assert response.status_code == 400
    assert client.get("/account/password").status_code == 200


# --- nothing changes on GET -----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_get_changes_nothing(app: Flask, world: World, role: str) -> None:
    client = client_as(app, role)
    before = checksum(app)
    for case in cases("GET"):
        run_case(client, case, world)
        changed = changed_tables(before, checksum(app))
        assert not changed, f"GET {case.path(world)} as {role} changed {changed}"


# --- headers ----------------------------------------------------------------------------------------------

PERSONAL_PAGES = ("intake.detail", "intake.index", "intake.edit_claim", "intake.acknowledgement", "admin.users", "admin.edit_user", "main.index")


@pytest.mark.parametrize("role", ["anonymous", "owner", "clerk", "officer", "admin"])
def test_security_headers_on_every_response(app: Flask, world: World, role: str) -> None:
    client = client_as(app, role)
    for case in cases("GET"):
        response = run_case(client, case, world)
        where = f"{case.name} as {role} ({response.status_code})"
        csp = response.headers.get("Content-Security-Policy", "")
        directives = {part.strip().split(" ", 1)[0]: part.strip() for part in csp.split(";") if part.strip()}
        assert directives.get("default-src") == "default-src 'self'", where
        assert directives.get("frame-ancestors") == "frame-ancestors 'none'", where
        assert directives.get("object-src") == "object-src 'none'", where
        assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp and "*" not in csp, where
        assert response.headers.get("X-Content-Type-Options") == "nosniff", where
        assert response.headers.get("Referrer-Policy") == "same-origin", where
        cache = response.headers.get("Cache-Control", "")
        if response.mimetype == "text/html":
            assert "no-store" in cache, where
        elif case.endpoint == "intake.photo":
            assert "public" not in cache and ("private" in cache or "no-store" in cache), where
        if case.endpoint in PERSONAL_PAGES:
            assert "no-store" in cache, where


def test_headers_on_errors_and_redirects(app: Flask) -> None:
    client = app.test_client()
    for response in (client.get("/no/such/page"), client.get("/claims/"), client.post("/logout")):
        assert response.status_code in (302, 400, 404)
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "no-store" in response.headers["Cache-Control"]


# --- errors and failing closed ------------------------------------------------------------------------

LEAKS = ("Traceback", 'File "', "RuntimeError", "sqlalchemy", "werkzeug", "jinja2", ".py", "boom-", "/work/")


def _generic(html: str) -> None:
    for leak in LEAKS:
        assert leak not in html, f"{leak!r} in the error page"


def test_a_route_that_raises_gives_the_generic_500_page(app: Flask, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom-secret 430921200205173114 SELECT * FROM claims")

    monkeypatch.setattr(intake_services, "claims_for", boom)
    client = client_as(app, "clerk")
    response = client.get("/claims/")
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "出错了" in html or "Something went wrong" in html
    _generic(html)
    assert "430921200205173114" not in html and "SELECT" not in html
    assert "no-store" in response.headers["Cache-Control"]


def test_the_404_page_is_generic(app: Flask) -> None:
    for client in (app.test_client(), client_as(app, "admin")):
        response = client.get("/no/such-route/../page")
        html = response.get_data(as_text=True)
        assert response.status_code == 404
        assert "页面不存在" in html or "Not found" in html
        _generic(html)
        assert "url_map" not in html and "/admin/users" not in html.split("<main", 1)[1]


def test_an_error_in_a_permission_check_denies(app: Flask, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    client = client_as(app, "owner")

    def broken(*args: object, **kwargs: object) -> bool:
        raise RuntimeError("boom-permission")

    monkeypatch.setattr(permissions, "can_view_claim", broken)
    for path in (f"/claims/{world.claims['a']}", f"/claims/{world.claims['a']}/photos/{world.photos['a']}/original"):
        response = client.get(path)
        html = response.get_data(as_text=True)
        assert response.status_code == 500, path
        _generic(html)
        assert "430921200205173114" not in html and "野猪夜间" not in html
        assert response.mimetype == "text/html"


def test_an_error_while_saving_rolls_everything_back(app: Flask, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """The view wrote a draft, its audit event and the photo files, then failed: none of it stays."""
    from tests.intake.images import jpeg_bytes

    original = intake_operations.save_filing

    def save_then_fail(*args: object, **kwargs: object) -> object:
        original(*args, **kwargs)  # type: ignore[arg-type]
        raise RuntimeError("boom-after-save")

    monkeypatch.setattr(intake_operations, "save_filing", save_then_fail)
    client = client_as(app, "owner")
    token = token_of(client)
    uploads = Path(app.config["UPLOAD_FOLDER"])
    files_before = sorted(p for p in uploads.rglob("*") if p.is_file())
    before = checksum(app)
    response = client.post(
        "/claims/new",
        data={"csrf_token": token, "submission_key": "fail-closed", "claimant_name": "张建国", "photos": [(io.BytesIO(jpeg_bytes(seed=77)), "x.jpg")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 500
    _generic(response.get_data(as_text=True))
    assert changed_tables(before, checksum(app)) == []
    assert sorted(p for p in uploads.rglob("*") if p.is_file()) == files_before


def _production_config(tmp_path: Path, **extra: object) -> dict[str, object]:
    config = base_config("sqlite:///" + str(tmp_path / "prod.db"), tmp_path)
    for name in ("SECRET_KEY", "FIELD_ENCRYPTION_KEY"):
        config.pop(name)
    config.update(extra)
    return config


@pytest.mark.parametrize(
    ("env", "config"),
    [
        ({}, {"FIELD_ENCRYPTION_KEY": TEST_KEY}),  # no SECRET_KEY
        ({"SECRET_KEY": ""}, {"FIELD_ENCRYPTION_KEY": TEST_KEY}),  # an empty one
        ({"SECRET_KEY": "a" * 64}, {}),  # no field encryption key
    ],
    ids=["no-secret-key", "empty-secret-key", "no-field-key"],
)
def test_production_refuses_to_start_without_its_secrets(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, env: dict[str, str], config: dict[str, object]
) -> None:
    monkeypatch.setenv("CLAIMS_ENV", "production")
    for name in ("SECRET_KEY", "FIELD_ENCRYPTION_KEY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(RuntimeError, match="production"):
        create_app(_production_config(tmp_path, **config))
    assert not (tmp_path / "instance" / "secret_key").exists()  # nothing generated behind the operator's back


@pytest.mark.parametrize("value", [None, "", "buchang.example.gov.cn", "ftp://buchang.example.gov.cn", "https://"])
def test_production_refuses_to_start_without_its_public_address(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, value: str | None) -> None:
    """Every QR code links to PUBLIC_BASE_URL/verify/<code> and an issued document never changes: production does not
    fall back to the laptop's http://127.0.0.1:5000, nor take a value that is not an absolute http(s) address."""
    monkeypatch.setenv("CLAIMS_ENV", "production")
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    if value is not None:
        monkeypatch.setenv("PUBLIC_BASE_URL", value)
    with pytest.raises(RuntimeError, match="PUBLIC_BASE_URL"):
        create_app(_production_config(tmp_path, SECRET_KEY="a" * 64, FIELD_ENCRYPTION_KEY=TEST_KEY))


def test_production_links_documents_to_its_public_address(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CLAIMS_ENV", "production")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://buchang.example.gov.cn/")
    prod = create_app(_production_config(tmp_path, SECRET_KEY="a" * 64, FIELD_ENCRYPTION_KEY=TEST_KEY))
    try:
        with prod.app_context():
            assert verify_url("abc") == "https://buchang.example.gov.cn/verify/abc"
    finally:
        with prod.app_context():
            db.engine.dispose()


# --- open redirects ---------------------------------------------------------------------------------------

EVIL_TARGETS = [
    "https://evil.example",
    "http://evil.example/claims/",
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    " //evil.example",
    "https:evil.example",
    "javascript:alert(1)",
    "evil.example",
]


@pytest.mark.parametrize("target", EVIL_TARGETS)
def test_login_never_redirects_off_site(app: Flask, target: str) -> None:
    client = app.test_client()
    token = csrf_token(client)
    response = client.post("/login", query_string={"next": target}, data={"login": "clerk", "password": "Demo@2026", "csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("switch", [("/language", "locale", "en"), ("/text-size", "size", "large")])
@pytest.mark.parametrize("target", EVIL_TARGETS)
def test_language_and_text_size_switches_never_redirect_off_site(app: Flask, target: str, switch: tuple[str, str, str]) -> None:
    path, name, value = switch
    client = app.test_client()
    token = csrf_token(client)
    response = client.post(path, data={name: value, "next": target, "csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_local_next_is_kept(app: Flask) -> None:
    client = app.test_client()
    token = csrf_token(client)
    response = client.post("/login?next=/claims/%3Fstatus%3Dsubmitted", data={"login": "clerk", "password": "Demo@2026", "csrf_token": token})
    assert response.headers["Location"] == "/claims/?status=submitted"
    html = app.test_client().get("/claims/?status=submitted", follow_redirects=False)
    assert re.search(r"/login\?next=", html.headers["Location"])


def test_matrix_cases_are_well_formed() -> None:
    names = [case.name for case in ROUTE_CASES]
    assert len(names) == len(set(names)), "two cases with the same name: give the object a distinct label"
