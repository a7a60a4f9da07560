"""No mass assignment (quality.md 2): status, number, owner, version and the like change only through their
own workflow actions. Every form gets extra fields; the row is unchanged apart from the fields the form is for.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import inspect, select

from claims.accounts.models import Role, User
from claims.accounts.services import find_user
from claims.extensions import db
from claims.intake.models import Claim
from claims.intake.services import CLAIM_FIELDS
from tests.conftest import DEMO_PASSWORD, csrf_token
from tests.security.world import IDENTITIES, World, client_as, filing_form, region, world_for


@pytest.fixture
def world(app: Flask) -> World:
    return world_for(app)


def _claim_extras(world: World) -> dict[str, str]:
    """Columns of a claim that no filing form may set."""
    return {
        "id": "12345",
        "status": "paid",
        "number": "430921-2026-999999",
        "version": "99",
        "submission_key": "stolen-key",
        "filed_by_id": str(world.users["clerk"]),
        "claimant_user_id": str(world.users["villager2"]),
        "claimant_id_hash": "0" * 64,
        "bank_account_hash": "0" * 64,
        "estimated_amount": "999999.00",
        "species_covered": "y",
        "late_report": "",
        "due_at": "2099-01-01",
        "decision_reasons": "fraud",
        "decision_explanation": "x",
        "correction_items": "id_number",
        "survey_round": "7",
        "created_at": "2000-01-01T00:00",
        "submitted_at": "2000-01-01T00:00",
    }


def _row(app: Flask, model: type, row_id: int) -> dict[str, Any]:
    with app.app_context():
        obj = db.session.get(model, row_id)
        assert obj is not None
        return {attr.key: getattr(obj, attr.key) for attr in inspect(model).column_attrs}


def _changed(before: dict[str, Any], after: dict[str, Any]) -> set[str]:
    return {key for key in before if before[key] != after[key]}


def _filing_form(app: Flask, token: str, **overrides: str) -> dict[str, str]:
    return filing_form(app, token, IDENTITIES["draft_a"], **overrides)


FILING_FIELDS = set(CLAIM_FIELDS) | {"claimant_id_hash", "bank_account_hash", "updated_at", "version"}


def test_saving_a_draft_changes_only_the_filing_fields(app: Flask, world: World) -> None:
    claim_id = world.claims["draft_a"]
    before = _row(app, Claim, claim_id)
    client = client_as(app, "owner")
    data = _filing_form(app, csrf_token(client, f"/claims/{claim_id}/edit"), claimant_address="新地址") | _claim_extras(world)
    # `version` is the form's compare-and-set, not a column it sets: a forged one is a conflict, and nothing changes
    assert client.post(f"/claims/{claim_id}/edit", data=data).status_code == 409
    assert _row(app, Claim, claim_id) == before
    response = client.post(f"/claims/{claim_id}/edit", data=data | {"version": str(before["version"])})
    assert response.status_code == 302
    after = _row(app, Claim, claim_id)
    assert after["claimant_address"] == "新地址"
    assert _changed(before, after) <= FILING_FIELDS, _changed(before, after) - FILING_FIELDS
    assert after["version"] in (before["version"], before["version"] + 1)


def test_submitting_sets_number_and_state_through_the_workflow_only(app: Flask, world: World) -> None:
    claim_id = world.claims["draft_a"]
    before = _row(app, Claim, claim_id)
    client = client_as(app, "owner")
    data = _filing_form(app, csrf_token(client, f"/claims/{claim_id}/edit"), action="submit") | _claim_extras(world) | {"version": str(before["version"])}
    response = client.post(f"/claims/{claim_id}/edit", data=data)
    assert response.status_code == 302 and response.headers["Location"].endswith("/submitted")
    after = _row(app, Claim, claim_id)
    assert after["status"].value == "submitted"
    assert re.fullmatch(r"430921-\d{4}-\d{6}", after["number"]) and after["number"] != "430921-2026-999999"
    for key in ("id", "submission_key", "filed_by_id", "claimant_user_id", "estimated_amount", "survey_round", "created_at", "decision_reasons"):
        assert after[key] == before[key], key
    assert after["due_at"].year < 2099 and after["version"] < 10
    assert after["claimant_id_hash"] != "0" * 64 and after["bank_account_hash"] != "0" * 64


@pytest.mark.parametrize(("role", "path"), [("owner", "/claims/new"), ("clerk", "/claims/new"), ("clerk", "/claims/new-for-villager")])
def test_a_new_claim_belongs_to_whoever_files_it(app: Flask, world: World, role: str, path: str) -> None:
    client = client_as(app, role)
    data = _filing_form(app, csrf_token(client, path), claimant_name="王大明", claimant_mobile="13700000088") | _claim_extras(world)
    data["submission_key"] = "mass-assignment-new"
    assert client.post(path, data=data).status_code == 302
    with app.app_context():
        claim = db.session.execute(select(Claim).where(Claim.submission_key == "mass-assignment-new")).scalar_one()
        actor_id = world.users[role]
        assert claim.id != 12345 and claim.status.value == "draft" and claim.number is None
        assert claim.filed_by_id == actor_id
        assert claim.claimant_user_id == (None if path.endswith("villager") else actor_id)
        assert claim.estimated_amount is None and claim.survey_round == 0 and claim.version < 10
        assert claim.due_at is None and not claim.decision_reasons


@pytest.mark.parametrize("action", ["accept", "withdraw"])
def test_workflow_actions_take_nothing_but_their_own_fields(app: Flask, world: World, action: str) -> None:
    key, role, target = ("a", "clerk", "accepted") if action == "accept" else ("w", "owner", "withdrawn")
    claim_id = world.claims[key]
    before = _row(app, Claim, claim_id)
    client = client_as(app, role)
    data = _claim_extras(world) | {"csrf_token": csrf_token(client, "/")}
    data.pop("version")  # the form's own field, for compare-and-set
    assert client.post(f"/claims/{claim_id}/{action}", data=data).status_code == 302
    after = _row(app, Claim, claim_id)
    assert after["status"].value == target
    allowed = {"status", "version", "updated_at", "due_at", "correction_items", "correction_note"}
    assert _changed(before, after) <= allowed, _changed(before, after) - allowed


# --- accounts -----------------------------------------------------------------------------------------

USER_EXTRAS = {
    "id": "4242",
    "login": "renamed",
    "password_hash": "scrypt:1:1:1$x$y",
    "session_epoch": "0",
    "failed_logins": "0",
    "first_failed_at": "2000-01-01T00:00",
    "locked_until": "",
    "created_at": "2000-01-01T00:00",
    "password_changed_at": "2000-01-01T00:00",
    "locale": "en",
}


def test_admin_user_form_changes_only_its_fields(app: Flask) -> None:
    admin = client_as(app, "admin")
    with app.app_context():
        target = find_user("clerk_cl")
        assert target is not None
        target_id, region_id = target.id, target.region_id
    before = _row(app, User, target_id)
    data = {"name": "谭丽丽", "mobile": "13900000059", "role": "clerk", "region_id": str(region_id), "organisation": "", "password": "", "active": "y"}
    data |= USER_EXTRAS | {"csrf_token": csrf_token(admin, "/")}
    assert admin.post(f"/admin/users/{target_id}", data=data).status_code == 302
    after = _row(app, User, target_id)
    assert after["name"] == "谭丽丽" and after["mobile"] == "13900000059"
    allowed = {"name", "mobile", "role", "region_id", "organisation", "active"}
    assert _changed(before, after) <= allowed, _changed(before, after) - allowed


def test_admin_new_user_gets_defaults_for_everything_else(app: Flask) -> None:
    admin = client_as(app, "admin")
    with app.app_context():
        township = region("430921127").id
    data = {"login": "clerk_ma", "name": "新人", "mobile": "", "role": "clerk", "region_id": str(township), "organisation": "", "password": "Hunan-field-2026"}
    data |= {k: v for k, v in USER_EXTRAS.items() if k != "login"} | {"active": "y", "csrf_token": csrf_token(admin, "/")}
    assert admin.post("/admin/users/new", data=data).status_code == 302
    with app.app_context():
        user = find_user("clerk_ma")
        assert user is not None
        assert user.id != 4242 and user.session_epoch == 0 and user.failed_logins == 0 and user.locked_until is None
        assert user.password_hash != USER_EXTRAS["password_hash"] and user.locale is None
        assert user.created_at.year > 2000


def test_registration_makes_a_plain_villager(app: Flask) -> None:
    client = app.test_client()
    with app.app_context():
        province = region("430000").id
    token = csrf_token(client, "/register")
    data = {"mobile": "13655557777", "name": "钱多", "password": "Hunan-field-2026", "confirm": "Hunan-field-2026", "csrf_token": token}
    data |= USER_EXTRAS | {"role": "admin", "region_id": str(province), "organisation": "x", "active": "y", "login": "admin2"}
    assert client.post("/register", data=data).status_code == 302
    with app.app_context():
        assert find_user("admin2") is None
        user = find_user("13655557777")
        assert user is not None and user.role == Role.VILLAGER and user.region_id is None and user.organisation is None
        assert user.id != 4242 and user.locale is None


def test_password_change_changes_only_the_password(app: Flask) -> None:
    client = client_as(app, "owner")
    with app.app_context():
        user_id = find_user("13800000001").id  # type: ignore[union-attr]
    before = _row(app, User, user_id)
    data = {"current_password": DEMO_PASSWORD, "password": "Hunan-field-2026", "confirm": "Hunan-field-2026", "csrf_token": csrf_token(client, "/")}
    data |= USER_EXTRAS | {"role": "admin", "name": "改名", "active": ""}
    assert client.post("/account/password", data=data).status_code == 302
    after = _row(app, User, user_id)
    allowed = {"password_hash", "password_changed_at", "session_epoch"}
    assert _changed(before, after) <= allowed, _changed(before, after) - allowed
    assert after["session_epoch"] == before["session_epoch"] + 1
