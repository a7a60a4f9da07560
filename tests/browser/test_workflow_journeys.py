"""Workflow journeys on a phone (issue 3): intake by the clerk, the field survey, the claimant's confirmation.

The starting claim is filed through the services (tests/workflow/conftest.py: file_claim); everything after
that is done on the pages, with taps and typing in Chromium, as the clerk, the officers and the villager.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from claims.extensions import db
from claims.intake.models import Claim
from claims.workflow.states import ClaimStatus
from tests.browser.steps import STATUS, assert_status, click_to, flashes, log_in, open_claim_from_queue, photo
from tests.workflow.conftest import file_claim

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:Passing SelectField choices as tuples is deprecated:DeprecationWarning"),
]

VILLAGER = "13800000001"


def submitted_claim(app: Flask, seed: int) -> tuple[int, str]:
    with app.app_context():
        claim = file_claim(VILLAGER, seed=seed)
        return claim.id, claim.number


def status_of(app: Flask, claim_id: int) -> ClaimStatus:
    with app.app_context():
        return db.session.get(Claim, claim_id).status


def villager_opens_claim(phone: Any, claim_id: int) -> None:
    """The villager's start page lists their recent claims; they tap this one."""
    log_in(phone, VILLAGER)
    click_to(phone, f"main .claim-row a[href='/claims/{claim_id}']", "villager opens the claim")


def open_details(page: Any, form_id: str) -> None:
    """The return and refuse forms sit folded in <details>; unfold the one holding `form_id`."""
    page.click(f"details:has(#{form_id}) > summary")
    page.wait_for_selector(f"#{form_id}", state="visible")


def test_claim_is_accepted_surveyed_on_a_phone_and_confirmed(app: Flask, phone: Any) -> None:
    page = phone.page
    claim_id, number = submitted_claim(app, seed=3)

    # The clerk accepts the application.
    log_in(phone, "clerk")
    open_claim_from_queue(phone, claim_id)
    assert number in page.inner_text("h1")
    assert_status(page, "submitted")
    phone.assert_no_horizontal_scroll()
    click_to(phone, "#accept-button", "accept")
    assert_status(page, "accepted")

    # A county officer assigns two surveyors.
    log_in(phone, "officer")
    open_claim_from_queue(phone, claim_id)
    boxes = page.locator("#assign-form input[type=checkbox][name=surveyors]")
    assert boxes.count() == 2
    boxes.nth(0).check()
    boxes.nth(1).check()
    click_to(phone, "#assign-form button[type=submit]", "assign")
    assert_status(page, "survey_assigned")

    # On site, the officer records the survey on the phone.
    click_to(phone, "#survey-link", "open the survey form")
    assert page.url.endswith(f"/claims/{claim_id}/survey")
    assert page.input_value("#visited_at"), "the visit time is prefilled"
    assert page.input_value("#surveyors_present"), "the surveyors are prefilled"
    assert page.input_value("#lines-0-quantity") == "2.5"  # the claimed quantity to start from
    page.check("input[name=evidence][value=tracks]")
    page.check("input[name=evidence][value=droppings]")
    page.fill("#lines-0-quantity", "2")
    page.fill("#lines-0-loss_rate", "80")
    page.fill("#lines-1-quantity", "3")
    page.select_option("#lines-1-condition", "killed")  # the chickens: an animal line asks its condition, not a loss rate
    page.select_option("#in_designated_area", "yes")
    page.check("input[name=prevention_in_place][value=fence]")
    page.check("input[name=outcome][value=eligible]")
    page.set_input_files("#photo-camera", [photo("survey-1.jpg", seed=71)])
    page.wait_for_function("() => (document.querySelector('[name=photo_meta]').value || '').includes('survey-1.jpg')")
    assert page.locator("#photo-preview img").count() == 1
    phone.assert_no_horizontal_scroll()
    page.evaluate("window.scrollTo(0, 0)")
    phone.screenshot("survey-form-officer")
    click_to(phone, "#survey-form button[type=submit]", "save the survey")
    assert page.url.endswith(f"/claims/{claim_id}"), page.url
    assert_status(page, "surveyed")
    assert page.locator("#survey-record").count() == 1

    # The villager is told, opens the claim and confirms the verified loss.
    log_in(phone, VILLAGER)
    bell = page.locator("#bell .count")
    assert bell.count() == 1 and int(bell.inner_text()) >= 1
    click_to(phone, "#bell", "notifications")
    unread = int(bell.inner_text())
    click_to(phone, f"main li[data-claim='{claim_id}'] button.row-open >> nth=0", "open the claim from a notification")
    assert_status(page, "surveyed")
    # Followed, the claim's notices are read: the bell counts only the others.
    assert (int(bell.inner_text()) if bell.count() else 0) < unread
    phone.assert_no_horizontal_scroll()
    page.check("#confirm-form input[name=decision][value=confirm]")
    page.check("#confirm-form input[name=agree]")
    click_to(phone, "#confirm-form button[type=submit]", "confirm")
    assert_status(page, "confirmed")
    assert status_of(app, claim_id) == ClaimStatus.CONFIRMED
    # Every step is in the history: the filing (draft started, form saved, photos added, submitted), the
    # acceptance, the assignment, the survey and its photo, the confirmation. The five steps that moved
    # the claim on end with "→ <new status>".
    history = page.locator("ol.history > li")
    assert history.count() == 9, page.inner_text("ol.history")
    steps = [t.strip() for t in history.all_inner_texts() if "→" in t]
    assert len(steps) == 5, steps
    assert steps[-1].rsplit("→", 1)[1].strip() in STATUS["confirmed"], steps
    phone.assert_no_horizontal_scroll()
    phone.assert_clean()


def test_returned_claim_is_corrected_and_submitted_again(app: Flask, phone: Any) -> None:
    page = phone.page
    claim_id, number = submitted_claim(app, seed=4)

    log_in(phone, "clerk")
    open_claim_from_queue(phone, claim_id)
    open_details(page, "return-form")
    page.check("#return-form input[name=items][value=bank_account]")
    page.check("#return-form input[name=items][value=photos]")
    page.fill("#return-form textarea[name=note]", "银行卡号少了一位，请核对；请补拍一张倒伏全景。")
    phone.assert_no_horizontal_scroll()
    click_to(phone, "#return-form button[type=submit]", "return for correction")
    assert_status(page, "returned")

    # The villager sees what to correct, edits the account and submits again.
    villager_opens_claim(phone, claim_id)
    assert_status(page, "returned")
    items = page.locator("#correction-items li")
    assert items.count() == 2
    assert "银行卡号少了一位" in page.inner_text("#correction-items")
    phone.assert_no_horizontal_scroll()
    click_to(phone, "#edit-link", "correct the application")
    assert page.url.endswith(f"/claims/{claim_id}/edit")
    assert page.input_value("#bank_account") == "6217995500001234567"
    page.fill("#bank_account", "6228480010123456789")
    if not page.is_checked("#declaration"):
        page.check("#declaration")
    phone.assert_no_horizontal_scroll()
    click_to(phone, "button[name=action][value=submit]", "submit again")
    assert page.locator("#claim-number").count() == 1, f"{page.url}: " + flashes(page)
    assert page.inner_text("#claim-number").strip() == number  # the same number

    click_to(phone, f"main a[href='/claims/{claim_id}']", "follow the claim")
    assert_status(page, "submitted")
    assert page.locator("#correction-items").count() == 0
    assert status_of(app, claim_id) == ClaimStatus.SUBMITTED
    with app.app_context():
        assert db.session.get(Claim, claim_id).bank_account == "6228480010123456789"
    phone.assert_clean()


def test_claim_refused_at_intake_shows_the_reasons(app: Flask, phone: Any) -> None:
    page = phone.page
    claim_id, _ = submitted_claim(app, seed=5)

    log_in(phone, "clerk")
    open_claim_from_queue(phone, claim_id)
    open_details(page, "refuse-form")
    page.check("#refuse-form input[name=reasons][value=not_wildlife]")
    page.fill("#refuse-form textarea[name=explanation]", "现场查看为家养猪逃逸所致，不属于野生动物致害。")
    click_to(phone, "#refuse-form button[type=submit]", "do not accept")
    assert_status(page, "not_accepted")

    villager_opens_claim(phone, claim_id)
    assert_status(page, "not_accepted")
    reasons = page.locator("#decision-reasons li")
    assert reasons.count() == 1
    assert "家养猪逃逸" in page.inner_text("#decision-reasons")
    assert page.locator("#edit-link").count() == 0  # nothing left to correct
    phone.assert_no_horizontal_scroll()
    phone.assert_clean()
