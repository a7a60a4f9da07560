"""The public status enquiry (issue 15, item 5): without logging in, a claim number and the last four characters of the
claimant's ID number give the claim's status, its next step and its filing, decision and payment dates (China's
local dates), and nothing else. Wrong digits read exactly as a number that does not exist; guesses are counted per
address and per claim number (claims/core/throttle.py), and the 429 page is the app's Chinese one with its wait.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from claims.approval.models import Decision
from claims.core import time as clock
from claims.core.crypto import mask_id_number, mask_name
from claims.core.formatting import amount, money
from claims.extensions import db
from claims.intake.models import Claim
from tests.accounts import test_throttling
from tests.approval.conftest import approved_chaling_claims, pay_through_the_bank, valued_claim
from tests.conftest import csrf_token
from tests.factories import page_text
from tests.test_every_page_chinese import page_problems

PAGE = "/claims/status"
# Filed at 01:30 on 11 December 2026 in China, still 10 December in UTC: the page shows China's date. (In 2026: the
# schedule values at the previous year's reference prices, which the demo data has for 2025.)
FILED = datetime(2026, 12, 10, 17, 30, tzinfo=UTC)
NOT_FOUND = "没有查到相符的申请"


@dataclass(frozen=True)
class Paid:
    """A claim filed, approved (8 days later) and paid (2 days after that), and what its page must never show."""

    number: str
    last4: str
    private: tuple[str, ...]


@pytest.fixture
def paid(app: Flask) -> Paid:
    clock.freeze(FILED)
    with app.app_context():
        claim = approved_chaling_claims(1)[0]
        clock.freeze(clock.utcnow() + timedelta(days=2))
        pay_through_the_bank(claim)
        claim = db.session.get(Claim, claim.id)
        decision = db.session.execute(select(Decision).where(Decision.claim_id == claim.id)).scalar_one()
        id_number = claim.claimant_id_number or ""
        private = (
            claim.claimant_name or "",
            mask_name(claim.claimant_name),
            id_number,
            mask_id_number(id_number),
            claim.claimant_mobile or "",
            claim.claimant_address or "",
            claim.bank_account or "",
            claim.bank_account[-4:] if claim.bank_account else "",
            claim.village.name if claim.village else "",
            money(decision.total),
            amount(decision.total),
            money(claim.estimated_amount),
            "元",
        )
        return Paid(claim.number or "", id_number[-4:], tuple(p for p in private if p))


def _ask(client: FlaskClient, number: str, digits: str, *, token: str | None = None) -> TestResponse:
    return client.post(PAGE, data={"number": number, "id_last4": digits, "csrf_token": token or csrf_token(client, PAGE)})


def _wrong(digits: str) -> str:
    return digits[:3] + ("0" if digits[3] != "0" else "1")


def _comparable(html: str, number: str) -> str:
    """The page without what differs between two requests: the CSRF token, and the number as it was typed."""
    html = re.sub(r'name="csrf_token"([^>]*)value="[^"]*"', r'name="csrf_token"\1value="TOKEN"', html)
    return html.replace(number, "NUMBER")


def test_the_right_number_and_digits_give_status_next_step_and_local_dates(app: Flask, paid: Paid) -> None:
    response = _ask(app.test_client(), paid.number, paid.last4)
    assert response.status_code == 200
    text = page_text(response.get_data(as_text=True))
    assert paid.number in text
    assert "状态 已办结 下一步 无" in text  # paid, then closed: the status, and its next step in words (none)
    assert "2026年12月11日" in text and "2026年12月10日" not in text  # filed: China's date, not UTC's
    assert "2026年12月19日" in text and "2026年12月21日" in text  # approved, paid
    assert NOT_FOUND not in text
    assert response.headers["Cache-Control"] == "no-store"


def test_a_claim_without_a_decision_says_so_in_plain_words(app: Flask) -> None:
    clock.freeze(FILED)
    with app.app_context():
        claim = valued_claim("chaling", seed=2)  # uninsured: valued, waiting for the public notice
        number, last4 = claim.number or "", (claim.claimant_id_number or "")[-4:]
    text = page_text(_ask(app.test_client(), number, last4).get_data(as_text=True))
    assert "已核损" in text and "2026年12月11日" in text
    assert text.count("尚无") == 2  # no decision date, no payment date yet


def test_a_number_typed_with_spaces_full_width_digits_or_without_hyphens_is_found(app: Flask, paid: Paid) -> None:
    digits = paid.number.replace("-", "")
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in digits)
    for typed in (f" {paid.number} ", f"{digits[:6]} {digits[6:10]} {digits[10:]}", full_width, digits):
        text = page_text(_ask(app.test_client(), typed, paid.last4.lower()).get_data(as_text=True))
        assert "已办结" in text, typed


def test_wrong_digits_read_exactly_as_a_claim_that_does_not_exist(app: Flask, paid: Paid) -> None:
    client = app.test_client()
    wrong = _ask(client, paid.number, _wrong(paid.last4))
    county, year, sequence = paid.number.split("-")
    absent_number = f"{county}-{year}-{int(sequence) + 500:06d}"
    absent = _ask(client, absent_number, paid.last4)
    assert wrong.status_code == absent.status_code == 200
    assert NOT_FOUND in page_text(wrong.get_data(as_text=True))
    assert _comparable(wrong.get_data(as_text=True), paid.number) == _comparable(absent.get_data(as_text=True), absent_number)
    volatile = {"Set-Cookie", "Content-Length", "X-Request-ID"}
    assert {k: v for k, v in wrong.headers.items() if k not in volatile} == {k: v for k, v in absent.headers.items() if k not in volatile}


def test_nothing_personal_on_the_answer_page(app: Flask, paid: Paid) -> None:
    client = app.test_client()
    for digits in (paid.last4, _wrong(paid.last4)):
        html = _comparable(_ask(client, paid.number, digits).get_data(as_text=True), paid.number)
        shown = [value for value in (*paid.private, paid.last4) if value in html]
        assert shown == [], f"the page shows {shown}"


def test_the_pages_are_in_chinese(app: Flask, paid: Paid) -> None:
    client = app.test_client()
    form = client.get(PAGE).get_data(as_text=True)
    assert 'lang="zh-CN"' in form and "查询申请进度" in form and "身份证号码最后4位" in form
    for html in (form, _ask(client, paid.number, paid.last4).get_data(as_text=True), _ask(client, paid.number, "1").get_data(as_text=True)):
        assert page_problems(html, data={paid.number}) == []


def test_a_malformed_number_or_digits_are_refused_with_the_reason(app: Flask) -> None:
    response = _ask(app.test_client(), "南县的申请", "12")
    assert response.status_code == 422
    text = page_text(response.get_data(as_text=True))
    assert "例如 430921-2026-000123" in text and "请输入身份证号码的最后4位" in text
    assert 'value="12"' not in response.get_data(as_text=True)  # what was typed of the ID number is never echoed


def test_the_start_and_login_pages_link_to_it(app: Flask) -> None:
    client = app.test_client()
    for page in ("/", "/login"):
        assert f'href="{PAGE}"' in client.get(page).get_data(as_text=True), page


def test_an_out_of_date_form_starts_again_without_a_login(app: Flask) -> None:
    client = app.test_client()
    client.get(PAGE)
    response = client.post(PAGE, data={"number": "430224-2026-000001", "id_last4": "1234"})  # no token
    assert response.status_code == 302 and response.headers["Location"] == PAGE
    assert "请重新输入" in page_text(client.get(PAGE).get_data(as_text=True))


# --- the rate limits ------------------------------------------------------------------------------------------


# Throttling on, over this test's database, with its own counters; clients from given addresses.
throttled = test_throttling.throttled
_from = test_throttling._client


def _refused(response: TestResponse) -> bool:
    if response.status_code != 429:
        return False
    assert 1 <= int(response.headers["Retry-After"]) <= 3600
    assert "请求过于频繁" in response.get_data(as_text=True)
    return True


def test_one_address_is_limited_whatever_numbers_it_tries(throttled: Flask, paid: Paid) -> None:
    client = _from(throttled, "203.0.113.5")
    token = csrf_token(client, PAGE)
    county, year, sequence = paid.number.split("-")
    answers = [_ask(client, f"{county}-{year}-{int(sequence) + n:06d}", "1234", token=token) for n in range(11)]
    assert [r.status_code for r in answers[:10]] == [200] * 10 and _refused(answers[10])
    assert _ask(_from(throttled, "198.51.100.7"), paid.number, paid.last4).status_code == 200  # others are not held up


def test_one_claim_number_is_limited_from_every_address_however_it_is_typed(throttled: Flask, paid: Paid) -> None:
    digits = paid.number.replace("-", "")
    typings = [paid.number, digits, f"{digits[:6]} {digits[6:10]} {digits[10:]}"]
    answers = [_ask(_from(throttled, f"203.0.113.{n + 10}"), typings[n % 3], f"{n:04d}") for n in range(6)]
    assert [r.status_code for r in answers[:5]] == [200] * 5 and _refused(answers[5])
    # The right digits wait too (a guesser cannot tell a limit from an answer), and an unknown number counts the same.
    assert _refused(_ask(_from(throttled, "203.0.113.99"), paid.number, paid.last4))
    county, year, sequence = paid.number.split("-")
    absent = f"{county}-{year}-{int(sequence) + 500:06d}"
    absent_answers = [_ask(_from(throttled, f"198.51.100.{n + 10}"), absent, f"{n:04d}") for n in range(6)]
    assert [r.status_code for r in absent_answers[:5]] == [200] * 5 and _refused(absent_answers[5])
