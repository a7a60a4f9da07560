"""Every object is scoped (quality.md 1): role x route x own/foreign/missing object -> the expected answer.

The matrix itself is `ROUTE_CASES` in tests/security/routes.py. Outside a user's scope the answer
is 404, the same as for a claim that does not exist; without a session it is the login page.
`test_every_route_is_in_the_matrix` fails when a route (or one of its methods) has no case, so a new
route cannot ship without saying who may use it.
"""

from __future__ import annotations

import re

import pytest
from flask import Flask

from tests.security.routes import ROUTE_CASES, cases, outcome, run_case
from tests.security.world import FULL_ID, LOGINS, ROLES, SEES, World, client_as, token_of, world_for

IGNORED_METHODS = {"HEAD", "OPTIONS"}


@pytest.fixture
def world(app: Flask) -> World:
    return world_for(app)


def test_every_route_is_in_the_matrix(app: Flask) -> None:
    covered = {(case.endpoint, case.method) for case in ROUTE_CASES}
    routes = {(rule.endpoint, method) for rule in app.url_map.iter_rules() for method in (rule.methods or set()) - IGNORED_METHODS}
    missing = sorted(routes - covered)
    assert not missing, f"routes missing from ROUTE_CASES in tests/security/routes.py (say who may use them): {missing}"
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    stale = sorted({case.endpoint for case in ROUTE_CASES} - endpoints)
    assert not stale, f"ROUTE_CASES names routes the app does not have: {stale}"


def test_object_routes_are_tried_on_foreign_and_missing_objects(app: Flask) -> None:
    """A route that takes an id is tried on an object that does not exist and on one outside some role's scope."""
    for rule in app.url_map.iter_rules():
        if not any(arg.endswith("_id") for arg in rule.arguments):
            continue
        for method in (rule.methods or set()) - IGNORED_METHODS:
            mine = [c for c in ROUTE_CASES if c.endpoint == rule.endpoint and c.method == method]
            if all(set(c.expect.values()) == {405} for c in mine):
                continue
            if all(set(c.expect.values()) == {401} for c in mine):
                continue  # the token API: a session is no token; its matrix per client and scope is tests/api/test_resources.py
            assert any("missing" in c.obj for c in mine), f"{method} {rule.endpoint}: no case with a missing object"
            scoped = [c for c in mine if _splits_roles(c.expect)]
            assert scoped, f"{method} {rule.endpoint}: no case where some signed-in roles may and others get 404"


def _splits_roles(table: dict[str, object] | object) -> bool:
    answers = [table[role] for role in ROLES if role != "anonymous"]  # type: ignore[index]
    return 404 in answers and any(a != 404 for a in answers)


@pytest.mark.parametrize("role", ROLES)
def test_get_matrix(app: Flask, world: World, role: str) -> None:
    client = client_as(app, role)
    wrong = []
    for case in cases("GET"):
        response = run_case(client, case, world)
        got, want = outcome(response), case.expect[role]
        if got != want:
            wrong.append(f"{case.name}: got {got}, expected {want}")
    assert not wrong, f"{role}:\n" + "\n".join(wrong)


@pytest.mark.parametrize("role", ROLES)
def test_post_matrix(app: Flask, world: World, role: str) -> None:
    """State-changing routes with a valid CSRF token: who may, who gets 404, and what the database says after."""
    client = client_as(app, role)
    wrong = []
    for case in cases("POST"):
        response = run_case(client, case, world, token=token_of(client))
        got, want = outcome(response), case.expect[role]
        if got != want:
            wrong.append(f"{case.name}: got {got}, expected {want}")
        problem = case.after(app, world, role) if case.after else None
        if problem:
            wrong.append(f"{case.name}: {problem}")
    assert not wrong, f"{role}:\n" + "\n".join(wrong)


def _strip(html: str, *ids: int) -> str:
    """The page without what differs between any two requests: the claim id asked for, CSRF tokens."""
    html = re.sub(r'name="csrf_token"([^>]*)value="[^"]*"', r'name="csrf_token"\1value="TOKEN"', html)
    for value in ids:
        html = re.sub(rf"/claims/{value}\b", "/claims/ID", html)
    return html


@pytest.mark.parametrize("role", ["villager2", "clerk2", "clerk_cl", "officer_cl", "insurer", "admin_cl"])
def test_foreign_claim_is_indistinguishable_from_a_missing_one(app: Flask, world: World, role: str) -> None:
    client = client_as(app, role)
    a, missing = world.claims["a"], world.missing
    for suffix in ("", "/edit", "/submitted", f"/photos/{world.photos['a']}/display"):
        foreign = client.get(f"/claims/{a}{suffix}")
        absent = client.get(f"/claims/{missing}{suffix}")
        assert foreign.status_code == absent.status_code == 404
        assert _strip(foreign.get_data(as_text=True), a) == _strip(absent.get_data(as_text=True), missing)
        volatile = {"Set-Cookie", "Content-Length", "X-Request-ID"}
        assert {k: v for k, v in foreign.headers.items() if k not in volatile} == {k: v for k, v in absent.headers.items() if k not in volatile}


@pytest.mark.parametrize("role", [r for r in ROLES if r != "anonymous"])
def test_lists_show_exactly_the_claims_in_scope(app: Flask, world: World, role: str) -> None:
    """The claim list and the start page: a claim shows when, and only when, the role may open it."""
    client = client_as(app, role)
    pages = {"list": client.get("/claims/").get_data(as_text=True), "start": client.get("/").get_data(as_text=True)}
    for key, claim_id in world.claims.items():
        link = f'href="/claims/{claim_id}"'
        # Staff see another person's draft only in the draft's own list entry when they file it themselves.
        for page, html in pages.items():
            assert (link in html) == (role in SEES[key]), f"{role} {page}: claim {key}"


@pytest.mark.parametrize("status", ["submitted", "draft", "withdrawn"])
def test_list_filters_stay_in_scope(app: Flask, world: World, status: str) -> None:
    client = client_as(app, "clerk2")
    html = client.get(f"/claims/?status={status}").get_data(as_text=True)
    assert not any(f'href="/claims/{claim_id}"' in html for claim_id in world.claims.values())
    html = client.get(f"/claims/?after={world.missing}").get_data(as_text=True)
    assert not any(f'href="/claims/{claim_id}"' in html for claim_id in world.claims.values())


def test_matrix_roles_agree_with_the_permission_rules(app: Flask, world: World) -> None:
    """The tables the matrix is built from are themselves checked against who filed what."""
    assert set(LOGINS) == set(ROLES) - {"anonymous"}
    for key, roles in FULL_ID.items():
        assert roles <= SEES[key], key


def test_a_county_administrator_changes_only_its_own_countys_settings(app: Flask, world: World) -> None:
    """Settings of another county, the defaults for every county and the shared calendar are out of reach."""
    from tests.conftest import csrf_token
    from tests.database import changed_tables, checksum
    from tests.security.world import region

    with app.app_context():
        nan, chaling = region("430921").id, region("430224").id
    admin = client_as(app, "admin_cl")
    token = csrf_token(admin, "/admin/time-limits")
    before = checksum(app)
    limit = {"csrf_token": token, "kind": "intake", "working_days": "9", "effective_from": "2027-03-01", "source": "x"}
    assert admin.post("/admin/time-limits", data=limit | {"region_id": str(nan)}).status_code == 422
    assert admin.post("/admin/time-limits", data=limit | {"region_id": "0"}).status_code == 422
    setting = {"csrf_token": token, "key": "surveyors_required", "value": "1", "effective_from": "2027-03-01"}
    assert admin.post("/admin/county-settings", data=setting | {"region_id": str(nan)}).status_code == 422
    assert admin.post("/admin/calendar", data={"csrf_token": token, "day": "2027-03-01", "note": "x"}).status_code == 404
    assert changed_tables(before, checksum(app)) == []
    # Its own county it may set.
    assert admin.post("/admin/time-limits", data=limit | {"region_id": str(chaling)}).status_code == 302
    assert admin.post("/admin/county-settings", data=setting | {"region_id": str(chaling), "value": "2"}).status_code == 302


def test_choices_that_were_not_offered_are_form_errors(app: Flask, world: World) -> None:
    """A tampered list of claims, reasons or surveyors is refused on the form (never a 500) and changes nothing."""
    from tests.conftest import csrf_token
    from tests.database import changed_tables, checksum

    before = checksum(app)
    clerk = client_as(app, "clerk")
    token = csrf_token(clerk, "/")
    foreign = str(world.claims["n"])  # Chaling's claim, not on Nan's lists
    assert clerk.post("/notices", data={"csrf_token": token, "claims": foreign, "start_date": "2026-01-05"}).status_code == 422
    assert clerk.post(f"/claims/{world.claims['a']}/return", data={"csrf_token": token, "items": "not-an-item"}).status_code == 422
    approver = client_as(app, "approver")
    assert approver.post("/approvals", data={"csrf_token": csrf_token(approver, "/"), "claims": foreign}).status_code == 422
    officer = client_as(app, "officer")
    data = {"csrf_token": csrf_token(officer, "/"), "surveyors": str(world.users["officer_cl"])}
    assert officer.post(f"/claims/{world.claims['a']}/assign", data=data).status_code == 422
    assert changed_tables(before, checksum(app)) == []
