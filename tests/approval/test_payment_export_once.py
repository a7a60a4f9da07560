"""A payment line is sent to the bank once: a second export needs a reasoned reopening, and a result line
is matched by reference and amount; twenty simultaneous imports of one result file settle each line once."""

from __future__ import annotations

import csv
import io
import threading

import pytest
from sqlalchemy import select

from claims.accounts.services import find_user
from claims.approval import payments
from claims.approval.models import Payment, PaymentBatch, PaymentStatus, Settlement
from claims.extensions import db
from claims.intake.models import Claim
from claims.workflow.models import AuditEvent
from claims.workflow.services import WorkflowError
from claims.workflow.states import ClaimStatus
from tests.approval.conftest import approved_chaling_claims
from tests.conftest import csrf_token, login


def _approved_batch(*seeds: int) -> PaymentBatch:
    claims = approved_chaling_claims(*seeds)
    batch = payments.create_batch(claims[0].county, actor=find_user("approver_cl"))
    db.session.commit()
    return batch


def _rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def test_a_second_export_is_refused_until_the_batch_is_reopened_with_a_reason(ctx):  # type: ignore[no-untyped-def]
    batch = _approved_batch(41)
    treasurer = find_user("approver_cl")
    first = _rows(payments.export_csv(batch, actor=treasurer))
    db.session.commit()
    assert len(first) == 1
    with pytest.raises(WorkflowError):
        payments.export_csv(batch, actor=treasurer)
    db.session.rollback()
    with pytest.raises(WorkflowError):
        payments.reopen_batch(batch, "  ", actor=treasurer)
    db.session.rollback()
    payments.reopen_batch(batch, "银行称文件损坏，需重新发送", actor=treasurer)
    db.session.commit()
    assert _rows(payments.export_csv(batch, actor=treasurer)) == first
    db.session.commit()
    event = db.session.execute(select(AuditEvent).where(AuditEvent.entity == "payment_batch", AuditEvent.action == "batch_reopened")).scalar_one()
    assert event.reason == "银行称文件损坏，需重新发送"
    with pytest.raises(WorkflowError):  # the reopening allowed one export
        payments.export_csv(batch, actor=treasurer)


def test_the_batch_page_refuses_a_second_export_and_shows_the_reopening(app):  # type: ignore[no-untyped-def]
    with app.app_context():
        batch_id = _approved_batch(42).id
        db.session.remove()
    client = app.test_client()
    login(client, "approver_cl")
    page = f"/payments/{batch_id}"
    assert client.post(f"{page}/export", data={"csrf_token": csrf_token(client, page)}).status_code == 200
    again = client.post(f"{page}/export", data={"csrf_token": csrf_token(client, page)})
    assert again.status_code == 302  # back to the batch page with a message, no file
    response = client.post(f"{page}/reopen", data={"csrf_token": csrf_token(client, page), "reason": "银行称文件损坏"})
    assert response.status_code == 302
    assert "银行称文件损坏" in client.get(page).get_data(as_text=True)
    assert client.post(f"{page}/export", data={"csrf_token": csrf_token(client, page)}).status_code == 200


def test_a_result_line_with_another_amount_is_refused_and_nothing_is_applied(ctx):  # type: ignore[no-untyped-def]
    batch = _approved_batch(43, 44)
    treasurer = find_user("approver_cl")
    rows = _rows(payments.export_csv(batch, actor=treasurer))
    db.session.commit()
    good, bad = rows
    result = (
        "reference,status,amount,bank_reference\r\n"
        f"{good['reference']},SUCCESS,{good['amount']},B1\r\n"
        f"{bad['reference']},SUCCESS,{float(bad['amount']) + 100:.2f},B2\r\n"
    ).encode()
    report = payments.import_results(batch, result, actor=treasurer)
    db.session.commit()
    assert report.paid == 0 and report.errors
    assert "3" in report.errors[0] and bad["amount"] in report.errors[0]  # the line and the amount we sent
    assert db.session.query(Settlement).count() == 0
    assert {p.status for p in batch.payments} == {PaymentStatus.EXPORTED}
    missing = f"reference,status\r\n{good['reference']},SUCCESS\r\n".encode()
    assert payments.import_results(batch, missing, actor=treasurer).errors  # the amount column is required
    ok = result.replace(f"{float(bad['amount']) + 100:.2f}".encode(), bad["amount"].encode())
    assert payments.import_results(batch, ok, actor=treasurer).paid == 2


def test_twenty_simultaneous_imports_of_one_result_file_settle_each_line_once(app):  # type: ignore[no-untyped-def]
    with app.app_context():
        batch = _approved_batch(45, 46)
        rows = _rows(payments.export_csv(batch, actor=find_user("approver_cl")))
        db.session.commit()
        batch_id = batch.id
        claim_ids = [p.claim_id for p in batch.payments]
        result = (
            "reference,status,bank_reference,amount\r\n" + "".join(f"{r['reference']},SUCCESS,BK{n},{r['amount']}\r\n" for n, r in enumerate(rows))
        ).encode()
        db.session.remove()

    barrier = threading.Barrier(20)
    outcomes: list[str] = []
    lock = threading.Lock()

    def run() -> None:
        with app.app_context():
            barrier.wait()
            try:
                report = payments.import_results(db.session.get(PaymentBatch, batch_id), result, actor=find_user("approver_cl"))
                db.session.commit()
                outcome = f"paid={report.paid} errors={len(report.errors)}"
            except Exception as exc:  # anything but a clean report is a failure of the test
                db.session.rollback()
                outcome = f"error:{type(exc).__name__}:{exc}"
            finally:
                db.session.remove()
            with lock:
                outcomes.append(outcome)

    threads = [threading.Thread(target=run) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert len(outcomes) == 20
    assert all(o.startswith("paid=") and o.endswith("errors=0") for o in outcomes), outcomes
    assert sum(int(o.split()[0].removeprefix("paid=")) for o in outcomes) == 2, outcomes
    with app.app_context():
        for claim_id in claim_ids:
            assert db.session.query(Settlement).filter_by(claim_id=claim_id).count() == 1
            assert db.session.get(Claim, claim_id).status == ClaimStatus.CLOSED
            pays = db.session.execute(select(AuditEvent).where(AuditEvent.claim_id == claim_id, AuditEvent.action == "pay")).scalars().all()
            assert len(pays) == 1
        assert {p.status for p in db.session.execute(select(Payment).where(Payment.batch_id == batch_id)).scalars()} == {PaymentStatus.PAID}
