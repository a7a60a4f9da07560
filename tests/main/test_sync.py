"""Drafts sent from the phone (claims/core/sync.py): the filing and survey forms answer `X-Claims-Sync: 1` in JSON, a
repeated send records one claim or one survey, a changed claim answers with the server's version, an expired
session or token says so, and the form pages that work offline name their account's draft owner."""

from __future__ import annotations

import io
import json
import re
from typing import Any

from flask import Flask, Response, g
from flask.testing import FlaskClient
from sqlalchemy import func, select

from claims.accounts.models import Role, User
from claims.accounts.services import find_user
from claims.core.sync import ACCOUNT_HEADER, OWNER_HEADER, draft_owner, name_account
from claims.extensions import db
from claims.intake import review
from claims.intake.models import Claim, Photo
from claims.survey.models import FieldSurvey
from claims.workflow.states import ClaimStatus
from tests.conftest import login
from tests.factories import VILLAGER, claim_count, claim_form, file_claim, open_form, photo, photos, post_form
from tests.intake.images import jpeg_bytes
from tests.survey.test_survey_fields import _assigned, _form

SYNC = {"X-Claims-Sync": "1"}


def _json(response) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    assert response.mimetype == "application/json", (response.status_code, response.get_data(as_text=True)[:500])
    return json.loads(response.get_data(as_text=True))


def _survey_data(app: Flask, client: FlaskClient, claim_id: int, **extra: Any) -> dict[str, Any]:
    page = client.get(f"/claims/{claim_id}/survey").get_data(as_text=True)
    key = re.search(r'name="submission_key" type="hidden" value="([0-9a-f]+)"', page)
    assert key, "the survey form carries its key"
    return _form(app, client, claim_id, submission_key=key.group(1), **extra)


def _send_survey(client: FlaskClient, claim_id: int, data: dict[str, Any]):  # type: ignore[no-untyped-def]
    fields = {**data, "photos": photo(jpeg_bytes(seed=71), "site-1.jpg")}
    return client.post(f"/claims/{claim_id}/survey", data=fields, content_type="multipart/form-data", headers=SYNC)


def _surveys(app: Flask, claim_id: int) -> int:
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(FieldSurvey).where(FieldSurvey.claim_id == claim_id)).scalar_one()


def test_a_survey_sent_twice_is_recorded_once_and_both_sends_are_answered_done(app: Flask, client: FlaskClient) -> None:
    claim_id = _assigned(app)
    login(client, "officer2")
    data = _survey_data(app, client, claim_id)
    first = _json(_send_survey(client, claim_id, data))
    assert first["result"] == "done" and first["url"] == f"/claims/{claim_id}"
    again = _send_survey(client, claim_id, data)  # the phone never got the first answer: it sends again
    assert again.status_code == 200 and _json(again)["result"] == "done"
    assert _surveys(app, claim_id) == 1
    with app.app_context():
        survey = db.session.execute(select(FieldSurvey).where(FieldSurvey.claim_id == claim_id)).scalar_one()
        assert survey.submission_key == data["submission_key"]
        assert db.session.execute(select(func.count()).select_from(Photo).where(Photo.claim_id == claim_id, Photo.stage == "survey")).scalar_one() == 1


def test_a_survey_meeting_a_changed_claim_gets_the_servers_version_and_nothing_is_recorded(app: Flask, client: FlaskClient) -> None:
    claim_id = _assigned(app)
    login(client, "officer2")
    data = _survey_data(app, client, claim_id, explanation="田里一片狼藉")
    with app.app_context():  # meanwhile somebody changed the claim on the server
        claim = db.session.get(Claim, claim_id)
        claim.version += 1
        db.session.commit()
        now = claim.version
    response = _send_survey(client, claim_id, data)
    assert response.status_code == 409
    body = _json(response)
    assert body["result"] == "conflict" and body["server"]["version"] == now
    assert body["server"]["status"] and body["server"]["history"]  # what the phone shows beside its own version
    assert "此期间" in body["message"]
    assert _surveys(app, claim_id) == 0


def test_the_conflict_shows_a_survey_recorded_meanwhile_under_the_forms_names(app: Flask, client: FlaskClient) -> None:
    claim_id = _assigned(app)
    login(client, "officer2")
    mine = _survey_data(app, client, claim_id)
    theirs = _survey_data(app, client, claim_id, surveyors_present="另一组：李明、王芳")
    assert _json(_send_survey(client, claim_id, theirs))["result"] == "done"
    response = _send_survey(client, claim_id, mine)  # the older draft, with the version both were made from
    body = _json(response)
    assert response.status_code == 409 and body["result"] == "conflict", body  # the version moved before the state was checked
    assert body["server"]["fields"]["surveyors_present"] == "另一组：李明、王芳"
    assert body["server"]["fields"]["lines-0-quantity"] == "1"
    assert _surveys(app, claim_id) == 1


def test_a_survey_with_wrong_fields_comes_back_with_messages_by_input_name(app: Flask, client: FlaskClient) -> None:
    claim_id = _assigned(app)
    login(client, "officer2")
    data = _survey_data(app, client, claim_id, surveyors_present="", **{"lines-0-quantity": "-3"})
    response = _send_survey(client, claim_id, data)
    assert response.status_code == 422
    body = _json(response)
    assert body["result"] == "invalid"
    assert "surveyors_present" in body["errors"] and "lines-0-quantity" in body["errors"]
    assert all(re.search(r"[\u4e00-\u9fff]", m) for messages in body["errors"].values() for m in messages)
    assert _surveys(app, claim_id) == 0


def test_an_expired_session_and_an_old_token_are_answered_so_the_phone_keeps_the_draft(app: Flask, client: FlaskClient) -> None:
    claim_id = _assigned(app)
    login(client, "officer2")
    data = _survey_data(app, client, claim_id)
    stale = _send_survey(client, claim_id, {**data, "csrf_token": "old"})
    assert stale.status_code == 400 and _json(stale)["result"] == "csrf"
    session = _json(client.get("/sync/session", headers=SYNC))
    assert session["result"] == "session" and session["token"]
    fresh = _send_survey(client, claim_id, {**data, "csrf_token": session["token"]})
    assert _json(fresh)["result"] == "done"

    client.post("/logout", data={"csrf_token": session["token"]})
    gone = _send_survey(client, claim_id, data)
    assert gone.status_code == 401 and _json(gone) | {"message": ""} == {"result": "login", "message": "", "url": "/login"}
    assert client.get("/sync/session", headers=SYNC).status_code == 401


def test_the_session_names_an_opaque_owner_per_account(app: Flask, client: FlaskClient) -> None:
    login(client, "officer2")
    officer = _json(client.get("/sync/session"))["owner"]
    login(client, "clerk")
    clerk = _json(client.get("/sync/session"))["owner"]
    assert officer != clerk and re.fullmatch(r"[0-9a-f]{20}", officer)
    with app.app_context():
        from claims.accounts.services import find_user

        assert str(find_user("clerk").id) not in (clerk,)


def test_the_offline_forms_name_their_owner_and_other_pages_do_not(app: Flask, client: FlaskClient) -> None:
    claim_id = _assigned(app)
    login(client, "officer2")
    owner = _json(client.get("/sync/session"))["owner"]
    assert client.get(f"/claims/{claim_id}/survey").headers.get(OWNER_HEADER) == owner
    assert OWNER_HEADER not in client.get(f"/claims/{claim_id}").headers
    assert OWNER_HEADER not in client.get("/queue").headers
    login(client, "clerk")
    assert client.get("/claims/new-for-villager").headers.get(OWNER_HEADER)
    with app.app_context():
        proxy = file_claim("clerk", submit=False)
        db.session.commit()
        proxy_id = proxy.id
    # a clerk's form of a villager's claim holds that villager's ID number and account: never kept on the phone
    assert OWNER_HEADER not in client.get(f"/claims/{proxy_id}/edit").headers
    # A claim returned for correction: its form too opens again on the villager's phone without a signal.
    with app.app_context():
        claim = file_claim()
        review.return_claim(claim, ["photos"], None, actor=find_user("clerk"))
        db.session.commit()
        returned_id = claim.id
    login(client, VILLAGER)
    mine = _json(client.get("/sync/session"))["owner"]
    page = client.get(f"/claims/{returned_id}/edit")
    assert page.headers.get(OWNER_HEADER) == mine and 'data-draft="claim"' in page.get_data(as_text=True)
    # Kept on the phone while the claim moved on (here withdrawn meanwhile): the phone hears why, not a page.
    with app.app_context():
        from claims.intake import operations

        claim = db.session.get(Claim, returned_id)
        operations.withdraw_claim(claim, None, actor=find_user(VILLAGER))
        db.session.commit()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    late = client.post(f"/claims/{returned_id}/edit", data={"csrf_token": token, "action": "submit"}, headers=SYNC)
    assert late.status_code == 422 and _json(late)["result"] == "refused" and _json(late)["url"] == f"/claims/{returned_id}"
    assert "不能" in _json(late)["message"]


def test_a_filing_sent_twice_files_one_claim(app: Flask, client: FlaskClient) -> None:
    login(client, VILLAGER)
    page = open_form(client)
    data = claim_form(app, page)
    first = post_form(client, "/claims/new", data, photos(2), headers=SYNC)
    body = _json(first)
    assert body["result"] == "done" and re.fullmatch(r"/claims/\d+/submitted", body["url"])
    second = _json(post_form(client, "/claims/new", data, photos(2), headers=SYNC))
    assert second == body
    assert claim_count(app) == 1
    with app.app_context():
        claim = db.session.execute(select(Claim)).scalar_one()
        assert claim.status == ClaimStatus.SUBMITTED and len(claim.photos) == 2


def test_a_filing_that_cannot_be_submitted_arrives_as_a_draft_with_its_problems(app: Flask, client: FlaskClient) -> None:
    login(client, VILLAGER)
    page = open_form(client)
    data = claim_form(app, page, **{"losses-0-quantity": "-1"})
    response = post_form(client, "/claims/new", data, photos(1), headers=SYNC)
    assert response.status_code == 422
    body = _json(response)
    assert body["result"] == "invalid" and "losses-0-quantity" in body["errors"]
    assert re.fullmatch(r"/claims/\d+/edit", body["url"])
    with app.app_context():
        claim = db.session.execute(select(Claim)).scalar_one()
        assert claim.status == ClaimStatus.DRAFT and len(claim.photos) == 1  # what passed is kept on the server
    shown = client.get(body["url"]).get_data(as_text=True)
    assert data["bank_name"] in shown and "/thumb" in shown  # the draft's page, where it is corrected, has it all


def test_a_photo_resized_by_the_phone_says_so_on_the_claim(app: Flask, client: FlaskClient) -> None:
    login(client, VILLAGER)
    page = open_form(client)
    blob = jpeg_bytes(seed=5)
    meta = json.dumps([{"name": "small.jpg", "size": len(blob), "ft": 1764720000000, "lat": 27.1, "lon": 113.2, "acc": 8, "resized": True}])
    data = claim_form(app, page, photo_meta=meta)
    body = _json(post_form(client, "/claims/new", data, [photo(blob, "small.jpg"), photo(jpeg_bytes(seed=6), "big.jpg")], headers=SYNC))
    claim_id = int(body["url"].split("/")[2])
    with app.app_context():
        flags = {p.filename if hasattr(p, "filename") else p.sha256: p.resized_on_phone for p in db.session.get(Claim, claim_id).photos}
        assert sorted(flags.values()) == [False, True]
    assert "手机发送前已缩小" in client.get(f"/claims/{claim_id}").get_data(as_text=True)


def test_an_upload_cut_half_way_records_nothing_and_the_whole_send_again_arrives(app: Flask, client: FlaskClient) -> None:
    from werkzeug.datastructures import FileStorage, MultiDict
    from werkzeug.test import encode_multipart

    claim_id = _assigned(app)
    login(client, "officer2")
    data = _survey_data(app, client, claim_id)
    fields: MultiDict[str, Any] = MultiDict()
    for name, value in data.items():
        for item in value if isinstance(value, list) else [value]:
            fields.add(name, item)
    fields.add("photos", FileStorage(stream=io.BytesIO(jpeg_bytes(seed=72)), filename="site-1.jpg", content_type="image/jpeg"))
    boundary, body = encode_multipart(fields)
    cut = client.post(
        f"/claims/{claim_id}/survey",
        input_stream=io.BytesIO(body[: len(body) // 2]),  # the signal went half-way through the photo
        content_length=len(body),
        content_type=f"multipart/form-data; boundary={boundary}",
        headers=SYNC,
    )
    assert cut.status_code == 400 and _json(cut)["result"] in ("csrf", "error")  # the token never arrived, or the body
    assert _surveys(app, claim_id) == 0
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(Photo).where(Photo.claim_id == claim_id, Photo.stage == "survey")).scalar_one() == 0
    whole = client.post(f"/claims/{claim_id}/survey", data=body, content_type=f"multipart/form-data; boundary={boundary}", headers=SYNC)
    assert _json(whole)["result"] == "done" and _surveys(app, claim_id) == 1


def test_errors_answer_a_phone_in_json_never_a_crash(app: Flask, client: FlaskClient) -> None:
    claim_id = _assigned(app)
    login(client, "officer")  # assigned too, to read the form; then a claim this officer may not see
    data = _survey_data(app, client, claim_id)
    gone = _send_survey(client, 10**6, data)
    assert gone.status_code == 404 and _json(gone)["result"] == "error" and re.search(r"[\u4e00-\u9fff]", _json(gone)["message"])
    login(client, "clerk")  # a role that does no surveys: 404, as for the page
    token = _json(client.get("/sync/session"))["token"]
    refused = _send_survey(client, claim_id, {**data, "csrf_token": token})
    assert refused.status_code == 404 and _json(refused)["result"] == "error"
    app.config["MAX_CONTENT_LENGTH"] = 1000
    try:
        login(client, "officer")
        big = _send_survey(client, claim_id, {**data, "csrf_token": _json(client.get("/sync/session"))["token"]})
        assert big.status_code == 413 and _json(big)["result"] == "error"
    finally:
        app.config["MAX_CONTENT_LENGTH"] = 100 * 1024 * 1024


def test_a_survey_key_already_used_on_another_claim_records_this_survey(app: Flask, client: FlaskClient) -> None:
    first, second = _assigned(app), _assigned(app)
    login(client, "officer2")
    data = _survey_data(app, client, first)
    assert _json(_send_survey(client, first, data))["result"] == "done"
    other = {**_survey_data(app, client, second), "submission_key": data["submission_key"]}  # the same key, another claim
    assert _json(_send_survey(client, second, other))["result"] == "done"
    assert _surveys(app, first) == 1 and _surveys(app, second) == 1


def test_every_page_names_its_account_even_when_the_new_account_was_rolled_back(app: Flask) -> None:
    """The header comes from the user's identity (no reload); an account registered in a request whose commit then
    failed has none: the page says nobody's, instead of the after-request hook failing."""
    with app.test_request_context("/"):
        g.user = User(login="13900000009", name="新村民", role=Role.VILLAGER, password_hash="x")
        db.session.add(g.user)
        db.session.flush()
        kept = g.user.id
        db.session.rollback()  # the commit failed: the account does not exist, its object lost its identity
        assert name_account(Response("<p></p>", mimetype="text/html")).headers[ACCOUNT_HEADER] == "-"
        g.user = db.session.get(User, 1)
        db.session.rollback()  # a GET's rollback expires the row: its id still names the account, with no query
        assert name_account(Response("<p></p>", mimetype="text/html")).headers[ACCOUNT_HEADER] == draft_owner(1)
        assert kept is not None


def test_a_correction_over_a_claim_changed_meanwhile_saves_nothing_and_shows_both(app: Flask, client: FlaskClient) -> None:
    """A correction kept on the phone while the clerk fixed the bank account on the server: sent later, it does not put
    the old account back. The phone gets both versions to choose from; the page says so and keeps what was typed."""
    from claims.intake import review

    with app.app_context():
        claim = file_claim()
        review.return_claim(claim, ["bank_account"], "卡号有误", actor=find_user("clerk"))
        db.session.commit()
        claim_id = claim.id
    login(client, VILLAGER)
    page = client.get(f"/claims/{claim_id}/edit").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    version = re.search(r'name="version" value="(\d+)"', page).group(1)  # type: ignore[union-attr]
    with app.app_context():  # meanwhile the clerk corrects the account on the villager's behalf
        claim = db.session.get(Claim, claim_id)
        claim.bank_account = "6222020200000000001"
        db.session.commit()
    typed = {"csrf_token": token, "version": version, "claimant_address": "南县三仙湖镇新地址", "bank_account": "6217995500001234567", "action": "save"}
    late = client.post(f"/claims/{claim_id}/edit", data=typed, headers=SYNC)
    answer = _json(late)
    assert late.status_code == 409 and answer["result"] == "conflict"
    assert answer["server"]["fields"]["bank_account"] == "6222020200000000001" and answer["server"]["version"] > int(version)
    # Its latest changes read as on the villager's claim page: the clerk who returned it by role, not by name.
    clerk_name = _name_of(app, "clerk")
    assert answer["server"]["history"] and not any(clerk_name in line for line in answer["server"]["history"])
    assert clerk_name not in client.get(f"/claims/{claim_id}").get_data(as_text=True)
    again = client.post(f"/claims/{claim_id}/edit", data=typed)  # the ordinary post: the form again, with the message
    text = again.get_data(as_text=True)
    assert again.status_code == 409 and "南县三仙湖镇新地址" in text and "已被他人更改" in text
    with app.app_context():
        assert db.session.get(Claim, claim_id).bank_account == "6222020200000000001"  # nothing saved over it


def _name_of(app: Flask, login_name: str) -> str:
    with app.app_context():
        return find_user(login_name).name
