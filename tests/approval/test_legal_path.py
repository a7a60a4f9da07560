"""The legal path after valuation: an objection is reviewed (never dropped), a notice period is real time, and
everyone who must act next is told."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from claims.accounts.services import find_user
from claims.approval import operations, services
from claims.approval.models import Objection, ObjectionOutcome
from claims.core import time as clock
from claims.documents.models import DocumentKind, IssuedDocument
from claims.extensions import db
from claims.insurance.models import InsurerDecision, LedgerEntry, Split
from claims.insurance.operations import decide_as_insurer
from claims.intake.models import Claim
from claims.lifecycle import available_actions, notice_text
from claims.regions import admin_services
from claims.regions.admin_services import SettingError
from claims.regions.models import CountySetting, LimitKind
from claims.regions.settings import county_setting
from claims.valuation.operations import value_claim_step
from claims.valuation.services import compute_valuation
from claims.workflow.models import Notification, OutboxMessage
from claims.workflow.services import WorkflowError
from claims.workflow.states import ClaimStatus
from tests.approval.conftest import valued_claim
from tests.conftest import csrf_token, login
from tests.factories import advance

OBJECTOR_MOBILE = "13700000088"


def _on_notice(county: str = "chaling", seed: int = 1) -> Claim:
    claim = valued_claim(county, seed=seed)
    if claim.status == ClaimStatus.REFERRED:
        decide_as_insurer(claim, InsurerDecision.ACCEPT, actor=find_user("insurer"))
        db.session.commit()
    clerk = "clerk_cl" if county == "chaling" else "clerk"
    operations.create_notice_batch(claim.township, [claim], clock.local_today(), actor=find_user(clerk))
    db.session.commit()
    return claim


def _object(claim: Claim, clerk: str = "clerk_cl") -> None:
    operations.record_objection(claim, "李四（岩塘村）", "损失面积不实", actor=find_user(clerk), objector_mobile=OBJECTOR_MOBILE)
    db.session.commit()


def _after_notice(claim: Claim) -> None:
    entry = services.current_entry(claim)
    assert entry is not None
    clock.freeze(clock.utcnow() + timedelta(days=entry.batch.end_date.toordinal() - clock.local_today().toordinal() + 1))


def _texts(login_name: str, claim: Claim) -> list[str]:
    user = find_user(login_name)
    notes = db.session.execute(select(Notification).where(Notification.user_id == user.id, Notification.claim_id == claim.id).order_by(Notification.id))
    return [notice_text(n) for n in notes.scalars()]


def _sms(mobile: str) -> list[str]:
    return list(db.session.execute(select(OutboxMessage.body).where(OutboxMessage.recipient == mobile).order_by(OutboxMessage.id)).scalars())


# 1. Objections are reviewed, never dropped ---------------------------------------------------------------
def test_an_objection_goes_to_the_county_review_queue(ctx):  # type: ignore[no-untyped-def]
    claim = _on_notice()
    _object(claim)
    assert claim.status == ClaimStatus.OBJECTION_REVIEW
    assert claim in services.objection_queue(claim.county_id)
    assert _texts("approver_cl", claim), "the county is told that an objection waits for review"
    with pytest.raises(WorkflowError):  # the officer who valued the claim may not review the objection to it
        operations.review_objection(claim, ObjectionOutcome.NOT_UPHELD, "面积属实", actor=find_user("officer_cl"))
    db.session.rollback()
    with pytest.raises(WorkflowError):  # a finding needs its reasons
        operations.review_objection(claim, ObjectionOutcome.NOT_UPHELD, "  ", actor=find_user("approver_cl"))
    db.session.rollback()


def test_an_objection_not_upheld_returns_to_the_notice_and_then_to_approval(ctx):  # type: ignore[no-untyped-def]
    claim = _on_notice()
    _object(claim)
    operations.review_objection(claim, ObjectionOutcome.NOT_UPHELD, "经现场复核，受损面积属实", actor=find_user("approver_cl"))
    db.session.commit()
    assert claim.status == ClaimStatus.IN_NOTICE
    objection = db.session.execute(select(Objection).where(Objection.claim_id == claim.id)).scalar_one()
    assert objection.outcome == ObjectionOutcome.NOT_UPHELD and objection.finding == "经现场复核，受损面积属实"
    assert objection.reviewed_by_id == find_user("approver_cl").id and objection.reviewed_at is not None
    # The objector and the claimant are told the outcome.
    assert any("不予支持" in body or "not upheld" in body for body in _sms(OBJECTOR_MOBILE))
    assert any("异议" in body for body in _sms(claim.claimant_mobile))
    assert _texts("clerk_cl", claim)
    _after_notice(claim)
    assert operations.approve(claim, actor=find_user("approver_cl"))
    db.session.commit()
    assert claim.status == ClaimStatus.APPROVED
    document = db.session.execute(
        select(IssuedDocument).where(IssuedDocument.claim_id == claim.id, IssuedDocument.kind == DocumentKind.COMPENSATION)
    ).scalar_one()
    text = json.dumps(document.data, ensure_ascii=False)
    assert "异议" in text and "经现场复核，受损面积属实" in text


def test_an_upheld_objection_takes_the_insured_claim_through_a_new_valuation_and_a_new_notice(ctx):  # type: ignore[no-untyped-def]
    claim = _on_notice("nan", seed=5)
    first_entry = services.current_entry(claim)
    _object(claim, clerk="clerk")
    operations.review_objection(claim, ObjectionOutcome.REVALUE, "单价适用有误，重新核定", actor=find_user("approver"))
    db.session.commit()
    assert claim.status == ClaimStatus.CONFIRMED
    assert services.current_entry(claim) is None, "the old notice no longer stands"
    assert any("重新核定" in text or "valu" in text for text in _texts("officer", claim))
    compute_valuation(claim, actor=find_user("officer"), reason="异议成立，重新核定")
    value_claim_step(claim, actor=find_user("officer"))
    db.session.commit()
    assert claim.status == ClaimStatus.REFERRED, "the insurer assesses the new valuation"
    decide_as_insurer(claim, InsurerDecision.ACCEPT, actor=find_user("insurer"))
    db.session.commit()
    operations.create_notice_batch(claim.township, [claim], clock.local_today(), actor=find_user("clerk"))
    db.session.commit()
    entry = services.current_entry(claim)
    assert entry is not None and entry.id != first_entry.id
    _after_notice(claim)
    operations.approve(claim, actor=find_user("approver2"))
    db.session.commit()
    assert claim.status == ClaimStatus.APPROVED


def test_an_upheld_objection_can_send_the_claim_to_a_new_survey(ctx):  # type: ignore[no-untyped-def]
    claim = _on_notice()
    _object(claim)
    operations.review_objection(claim, ObjectionOutcome.RESURVEY, "损失面积需重新勘查", actor=find_user("approver_cl"))
    db.session.commit()
    assert claim.status == ClaimStatus.ACCEPTED
    assert "assign_survey" in available_actions(claim, find_user("officer_cl"))
    with pytest.raises(WorkflowError):  # the new survey is made by other surveyors than the first
        advance(claim, "survey_assigned", county="chaling")
    db.session.rollback()


def test_the_approval_page_shows_every_objection_and_its_finding(app):  # type: ignore[no-untyped-def]
    with app.app_context():
        claim = _on_notice()
        _object(claim)
        operations.review_objection(claim, ObjectionOutcome.NOT_UPHELD, "经现场复核，受损面积属实", actor=find_user("approver_cl"))
        db.session.commit()
        claim_id = claim.id
        db.session.remove()
    client = app.test_client()
    login(client, "approver_cl")
    page = client.get(f"/claims/{claim_id}").get_data(as_text=True)
    assert "李四（岩塘村）" in page and "损失面积不实" in page and "经现场复核，受损面积属实" in page


def test_the_review_is_a_panel_on_the_claim_page(app):  # type: ignore[no-untyped-def]
    with app.app_context():
        claim = _on_notice()
        _object(claim)
        claim_id, version = claim.id, claim.version
        db.session.remove()
    client = app.test_client()
    login(client, "approver_cl")
    page = client.get(f"/claims/{claim_id}").get_data(as_text=True)
    assert 'id="objection-review"' in page
    token = csrf_token(client, f"/claims/{claim_id}")
    data = {"csrf_token": token, "version": str(version), "outcome": "not_upheld", "finding": ""}
    assert client.post(f"/claims/{claim_id}/objection-review", data=data).status_code == 422  # the finding is required
    data["finding"] = "经复核，异议不成立"
    assert client.post(f"/claims/{claim_id}/objection-review", data=data).status_code == 302
    with app.app_context():
        assert db.session.get(Claim, claim_id).status == ClaimStatus.IN_NOTICE


# 2. A notice period is real time -------------------------------------------------------------------------
def test_a_notice_cannot_start_before_the_day_it_is_created(ctx):  # type: ignore[no-untyped-def]
    claim = valued_claim("chaling")
    for start in (clock.local_today() - timedelta(days=1), date(clock.local_today().year, 1, 1) - timedelta(days=1)):
        with pytest.raises(WorkflowError):
            operations.create_notice_batch(claim.township, [claim], start, actor=find_user("clerk_cl"))
        db.session.rollback()
    assert claim.status == ClaimStatus.VALUED


def test_notice_days_cannot_go_below_five_nor_any_time_limit_below_one(ctx):  # type: ignore[no-untyped-def]
    admin = find_user("admin")
    county = find_user("approver_cl").region
    tomorrow = clock.local_today() + timedelta(days=1)
    for raw in ("4", "0", "-7"):
        with pytest.raises(SettingError):
            admin_services.set_county_setting(county, "notice_days", raw, tomorrow, "", actor=admin)
    admin_services.set_county_setting(county, "notice_days", "5", tomorrow, "", actor=admin)
    for days in (0, -3):
        with pytest.raises(SettingError):
            admin_services.set_time_limit(county, LimitKind.APPROVAL, days, tomorrow, "", actor=admin)


def test_approval_waits_until_the_last_day_of_the_notice_has_passed(ctx):  # type: ignore[no-untyped-def]
    claim = _on_notice()
    end = services.current_entry(claim).batch.end_date
    assert (end - clock.local_today()).days == 6, "seven calendar days by default"
    clock.freeze(clock.utcnow() + timedelta(days=(end - clock.local_today()).days))
    assert clock.local_today() == end
    with pytest.raises(WorkflowError):
        operations.approve(claim, actor=find_user("approver_cl"))
    db.session.rollback()
    clock.freeze(clock.utcnow() + timedelta(days=1))
    assert operations.approve(claim, actor=find_user("approver_cl"))


# What a hostile review found -------------------------------------------------------------------------------
def test_an_upheld_objection_and_a_refusal_give_back_what_the_claim_drew_on_the_policy(ctx):  # type: ignore[no-untyped-def]
    claim = _on_notice("nan", seed=7)
    assert db.session.execute(select(LedgerEntry).where(LedgerEntry.claim_id == claim.id)).first() is not None
    _object(claim, clerk="clerk")
    operations.review_objection(claim, ObjectionOutcome.RESURVEY, "需重新勘查", actor=find_user("approver"))
    db.session.commit()
    assert db.session.execute(select(LedgerEntry).where(LedgerEntry.claim_id == claim.id)).first() is None
    assert db.session.get(Split, claim.id) is None
    other = _on_notice("nan", seed=8)
    _after_notice(other)
    operations.refuse(other, ["other_compensation"], "已获其他补偿", actor=find_user("approver"))
    db.session.commit()
    assert db.session.execute(select(LedgerEntry).where(LedgerEntry.claim_id == other.id)).first() is None


def test_a_dismissal_after_the_period_gives_the_approver_a_deadline_ahead(ctx):  # type: ignore[no-untyped-def]
    claim = _on_notice()
    _object(claim)
    _after_notice(claim)
    operations.review_objection(claim, ObjectionOutcome.NOT_UPHELD, "异议不成立", actor=find_user("approver_cl"))
    db.session.commit()
    assert claim.due_at > clock.local_today()


def test_a_blank_objector_mobile_sends_nothing(ctx):  # type: ignore[no-untyped-def]
    claim = _on_notice()
    operations.record_objection(claim, "李四", "面积不实", actor=find_user("clerk_cl"), objector_mobile="   ")
    operations.review_objection(claim, ObjectionOutcome.NOT_UPHELD, "异议不成立", actor=find_user("approver_cl"))
    db.session.commit()
    assert not _sms("   ") and not _sms("")


def test_a_stored_setting_outside_the_bounds_is_read_within_them(ctx):  # type: ignore[no-untyped-def]
    county = find_user("approver_cl").region
    db.session.add(CountySetting(region=county, key="notice_days", value="2", effective_from=clock.local_today() - timedelta(days=1)))
    db.session.flush()
    assert county_setting(county, "notice_days") == 5
    with pytest.raises(SettingError):
        admin_services.set_county_setting(county, "notice_days", "61", clock.local_today() + timedelta(days=1), "", actor=find_user("admin"))


def test_the_insurer_does_not_read_who_objected(app):  # type: ignore[no-untyped-def]
    with app.app_context():
        claim = _on_notice("nan", seed=9)
        _object(claim, clerk="clerk")
        claim_id = claim.id
        db.session.remove()
    client = app.test_client()
    login(client, "insurer")
    page = client.get(f"/claims/{claim_id}").get_data(as_text=True)
    assert "李四" not in page and 'id="objections"' not in page
