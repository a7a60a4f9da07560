"""API tokens: only a hash is stored; expiry, revocation and rotation take effect on the next call; every call
is on the audit chain; each token has its own rate limit, answered as a 429 problem. Issued by the admin pages
and by `flask api tokens create`."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from pathlib import Path

from flask import Flask
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from claims import create_app
from claims.api import services
from claims.api.models import ApiClient, ApiToken
from claims.core import time as clock
from claims.core.time import utcnow
from claims.extensions import db
from claims.regions.models import Region
from claims.workflow.audit import verify_chain
from claims.workflow.models import AuditEvent
from tests.api.conftest import ApiWorld, call, make_token
from tests.conftest import Databases, base_config
from tests.database import table_rows
from tests.security.routes import is_login_redirect
from tests.security.world import client_as, token_of


def _status(app: Flask, token: str) -> int:
    return call(app.test_client(), "/api/v1/claims", token).status_code


def _token(app: Flask, secret: str) -> ApiToken:
    with app.app_context():
        token = db.session.execute(select(ApiToken).where(ApiToken.key_id == secret.partition(".")[0])).scalar_one()
        db.session.expunge(token)
        return token


def test_only_a_hash_of_the_secret_is_stored(app: Flask) -> None:
    secret = make_token(app, "province")
    part = secret.partition(".")[2]
    assert len(part) >= 40 and _token(app, secret).secret_hash == hashlib.sha256(part.encode()).hexdigest()
    assert part not in repr(table_rows(app))  # in no table, the audit trail included


def test_an_expired_token_is_refused(app: Flask) -> None:
    secret = make_token(app, "province", days=2)
    assert _status(app, secret) == 200
    clock.freeze(utcnow() + timedelta(days=2, seconds=1))
    assert _status(app, secret) == 401


def test_a_revoked_token_is_refused_at_once(app: Flask) -> None:
    secret = make_token(app, "province")
    with app.app_context():
        services.revoke_token(db.session.get(ApiToken, _token(app, secret).id), actor=None)
        db.session.commit()
    assert _status(app, secret) == 401


def test_rotation_keeps_the_old_token_for_an_hour(app: Flask) -> None:
    old = make_token(app, "province")
    with app.app_context():
        new = services.rotate_token(db.session.get(ApiToken, _token(app, old).id), revoke_old=False, actor=None).secret
        db.session.commit()
    assert (_status(app, old), _status(app, new)) == (200, 200)
    clock.freeze(utcnow() + services.ROTATION_OVERLAP + timedelta(seconds=1))
    assert (_status(app, old), _status(app, new)) == (401, 200)
    assert _token(app, new).scopes == _token(app, old).scopes and _token(app, old).replaced_by_id == _token(app, new).id


def test_rotation_can_end_the_old_token_at_once(app: Flask) -> None:
    old = make_token(app, "province")
    with app.app_context():
        new = services.rotate_token(db.session.get(ApiToken, _token(app, old).id), revoke_old=True, actor=None).secret
        db.session.commit()
        assert services.authenticate(f"Bearer {old}") is None
    assert (_status(app, old), _status(app, new)) == (401, 200)


def test_every_call_is_audited_on_the_chain(app: Flask, api_world: ApiWorld) -> None:
    token = api_world.tokens["insurer"]
    paths = ["/api/v1/claims", f"/api/v1/claims/{api_world.world.claims['r']}", f"/api/v1/claims/{api_world.world.missing}", "/api/v1/referrals"]
    for path in paths:
        call(app.test_client(), path, token)
    call(app.test_client(), "/api/v1/claims", None)  # no token: nobody to name
    token_id, client_id = _token(app, token).id, _token(app, token).client_id
    with app.app_context():
        service_account = db.session.get(ApiClient, client_id).user_id
        rows = db.session.execute(select(AuditEvent).where(AuditEvent.action == "api_call").order_by(AuditEvent.id)).scalars().all()
        assert [(r.changes["path"], r.changes["status"]) for r in rows] == list(zip(paths, [200, 200, 404, 200], strict=True))
        assert {r.actor_role for r in rows} == {"insurer"} and {r.entity_id for r in rows} == {token_id}
        assert {r.actor_id for r in rows} == {service_account} and {r.changes["client"] for r in rows} == {client_id}
        assert verify_chain().ok


def test_each_token_has_its_own_rate_limit(databases: Databases, tmp_path: Path, app: Flask) -> None:
    limited = create_app({**base_config(databases.url, tmp_path), "RATELIMIT_ENABLED": True, "API_RATE_LIMIT": "3 per minute"})
    first, second = make_token(limited, "province"), make_token(limited, "nan")
    assert [_status(limited, first) for _ in range(3)] == [200, 200, 200]
    refused = call(limited.test_client(), "/api/v1/claims", first)
    body = refused.get_json()
    assert refused.status_code == 429 and refused.mimetype == "application/problem+json" and body["status"] == 429
    assert body["messages"]["zh"] and 0 < int(refused.headers["Retry-After"]) <= 60
    forged = second.partition(".")[0] + ".not-the-secret"
    assert [_status(limited, forged) for _ in range(4)] == [401, 401, 401, 429]  # its own count, not the real token's
    assert _status(limited, second) == 200  # another token's count is its own, untouched by the forged one
    with limited.app_context():
        db.engine.dispose()


def test_admin_issues_rotates_and_revokes_through_the_pages(app: Flask, api_world: ApiWorld) -> None:
    admin = client_as(app, "admin")
    page = admin.post(
        "/admin/api-clients/", data={"csrf_token": token_of(admin), "name": "省政务平台", "kind": "platform", "region_id": "0", "insurer_id": "0"}
    )
    assert page.status_code == 422 and "平台须选择地区" in page.get_data(as_text=True)
    with app.app_context():
        client_id = db.session.execute(select(services.ApiClient.id).where(services.ApiClient.name == "system province")).scalar_one()
    issued = admin.post(
        f"/admin/api-clients/{client_id}/tokens",
        data={"csrf_token": token_of(admin), "scopes": ["claims:read"], "expires_on": (utcnow() + timedelta(days=40)).date().isoformat()},
    )
    html = issued.get_data(as_text=True)
    secret = re.search(r"<code>([0-9a-f]{16}\.[A-Za-z0-9_-]{40,})</code>", html).group(1)  # type: ignore[union-attr]
    assert issued.status_code == 200 and issued.headers["Cache-Control"] == "no-store" and _status(app, secret) == 200
    assert secret not in admin.get("/admin/api-clients/").get_data(as_text=True)  # shown once
    token_id = _token(app, secret).id
    rotated = admin.post(f"/admin/api-clients/tokens/{token_id}/rotate", data={"csrf_token": token_of(admin), "revoke_old": "y"})
    new = re.search(r"<code>([0-9a-f]{16}\.[A-Za-z0-9_-]{40,})</code>", rotated.get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    assert (_status(app, secret), _status(app, new)) == (401, 200)
    admin.post(f"/admin/api-clients/tokens/{_token(app, new).id}/revoke", data={"csrf_token": token_of(admin)})
    assert _status(app, new) == 401
    with app.app_context():
        actions = db.session.execute(select(AuditEvent.action).where(AuditEvent.entity == "api_token", AuditEvent.actor_id.is_not(None))).scalars().all()
        assert {"api_token_issued", "api_token_rotated", "api_token_revoked"} <= set(actions)


def test_a_platform_may_not_be_given_an_insurers_scopes(app: Flask, api_world: ApiWorld) -> None:
    with app.app_context():
        client = db.session.execute(select(services.ApiClient).where(services.ApiClient.name == "system nan")).scalar_one()
        try:
            services.issue_token(client, ["referrals:decide"], utcnow() + timedelta(days=1), actor=None)
        except services.ApiError as exc:
            assert exc.field == "scopes"
        else:
            raise AssertionError("a platform got referrals:decide")


def test_the_command_line_issues_a_token(app: Flask) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["api", "tokens", "create", "--client", "县平台", "--region", "430921", "--scope", "claims:read", "--days", "7"])
    assert result.exit_code == 0, result.output
    secret = result.output.strip()
    assert _status(app, secret) == 200
    listed = runner.invoke(args=["api", "tokens", "list"]).output
    assert secret.partition(".")[0] in listed and secret.partition(".")[2] not in listed
    assert runner.invoke(args=["api", "tokens", "revoke", secret.partition(".")[0]]).exit_code == 0
    assert _status(app, secret) == 401
    wider = runner.invoke(args=["api", "tokens", "create", "--client", "县平台", "--region", "430000", "--scope", "claims:read"])
    assert wider.exit_code == 1 and "another insurer or region" in wider.output  # the existing client is not the one asked for


def test_the_service_account_cannot_log_in(app: Flask) -> None:
    make_token(app, "province")
    with app.app_context():
        login = db.session.execute(select(services.ApiClient).where(services.ApiClient.name == "system province")).scalar_one().user.login
    client = app.test_client()
    client.get("/login")
    client.post("/login", data={"csrf_token": token_of(client), "login": login, "password": services.UNUSABLE_PASSWORD})
    assert is_login_redirect(client.get("/claims/"))


def test_padding_a_token_or_changing_the_schemes_case_makes_no_new_allowance(databases: Databases, tmp_path: Path, app: Flask) -> None:
    limited = create_app({**base_config(databases.url, tmp_path), "RATELIMIT_ENABLED": True, "API_RATE_LIMIT": "2 per minute"})
    token = make_token(limited, "province")
    client = limited.test_client()
    headers = [f"Bearer {token}", f"bearer  {token} ", f"BEARER \t{token}", f"Bearer {token}  "]
    assert [client.get("/api/v1/claims", headers={"Authorization": h}).status_code for h in headers] == [200, 200, 429, 429]
    with limited.app_context():
        db.engine.dispose()


def test_a_service_account_never_logs_in_nor_shows_on_the_user_pages(app: Flask, api_world: ApiWorld) -> None:
    from tests.conftest import csrf_token

    with app.app_context():
        client = db.session.execute(select(ApiClient).where(ApiClient.name == "system chaling")).scalar_one()
        account_id, login_name = client.user_id, client.user.login
        client.user.password_hash = generate_password_hash("Zx9!long-enough-pass")  # as if it had been given one
        db.session.commit()
    for admin in ("admin", "admin_cl"):
        pages = client_as(app, admin)
        assert login_name not in pages.get("/admin/users").get_data(as_text=True)
        assert pages.get(f"/admin/users/{account_id}").status_code == 404
    browser = app.test_client()
    answer = browser.post("/login", data={"login": login_name, "password": "Zx9!long-enough-pass", "csrf_token": csrf_token(browser, "/login")})
    assert answer.status_code == 200 and "登录名或密码错误" in answer.get_data(as_text=True)


def test_a_service_account_changed_behind_its_client_reads_nothing(app: Flask, api_world: ApiWorld) -> None:
    """Its scope is its client's: an account moved to the province (by hand in the database) no longer authenticates."""
    token = api_world.tokens["chaling"]
    assert call(app.test_client(), "/api/v1/claims", token).status_code == 200
    with app.app_context():
        client = db.session.execute(select(ApiClient).where(ApiClient.name == "system chaling")).scalar_one()
        client.user.region = db.session.execute(select(Region).where(Region.code == "430000")).scalar_one()
        db.session.commit()
    assert call(app.test_client(), "/api/v1/claims", token).status_code == 401
