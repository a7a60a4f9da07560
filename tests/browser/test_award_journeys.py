"""Award journeys on a phone (issue 5): valuation, the insurer's assessment, public notice, approval, payment.

Claims are brought to the loss-confirmed or valued step through the services; from there the officer,
the insurer's adjuster, the township clerk and the county approvers use the pages, with taps and typing.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from claims.accounts.services import find_user
from claims.approval.models import Payment, PaymentStatus, Share
from claims.core import time as clock
from claims.core.time import local_today
from claims.extensions import db
from claims.insurance.models import InsurerDecision, Split
from claims.insurance.operations import decide_as_insurer
from claims.intake.models import Claim
from claims.regions.admin_services import set_county_setting
from claims.workflow.states import ClaimStatus
from tests.approval.conftest import valued_claim
from tests.browser.steps import amount, assert_status, click_to, expect_not_found, flashes, log_in, open_claim_from_queue, shortcut
from tests.factories import advance, survey_input
from tests.workflow.conftest import file_claim, region

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:Passing SelectField choices as tuples is deprecated:DeprecationWarning"),
]


# --- set-up through the services ---------------------------------------------------------------------


def confirmed_claim(seed: int) -> Claim:
    """A 南县 claim filed, accepted, surveyed by officer2 (assigned by officer) and confirmed: ready to value."""
    claim = file_claim("13800000001", seed=seed)
    advance(claim, "confirmed", survey=survey_input(claim, surveyors_present="陈志强、周伟"))
    db.session.commit()
    return claim


def status_of(app: Flask, claim_id: int) -> ClaimStatus:
    with app.app_context():
        return db.session.get(Claim, claim_id).status


def payments_of(app: Flask, claim_id: int) -> dict[Share, tuple[PaymentStatus, Decimal]]:
    with app.app_context():
        rows = db.session.query(Payment).filter(Payment.claim_id == claim_id).all()
        return {p.share: (p.status, p.amount) for p in rows}


# --- steps on the pages ------------------------------------------------------------------------------


def put_on_notice(phone: Any, clerk: str, claim_ids: list[int]) -> int:
    """The clerk ticks the claims on the notice page and creates the notice; returns the batch id."""
    page = phone.page
    log_in(phone, clerk)
    shortcut(phone, "/notices")
    phone.assert_no_horizontal_scroll()
    for claim_id in claim_ids:
        page.check(f"#notice-form input[name=claims][value='{claim_id}']")
    assert page.input_value("#start_date") == local_today().isoformat()  # today, prefilled
    click_to(phone, "#notice-form button[type=submit]", "create the notice")
    assert "/notices/" in page.url, f"{page.url}: " + flashes(page)
    assert page.locator(".notice-table tbody tr").count() == len(claim_ids)
    return int(page.url.rstrip("/").rsplit("/", 1)[1])


def after_the_notice() -> None:
    """Jump past the 7-day notice: the live server runs in this process and reads the same clock."""
    clock.freeze(clock.utcnow() + timedelta(days=8))


def approve_on_claim_page(phone: Any, approver: str, claim_id: int) -> None:
    log_in(phone, approver)
    shortcut(phone, "/approvals")
    click_to(phone, f"main a[href='/claims/{claim_id}']", "open the claim to approve")
    assert_status(phone.page, "in_notice")
    phone.assert_no_horizontal_scroll()
    click_to(phone, "#approve-button", f"{approver} approves")


def pay_through_the_bank(phone: Any, treasurer: str, tmp_path: Path) -> str:
    """Make a payment batch, export the bank file, and import the bank's answer marking every line paid.

    Returns the first line's claim number as the bank file gives it.
    """
    page = phone.page
    log_in(phone, treasurer)
    shortcut(phone, "/payments")
    click_to(phone, "#new-batch", "make a payment batch")
    assert "/payments/" in page.url, f"{page.url}: " + flashes(page)
    phone.assert_no_horizontal_scroll()
    # A line's forms (bank reference, or why it failed) are wide enough to type in on a 360-px phone (they were 53 px).
    assert page.eval_on_selector("td.line-actions", "td => td.getBoundingClientRect().width") >= 240
    assert page.eval_on_selector("td.line-actions input[name=bank_reference]", "i => i.getBoundingClientRect().width") >= 120
    phone.screenshot("payment-batch")
    with page.expect_download() as info:
        page.click("#export")
    download = info.value
    exported = tmp_path / download.suggested_filename
    download.save_as(exported)
    assert exported.suffix == ".csv"
    rows = list(csv.reader(io.StringIO(exported.read_bytes().decode("utf-8-sig"))))
    header, lines = rows[0], rows[1:]
    assert header[0] == "reference" and len(lines) == 1, rows
    result = io.StringIO()
    writer = csv.writer(result, lineterminator="\r\n")
    writer.writerow(["reference", "status", "amount", "bank_reference", "reason"])
    writer.writerows([line[0], "SUCCESS", line[header.index("amount")], f"B{n:05d}", ""] for n, line in enumerate(lines, 1))
    page.set_input_files("#result-form input[name=file]", {"name": "result.csv", "mimeType": "text/csv", "buffer": result.getvalue().encode()})
    click_to(phone, "#result-form button[type=submit]", "import the bank's result")
    assert page.locator(".flash-warning").count() == 0, flashes(page)
    return lines[0][-1]


# --- journeys ----------------------------------------------------------------------------------------


def test_covered_claim_is_assessed_by_the_insurer_approved_twice_and_paid_by_both(app: Flask, phone: Any, tmp_path: Path) -> None:
    page = phone.page
    with app.app_context():
        claim = confirmed_claim(seed=41)
        claim_id, number = claim.id, claim.number
        # The second claim on the notice: valued, referred and accepted by the insurer through the services.
        other = valued_claim(seed=42, filer="13800000002")
        decide_as_insurer(other, InsurerDecision.ACCEPT, actor=find_user("insurer"))
        db.session.commit()
        other_id = other.id
        # Two approvers for anything above 100 yuan in 南县.
        set_county_setting(region("430921"), "second_approval_above", "100", local_today(), "浏览器测试", actor=find_user("admin"))
        db.session.commit()

    # The officer values the claim on its page: the quote, saved, then submitted; the policy refers it.
    log_in(phone, "officer")
    open_claim_from_queue(phone, claim_id)
    assert_status(page, "confirmed")
    assert page.locator("#valuation-panel #compute-form").count() == 1, flashes(page)
    phone.assert_no_horizontal_scroll()
    click_to(phone, "#compute-form button[type=submit]", "save the valuation")
    click_to(phone, "#value-form button[type=submit]", "submit the valuation")
    assert_status(page, "referred")

    # The insurer's adjuster opens the referral from the portal and lowers one line, with a reason.
    log_in(phone, "insurer")
    shortcut(phone, "/insurer/")
    click_to(phone, f"main a[href='/insurer/referrals/{claim_id}']", "open the referral")
    assert number in page.inner_text("h1")
    page.check("#insurer-form input[name=decision][value=adjust]")
    government_value = Decimal(page.input_value("#lines-0-amount"))
    assert government_value > 0
    lowered = (government_value / 2).quantize(Decimal("0.01"))
    page.fill("#lines-0-amount", str(lowered))
    page.fill("#lines-0-reason", "倒伏面积按保险查勘核减一半")
    phone.assert_no_horizontal_scroll()
    page.evaluate("window.scrollTo(0, 0)")
    phone.screenshot("insurer-referral")
    click_to(phone, "#insurer-form button[type=submit]", "record the insurer's decision")
    assert page.locator("#insurer-form").count() == 0, flashes(page)
    assert status_of(app, claim_id) == ClaimStatus.INSURER_DECIDED

    # The officer sees the split: the insurer pays its assessment, the government the rest.
    log_in(phone, "officer")
    phone.goto(f"/claims/{claim_id}")
    assert_status(page, "insurer_decided")
    insurer_share, government_share = amount(page.inner_text("#insurer-share")), amount(page.inner_text("#government-share"))
    assert insurer_share > 0 and government_share > 0, (insurer_share, government_share)
    assert government_share == government_value - lowered
    phone.assert_no_horizontal_scroll()

    # The clerk puts both claims on notice, prints it, and records an objection against the second.
    batch_id = put_on_notice(phone, "clerk", [claim_id, other_id])
    click_to(phone, f"main a[href='/notices/{batch_id}/print']", "printable notice")
    assert page.locator(".notice-table tbody tr").count() == 2
    assert number in page.inner_text(".notice-table")
    phone.assert_no_horizontal_scroll()
    phone.screenshot("notice-print")
    page.go_back()
    page.select_option("#objection select[name=claim_id]", str(other_id))
    page.fill("#objection #objector", "李四，三仙湖村")
    page.fill("#objection #reason", "该户受损面积不足一亩，公示金额偏高。")
    click_to(phone, "#objection button[type=submit]", "record the objection")
    assert status_of(app, other_id) == ClaimStatus.OBJECTION_REVIEW
    assert status_of(app, claim_id) == ClaimStatus.IN_NOTICE

    # After the notice period: above the county's amount, two approvers must approve.
    after_the_notice()
    approve_on_claim_page(phone, "approver", claim_id)
    assert page.locator(".flash-info").count() == 1, flashes(page)  # a second approver is needed
    assert_status(page, "in_notice")
    assert page.locator("#approve-button").count() == 0  # not twice by the same approver
    approve_on_claim_page(phone, "approver2", claim_id)
    assert_status(page, "approved")
    shares = payments_of(app, claim_id)
    assert shares == {Share.GOVERNMENT: (PaymentStatus.PENDING, government_share), Share.INSURER: (PaymentStatus.PENDING, insurer_share)}, shares

    # The treasurer pays the government share through the bank file.
    assert pay_through_the_bank(phone, "approver", tmp_path) == number
    assert payments_of(app, claim_id)[Share.GOVERNMENT][0] == PaymentStatus.PAID
    assert status_of(app, claim_id) == ClaimStatus.APPROVED  # the insurer has not paid yet

    # The insurer records its own payment; with both shares paid the claim is closed.
    log_in(phone, "insurer")
    shortcut(phone, "/insurer/")
    click_to(phone, f"main a[href='/insurer/referrals/{claim_id}']", "open the referral again")
    page.fill("#insurer-payment #amount", str(insurer_share))
    page.fill("#insurer-payment #reference", "ZHLH-2026-000123")
    phone.assert_no_horizontal_scroll()
    click_to(phone, "#insurer-payment button[type=submit]", "record the insurer's payment")
    assert status_of(app, claim_id) == ClaimStatus.CLOSED, flashes(page)
    phone.goto(f"/claims/{claim_id}")
    assert_status(page, "closed")
    phone.assert_clean()


def test_uncovered_claim_is_paid_by_the_government_alone(app: Flask, phone: Any, tmp_path: Path) -> None:
    page = phone.page
    with app.app_context():
        claim = valued_claim("chaling", seed=51)
        claim_id, number = claim.id, claim.number
        split = db.session.get(Split, claim_id)
        assert split.insurer_share == 0 and split.government_share > 0
        government_share = split.government_share

    put_on_notice(phone, "clerk_cl", [claim_id])
    after_the_notice()

    # One approver suffices in 茶陵县 at this amount; here from the approval list.
    log_in(phone, "approver_cl")
    shortcut(phone, "/approvals")
    page.check(f"main input[name=claims][value='{claim_id}']")
    click_to(phone, "main form button[type=submit]", "approve the chosen claims")
    assert status_of(app, claim_id) == ClaimStatus.APPROVED, flashes(page)
    assert payments_of(app, claim_id) == {Share.GOVERNMENT: (PaymentStatus.PENDING, government_share)}

    assert pay_through_the_bank(phone, "approver_cl", tmp_path) == number
    assert status_of(app, claim_id) == ClaimStatus.CLOSED
    phone.goto(f"/claims/{claim_id}")
    assert_status(page, "closed")

    # No insurer is involved: its adjuster can open neither the referral nor the claim.
    log_in(phone, "insurer")
    shortcut(phone, "/insurer/")
    assert page.locator(f"main a[href='/insurer/referrals/{claim_id}']").count() == 0
    expect_not_found(phone, f"/insurer/referrals/{claim_id}")
    expect_not_found(phone, f"/claims/{claim_id}")
    phone.assert_clean()
