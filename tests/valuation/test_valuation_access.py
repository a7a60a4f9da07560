"""Who may use the valuation routes: the authorisation-matrix cases for them, and these cases run.

`VALUATION_CASES` uses the helpers of tests/test_security_support.py; they belong in its `ROUTE_CASES`
(before the "near the end" entries), where test_access_matrix.py and test_security.py also try them
without a CSRF token. Until they are spliced in, this module runs them against the same world.
"""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select

from claims.extensions import db
from claims.valuation.models import ClaimValuation, CompensationSchedule, ScheduleStatus
from tests.test_security_support import (
    ADMINS,
    NOBODY,
    ROLES,
    Case,
    World,
    _claim,
    _missing,
    build_world,
    client_as,
    expect,
    outcome,
    run_case,
    token_of,
)

# The demo loader imports the shipped schedules in this order (claims/valuation/shipped.py).
PROVINCE_SCHEDULE, NAN_SCHEDULE = 1, 2
APPROVERS = tuple(r for r in ("approver", "approver_cl") if r in ROLES)
SCHEDULE_VIEWERS = (*ADMINS, *APPROVERS)  # the province's schedule applies to both counties


def _schedule(schedule_id: int, suffix: str = ""):  # type: ignore[no-untyped-def]
    return lambda w: f"/admin/schedules/{schedule_id}{suffix}"


def _no_valuation(app: Flask, world: World, role: str) -> str | None:
    claims = [world.claims["a"], world.claims["b"]]
    with app.app_context():
        count = db.session.execute(select(func.count()).select_from(ClaimValuation).where(ClaimValuation.claim_id.in_(claims))).scalar_one()
    return None if count == 0 else f"{count} valuation(s) of claims A and B stored after {role}'s request"


def _schedules_unchanged(app: Flask, world: World, role: str) -> str | None:
    with app.app_context():
        statuses = set(db.session.execute(select(CompensationSchedule.status)).scalars())
    return None if statuses == {ScheduleStatus.PUBLISHED} else f"schedule statuses {statuses} after {role}'s request"


VALUATION_CASES: tuple[Case, ...] = (
    # the officer's valuation actions on a claim (claim A is submitted, so each is refused with a message)
    Case("valuation.compute", "claim a", _claim("a", "/valuation"), expect(302, "officer"), "POST", lambda w: {}, _no_valuation),
    Case("valuation.compute", "claim b", _claim("b", "/valuation"), expect(302, "officer_cl"), "POST", lambda w: {}, _no_valuation),
    Case("valuation.compute", "missing claim", _missing("/valuation"), NOBODY, "POST", lambda w: {}),
    Case("valuation.adjust", "claim a", _claim("a", "/valuation/adjust"), expect(422, "officer"), "POST", lambda w: {"line_id": "L1"}),
    Case("valuation.adjust", "missing claim", _missing("/valuation/adjust"), NOBODY, "POST", lambda w: {"line_id": "L1", "amount": "1", "reason": "x"}),
    Case("valuation.submit", "claim a", _claim("a", "/value"), expect(302, "officer"), "POST", lambda w: {}),
    Case("valuation.submit", "missing claim", _missing("/value"), NOBODY, "POST", lambda w: {}),
    # schedules and reference data: administrators manage their region's; approvers may read
    Case("schedules.index", "-", lambda w: "/admin/schedules", expect(200, *SCHEDULE_VIEWERS)),
    Case("schedules.show", "province schedule", _schedule(PROVINCE_SCHEDULE), expect(200, *SCHEDULE_VIEWERS)),
    Case("schedules.show", "Nan county schedule", _schedule(NAN_SCHEDULE), expect(200, "admin", "approver")),
    Case("schedules.show", "missing schedule", lambda w: f"/admin/schedules/{w.missing}", NOBODY),
    Case("schedules.export", "province schedule", _schedule(PROVINCE_SCHEDULE, "/export"), expect(200, *SCHEDULE_VIEWERS)),
    Case("schedules.export", "Nan county schedule", _schedule(NAN_SCHEDULE, "/export"), expect(200, "admin", "approver")),
    Case("schedules.export", "missing schedule", lambda w: f"/admin/schedules/{w.missing}/export", NOBODY),
    Case("schedules.import_file", "-", lambda w: "/admin/schedules/import", expect(422, *ADMINS), "POST", lambda w: {}),
    Case("schedules.publish", "province schedule", _schedule(PROVINCE_SCHEDULE, "/publish"), expect(302, "admin"), "POST", lambda w: {}, _schedules_unchanged),
    Case("schedules.publish", "missing schedule", lambda w: f"/admin/schedules/{w.missing}/publish", NOBODY, "POST", lambda w: {}),
    Case("schedules.retire", "Nan county schedule", _schedule(NAN_SCHEDULE, "/retire"), expect(303, "admin"), "POST", lambda w: {}, _schedules_unchanged),
    Case("schedules.retire", "missing schedule", lambda w: f"/admin/schedules/{w.missing}/retire", NOBODY, "POST", lambda w: {"reason": "x"}),
    Case("schedules.reference", "-", lambda w: "/admin/reference", expect(200, *SCHEDULE_VIEWERS)),
    Case("schedules.import_reference_file", "-", lambda w: "/admin/reference/import", expect(422, *ADMINS), "POST", lambda w: {}),
    # the JSON quote: any signed-in user; a form post (not JSON) is refused with 415
    Case("api.valuation_quote", "-", lambda w: "/api/v1/valuation/quote", expect(415, *ROLES[1:], anonymous=401), "POST", lambda w: {}),
)


@pytest.fixture
def world(app: Flask) -> World:
    return build_world(app)


def test_every_valuation_route_has_cases(app: Flask) -> None:
    ours = {"valuation", "schedules", "api"}
    routes = {(r.endpoint, m) for r in app.url_map.iter_rules() if r.endpoint.split(".")[0] in ours for m in (r.methods or set()) - {"HEAD", "OPTIONS"}}
    assert routes == {(c.endpoint, c.method) for c in VALUATION_CASES}
    with app.app_context():
        codes = [db.session.get(CompensationSchedule, i).code for i in (PROVINCE_SCHEDULE, NAN_SCHEDULE)]
    assert codes == ["hn-default-2024", "hn-nanxian-rice-2025"]


@pytest.mark.parametrize("role", ROLES)
def test_valuation_matrix(app: Flask, world: World, role: str) -> None:
    client = client_as(app, role)
    wrong = []
    for case in VALUATION_CASES:
        response = run_case(client, case, world, token=token_of(client) if case.method == "POST" else None)
        got, want = outcome(response), case.expect[role]
        if got != want:
            wrong.append(f"{case.name}: got {got}, expected {want}")
        problem = case.after(app, world, role) if case.after else None
        if problem:
            wrong.append(f"{case.name}: {problem}")
    assert not wrong, f"{role}:\n" + "\n".join(wrong)


ACTORS = ("officer", "admin", "officer_cl", "clerk")


def _actor(case: Case) -> str | None:
    return next((r for r in ACTORS if case.expect[r] not in (404, 405, "login")), None)


@pytest.mark.parametrize("case", [c for c in VALUATION_CASES if c.method == "POST" and _actor(c)], ids=lambda c: c.name)
def test_valuation_posts_need_the_csrf_token(app: Flask, world: World, case: Case) -> None:
    client = client_as(app, _actor(case))  # type: ignore[arg-type]
    assert run_case(client, case, world, token=None).status_code == 400
