"""Downloads within the claim's scope (404 outside it), and the public verification page."""

from __future__ import annotations

import hashlib
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from claims.accounts.services import find_user
from claims.documents.models import DocumentKind
from claims.documents.services import issue_document
from claims.extensions import db
from claims.intake.models import Claim
from claims.survey.models import SurveyOutcome
from tests.conftest import login
from tests.documents.conftest import documents_of, file_claim, nan_county, notice_list, surveyed


@pytest.fixture
def refused_claim(app: Flask) -> dict[str, object]:
    """A claim of 张建国 (13800000001) in 三仙湖镇 with its survey record and decision not to compensate."""
    with app.app_context():
        claim = surveyed(file_claim(), SurveyOutcome.NOT_COMPENSATED)
        docs = {d.kind: d for d in documents_of(claim)}
        info = {
            "claim": claim.id,
            "number": claim.number,
            "decision": docs[DocumentKind.REFUSAL].id,
            "record": docs[DocumentKind.SURVEY_RECORD].id,
            "code": docs[DocumentKind.REFUSAL].verification_code,
            "sha256": docs[DocumentKind.REFUSAL].sha256,
            "doc_number": docs[DocumentKind.REFUSAL].number,
        }
        other = file_claim("13800000002", seed=7)
        info["other_claim"] = other.id
        db.session.remove()
    return info


def _client(app: Flask, who: str | None) -> FlaskClient:
    client = app.test_client()
    if who is not None:
        login(client, who)
    return client


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("13800000001", 200),  # the claimant, from "My claims"
        ("13800000002", 404),  # another villager
        ("clerk", 200),  # the claim's township
        ("clerk2", 404),  # another township of the same county
        ("clerk_cl", 404),  # another county
        ("officer", 200),
        ("officer_cl", 404),
        ("approver", 200),
        ("insurer", 404),  # the claim was not referred to an insurer
        ("admin", 200),
    ],
)
def test_download_matrix(app: Flask, refused_claim: dict[str, object], who: str, status: int) -> None:
    client = _client(app, who)
    response = client.get(f"/claims/{refused_claim['claim']}/documents/{refused_claim['decision']}")
    assert response.status_code == status
    if status == 200:
        assert response.mimetype == "application/pdf"
        assert hashlib.sha256(response.data).hexdigest() == refused_claim["sha256"]
        disposition = response.headers["Content-Disposition"]
        assert disposition.startswith("attachment;") and re.fullmatch(r'attachment; filename="refusal-\d{4}-1\.pdf"', disposition)


def test_download_needs_login_and_the_right_claim(app: Flask, refused_claim: dict[str, object]) -> None:
    anonymous = _client(app, None).get(f"/claims/{refused_claim['claim']}/documents/{refused_claim['decision']}")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    owner = _client(app, "13800000001")
    assert owner.get(f"/claims/{refused_claim['other_claim']}/documents/{refused_claim['decision']}").status_code == 404  # not that claim's
    assert owner.get(f"/claims/{refused_claim['claim']}/documents/987654").status_code == 404
    assert owner.get(f"/documents/{refused_claim['decision']}").status_code == 404  # a claim's document is not a batch document


def test_claim_page_lists_the_documents(app: Flask, refused_claim: dict[str, object]) -> None:
    html = _client(app, "13800000001").get(f"/claims/{refused_claim['claim']}").get_data(as_text=True)
    assert f"/claims/{refused_claim['claim']}/documents/{refused_claim['decision']}" in html
    assert f"/claims/{refused_claim['claim']}/documents/{refused_claim['record']}" in html
    assert str(refused_claim["doc_number"]) in html


def test_batch_documents_are_for_the_countys_staff(app: Flask) -> None:
    """A notice list tied to no notice batch: the county's officers and approvers; no township's clerk
    (tests/documents/test_batch_scope.py has the lists of real batches)."""
    with app.app_context():
        document = issue_document(DocumentKind.NOTICE_LIST, None, notice_list(), actor=find_user("officer"), county=nan_county())
        db.session.commit()
        url = f"/documents/{document.id}"
        db.session.remove()
    expected = {"officer": 200, "approver": 200, "clerk": 404, "admin": 200, "13800000001": 404, "officer_cl": 404, "clerk_cl": 404, "insurer": 404}
    assert {who: _client(app, who).get(url).status_code for who in expected} == expected


def test_verification_page_shows_the_document_and_no_personal_data(app: Flask, refused_claim: dict[str, object]) -> None:
    response = _client(app, None).get(f"/verify/{refused_claim['code']}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for shown in (str(refused_claim["doc_number"]), "南县林业局", str(refused_claim["sha256"]), "不予补偿决定书"):
        assert shown in html, shown
    with app.app_context():
        claim = db.session.get(Claim, refused_claim["claim"])
        personal = [claim.claimant_name, claim.claimant_id_number, claim.claimant_id_number[-4:], claim.bank_account, claim.bank_account[-4:]]
        personal += [claim.claimant_mobile, claim.claimant_address, claim.number, "张*国", "4309**"]
        db.session.remove()
    for value in personal:
        assert value not in html, value


def test_verification_of_an_unknown_code_is_404(app: Flask) -> None:
    client = _client(app, None)
    assert client.get("/verify/not-a-code").status_code == 404
    assert client.get("/verify/" + "x" * 200).status_code == 404


def test_verification_page_of_a_replaced_document_says_so(app: Flask) -> None:
    from claims.documents.services import reissue_document

    with app.app_context():
        old = issue_document(DocumentKind.NOTICE_LIST, None, notice_list(), actor=find_user("officer"), county=nan_county())
        new = reissue_document(old, notice_list(2), actor=find_user("officer"))
        db.session.commit()
        old_code, new_code, new_number, old_number = old.verification_code, new.verification_code, new.number, old.number
        db.session.remove()
    client = _client(app, None)
    assert new_number in client.get(f"/verify/{old_code}").get_data(as_text=True)
    assert old_number in client.get(f"/verify/{new_code}").get_data(as_text=True)
