"""An account is linked to a claim filed by someone else only with proof (issue 11, item 3).

A mobile number is proven by a one-time code sent to it, and the claimant's ID number must match; or the
villager types the one-time claim code printed on the clerk's receipt, with the ID number.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from claims.accounts.services import find_user, register_villager
from claims.core import time as clock
from claims.core.time import utcnow
from claims.extensions import db
from claims.intake.models import Claim
from claims.intake.permissions import can_view_claim
from claims.workflow.models import OutboxMessage
from tests.workflow.conftest import file_claim, resident_id

MOBILE = "13700000009"  # the mobile number tests/workflow/conftest.py's clerk files for 王老汉
ID_NUMBER = resident_id()


def squatter():  # type: ignore[no-untyped-def]
    """Someone who registered 王老汉's mobile number and name before the clerk filed for him."""
    user = register_villager(mobile=MOBILE, name="王老汉", password="Squat#2026xy")
    db.session.commit()
    return user


def last_code(mobile: str) -> str:
    """The code in the last text message sent to `mobile` (the only place the code exists in clear)."""
    body = db.session.execute(select(OutboxMessage.body).where(OutboxMessage.recipient == mobile).order_by(OutboxMessage.id.desc())).scalars().first()
    assert body is not None
    return "".join(ch for ch in body.split("：", 1)[-1] if ch.isdigit())[:6]


def test_registering_a_villagers_mobile_and_name_no_longer_takes_over_the_claim(ctx):  # type: ignore[no-untyped-def]
    user = squatter()
    claim = file_claim("clerk")
    assert claim.claimant_user_id is None
    assert not can_view_claim(user, claim)


def test_a_proven_mobile_and_matching_id_number_link_the_claim(ctx):  # type: ignore[no-untyped-def]
    from claims.intake.operations import link_by_mobile_code, send_link_code
    from claims.workflow.codes import CodeRejected

    user = squatter()
    claim = file_claim("clerk")
    send_link_code(user)
    db.session.commit()
    code = last_code(MOBILE)
    with pytest.raises(CodeRejected):  # the right code with someone else's ID number links nothing
        link_by_mobile_code(user, code, resident_id("43092119700101123"))
    db.session.commit()
    assert claim.claimant_user_id is None
    linked = link_by_mobile_code(user, code, ID_NUMBER)
    db.session.commit()
    assert [c.id for c in linked] == [claim.id] and claim.claimant_user_id == user.id
    assert can_view_claim(user, claim)


def test_the_claim_code_on_the_receipt_links_with_the_id_number_once(ctx):  # type: ignore[no-untyped-def]
    from claims.intake.operations import issue_claim_code, link_by_claim_code
    from claims.workflow.codes import CodeRejected

    claim = file_claim("clerk")
    code = issue_claim_code(claim, actor=find_user("clerk"))
    db.session.commit()
    villager = find_user("13800000002")
    with pytest.raises(CodeRejected):
        link_by_claim_code(villager, code, resident_id("43092119700101123"))
    db.session.commit()
    assert link_by_claim_code(villager, code.lower(), ID_NUMBER).id == claim.id
    db.session.commit()
    assert claim.claimant_user_id == villager.id
    with pytest.raises(CodeRejected):  # single use
        link_by_claim_code(find_user("13800000001"), code, ID_NUMBER)


def test_no_claim_code_is_stored_in_the_receipt_and_the_filed_number_hears_of_codes_and_links(ctx):  # type: ignore[no-untyped-def]
    """The stored receipt is read by every staff member of the claim (and its insurer): a live code there would let
    any of them link the claim to an account of their own. The clerk hands a code over once; the mobile given at
    filing is texted when a code is issued and when the claim is linked."""
    from claims.documents.builders import receipt_data
    from claims.documents.data import to_jsonable
    from claims.intake.operations import issue_claim_code, link_by_claim_code
    from claims.workflow.models import OutboxMessage

    claim = file_claim("clerk")
    assert "claim_code" not in to_jsonable(receipt_data(claim))
    code = issue_claim_code(claim, actor=find_user("clerk"))
    link_by_claim_code(find_user("13800000002"), code, ID_NUMBER)
    db.session.commit()
    texts = db.session.execute(select(OutboxMessage.body).where(OutboxMessage.recipient == claim.claimant_mobile)).scalars().all()
    assert any("案件码" in t for t in texts) and any("关联" in t for t in texts)


def test_an_sms_code_expires(ctx):  # type: ignore[no-untyped-def]
    from claims.intake.operations import link_by_mobile_code, send_link_code
    from claims.workflow.codes import SMS_CODE_MINUTES, CodeRejected

    user = squatter()
    file_claim("clerk")
    send_link_code(user)
    db.session.commit()
    clock.freeze(utcnow() + timedelta(minutes=SMS_CODE_MINUTES, seconds=1))
    with pytest.raises(CodeRejected):
        link_by_mobile_code(user, last_code(MOBILE), ID_NUMBER)


def test_an_sms_code_allows_a_few_attempts_only(ctx):  # type: ignore[no-untyped-def]
    from claims.intake.operations import link_by_mobile_code, send_link_code
    from claims.workflow.codes import MAX_ATTEMPTS, CodeRejected

    user = squatter()
    file_claim("clerk")
    send_link_code(user)
    db.session.commit()
    code = last_code(MOBILE)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(MAX_ATTEMPTS):
        with pytest.raises(CodeRejected):
            link_by_mobile_code(user, wrong, ID_NUMBER)
        db.session.commit()
    with pytest.raises(CodeRejected):  # the right code is dead now
        link_by_mobile_code(user, code, ID_NUMBER)


def test_an_sms_code_is_single_use(ctx):  # type: ignore[no-untyped-def]
    from claims.intake.operations import link_by_mobile_code, send_link_code
    from claims.workflow.codes import CodeRejected

    user = squatter()
    file_claim("clerk")
    send_link_code(user)
    db.session.commit()
    code = last_code(MOBILE)
    link_by_mobile_code(user, code, ID_NUMBER)
    db.session.commit()
    with pytest.raises(CodeRejected):
        link_by_mobile_code(user, code, ID_NUMBER)


def test_sending_codes_is_throttled(ctx):  # type: ignore[no-untyped-def]
    from claims.intake.operations import send_link_code
    from claims.workflow.codes import CodeRejected

    user = squatter()
    send_link_code(user)
    db.session.commit()
    with pytest.raises(CodeRejected):  # a second code within the minute is refused
        send_link_code(user)
    start = utcnow()
    try:
        sent = 1
        with pytest.raises(CodeRejected):  # and at most a handful an hour
            for minute in range(1, 30):
                clock.freeze(start + timedelta(minutes=2 * minute))
                send_link_code(user)
                db.session.commit()
                sent += 1
        assert 3 <= sent <= 10
    finally:
        clock.freeze(None)


def test_the_villager_links_a_claim_on_the_link_page(app, client):  # type: ignore[no-untyped-def]
    from tests.conftest import csrf_token, login

    with app.app_context():
        squatter()
        claim_id = file_claim("clerk").id
    login(client, MOBILE, "Squat#2026xy")
    page = client.get("/claims/link")
    assert page.status_code == 200 and "短信验证码" in page.get_data(as_text=True)
    client.post("/claims/link/send-code", data={"csrf_token": csrf_token(client, "/claims/link")})
    with app.app_context():
        code = last_code(MOBILE)
    wrong = client.post("/claims/link", data={"csrf_token": csrf_token(client, "/claims/link"), "code": code, "id_number": "4309"})
    assert wrong.status_code == 422 and "4309" in wrong.get_data(as_text=True)  # nothing entered is lost
    done = client.post("/claims/link", data={"csrf_token": csrf_token(client, "/claims/link"), "code": code, "id_number": ID_NUMBER})
    assert done.status_code == 302
    assert client.get(f"/claims/{claim_id}").status_code == 200
    with app.app_context():
        assert db.session.get(Claim, claim_id).claimant_user_id is not None


def test_the_clerk_gives_a_new_claim_code_for_a_lost_receipt(app, client):  # type: ignore[no-untyped-def]
    import re

    from claims.intake.operations import issue_claim_code, link_by_claim_code
    from claims.workflow.codes import CodeRejected
    from tests.conftest import csrf_token, login

    with app.app_context():
        claim = file_claim("clerk")
        claim_id = claim.id
        old = issue_claim_code(claim, actor=find_user("clerk"))
        db.session.commit()
    login(client, "clerk")
    page = client.post(f"/claims/{claim_id}/claim-code", data={"csrf_token": csrf_token(client, f"/claims/{claim_id}")})
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    new = re.search(r'id="claim-code"><strong>([A-Z0-9-]+)<', page.get_data(as_text=True)).group(1)
    with app.app_context():
        villager = find_user("13800000002")
        with pytest.raises(CodeRejected):  # the old receipt's code stopped working
            link_by_claim_code(villager, old, ID_NUMBER)
        db.session.rollback()
        assert link_by_claim_code(villager, new, ID_NUMBER).id == claim_id


def test_a_claim_code_dies_after_a_few_wrong_id_numbers(ctx):  # type: ignore[no-untyped-def]
    from claims.intake.operations import issue_claim_code, link_by_claim_code
    from claims.workflow.codes import MAX_ATTEMPTS, CodeRejected

    claim = file_claim("clerk")
    code = issue_claim_code(claim, actor=find_user("clerk"))
    db.session.commit()
    villager = find_user("13800000002")
    for _ in range(MAX_ATTEMPTS):
        with pytest.raises(CodeRejected):
            link_by_claim_code(villager, code, resident_id("43092119700101123"))
        db.session.commit()
    with pytest.raises(CodeRejected):  # now even the right ID number is refused: the clerk gives a new code
        link_by_claim_code(villager, code, ID_NUMBER)
    assert claim.claimant_user_id is None


def test_the_history_tells_the_link_in_words_without_an_account_number(ctx):  # type: ignore[no-untyped-def]
    from claims.intake.operations import issue_claim_code, link_by_claim_code
    from claims.workflow.history import ACTION_TEXT, claim_history

    claim = file_claim("clerk")
    link_by_claim_code(find_user("13800000002"), issue_claim_code(claim, actor=find_user("clerk")), ID_NUMBER)
    db.session.commit()
    texts = [line.text for line in claim_history(claim.id)]
    linked = str(ACTION_TEXT["account_linked"])
    assert str(ACTION_TEXT["claim_code_issued"]) in texts and linked in texts  # the words, not "Recorded a change: 17"
