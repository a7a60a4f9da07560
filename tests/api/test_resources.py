"""The token API's resources, scoped exactly as the pages: each kind of client x route x own/foreign/missing object.

An insurer's system sees what is referred to the insurer's policies (the adjuster's `SEES["insurer"]`), a county
platform its county (as the county's officers), a province platform the province (as the province's admin).
Out of scope is the same 404 problem as a missing claim."""

from __future__ import annotations

import pytest
from flask import Flask

import claims.api.views
from claims.documents.models import IssuedDocument
from claims.extensions import db
from claims.workflow.states import ClaimStatus
from tests.api.conftest import CLIENTS, ApiWorld, call
from tests.security.world import FULL_ID, IDENTITIES, SEES, World, client_as, token_of


def _expected(name: str) -> set[str]:
    role = CLIENTS[name][3]
    return {key for key, roles in SEES.items() if role in roles}


def _listed(app: Flask, token: str, path: str = "/api/v1/claims", key: str = "id") -> set[int]:
    client, seen, after = app.test_client(), set(), None
    while True:
        response = call(client, path + "?limit=2" + (f"&after={after}" if after else ""), token)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        seen |= {item[key] for item in body["items"]}
        after = body["next_cursor"]
        if after is None:
            return seen


@pytest.mark.parametrize("name", ["insurer", "other_insurer", "nan", "chaling", "province"])
def test_claim_list_and_detail_are_scoped_as_the_pages(app: Flask, api_world: ApiWorld, name: str) -> None:
    world, token = api_world.world, api_world.tokens[name]
    expected = _expected(name)
    listed = _listed(app, token)  # followed page by page, two claims a page
    assert {key for key, claim_id in world.claims.items() if claim_id in listed} == expected
    missing = call(app.test_client(), f"/api/v1/claims/{world.missing}", token)
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
    for key, claim_id in world.claims.items():
        response = call(app.test_client(), f"/api/v1/claims/{claim_id}", token)
        if key in expected:
            assert response.status_code == 200 and response.get_json()["id"] == claim_id
        else:  # the same answer as a claim that does not exist
            assert (response.status_code, response.get_json()) == (404, missing.get_json())


def test_claim_detail_masks_personal_data(app: Flask, api_world: ApiWorld) -> None:
    claim_id = api_world.world.claims["r"]
    for name in ("insurer", "nan", "province"):
        body = call(app.test_client(), f"/api/v1/claims/{claim_id}", api_world.tokens[name]).get_data(as_text=True)
        identity = IDENTITIES["r"]
        assert identity.id_number not in body and identity.account not in body
        detail = call(app.test_client(), f"/api/v1/claims/{claim_id}", api_world.tokens[name]).get_json()
        assert detail["claimant_id_number"] == identity.id_number[:4] + "*" * 10 + identity.id_number[-4:]
        assert detail["bank_account"].endswith(identity.account[-4:]) and "****" in detail["bank_account"]
        assert "*" in detail["claimant_name"] and "****" in detail["claimant_mobile"]
    assert "insurer" not in FULL_ID["r"]  # the adjuster's page masks them too


def test_claim_list_filters_narrow_the_scope(app: Flask, api_world: ApiWorld) -> None:
    token = api_world.tokens["province"]
    body = call(app.test_client(), "/api/v1/claims?status=referred&limit=100", token).get_json()
    assert body["items"] and {item["status"] for item in body["items"]} == {"referred"}
    chaling = call(app.test_client(), "/api/v1/claims?county=430224&limit=100", token).get_json()["items"]
    assert chaling and {item["county"] for item in chaling} == {"茶陵县"}
    assert call(app.test_client(), "/api/v1/claims?county=430224", api_world.tokens["nan"]).get_json()["items"] == []  # never wider
    assert call(app.test_client(), "/api/v1/claims?submitted_from=2100-01-01", token).get_json()["items"] == []
    assert call(app.test_client(), "/api/v1/claims?submitted_before=2100-01-01&limit=100", token).get_json()["items"]
    assert call(app.test_client(), "/api/v1/claims?submitted_from=0001-01-01", token).status_code == 422
    wrong = call(app.test_client(), "/api/v1/claims?status=nonsense&limit=0", token)
    assert wrong.status_code == 422 and {e["field"] for e in wrong.get_json()["errors"]} == {"query.status", "query.limit"}
    # each field's message in the caller's language (marshmallow's own words are English)
    assert {e["field"]: e["message"] for e in wrong.get_json()["errors"]} == {
        "query.status": "必须是以下之一：" + ", ".join(s.value for s in ClaimStatus) + "。",
        "query.limit": "必须在 1 和 100 之间。",
    }
    assert call(app.test_client(), "/api/v1/claims?limit=abc", token).get_json()["errors"] == [{"field": "query.limit", "message": "不是整数。"}]


def test_referrals_are_the_insurers_own(app: Flask, api_world: ApiWorld) -> None:
    world = api_world.world
    referred = world.claims["r"]
    assert referred in _listed(app, api_world.tokens["insurer"], "/api/v1/referrals", "claim_id")
    assert _listed(app, api_world.tokens["other_insurer"], "/api/v1/referrals", "claim_id") == set()
    detail = call(app.test_client(), f"/api/v1/referrals/{referred}", api_world.tokens["insurer"])
    assert detail.status_code == 200 and detail.get_json()["package"]["number"] == world.numbers["r"]
    missing = call(app.test_client(), f"/api/v1/referrals/{world.missing}", api_world.tokens["insurer"]).get_json()
    for claim in (world.claims["r"], world.claims["a"]):  # another insurer's referral; a claim never referred
        response = call(app.test_client(), f"/api/v1/referrals/{claim}", api_world.tokens["other_insurer"])
        assert (response.status_code, response.get_json()) == (404, missing)
    response = call(app.test_client(), f"/api/v1/referrals/{world.claims['a']}", api_world.tokens["province"])
    assert response.status_code == 403  # a platform may not hold referrals:read


# route -> the scope it needs; each is tried with no token, a wrong one, a token without the scope, and one with it.
# {r}: claim R (referred to the insurer, in Nan county); {r_photo}, {r_doc}, {r_sha}: its photo, document, PDF's SHA-256.
ROUTES = {
    "/api/v1/claims": "claims:read",
    "/api/v1/claims/{r}": "claims:read",
    "/api/v1/claims/{r}/documents": "claims:read",
    "/api/v1/claims/{r}/photos/{r_photo}/display": "claims:read",
    "/api/v1/documents/{r_doc}": "claims:read",
    "/api/v1/documents/{r_doc}/pdf": "claims:read",
    "/api/v1/documents/verify?sha256={r_sha}": "claims:read",
    "/api/v1/referrals": "referrals:read",
    "/api/v1/referrals/{r}": "referrals:read",
    "/api/v1/statistics?year=2026": "statistics:read",
    "/api/v1/schedules?county=430921": "claims:read",
}
# allowed, yet 404: an insurer with no policy has no province to count in (it may name a region)
NO_REGION = {"/api/v1/statistics?year=2026": {"other_insurer"}}
# The writes, tried in tests/api/test_writes.py (decision, payment) and test_schedules_and_quotes.py (quote).
WRITES = {"api_v1.referral_decision", "api_v1.insurer_payment", "api_v1.token_quote"}


def _path(app: Flask, world: World, route: str) -> str:
    with app.app_context():
        sha = db.session.get(IssuedDocument, world.documents["r"]).sha256
    values = {"r": world.claims["r"], "r_photo": world.photos["r"], "r_doc": world.documents["r"], "r_sha": sha}
    return route.format(**values)


def test_every_api_route_is_in_the_matrix(app: Flask) -> None:
    adapter = app.url_map.bind("localhost")
    tried = {adapter.match(route.partition("?")[0].replace("{r}", "1").replace("{r_photo}", "1").replace("{r_doc}", "1"))[0] for route in ROUTES}
    routes = {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint.startswith("api_v1.")}
    assert routes - tried - WRITES == set()


@pytest.mark.parametrize("route", ROUTES)
def test_access_matrix_per_scope(app: Flask, api_world: ApiWorld, route: str) -> None:
    path = _path(app, api_world.world, route)
    client = app.test_client()
    answers = {name: call(client, path, token).status_code for name, token in api_world.tokens.items()}
    allowed = {name for name, (_k, _o, scopes, _r) in CLIENTS.items() if ROUTES[route] in scopes}
    sees_r = {"insurer", "nan", "province"}
    want = {name: (403 if name not in allowed else 200 if "{r" not in route or name in sees_r else 404) for name in CLIENTS}
    want |= {name: 404 for name in NO_REGION.get(route, ())}
    assert answers == want
    for token in (None, "nonsense", "abc.def", f"{api_world.tokens['insurer'].partition('.')[0]}.wrong-secret"):
        response = call(client, path, token)
        assert response.status_code == 401 and response.headers["WWW-Authenticate"] == "Bearer"
        assert response.get_json()["messages"]["zh"] and response.get_json()["messages"]["en"]


def test_a_session_is_no_token(app: Flask, api_world: ApiWorld) -> None:
    """The token API reads no cookie (so it needs no CSRF token): a signed-in adjuster's session is refused."""
    adjuster = client_as(app, "insurer")
    assert adjuster.get("/api/v1/claims").status_code == 401
    decision = f"/api/v1/referrals/{api_world.world.claims['r']}/decision"
    headers = {"X-CSRFToken": token_of(adjuster), "Idempotency-Key": "k"}
    assert adjuster.post(decision, json={"decision": "accept"}, headers=headers).status_code == 401


def test_every_error_is_a_problem(app: Flask, api_world: ApiWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    token, client = api_world.tokens["province"], app.test_client()
    clerk = client_as(app, "clerk")
    checks = {
        401: call(client, "/api/v1/claims", None),
        403: call(client, "/api/v1/referrals", token),
        404: call(client, "/api/v1/nothing-here", token),
        405: call(client, "/api/v1/claims", token, method="DELETE"),
        422: call(client, "/api/v1/claims?limit=x", token),
        415: clerk.post("/api/v1/valuation/quote", data={"csrf_token": token_of(clerk)}),
    }

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(claims.api.views, "claims_for", broken)
    checks[500] = call(client, "/api/v1/claims", token)
    for status, response in checks.items():
        body = response.get_json()
        assert response.status_code == status and response.mimetype == "application/problem+json", (status, body)
        assert body["status"] == status and body["type"].startswith("urn:claims:problem:") and body["title"]
        assert body["messages"]["zh"] != body["messages"]["en"] and body["detail"] == body["messages"]["zh"]
    assert "Allow" in checks[405].headers and "a bug" not in checks[500].get_data(as_text=True)
