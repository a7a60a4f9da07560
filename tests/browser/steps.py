"""Steps the workflow and award journeys share: logging in as one demo user after another, opening a claim,
reading its status and amounts, taking a photo, and pages that are expected to answer 404.

Elements are found by ids, names, hrefs and values, never by visible text; status titles are compared
with both languages' titles, so the steps hold whichever language the catalog is in.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from tests.intake.images import jpeg_bytes

DEMO_PASSWORD = "Demo@2026"

# Status titles in Chinese and English (the phone asks for zh-CN; the English ones keep the tests
# passing when a title is not translated yet).
STATUS = {
    "submitted": {"已提交", "Submitted"},
    "returned": {"退回补正", "Returned for correction"},
    "not_accepted": {"不予受理", "Not accepted"},
    "accepted": {"已受理", "Accepted"},
    "survey_assigned": {"已指派勘查", "Survey assigned"},
    "surveyed": {"已勘查", "Surveyed"},
    "confirmed": {"损失已确认", "Loss confirmed"},
    "referred": {"已移交保险公司", "Referred to insurer"},
    "insurer_decided": {"保险公司已定损", "Insurer decided"},
    "valued": {"已核损", "Valued"},
    "in_notice": {"公示中", "In public notice"},
    "objection_review": {"异议复核中", "Objection under review"},
    "approved": {"已审批", "Approved"},
    "closed": {"已办结", "Closed"},
}


def log_in(phone: Any, login: str) -> None:
    """Log in as `login`, dropping whoever was logged in on this phone before (a fresh session)."""
    page = phone.page
    # Leave the last page first: a request of it still on its way (drafts.js asks /sync/session who is logged in)
    # could otherwise come back after the cookies are cleared with the old session's cookie, or, once the clock has
    # jumped past its idle limit, with that session ended, and the login form's CSRF token would then fail.
    page.goto("about:blank")
    page.context.clear_cookies()
    phone.goto("/login")
    page.fill("#login", login)
    page.fill("#password", DEMO_PASSWORD)
    phone.navigate(lambda: page.click("main form button[type=submit]"), f"log in as {login}")
    assert "/login" not in page.url, page.inner_text("main")


def click_to(phone: Any, selector: str, what: str | None = None) -> None:
    """Tap a link or button that loads a new page, and check the page that comes back."""
    phone.navigate(lambda: phone.page.click(selector), what or selector)


def shortcut(phone: Any, href: str) -> None:
    """From the start page, tap one of the role's shortcut buttons."""
    phone.goto("/")
    click_to(phone, f"nav.shortcuts a[href='{href}']", f"shortcut {href}")
    assert phone.page.url.endswith(href), phone.page.url


def open_claim_from_queue(phone: Any, claim_id: int) -> None:
    """Staff: the To-do list in the top bar, then the claim's line in it."""
    click_to(phone, "header nav a[href='/queue']", "to-do list")
    click_to(phone, f"main a[href='/claims/{claim_id}']", "open the claim")


def status_title(page: Any) -> str:
    return page.inner_text(".status-card .badge").strip()


def assert_status(page: Any, status: str) -> None:
    title = status_title(page)
    assert title in STATUS[status], f"status {title!r} on {page.url}, expected {status}: " + flashes(page)


def flashes(page: Any) -> str:
    texts = page.eval_on_selector_all(".flash, .error", "els => els.map(e => e.innerText.trim())")
    return " | ".join(texts)


def amount(text: str) -> Decimal:
    """¥1,234.50 (and any words after it) as a Decimal."""
    match = re.search(r"¥\s*([\d,]+\.\d{2})", text)
    assert match, f"no amount in {text!r}"
    return Decimal(match.group(1).replace(",", ""))


def photo(name: str, seed: int) -> dict[str, Any]:
    return {"name": name, "mimeType": "image/jpeg", "buffer": jpeg_bytes(640, 480, seed=seed)}


def expect_not_found(phone: Any, path: str) -> None:
    """Open a page that must answer 404, and drop that expected 404 from the collected browser errors."""
    response = phone.page.goto(phone.base_url + path)
    assert response is not None and response.status == 404, f"{path}: HTTP {response.status if response else None}, expected 404"
    url = phone.base_url + path
    phone.errors[:] = [e for e in phone.errors if e != f"HTTP 404 for {url}" and not (e.startswith(f"console.error on {url}:") and "404" in e)]
