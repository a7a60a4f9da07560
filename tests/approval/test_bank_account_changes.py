"""Money goes where the claimant said: a change of bank account by anyone else needs a reason, tells the
claimant by text and in the app, shows (masked) in the history, and payment uses the account frozen at approval."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from claims.accounts.services import find_user
from claims.approval import payments
from claims.approval.models import Decision
from claims.extensions import db
from claims.intake import review
from claims.intake import services as intake
from claims.intake.models import Claim
from claims.intake.operations import save_filing
from claims.workflow.history import claim_history
from claims.workflow.models import AuditEvent, Notification, OutboxMessage
from claims.workflow.services import WorkflowError
from claims.workflow.states import ClaimStatus
from tests.approval.conftest import approved_chaling_claims
from tests.conftest import csrf_token, login
from tests.factories import open_form, parse_form, post_form
from tests.workflow.conftest import file_claim

NEW_ACCOUNT = "6228480000000009876"


def _edit(claim, actor, **changes):  # type: ignore[no-untyped-def]
    data = intake.ClaimInput(**{name: getattr(claim, name) for name in intake.CLAIM_FIELDS})
    data.losses = [intake.LossInput(line.category, line.item, line.quantity, line.unit) for line in claim.losses]
    for name, value in changes.items():
        setattr(data, name, value)
    return save_filing(claim, data, [], actor=actor, submit=False, form_ok=True)


def test_a_clerk_changing_the_account_gives_a_reason_and_the_claimant_is_told(ctx):  # type: ignore[no-untyped-def]
    claim = file_claim()  # the villager 13800000001 filed it for themself
    clerk, villager = find_user("clerk"), claim.claimant_user
    old = claim.bank_account
    outcome = _edit(claim, clerk, bank_account=NEW_ACCOUNT)
    db.session.commit()
    assert outcome.bank_problem, "a change by the clerk without a reason must be refused"
    assert claim.bank_account == old  # nothing changed
    outcome = _edit(claim, clerk, bank_account=NEW_ACCOUNT, bank_change_reason="村民来电：原卡已注销")
    db.session.commit()
    assert not outcome.bank_problem
    assert claim.bank_account == NEW_ACCOUNT
    event = db.session.execute(select(AuditEvent).where(AuditEvent.claim_id == claim.id, AuditEvent.action == "bank_account_changed")).scalar_one()
    assert event.reason == "村民来电：原卡已注销"
    assert NEW_ACCOUNT not in str(event.changes) and old not in str(event.changes)
    sms = db.session.execute(select(OutboxMessage).where(OutboxMessage.claim_id == claim.id, OutboxMessage.recipient == claim.claimant_mobile)).scalars()
    assert any("9876" in m.body for m in sms)  # the new account's last digits, never the whole number
    assert db.session.execute(select(Notification).where(Notification.user_id == villager.id, Notification.kind == "bank_account_changed")).first()
    lines = [f"{line.text} {line.reason or ''}" for line in claim_history(claim.id)]
    shown = " ".join(lines)
    assert "6228 **** **** 9876" in shown and NEW_ACCOUNT not in shown and "村民来电" in shown


def test_the_claimant_changes_their_own_account_without_a_reason(ctx):  # type: ignore[no-untyped-def]
    claim = file_claim()
    outcome = _edit(claim, claim.claimant_user, bank_account=NEW_ACCOUNT)
    db.session.commit()
    assert not outcome.bank_problem and claim.bank_account == NEW_ACCOUNT
    assert db.session.execute(select(AuditEvent).where(AuditEvent.claim_id == claim.id, AuditEvent.action == "bank_account_changed")).first()


def _approved(seed: int):  # type: ignore[no-untyped-def]
    return approved_chaling_claims(seed)[0]


def _export(batch):  # type: ignore[no-untyped-def]
    return list(csv.DictReader(io.StringIO(payments.export_csv(batch, actor=find_user("approver_cl")).decode("utf-8-sig"))))


def test_payment_uses_the_account_frozen_at_approval(ctx):  # type: ignore[no-untyped-def]
    claim = _approved(21)
    approved_account = claim.bank_account
    decision = db.session.get(Decision, claim.id)
    assert decision.bank_account == approved_account and decision.bank_name == claim.bank_name and decision.payee_name == claim.claimant_name
    claim.bank_account = NEW_ACCOUNT  # changed after approval, by whatever path
    db.session.commit()
    rows = _export(payments.create_batch(claim.county, actor=find_user("approver_cl")))
    assert rows[0]["account"] == approved_account


def test_after_a_failed_payment_the_account_is_refrozen_with_a_reason(ctx):  # type: ignore[no-untyped-def]
    claim = _approved(22)
    treasurer, clerk = find_user("approver_cl"), find_user("clerk_cl")
    batch = payments.create_batch(claim.county, actor=treasurer)
    row = _export(batch)[0]
    result = f"reference,status,amount,reason\r\n{row['reference']},FAILED,{row['amount']},账号不存在\r\n".encode()
    assert payments.import_results(batch, result, actor=treasurer).failed == 1
    db.session.commit()
    with pytest.raises(WorkflowError):
        payments.correct_account(claim, "中国农业银行", NEW_ACCOUNT, actor=clerk)  # no reason
    db.session.rollback()
    payments.correct_account(claim, "中国农业银行", NEW_ACCOUNT, actor=clerk, reason="银行退回：账号不存在，村民提供新卡")
    db.session.commit()
    decision = db.session.get(Decision, claim.id)
    assert decision.bank_account == NEW_ACCOUNT and decision.bank_name == "中国农业银行"
    rows = _export(payments.create_batch(claim.county, actor=treasurer))
    assert rows[0]["account"] == NEW_ACCOUNT
    event = db.session.execute(select(AuditEvent).where(AuditEvent.claim_id == claim.id, AuditEvent.action == "bank_account_refrozen")).scalar_one()
    assert event.reason.startswith("银行退回") and NEW_ACCOUNT not in str(event.changes)
    assert any("9876" in m.body for m in db.session.execute(select(OutboxMessage).where(OutboxMessage.claim_id == claim.id)).scalars())
    assert claim.status == ClaimStatus.APPROVED


def test_the_clerk_on_a_returned_claim_is_asked_for_the_reason_and_keeps_what_was_typed(app):  # type: ignore[no-untyped-def]
    with app.app_context():
        claim = file_claim()
        review.return_claim(claim, ["photos"], "请补充照片", actor=find_user("clerk"))
        db.session.commit()
        claim_id, old = claim.id, claim.bank_account
        db.session.remove()
    client = app.test_client()
    login(client, "clerk")
    path = f"/claims/{claim_id}/edit"
    page = open_form(client, path)
    sent = {name: values[0] for name, values in page.values.items() if values and not name.startswith("photo")}
    sent |= {"bank_account": NEW_ACCOUNT, "action": "save"}
    refused = post_form(client, path, sent)
    assert refused.status_code == 422
    shown = parse_form(refused.get_data(as_text=True))
    assert shown.errors.get("bank_change_reason") and shown.value("bank_account") == NEW_ACCOUNT  # nothing typed is lost
    with app.app_context():
        assert db.session.get(Claim, claim_id).bank_account == old
    # sent again from the page that came back (what passed was kept: the claim's version moved on with it)
    again = sent | {"bank_change_reason": "村民来电：原卡已注销", "version": shown.value("version")}
    assert post_form(client, path, again).status_code == 302
    with app.app_context():
        assert db.session.get(Claim, claim_id).bank_account == NEW_ACCOUNT
        assert db.session.execute(select(OutboxMessage).where(OutboxMessage.claim_id == claim_id, OutboxMessage.body.contains("9876"))).first()


def test_the_correction_page_asks_the_clerk_for_the_reason(app):  # type: ignore[no-untyped-def]
    with app.app_context():
        claim = _approved(23)
        treasurer = find_user("approver_cl")
        batch = payments.create_batch(claim.county, actor=treasurer)
        row = _export(batch)[0]
        payments.import_results(batch, f"reference,status,amount\r\n{row['reference']},FAILED,{row['amount']}\r\n".encode(), actor=treasurer)
        db.session.commit()
        claim_id = claim.id
        db.session.remove()
    client = app.test_client()
    login(client, "clerk_cl")
    path = f"/claims/{claim_id}/bank-account"
    sent = {"csrf_token": csrf_token(client, f"/claims/{claim_id}"), "bank_name": "中国农业银行", "bank_account": NEW_ACCOUNT}
    refused = client.post(path, data=sent)
    assert refused.status_code == 422
    shown = parse_form(refused.get_data(as_text=True))
    assert shown.errors.get("reason") and shown.value("bank_account") == NEW_ACCOUNT
    assert client.post(path, data=sent | {"reason": "银行退回：账号不存在"}).status_code == 302
    with app.app_context():
        assert db.session.get(Decision, claim_id).bank_account == NEW_ACCOUNT
        history = " ".join(line.text for line in claim_history(claim_id))
        assert "6228 **** **** 9876" in history and NEW_ACCOUNT not in history
