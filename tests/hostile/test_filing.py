"""The hostile-input battery on the filing form, as a villager and as a clerk filing for one.

Every item answers 422 with a Chinese message on the field, the form comes back with what was typed, and
nothing wrong is stored: the draft keeps only the fields that passed, and no claim is submitted.
"""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from claims.core import crypto
from claims.extensions import db
from claims.intake.models import Claim, LossLine
from claims.workflow.states import ClaimStatus
from tests.factories import BANK_ACCOUNT, VILLAGER, claim_form, open_form, parse_form, photo, post_form, resident_id
from tests.hostile.values import BAD_DATES, BAD_IDS, CONTROL_TEXTS, NOT_NUMBERS, deep_json, deep_object, fullwidth

DRAFT_URL = re.compile(r"/claims/(\d+)/edit$")
CJK = re.compile(r"[\u4e00-\u9fff]")
ROLES = {"villager": (VILLAGER, "/claims/new"), "clerk": ("clerk", "/claims/new-for-villager")}


def _file(app: Flask, client: FlaskClient, path: str, **overrides: str):  # type: ignore[no-untyped-def]
    page = open_form(client, path)
    data = claim_form(app, page, **overrides)
    response = post_form(client, path, data, [photo()])
    return response, data


def _refused(response, field: str):  # type: ignore[no-untyped-def]
    """The form came back (422) with a Chinese message on `field`; returns the page and the draft's id."""
    assert response.status_code == 422, (response.status_code, response.headers.get("Location"))
    page = parse_form(response.get_data(as_text=True))
    assert page.errors.get(field), (field, page.errors)
    assert all(CJK.search(message) for message in page.errors[field]), page.errors[field]
    match = DRAFT_URL.search(page.action)
    assert match, page.action
    return page, int(match.group(1))


def _draft(app: Flask, claim_id: int) -> Claim:
    with app.app_context():
        claim = db.session.get(Claim, claim_id)
        assert claim is not None
        assert claim.status == ClaimStatus.DRAFT  # nothing was submitted
        db.session.expunge(claim)
        return claim


@pytest.fixture(params=sorted(ROLES))
def filer(request: pytest.FixtureRequest, as_user):  # type: ignore[no-untyped-def]
    login, path = ROLES[request.param]
    return as_user(login), path


@pytest.mark.parametrize("value", BAD_DATES)
def test_an_incident_date_out_of_range_is_refused_at_once(app: Flask, filer, value: str) -> None:  # type: ignore[no-untyped-def]
    client, path = filer
    response, data = _file(app, client, path, incident_at=f"{value}T08:00", discovered_on=value)
    page, claim_id = _refused(response, "incident_at")
    assert page.errors.get("discovered_on"), page.errors
    assert page.value("incident_at") == f"{value}T08:00" and page.value("discovered_on") == value
    assert page.value("claimant_name") == data["claimant_name"]
    claim = _draft(app, claim_id)
    assert claim.incident_at is None and claim.discovered_on is None


@pytest.mark.parametrize(("label", "value"), CONTROL_TEXTS)
def test_control_characters_are_stripped_from_every_text_field(app: Flask, filer, label: str, value: str) -> None:  # type: ignore[no-untyped-def]
    client, path = filer
    fields = ("claimant_name", "claimant_address", "bank_name", "species_description", "description", "losses-0-item", "losses-0-note")
    response, _data = _file(app, client, path, **dict.fromkeys(fields, value))
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    claim_id = int(response.headers["Location"].split("/")[2])
    with app.app_context():
        claim = db.session.get(Claim, claim_id)
        assert claim is not None and claim.status == ClaimStatus.SUBMITTED
        stored = [claim.claimant_name, claim.claimant_address, claim.bank_name, claim.species_description, claim.description]
        stored += [claim.losses[0].item, claim.losses[0].note]
    assert stored == ["张三"] * len(stored), (label, stored)


def test_a_nul_in_the_photo_file_name_is_stripped(app: Flask, as_user) -> None:  # type: ignore[no-untyped-def]
    client = as_user(VILLAGER)
    page = open_form(client)
    response = post_form(client, "/claims/new", claim_form(app, page), [photo(name="da\x00mage.jpg")])
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


@pytest.mark.parametrize("value", NOT_NUMBERS)
def test_a_quantity_that_is_not_a_number_is_refused(app: Flask, filer, value: str) -> None:  # type: ignore[no-untyped-def]
    client, path = filer
    response, _data = _file(app, client, path, **{"losses-0-quantity": value, "losses-0-medical_costs": value})
    page, claim_id = _refused(response, "losses-0-quantity")
    assert page.value("losses-0-quantity") == value
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LossLine).where(LossLine.claim_id == claim_id)) == 0


@pytest.mark.parametrize("field", ["species_id", "county_id", "township_id", "village_id"])
@pytest.mark.parametrize("value", BAD_IDS)
def test_an_unknown_or_impossible_id_is_refused(app: Flask, filer, field: str, value: str) -> None:  # type: ignore[no-untyped-def]
    client, path = filer
    response, _data = _file(app, client, path, **{field: value})
    _page, claim_id = _refused(response, "village_id" if field.endswith("ship_id") or field.startswith("county") else field)
    claim = _draft(app, claim_id)
    assert getattr(claim, field) is None or str(getattr(claim, field)) != value


@pytest.mark.parametrize("meta", [deep_json(), deep_object(), "[" * 100_000, '{"name": "\x00"}', "null", "1e999"])
def test_hostile_photo_metadata_is_ignored(app: Flask, as_user, meta: str) -> None:  # type: ignore[no-untyped-def]
    client = as_user(VILLAGER)
    response, _data = _file(app, client, "/claims/new", photo_meta=meta)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


@pytest.mark.parametrize("key", ["x" * 5000, "\x00" * 40, "'; drop table claims; --", ""])
def test_a_forged_submission_key_files_one_claim(app: Flask, as_user, key: str) -> None:  # type: ignore[no-untyped-def]
    client = as_user(VILLAGER)
    response, _data = _file(app, client, "/claims/new", submission_key=key)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    with app.app_context():
        keys = db.session.scalars(select(Claim.submission_key)).all()
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{8,40}", k) for k in keys if k), keys


def test_full_width_numbers_are_stored_as_ascii_digits(app: Flask, filer) -> None:  # type: ignore[no-untyped-def]
    client, path = filer
    id_number = resident_id("43092119700101123")
    mobile = "13912345678"
    response, _data = _file(app, client, path, claimant_id_number=fullwidth(id_number), claimant_mobile=fullwidth(mobile), bank_account=fullwidth(BANK_ACCOUNT))
    assert response.status_code == 302, parse_form(response.get_data(as_text=True)).errors
    claim_id = int(response.headers["Location"].split("/")[2])
    with app.app_context():
        claim = db.session.get(Claim, claim_id)
        assert claim is not None
        assert (claim.claimant_id_number, claim.claimant_mobile, claim.bank_account) == (id_number, mobile, BANK_ACCOUNT)
        assert claim.bank_account_hash == crypto.lookup_hash(BANK_ACCOUNT)


@pytest.mark.parametrize(
    ("field", "value"),
    [("bank_account", "6217٩95500001234567"), ("claimant_mobile", "1٣800000001"), ("claimant_id_number", "43092119650315123٩")],
)
def test_digits_of_other_scripts_are_refused(app: Flask, filer, field: str, value: str) -> None:  # type: ignore[no-untyped-def]
    client, path = filer
    response, _data = _file(app, client, path, **{field: value})
    page, claim_id = _refused(response, field)
    assert page.value(field) == value
    assert getattr(_draft(app, claim_id), field) is None


def test_withdrawing_a_draft_works(app: Flask, as_user) -> None:  # type: ignore[no-untyped-def]
    client = as_user(VILLAGER)
    response, _data = _file(app, client, "/claims/new", action="save")
    claim_id = int(DRAFT_URL.search(response.headers["Location"]).group(1))  # type: ignore[union-attr]
    detail = client.get(f"/claims/{claim_id}").get_data(as_text=True)
    assert f"/claims/{claim_id}/withdraw" in detail  # the button is on the draft's page
    panel = detail[detail.index('id="withdraw-panel"') :]
    # behind a second step that says what it means: one tap does not end a claim for good
    assert panel.index("<details>") < panel.index("撤回后，这件申请不再办理，也不能恢复。") < panel.index("确认撤回这件申请")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', detail).group(1)  # type: ignore[union-attr]
    version = re.search(r'name="version"[^>]*value="(\d*)"', detail)
    data = {"csrf_token": token, **({"version": version.group(1)} if version else {})}
    response = client.post(f"/claims/{claim_id}/withdraw", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    with app.app_context():
        assert db.session.get(Claim, claim_id).status == ClaimStatus.WITHDRAWN  # type: ignore[union-attr]
