"""The claimant's confirmation of the verified loss comes from the claimant (issue 11, item 8).

An officer can no longer confirm by typing the claimant's name: the officer types a code sent to the claimant's
mobile; or the claimant confirms in their own account; or a clerk uploads the signed form and attests it.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from claims.accounts.services import find_user
from claims.extensions import db
from claims.survey.models import ClaimantConfirmation, ConfirmationMethod
from claims.survey.operations import record_confirmation
from claims.survey.services import ConfirmationInput
from claims.workflow.models import OutboxMessage
from claims.workflow.services import WorkflowError
from claims.workflow.states import ClaimStatus
from tests.factories import advance


def surveyed(make_claim, login: str = "13800000001"):  # type: ignore[no-untyped-def]
    claim = make_claim(login)
    advance(claim, "surveyed")
    db.session.commit()
    return claim


def last_code(mobile: str) -> str:
    body = db.session.execute(select(OutboxMessage.body).where(OutboxMessage.recipient == mobile).order_by(OutboxMessage.id.desc())).scalars().first()
    assert body is not None
    return "".join(ch for ch in body.split("：", 1)[-1] if ch.isdigit())[:6]


def test_an_officer_typing_the_claimants_name_confirms_nothing(make_claim):  # type: ignore[no-untyped-def]
    claim = surveyed(make_claim)
    with pytest.raises(WorkflowError):
        record_confirmation(claim, ConfirmationInput(True, ConfirmationMethod.ON_SITE, typed_name=claim.claimant_name), actor=find_user("officer"))
    db.session.rollback()
    assert claim.status == ClaimStatus.SURVEYED


def test_an_officer_confirms_with_the_code_sent_to_the_claimants_mobile(make_claim):  # type: ignore[no-untyped-def]
    from claims.survey.operations import send_confirmation_code

    claim = surveyed(make_claim)
    officer = find_user("officer")
    send_confirmation_code(claim, actor=officer)
    db.session.commit()
    with pytest.raises(WorkflowError):
        wrong = "000000" if last_code(claim.claimant_mobile) != "000000" else "111111"
        record_confirmation(claim, ConfirmationInput(True, ConfirmationMethod.SMS_CODE, code=wrong), actor=officer)
    db.session.commit()  # the failed attempt is kept
    assert claim.status == ClaimStatus.SURVEYED
    record_confirmation(claim, ConfirmationInput(True, ConfirmationMethod.SMS_CODE, code=last_code(claim.claimant_mobile)), actor=officer)
    db.session.commit()
    confirmation = db.session.execute(select(ClaimantConfirmation).where(ClaimantConfirmation.claim_id == claim.id)).scalar_one()
    assert claim.status == ClaimStatus.CONFIRMED
    assert confirmation.method == ConfirmationMethod.SMS_CODE and confirmation.code_id is not None


def test_the_claimant_confirms_in_their_own_account(make_claim):  # type: ignore[no-untyped-def]
    claim = surveyed(make_claim)
    villager = find_user("13800000001")
    record_confirmation(claim, ConfirmationInput(True, ConfirmationMethod.ONLINE), actor=villager)
    db.session.commit()
    confirmation = db.session.execute(select(ClaimantConfirmation).where(ClaimantConfirmation.claim_id == claim.id)).scalar_one()
    assert confirmation.method == ConfirmationMethod.ONLINE and confirmation.recorded_by_id == villager.id


def test_a_paper_confirmation_needs_the_clerks_attestation(make_claim):  # type: ignore[no-untyped-def]
    from claims.intake.services import PhotoUpload
    from tests.intake.images import jpeg_bytes

    claim = surveyed(make_claim)
    clerk = find_user("clerk")
    scan = PhotoUpload(jpeg_bytes(seed=77), "scan.jpg")
    with pytest.raises(WorkflowError):
        record_confirmation(claim, ConfirmationInput(True, ConfirmationMethod.PAPER, paper_scan=scan), actor=clerk)
    db.session.rollback()
    attested = ConfirmationInput(True, ConfirmationMethod.PAPER, paper_scan=PhotoUpload(jpeg_bytes(seed=78), "scan.jpg"), attested=True)
    record_confirmation(claim, attested, actor=clerk)
    db.session.commit()
    confirmation = db.session.execute(select(ClaimantConfirmation).where(ClaimantConfirmation.claim_id == claim.id)).scalar_one()
    assert confirmation.method == ConfirmationMethod.PAPER and confirmation.attested_by_id == clerk.id and confirmation.document_photo_id


def test_the_officer_confirms_with_the_texted_code_on_the_claim_page(app, client):  # type: ignore[no-untyped-def]
    from claims.intake.models import Claim
    from claims.workflow.models import OneTimeCode
    from tests.conftest import csrf_token, login
    from tests.workflow.conftest import file_claim

    with app.app_context():
        claim = file_claim()
        advance(claim, "surveyed")
        db.session.commit()
        claim_id, mobile = claim.id, claim.claimant_mobile
    login(client, "officer")
    page = client.get(f"/claims/{claim_id}").get_data(as_text=True)
    assert f"/claims/{claim_id}/confirmation/code" in page and 'name="code"' in page and 'name="typed_name"' not in page
    token = csrf_token(client, f"/claims/{claim_id}")
    assert client.post(f"/claims/{claim_id}/confirmation/code", data={"csrf_token": token}).status_code == 302

    def answer(code: str):  # type: ignore[no-untyped-def]
        with app.app_context():
            version = db.session.get(Claim, claim_id).version
        form = {"csrf_token": token, "version": version, "decision": "confirm", "agree": "y", "code": code}
        return client.post(f"/claims/{claim_id}/confirmation", data=form)

    with app.app_context():
        code = last_code(mobile)
    answer("000000" if code != "000000" else "111111")
    with app.app_context():
        assert db.session.get(Claim, claim_id).status == ClaimStatus.SURVEYED
        row = db.session.execute(select(OneTimeCode).where(OneTimeCode.claim_id == claim_id)).scalar_one()
        assert row.attempts == 1  # the wrong attempt was kept, not rolled back
    answer(code)
    with app.app_context():
        assert db.session.get(Claim, claim_id).status == ClaimStatus.CONFIRMED
    assert "在勘查人员手机上输入申请人收到的短信验证码" in client.get(f"/claims/{claim_id}").get_data(as_text=True)  # the way is shown


def test_the_confirmation_panel_shows_what_the_survey_verified(app, client):  # type: ignore[no-untyped-def]
    """The panel "Confirm the verified loss" shows that loss in the panel itself, beside what was claimed: the survey's record
    comes further down the page, and the claimed losses above are not what is confirmed. The growth stage is part of it."""
    from tests.conftest import login
    from tests.factories import survey_input
    from tests.workflow.conftest import file_claim

    with app.app_context():
        claim = file_claim()
        survey = survey_input(claim, rate=60, stage="mature")
        survey.lines[0].quantity = claim.losses[0].quantity / 2
        advance(claim, "surveyed", survey=survey)
        db.session.commit()
        claim_id, claimed, verified = claim.id, claim.losses[0].quantity, survey.lines[0].quantity
    login(client, "13800000001")
    page = client.get(f"/claims/{claim_id}").get_data(as_text=True)
    panel = page[page.index('id="confirm-panel"') : page.index("</section>", page.index('id="confirm-panel"'))]
    cells = re.findall(r"<td>([^<]*)</td>", panel.split("<tbody>")[1])
    assert cells[1].startswith(f"{claimed:g}") and cells[2].startswith(f"{verified:g}") and cells[3] == "60%", cells
    assert cells[4] == "生长阶段：成熟期"
    assert panel.index("<table") < panel.index("我已看过上面核实的损失")
