"""Pages an elderly villager can use (the 2021 age-friendly specification for websites, 适老化): a large-text mode
that the phone keeps, tap targets of at least 44 px, no sideways scrolling, and axe-core finding no serious or
critical violation, on every page a villager sees, in both text sizes.

axe-core is the vendored copy (static/vendor/axe-core, pinned in package-lock.json), loaded into each page from
the app itself, so the pages' Content-Security-Policy stays as it is.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from claims.core.time import utcnow
from claims.documents.models import IssuedDocument
from claims.extensions import db
from tests.browser.steps import DEMO_PASSWORD
from tests.factories import advance, file_claim

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:Passing SelectField choices as tuples is deprecated:DeprecationWarning"),
]

VILLAGER = "13800000001"
AXE = "/static/vendor/axe-core/axe.min.js"
AXE_RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
LARGE_ROOT_PX = 22
NORMAL_ROOT_PX = 17

# Every control a finger taps, at least 44 x 44 CSS px. A checkbox or radio counts with its row (the label is part
# of the target); a link inside a sentence is exempt (WCAG 2.5.8's inline exception); a control hidden visually
# (the native file inputs behind their label buttons) is not a target.
SMALL_TARGETS = """(minimum) => {
  const visible = el => { const r = el.getBoundingClientRect(), s = getComputedStyle(el);
    return r.width > 1 && r.height > 1 && s.visibility !== 'hidden' && s.opacity !== '0'; };
  const inSentence = el => el.tagName === 'A' && Array.from(el.parentElement.childNodes)
    .some(n => n.nodeType === Node.TEXT_NODE && n.textContent.trim());
  const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.name ? '[name=' + el.name + ']' : '')
    + (el.getAttribute('href') ? '[href=' + el.getAttribute('href') + ']' : '') + ' "' + (el.innerText || el.value || '').trim().slice(0, 20) + '"';
  const small = [];
  for (const el of document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, summary')) {
    if (!visible(el) || inSentence(el)) continue;
    let box = el.getBoundingClientRect();
    if (el.type === 'checkbox' || el.type === 'radio') {
      const row = el.closest('li') || el.closest('label') || (el.id && document.querySelector('label[for="' + el.id + '"]'));
      if (row) box = row.getBoundingClientRect();
    }
    if (box.height < minimum - 0.5 || box.width < minimum - 0.5) small.push(name(el) + ' ' + Math.round(box.width) + 'x' + Math.round(box.height));
  }
  return small;
}"""

AXE_RUN = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
  return result.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => v.id + ' (' + v.impact + '): ' + v.help + ' at ' + v.nodes.slice(0, 4).map(n => n.target.join(' ')).join(', '));
}"""


def check_page(phone: Any, what: str) -> list[str]:
    """What an elderly villager would trip over on the page that is open: axe-core's serious and critical findings,
    tap targets under 44 px, sideways scrolling."""
    page = phone.page
    page.add_script_tag(url=AXE)
    problems = [f"{what}: {v}" for v in page.evaluate(AXE_RUN, AXE_RULES)]
    problems += [f"{what}: tap target under 44 px: {t}" for t in page.evaluate(SMALL_TARGETS, 44)]
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > page.viewport_size["width"]:
        problems.append(f"{what}: scrolls sideways ({width} px wide)")
    return problems


def root_px(page: Any) -> float:
    return float(page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)"))


def log_in(phone: Any) -> None:
    page = phone.page
    phone.goto("/login")
    page.fill("#login", VILLAGER)
    page.fill("#password", DEMO_PASSWORD)
    phone.navigate(lambda: page.click("main form button[type=submit]"), "log in")
    assert "/login" not in page.url, page.inner_text("main")


def log_out(phone: Any) -> None:
    phone.navigate(lambda: phone.page.click("header form[action$='/logout'] button"), "log out")


@pytest.fixture
def own_claims(app: Flask) -> dict[str, Any]:
    """The villager's claims at three points of their course: a draft, one just submitted, one valued and referred
    to the insurer (its page shows the survey and the amounts; the notifications page lists what happened)."""
    with app.app_context():
        draft = file_claim(VILLAGER, submit=False, incident_utc=utcnow() - timedelta(days=1))
        submitted = file_claim(VILLAGER, incident_utc=utcnow() - timedelta(days=2), species=None)
        valued = advance(file_claim(VILLAGER, incident_utc=utcnow() - timedelta(days=3)), "valued")
        db.session.commit()
        receipt = db.session.scalars(select(IssuedDocument).where(IssuedDocument.claim_id == valued.id)).first()
        assert receipt is not None
        return {"draft": draft.id, "submitted": submitted.id, "valued": valued.id, "verify": receipt.verification_code}


def villager_pages(phone: Any, own_claims: dict[str, Any]) -> list[str]:
    """Every problem found on the villager's pages in the text size the phone has now: before logging in, the
    villager's own pages, a refused filing form, and after logging out."""
    page = phone.page
    problems: list[str] = []
    for path in ("/", "/login", "/register", "/claims/status", f"/verify/{own_claims['verify']}"):
        phone.goto(path)
        problems += check_page(phone, path)
    missing = page.goto(phone.base_url + "/no-such-page")  # the error page a mistyped address shows
    assert missing is not None and missing.status == 404
    phone.errors[:] = [e for e in phone.errors if "404" not in e]
    problems += check_page(phone, "a page that does not exist")
    log_in(phone)
    own = (
        f"/claims/{own_claims['draft']}/edit", f"/claims/{own_claims['submitted']}/submitted", f"/claims/{own_claims['submitted']}",
        f"/claims/{own_claims['valued']}",
    )  # fmt: skip
    for path in ("/", "/claims/", *own, "/claims/new", "/claims/link", "/notifications", "/account/password"):
        phone.goto(path)
        problems += check_page(phone, path)
    phone.goto("/claims/new")
    phone.navigate(lambda: page.click("button[name=action][value=submit]"), "submit an empty claim form", expect=422)
    assert page.locator(".flash-error").count() > 0
    problems += check_page(phone, "refused /claims/new")
    log_out(phone)
    problems += check_page(phone, "after logging out")
    return problems


def test_villager_pages_pass_axe_and_44px_targets_in_both_text_sizes(phone: Any, own_claims: dict[str, Any]) -> None:
    page = phone.page
    phone.goto("/")
    assert root_px(page) == NORMAL_ROOT_PX
    problems = villager_pages(phone, own_claims)

    phone.navigate(lambda: page.click("header button[name=size][value=large]"), "large text on")
    assert root_px(page) == LARGE_ROOT_PX
    problems += [f"large text, {p}" for p in villager_pages(phone, own_claims)]
    log_in(phone)
    for name, path in (("claim", f"/claims/{own_claims['valued']}"), ("filing", "/claims/new")):
        phone.goto(path)
        phone.screenshot(f"large-text-{name}")  # test-results/, for a person to look at
    assert not problems, "\n".join(problems)
    phone.assert_clean()


def test_large_text_stays_on_the_phone_through_logging_out_and_in(phone: Any) -> None:
    page = phone.page
    log_in(phone)
    phone.goto("/claims/")
    phone.navigate(lambda: page.click("header button[name=size][value=large]"), "large text on")
    assert page.url.endswith("/claims/"), page.url  # back where the villager was
    assert page.evaluate("document.documentElement.classList.contains('large-text')")
    cookie = next(c for c in page.context.cookies() if c["name"] == "text_size")
    assert cookie["value"] == "large" and cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    assert cookie["expires"] - page.evaluate("Date.now() / 1000") > 300 * 86400  # kept for months, not the session

    log_out(phone)
    assert root_px(page) == LARGE_ROOT_PX  # the device's choice, not the account's
    log_in(phone)
    assert root_px(page) == LARGE_ROOT_PX

    phone.navigate(lambda: page.click("header button[name=size][value=normal]"), "large text off")
    assert root_px(page) == NORMAL_ROOT_PX
    assert not [c for c in page.context.cookies() if c["name"] == "text_size"]
    phone.assert_clean()


def test_large_text_on_a_half_filled_form_keeps_what_was_typed(phone: Any) -> None:
    """On a form with something typed in it the switch changes the size in place (no reload that would empty the form)
    and the server still records the choice for the next pages."""
    page = phone.page
    log_in(phone)
    phone.goto("/claims/new")
    page.fill("#claimant_address", "南县三仙湖镇三仙湖村5组")
    page.fill("#description", "野猪夜里进了稻田。")
    url = page.url
    with page.expect_response(lambda r: r.request.method == "POST" and "/text-size" in r.url):  # told in the background
        page.click("header button[name=size][value=large]")
    page.wait_for_function("document.documentElement.classList.contains('large-text')")
    assert root_px(page) == LARGE_ROOT_PX and page.url == url
    assert page.input_value("#claimant_address") == "南县三仙湖镇三仙湖村5组"
    assert page.input_value("#description") == "野猪夜里进了稻田。"
    assert [c for c in page.context.cookies() if c["name"] == "text_size" and c["value"] == "large"]
    page.click("header button[name=size][value=normal]")  # and back, still in place
    page.wait_for_function("!document.documentElement.classList.contains('large-text')")
    assert root_px(page) == NORMAL_ROOT_PX and page.input_value("#description") == "野猪夜里进了稻田。"
    phone.goto("/claims/")  # a page without typing: the ordinary post, and the page comes back at the new size
    phone.navigate(lambda: page.click("header button[name=size][value=large]"), "large text on")
    assert root_px(page) == LARGE_ROOT_PX
    phone.assert_clean()


def test_the_bell_is_a_drawing_not_an_emoji(phone: Any, own_claims: dict[str, Any]) -> None:
    """Phones without an emoji font showed 🔔 as a box: the bell is an inline SVG, hidden from screen readers, which
    read the link as "消息通知，N 条未读" (the valued claim has told the villager of it)."""
    page = phone.page
    log_in(phone)
    bell = page.locator("#bell")
    assert "🔔" not in bell.inner_text()
    assert bell.locator("svg[aria-hidden=true]").count() == 1
    box = bell.locator("svg").bounding_box()
    assert box is not None and box["width"] >= 20 and box["height"] >= 20
    unread = int(bell.locator(".count").inner_text())
    assert unread >= 1
    assert page.get_by_role("link", name=re.compile(rf"^(消息通知，{unread} 条未读|Notifications, {unread} unread)$")).count() == 1
    phone.assert_clean()
