"""Objections on a phone (issue 11): two insured claims on one notice, an objection to each; the county upholds one
(the loss is valued again, the insurer assesses it again, a new notice) and not the other; both are approved and
paid by the insurer. The villager follows the upheld one on a 360-px phone.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from claims.accounts.services import find_user
from claims.approval.models import Objection, ObjectionOutcome
from claims.extensions import db
from claims.insurance.models import InsurerDecision, Split
from claims.insurance.operations import decide_as_insurer
from claims.intake.models import Claim
from claims.workflow.models import OutboxMessage
from claims.workflow.states import ClaimStatus
from tests.approval.conftest import valued_claim
from tests.browser.steps import assert_status, click_to, flashes, log_in, shortcut
from tests.browser.test_award_journeys import after_the_notice, approve_on_claim_page, put_on_notice

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:Passing SelectField choices as tuples is deprecated:DeprecationWarning"),
]

OBJECTOR = "13700000066"


def status_of(app: Flask, claim_id: int) -> ClaimStatus:
    with app.app_context():
        return db.session.get(Claim, claim_id).status


def object_to(app: Flask, phone: Any, batch_id: int, claim_id: int, reason: str) -> None:
    page = phone.page
    phone.goto(f"/notices/{batch_id}")
    page.select_option("#objection select[name=claim_id]", str(claim_id))
    page.fill("#objection #objector", "李四，三仙湖村")
    page.fill("#objection #objector_mobile", OBJECTOR)
    page.fill("#objection #reason", reason)
    phone.assert_no_horizontal_scroll()
    click_to(phone, "#objection button[type=submit]", "record the objection")
    assert status_of(app, claim_id) == ClaimStatus.OBJECTION_REVIEW, flashes(page)


def review(phone: Any, claim_id: int, outcome: str, finding: str) -> None:
    page = phone.page
    log_in(phone, "approver")
    shortcut(phone, "/approvals")
    click_to(phone, f"#objection-queue ~ ul a[href^='/claims/{claim_id}']", "open the objection to review")
    assert page.locator("#objections").count() == 1
    phone.assert_no_horizontal_scroll()
    page.check(f"#objection-review input[name=outcome][value={outcome}]")
    page.fill("#objection-review #finding", "")
    phone.navigate(lambda: page.click("#objection-review button[type=submit]"), "record a finding without reasons", expect=422)
    assert page.locator("#objection-review .error").count() == 1, "the reasons are required"
    page.check(f"#objection-review input[name=outcome][value={outcome}]")
    page.fill("#objection-review #finding", finding)
    click_to(phone, "#objection-review button[type=submit]", "record the finding")
    assert finding in page.inner_text("#objections"), flashes(page)


def insurer_accepts(app: Flask, phone: Any, claim_id: int) -> None:
    log_in(phone, "insurer")
    shortcut(phone, "/insurer/")
    click_to(phone, f"main a[href='/insurer/referrals/{claim_id}']", "open the referral")
    phone.page.check("#insurer-form input[name=decision][value=accept]")
    click_to(phone, "#insurer-form button[type=submit]", "accept the valuation")
    assert status_of(app, claim_id) == ClaimStatus.INSURER_DECIDED, flashes(phone.page)


def insurer_pays(phone: Any, app: Flask, claim_id: int, reference: str) -> None:
    with app.app_context():
        share = db.session.get(Split, claim_id).insurer_share
    page = phone.page
    log_in(phone, "insurer")
    shortcut(phone, "/insurer/")
    click_to(phone, f"main a[href='/insurer/referrals/{claim_id}']", "open the referral to pay")
    page.fill("#insurer-payment #amount", str(share))
    page.fill("#insurer-payment #reference", reference)
    click_to(phone, "#insurer-payment button[type=submit]", "record the insurer's payment")
    assert status_of(app, claim_id) == ClaimStatus.CLOSED, flashes(page)


def test_one_objection_upheld_and_one_not_through_to_payment(app: Flask, phone: Any) -> None:
    page = phone.page
    with app.app_context():
        upheld, dismissed = valued_claim(seed=61), valued_claim(seed=62, filer="13800000002")
        for claim in (upheld, dismissed):
            decide_as_insurer(claim, InsurerDecision.ACCEPT, actor=find_user("insurer"))
        db.session.commit()
        upheld_id, dismissed_id = upheld.id, dismissed.id

    # The clerk posts the notice and records an objection against each claim, with the objector's mobile.
    first_batch = put_on_notice(phone, "clerk", [upheld_id, dismissed_id])
    object_to(app, phone, first_batch, upheld_id, "该户玉米单价按鲜食玉米计算，偏高。")
    object_to(app, phone, first_batch, dismissed_id, "该户受损面积不足一亩。")

    # The approver (who neither surveyed nor valued) reviews both from the approvals page.
    review(phone, upheld_id, "revalue", "经复核，应按籽粒玉米单价核定，重新核定。")
    assert status_of(app, upheld_id) == ClaimStatus.CONFIRMED
    review(phone, dismissed_id, "not_upheld", "经现场复核，受损面积为1.2亩，异议不成立。")
    assert status_of(app, dismissed_id) == ClaimStatus.IN_NOTICE
    with app.app_context():
        told = db.session.query(OutboxMessage).filter(OutboxMessage.recipient == OBJECTOR).count()
        assert told == 2, "the objector is told both findings by text message"

    # The officer values the upheld claim again, with the reason; the policy refers it to the insurer again.
    log_in(phone, "officer")
    phone.goto(f"/claims/{upheld_id}")
    assert_status(page, "confirmed")
    page.fill("#compute-form #reason", "异议成立，按籽粒玉米单价重新核定")
    click_to(phone, "#compute-form button[type=submit]", "save the new valuation")
    click_to(phone, "#value-form button[type=submit]", "submit the new valuation")
    assert_status(page, "referred")
    insurer_accepts(app, phone, upheld_id)

    # A new notice for the upheld claim.
    second_batch = put_on_notice(phone, "clerk", [upheld_id])
    assert second_batch != first_batch

    # The villager follows the claim on a 360-px phone: on notice again, the finding among the notices.
    log_in(phone, "13800000001")
    phone.goto(f"/claims/{upheld_id}")
    assert_status(page, "in_notice")
    assert page.locator("#objections").count() == 0, "the objector's name stays with the staff"
    phone.assert_no_horizontal_scroll()
    click_to(phone, "#bell", "open the notifications")
    assert "重新核定" in page.inner_text("main")
    phone.assert_no_horizontal_scroll()

    # After the notices, the approver approves both, and the insurer pays both.
    after_the_notice()
    for claim_id in (upheld_id, dismissed_id):
        approve_on_claim_page(phone, "approver", claim_id)
        assert_status(page, "approved")
    insurer_pays(phone, app, upheld_id, "ZHLH-2026-000201")
    insurer_pays(phone, app, dismissed_id, "ZHLH-2026-000202")
    with app.app_context():
        findings = {o.claim_id: o.outcome for o in db.session.query(Objection).all()}
        assert findings == {upheld_id: ObjectionOutcome.REVALUE, dismissed_id: ObjectionOutcome.NOT_UPHELD}
    phone.assert_clean()
