"""The advance on injury and death: requested after intake, approved by one approver within the day (no notice, no
second approver), paid in its own batch, deducted by the final decision, never paid twice; the fund ledger balances."""

from __future__ import annotations

import csv
import io
import re
import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from flask.testing import FlaskClient

from claims.accounts.services import find_user
from claims.approval import operations, payments, services
from claims.approval.advances import advance_of, net_of_advance, quote_advance, waiting_advances
from claims.approval.budget import fund_position
from claims.approval.models import Decision, PaymentStatus, Settlement, Share
from claims.core import time as clock
from claims.documents.models import DocumentKind, IssuedDocument
from claims.extensions import db
from claims.intake.models import Claim, LossCategory
from claims.intake.services import LossInput
from claims.lifecycle import notice_text
from claims.regions.admin_services import declare_relative, set_county_setting
from claims.regions.services import add_working_days
from claims.survey.models import SurveyOutcome
from claims.survey.operations import record_survey
from claims.workflow.escalation import run_deadlines
from claims.workflow.models import AuditEvent, Notification
from claims.workflow.services import ClaimChanged, WorkflowError
from claims.workflow.states import ClaimStatus
from tests.conftest import csrf_token, login
from tests.factories import COUNTIES, survey_input
from tests.factories import advance as take_to
from tests.workflow.conftest import file_claim, region, resident_id

CHALING = "430224"
BITE = LossInput(LossCategory.INJURY, "左小腿咬伤", hospital_days=12, medical_costs=Decimal("10000.00"))


def _settings(**values: int) -> None:
    for key, value in values.items():
        set_county_setting(region(CHALING), key, str(value), clock.local_today(), "先行支付", actor=find_user("admin"))
    db.session.commit()


def _injury(seed: int, to: str = "accepted") -> Claim:
    """An injury filed in 茶陵县 (uninsured; the Hunan schedule pays 80 % of medical costs), taken to `to`."""
    claim = file_claim("13800000001", village_code=COUNTIES["chaling"].village, seed=seed, losses=[BITE])
    take_to(claim, to, county="chaling")
    db.session.commit()
    return claim


def _pay_batch(advances: bool) -> None:
    treasurer = find_user("approver_cl")
    batch = payments.create_batch(region(CHALING), actor=treasurer, advances=advances)
    lines = list(csv.DictReader(io.StringIO(payments.export_csv(batch, actor=treasurer).decode("utf-8-sig"))))
    result = "reference,status,amount\r\n" + "".join(f"{line['reference']},SUCCESS,{line['amount']}\r\n" for line in lines)
    assert payments.import_results(batch, result.encode(), actor=treasurer).paid == len(lines)
    db.session.commit()


def _decision_text(claim: Claim, kind: DocumentKind) -> dict:  # type: ignore[type-arg]
    document = db.session.query(IssuedDocument).filter_by(claim_id=claim.id, kind=kind).one()
    return document.data["data"]


def test_an_injury_gets_its_advance_within_the_day_and_the_final_decision_pays_the_rest(app) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        clock.freeze(clock.utcnow().replace(hour=1))  # 09:00 in China, on whatever day the test runs
        _settings(advance_fixed=2000)
        claim = _injury(31)
        assert claim.status == ClaimStatus.ACCEPTED
        operations.request_advance(claim, actor=find_user("officer_cl"), reason="住院急需医疗费")
        db.session.commit()
        advance = advance_of(claim)
        assert advance.amount == Decimal("2000.00") and advance.basis == "县级设定的先行支付定额2,000.00元"
        assert advance.approved_at is None and advance.due_on > clock.local_today()  # one working day to decide

        clock.freeze(clock.utcnow() + timedelta(hours=3))
        operations.approve_advance(claim, actor=find_user("approver_cl"))  # one approver, no notice
        db.session.commit()
        assert claim.status == ClaimStatus.ACCEPTED  # the claim's course goes on unchanged
        assert advance.approved_at.date() == advance.requested_at.date()
        advance_pdf = _decision_text(claim, DocumentKind.ADVANCE)
        assert advance_pdf["amount"] == "2000.00" and advance_pdf["payer"] == "茶陵县财政"
        assert advance_pdf["bank"] == "湖南农村信用社 6217 **** **** 4567"  # masked
        assert [(p.share, p.amount, p.status) for p in services.payments_of(claim)] == [(Share.ADVANCE, Decimal("2000.00"), PaymentStatus.PENDING)]
        with pytest.raises(payments.PaymentError):
            payments.create_batch(region(CHALING), actor=find_user("approver_cl"))  # not in an award batch
        _pay_batch(advances=True)
        assert db.session.get(Settlement, (claim.id, Share.ADVANCE)).amount == Decimal("2000.00")

        take_to(claim, "valued", county="chaling")  # medical costs 10,000.00 × 80 % = 8,000.00
        db.session.commit()
        operations.create_notice_batch(claim.township, [claim], clock.local_today(), actor=find_user("clerk_cl"))
        db.session.commit()
        clock.freeze(clock.utcnow() + timedelta(days=8))
        assert operations.approve(claim, actor=find_user("approver_cl"))
        db.session.commit()
        decision = db.session.get(Decision, claim.id)
        assert (decision.total, decision.government_share, decision.advance_paid) == (Decimal("8000.00"), Decimal("8000.00"), Decimal("2000.00"))
        awards = [(p.share, p.amount) for p in services.payments_of(claim) if p.share != Share.ADVANCE]
        assert awards == [(Share.GOVERNMENT, Decimal("6000.00"))]  # 8,000.00 - 2,000.00
        text = _decision_text(claim, DocumentKind.COMPENSATION)
        assert text["total"] == "8000.00"
        assert text["advance"] == {"decision_number": advance_number(claim), "paid": "2000.00", "now_payable": "6000.00", "overpaid": None}
        assert text["payer"] == "补偿款6,000.00元由茶陵县财政支付"

        _pay_batch(advances=False)
        assert claim.status == ClaimStatus.CLOSED
        year = clock.local_today().year
        position = fund_position(claim.county_id, year)
        assert (position.committed, position.paid) == (Decimal("8000.00"), Decimal("8000.00"))  # 2,000 advanced + 6,000


def advance_number(claim: Claim) -> str:
    return db.session.query(IssuedDocument.number).filter_by(claim_id=claim.id, kind=DocumentKind.ADVANCE).scalar()


def test_no_advance_is_requested_approved_or_paid_twice(app) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        _settings(advance_fixed=1500)
        claim = _injury(32)
        operations.request_advance(claim, actor=find_user("clerk_cl"))
        db.session.commit()
        with pytest.raises(WorkflowError, match="已申请过先行支付"):
            operations.request_advance(claim, actor=find_user("officer_cl"))
        db.session.rollback()
        with pytest.raises(WorkflowError):
            operations.approve_advance(claim, actor=find_user("officer_cl"))  # an officer does not approve
        db.session.rollback()
        operations.approve_advance(claim, actor=find_user("approver_cl"))
        db.session.commit()
        with pytest.raises(WorkflowError, match="先行支付已获批准"):
            operations.approve_advance(claim, actor=find_user("approver_cl"))
        db.session.rollback()
        _pay_batch(advances=True)
        (payment,) = services.payments_of(claim)
        with pytest.raises(payments.PaymentError):
            payments.create_batch(region(CHALING), actor=find_user("approver_cl"), advances=True)  # nothing waits
        assert payments.settle(payment, "AGAIN", actor=find_user("approver_cl")) is False  # the same payment: unchanged
        assert db.session.query(Settlement).filter_by(claim_id=claim.id).count() == 1


def test_the_amount_a_percentage_of_the_valued_lines_capped_or_refused(app) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        crops = file_claim("13800000001", village_code=COUNTIES["chaling"].village, seed=33)
        assert quote_advance(crops).problem == "先行支付仅适用于人身伤害或死亡。"
        claim = _injury(34, "valued")
        assert quote_advance(claim).problem is not None  # the county has not turned advances on
        _settings(advance_percent=30)
        quote = quote_advance(claim)
        assert (quote.amount, quote.basis) == (Decimal("2400.00"), "核定的人身损害补偿8,000.00元 × 30%")  # 8,000.00 × 30 %
        _settings(advance_cap=2000)
        quote = quote_advance(claim)
        assert quote.amount == Decimal("2000.00") and quote.basis.endswith("超过县级设定的先行支付上限，按上限2,000.00元支付")


def test_an_advance_above_the_award_pays_nothing_more_and_records_the_overpayment(app) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        _settings(advance_fixed=10000, advance_cap=50000)
        claim = _injury(35)
        operations.request_advance(claim, actor=find_user("officer_cl"))
        operations.approve_advance(claim, actor=find_user("approver_cl"))
        db.session.commit()
        _pay_batch(advances=True)
        take_to(claim, "valued", county="chaling")
        operations.create_notice_batch(claim.township, [claim], clock.local_today(), actor=find_user("clerk_cl"))
        db.session.commit()
        clock.freeze(clock.utcnow() + timedelta(days=8))
        operations.approve(claim, actor=find_user("approver_cl"))
        db.session.commit()
        assert claim.status == ClaimStatus.CLOSED  # nothing is left to pay
        assert [p.share for p in services.payments_of(claim)] == [Share.ADVANCE]
        event = db.session.query(AuditEvent).filter_by(claim_id=claim.id, action="advance_overpaid").one()
        assert event.changes == {"advance": "10000.00", "award": "8000.00", "overpaid": "2000.00"}
        text = _decision_text(claim, DocumentKind.COMPENSATION)
        assert text["advance"]["now_payable"] == "0.00" and text["advance"]["overpaid"] == "2000.00"
        position = fund_position(claim.county_id, clock.local_today().year)
        assert (position.committed, position.paid) == (Decimal("10000.00"), Decimal("10000.00"))


def test_the_advance_comes_off_the_government_share_first() -> None:
    # shares 3,000 (government) + 7,000 (insurer), advance 4,000: the government pays 0, the insurer 7,000 - 1,000
    net = net_of_advance(Decimal("3000.00"), Decimal("7000.00"), Decimal("4000.00"))
    assert (net.government, net.insurer, net.overpaid) == (Decimal("0.00"), Decimal("6000.00"), Decimal("0.00"))
    net = net_of_advance(Decimal("8000.00"), Decimal("0.00"), Decimal("2000.00"))
    assert (net.government, net.insurer, net.overpaid, net.payable) == (Decimal("6000.00"), Decimal("0.00"), Decimal("0.00"), Decimal("6000.00"))
    net = net_of_advance(Decimal("500.00"), Decimal("1000.00"), Decimal("2000.00"))
    assert (net.government, net.insurer, net.overpaid) == (Decimal("0.00"), Decimal("0.00"), Decimal("500.00"))


def test_the_advance_journey_through_the_pages(app) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        _settings(advance_fixed=2000)
        claim_id = _injury(36).id
    officer = app.test_client()
    login(officer, "officer_cl")
    page = officer.get(f"/claims/{claim_id}").get_data(as_text=True)
    assert 'id="request-advance-button"' in page
    token = csrf_token(officer, f"/claims/{claim_id}")
    assert officer.post(f"/claims/{claim_id}/advance", data={"csrf_token": token, "reason": "急需"}).status_code == 302
    approver = app.test_client()
    login(approver, "approver_cl")
    assert str(claim_id) in approver.get("/payments").get_data(as_text=True)  # waiting for approval
    token = csrf_token(approver, f"/claims/{claim_id}")
    assert approver.post(f"/claims/{claim_id}/advance/approve", data={"csrf_token": token}).status_code == 302
    response = approver.post("/payments", data={"csrf_token": csrf_token(approver, "/payments"), "what": "advances"})
    assert response.status_code == 302
    batch_page = approver.get(response.headers["Location"]).get_data(as_text=True)
    assert "2,000.00" in batch_page
    with app.app_context():
        claim = db.session.get(Claim, claim_id)
        assert claim.status == ClaimStatus.ACCEPTED and advance_of(claim).approved_at is not None


def _requested_advance(app, seed: int) -> tuple[int, FlaskClient]:  # type: ignore[no-untyped-def]
    """An injury claim whose clerk asked for a fixed 2000-yuan advance, and the county's approver logged in."""
    with app.app_context():
        _settings(advance_fixed=2000)
        claim_id = _injury(seed).id
        operations.request_advance(db.session.get(Claim, claim_id), actor=find_user("clerk_cl"))
        db.session.commit()
    approver = app.test_client()
    login(approver, "approver_cl")
    return claim_id, approver


def test_the_approver_refuses_an_advance_with_a_reason_and_a_new_request_may_follow(app) -> None:  # type: ignore[no-untyped-def]
    """Review #4: a request can be refused (a reason required, in Chinese when missing); the claimant and the
    township are told why, nothing is paid, the claim keeps its course, and a new request may be made."""
    claim_id, approver = _requested_advance(app, 37)
    page = approver.get(f"/claims/{claim_id}").get_data(as_text=True)
    assert 'id="refuse-advance-button"' in page and 'id="approve-advance-button"' in page
    token = csrf_token(approver, f"/claims/{claim_id}")
    response = approver.post(f"/claims/{claim_id}/advance/refuse", data={"csrf_token": token, "reason": "  "})
    assert response.status_code == 422 and "不批准先行支付的理由" in response.get_data(as_text=True)
    response = approver.post(f"/claims/{claim_id}/advance/refuse", data={"csrf_token": token, "reason": "伤情轻微，无需先行支付"})
    assert response.status_code == 302
    with app.app_context():
        claim = db.session.get(Claim, claim_id)
        assert claim.status == ClaimStatus.ACCEPTED and advance_of(claim) is None and services.payments_of(claim) == []
        event = db.session.query(AuditEvent).filter_by(claim_id=claim_id, action="refuse_advance").one()
        assert (event.reason, event.changes["amount"]) == ("伤情轻微，无需先行支付", "2000.00")
        told = db.session.query(Notification).filter_by(claim_id=claim_id, kind="refuse_advance").all()
        assert told and all("未获批准（伤情轻微，无需先行支付）" in notice_text(n) for n in told)
        with pytest.raises(WorkflowError):  # nothing waits any more
            operations.approve_advance(claim, actor=find_user("approver_cl"))
        db.session.rollback()
        operations.request_advance(claim, actor=find_user("clerk_cl"))
        db.session.commit()
        assert advance_of(claim).amount == Decimal("2000.00") and advance_of(claim).approved_at is None


def test_the_county_officer_who_asked_for_the_advance_hears_whether_it_was_approved(app) -> None:  # type: ignore[no-untyped-def]
    """The township's clerks and the claimant heard of the decision; the county officer who made the request (not a
    clerk of the township) did not: now the requester is told of a refusal and of an approval."""
    with app.app_context():
        _settings(advance_fixed=2000)
        claim = _injury(38)
        officer = find_user("officer_cl")
        operations.request_advance(claim, actor=officer)
        db.session.commit()
        operations.refuse_advance(claim, actor=find_user("approver_cl"), reason="伤情轻微")
        db.session.commit()
        refused = (
            db.session.query(Notification)
            .filter(Notification.claim_id == claim.id, Notification.user_id == officer.id, Notification.kind.like("refuse_advance%"))
            .one()
        )
        assert refused.kind == "refuse_advance:requester" and "您申请的先行支付" in notice_text(refused) and "未获批准（伤情轻微）" in notice_text(refused)
        operations.request_advance(claim, actor=officer, reason="伤情加重")
        db.session.commit()
        operations.approve_advance(claim, actor=find_user("approver_cl"))
        db.session.commit()
        approved = db.session.query(Notification).filter_by(claim_id=claim.id, kind="approve_advance:requester", user_id=officer.id).one()
        assert "银行账户" not in notice_text(approved)  # the claimant's text is not the officer's
        clerk = find_user("clerk_cl")  # a clerk of the township who asked is told once, as a clerk
        assert db.session.query(Notification).filter_by(claim_id=claim.id, kind="approve_advance:requester", user_id=clerk.id).count() == 0


def test_twenty_concurrent_requests_and_approvals_make_one_advance(app) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        _settings(advance_fixed=1000)
        claim_id = _injury(37).id
        db.session.remove()

    def race(step: str, login_name: str) -> list[str]:
        barrier, lock, outcomes = threading.Barrier(20), threading.Lock(), []

        def take() -> None:
            with app.app_context():
                barrier.wait()
                try:
                    claim = db.session.get(Claim, claim_id)
                    getattr(operations, step)(claim, actor=find_user(login_name))
                    db.session.commit()
                    result = "done"
                except WorkflowError:
                    db.session.rollback()
                    result = "refused"
                except Exception as exc:  # a conflict surfacing as a database error must still be clean
                    db.session.rollback()
                    result = f"error:{type(exc).__name__}"
                finally:
                    db.session.remove()
                with lock:
                    outcomes.append(result)

        threads = [threading.Thread(target=take) for _n in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        return outcomes

    requested = race("request_advance", "officer_cl")
    assert sorted(requested) == ["done"] + ["refused"] * 19, requested
    approved = race("approve_advance", "approver_cl")
    assert sorted(approved) == ["done"] + ["refused"] * 19, approved
    with app.app_context():
        claim = db.session.get(Claim, claim_id)
        assert [(p.share, p.amount) for p in services.payments_of(claim)] == [(Share.ADVANCE, Decimal("1000.00"))]
        assert db.session.query(IssuedDocument).filter_by(claim_id=claim_id, kind=DocumentKind.ADVANCE).count() == 1


def test_an_advance_undecided_past_its_day_is_chased(app) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        _settings(advance_fixed=1000)
        claim = _injury(38)
        operations.request_advance(claim, actor=find_user("clerk_cl"))
        db.session.commit()
        due = advance_of(claim).due_on
        assert run_deadlines(due).late_advances == 0  # on its day it is not late yet
        report = run_deadlines(add_working_days(due, 1))
        assert report.late_advances == 1
        told = db.session.query(Notification).filter_by(claim_id=claim.id, kind="advance_overdue").all()
        assert {n.user_id for n in told} == {find_user("approver_cl").id}
        assert told[0].params == {"number": claim.number, "due": due.isoformat(), "amount": "1,000.00"}


# The review's defects (notes/review-advance.md), each reproduced --------------------------------------------------
def _advance_batch(status: str) -> list[dict[str, str]]:
    """One advance batch exported and its result imported: every line SUCCESS or FAILED. The lines sent."""
    treasurer = find_user("approver_cl")
    batch = payments.create_batch(region(CHALING), actor=treasurer, advances=True)
    lines = list(csv.DictReader(io.StringIO(payments.export_csv(batch, actor=treasurer).decode("utf-8-sig"))))
    result = "reference,status,amount,reason\r\n" + "".join(f"{line['reference']},{status},{line['amount']},账户错误\r\n" for line in lines)
    payments.import_results(batch, result.encode(), actor=treasurer)
    db.session.commit()
    return lines


def _approved_advance(seed: int, amount: int) -> Claim:
    _settings(advance_fixed=amount, advance_cap=50000)
    claim = _injury(seed)
    operations.request_advance(claim, actor=find_user("officer_cl"))
    operations.approve_advance(claim, actor=find_user("approver_cl"))
    db.session.commit()
    return claim


def _on_notice(claim: Claim) -> None:
    take_to(claim, "valued", county="chaling")  # 8,000.00
    db.session.commit()
    operations.create_notice_batch(claim.township, [claim], clock.local_today(), actor=find_user("clerk_cl"))
    db.session.commit()
    clock.freeze(clock.utcnow() + timedelta(days=8))


def test_a_failed_advance_is_paid_again_into_the_corrected_account_before_the_final_approval(app) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        clock.freeze(clock.utcnow().replace(hour=1))
        claim = _approved_advance(61, 2000)
        (line,) = _advance_batch("FAILED")
        _on_notice(claim)
        with pytest.raises(WorkflowError, match="先行支付款项支付失败"):
            operations.approve(claim, actor=find_user("approver_cl"))  # it would deduct an advance never paid
        db.session.rollback()
        payments.correct_account(claim, "中国农业银行", "6228480012345678901", actor=find_user("clerk_cl"), reason="卡号错")
        db.session.commit()
        assert advance_of(claim).bank_account == "6228480012345678901"
        (again,) = _advance_batch("SUCCESS")
        assert (line["account"], again["account"], again["amount"]) == ("6217995500001234567", "6228480012345678901", "2000.00")
        assert operations.approve(claim, actor=find_user("approver_cl"))
        db.session.commit()
        assert db.session.get(Decision, claim.id).advance_paid == Decimal("2000.00")
        awards = [(p.share, p.amount) for p in services.payments_of(claim) if p.share != Share.ADVANCE]
        assert awards == [(Share.GOVERNMENT, Decimal("6000.00"))]  # 8,000.00 - 2,000.00


def test_an_award_the_advance_covers_closes_only_once_the_advance_is_paid(app) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        clock.freeze(clock.utcnow().replace(hour=1))
        claim = _approved_advance(62, 10000)
        _on_notice(claim)
        assert operations.approve(claim, actor=find_user("approver_cl"))
        db.session.commit()
        assert claim.status == ClaimStatus.APPROVED  # the advance is not paid yet
        _advance_batch("FAILED")
        payments.correct_account(claim, "中国农业银行", "6228480012345678901", actor=find_user("clerk_cl"), reason="卡号错")
        db.session.commit()
        assert claim.status == ClaimStatus.APPROVED
        assert db.session.query(Notification).filter_by(claim_id=claim.id, kind="pay").count() == 0  # no "paid" message
        _advance_batch("SUCCESS")
        assert claim.status == ClaimStatus.CLOSED


def test_the_advance_of_a_refused_claim_is_not_paid_and_one_paid_is_recorded_overpaid(app) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        clock.freeze(clock.utcnow().replace(hour=1))
        unpaid = _approved_advance(63, 2000)
        paid = _injury(67)
        operations.request_advance(paid, actor=find_user("officer_cl"))
        operations.approve_advance(paid, actor=find_user("approver_cl"))
        db.session.commit()
        payments.settle(next(p for p in services.payments_of(paid)), "BANK1", actor=find_user("approver_cl"))
        db.session.commit()
        for claim in (unpaid, paid):
            _refuse_by_survey(claim)
        with pytest.raises(payments.PaymentError):
            payments.create_batch(region(CHALING), actor=find_user("approver_cl"), advances=True)  # nothing left to pay
        actions = [e.action for e in db.session.query(AuditEvent).filter_by(claim_id=unpaid.id)]
        assert "advance_withheld" in actions and "advance_overpaid" not in actions
        event = db.session.query(AuditEvent).filter_by(claim_id=paid.id, action="advance_overpaid").one()
        assert event.changes == {"advance": "2000.00", "award": "0.00", "overpaid": "2000.00"}
        said = {c.id: _refusal(c).data["data"]["advance"] for c in (unpaid, paid)}  # review #6: the refusal says what becomes of it
        assert said[unpaid.id].endswith("决定的先行支付人民币2,000.00元（大写：人民币贰仟元整）尚未支付，因本申请不予补偿，不再支付。"), said
        assert "决定先行支付人民币2,000.00元（大写：人民币贰仟元整）。因本申请不予补偿，该先行支付款项由本机关依照有关规定另行处理" in said[paid.id], said
        assert all(_advance_number(c) in said[c.id] for c in (unpaid, paid)), said


def _refusal(claim: Claim) -> IssuedDocument:
    return db.session.query(IssuedDocument).filter_by(claim_id=claim.id, kind=DocumentKind.REFUSAL).one()


def _advance_number(claim: Claim) -> str:
    return db.session.query(IssuedDocument).filter_by(claim_id=claim.id, kind=DocumentKind.ADVANCE).one().number


def _refuse_by_survey(claim: Claim) -> None:
    take_to(claim, "survey_assigned", county="chaling")
    db.session.commit()
    form = survey_input(claim, SurveyOutcome.NOT_COMPENSATED, exclusions=["hunting"], explanation="狩猎中受伤")
    record_survey(claim, form, [], actor=find_user("officer_cl"))
    db.session.commit()
    assert claim.status == ClaimStatus.NOT_COMPENSATED


def test_a_request_on_a_refused_claim_lapses_and_is_not_chased(app) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        _settings(advance_fixed=1000)
        claim = _injury(64)
        operations.request_advance(claim, actor=find_user("clerk_cl"))
        db.session.commit()
        _refuse_by_survey(claim)
        assert db.session.query(AuditEvent).filter_by(claim_id=claim.id, action="advance_lapsed").count() == 1
        assert waiting_advances(claim.county_id).rows == []
        assert run_deadlines(add_working_days(advance_of(claim).due_on, 30)).late_advances == 0


def test_a_cap_of_zero_refuses_the_advance_in_chinese(app) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        _settings(advance_fixed=2000, advance_cap=0)
        claim = _injury(65)
        with pytest.raises(WorkflowError, match="先行支付上限为零"):
            operations.request_advance(claim, actor=find_user("officer_cl"))
        db.session.rollback()
        assert advance_of(claim) is None


def test_an_advance_step_moves_the_version_so_a_stale_form_is_refused(app) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        _settings(advance_fixed=2000)
        claim = _injury(66)
        before = claim.version
        operations.request_advance(claim, actor=find_user("officer_cl"))
        db.session.commit()
        assert claim.version == before + 1
        with pytest.raises(ClaimChanged):
            operations.approve_advance(claim, actor=find_user("approver_cl"), expected_version=before)
        db.session.rollback()
        operations.approve_advance(claim, actor=find_user("approver_cl"), expected_version=before + 1)
        db.session.commit()
        assert claim.version == before + 2


def test_staff_do_not_request_an_advance_on_their_kins_claim(app) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        _settings(advance_fixed=2000)
        claim = _injury(68)
        declare_relative(find_user("clerk_cl"), resident_id(), "表兄")  # the ID number file_claim gives the claimant
        db.session.commit()
        with pytest.raises(WorkflowError, match="已申报与申请人是亲属"):
            operations.request_advance(claim, actor=find_user("clerk_cl"))
        db.session.rollback()
        operations.request_advance(claim, actor=find_user("officer_cl"))
        db.session.commit()
        assert advance_of(claim).requested_by_id == find_user("officer_cl").id


def test_a_refusal_sent_from_an_out_of_date_page_comes_back_with_its_reason(app) -> None:  # type: ignore[no-untyped-def]
    """The claim moved on while the approver typed: the page comes back as the claim is now (409) with the reason
    still in the box, and sent again from there the refusal is recorded."""
    claim_id, approver = _requested_advance(app, 39)
    page = approver.get(f"/claims/{claim_id}").get_data(as_text=True)
    token = csrf_token(approver, f"/claims/{claim_id}")
    version = re.search(r'<form[^>]*advance/refuse".*?name="version"[^>]*value="(\d+)"', page, re.S)
    assert version is not None
    with app.app_context():
        db.session.get(Claim, claim_id).version += 1  # someone else's step in between
        db.session.commit()
    reason = "伤情轻微，无需先行支付"
    response = approver.post(f"/claims/{claim_id}/advance/refuse", data={"csrf_token": token, "reason": reason, "version": version.group(1)})
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and "已被其他人修改" in html
    form = re.search(r'<form[^>]*advance/refuse".*?</form>', html, re.S)
    assert form is not None and reason in form.group(0)
    moved = re.search(r'name="version"[^>]*value="(\d+)"', form.group(0))
    assert moved is not None and int(moved.group(1)) == int(version.group(1)) + 1
    again = approver.post(f"/claims/{claim_id}/advance/refuse", data={"csrf_token": token, "reason": reason, "version": moved.group(1)})
    assert again.status_code == 302
    with app.app_context():
        assert db.session.query(AuditEvent).filter_by(claim_id=claim_id, action="refuse_advance").one().reason == reason
