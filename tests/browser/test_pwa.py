"""The installable app on a phone: the service worker installs after the page, keeps the app shell, and without a
signal the phone shows the offline page with the app's own look instead of the browser's error; of the pages, only
the forms that work without a signal are kept, per account, until logout (tests/browser/test_offline_drafts.py).

Playwright's offline switch does not reach a service worker, so the signal is cut by routing: every request the
context makes, the service worker's included, is aborted.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import TIMEOUT_MS, Phone
from tests.browser.steps import log_in

pytestmark = [pytest.mark.browser]

MAX_SHELL_BYTES = 20 * 1024 * 1024
TOPBAR_GREEN = "rgb(31, 111, 67)"

CACHED = """async () => {
  const found = [];
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    for (const request of await cache.keys()) {
      const body = await (await cache.match(request)).arrayBuffer();
      found.push({url: new URL(request.url).pathname, bytes: body.byteLength, text: new TextDecoder().decode(body)});
    }
  }
  return found;
}"""


def wait_for_the_shell(page: Any) -> None:
    """Until the service worker is active (so it has precached the shell: it activates only after) and controls
    the page.

    A page whose navigation left before the worker activated and arrived after it claimed its clients is never
    claimed (clients.claim() takes the pages that exist when it runs): that page is opened again, as a user would,
    and the worker then serves it."""
    state = page.evaluate(
        """async (ms) => {
          const ready = (async () => {
            const registration = await navigator.serviceWorker.ready;
            if (!navigator.serviceWorker.controller) {
              const claimed = new Promise(resolve => navigator.serviceWorker.addEventListener('controllerchange', resolve, {once: true}));
              await Promise.race([claimed, new Promise(resolve => setTimeout(resolve, 2000))]);
            }
            return registration.active.state;
          })();
          // A service worker that fails to install never becomes ready: give up rather than wait for ever.
          const late = new Promise(resolve => setTimeout(() => resolve('not installed after ' + ms + ' ms'), ms));
          return Promise.race([ready, late]);
        }""",
        TIMEOUT_MS,
    )
    assert state in ("activating", "activated"), state
    if not page.evaluate("() => navigator.serviceWorker.controller !== null"):
        page.reload()
        assert page.evaluate("() => navigator.serviceWorker.controller !== null"), "the active worker serves no page"


def cut_the_signal(page: Any) -> list[str]:
    tried: list[str] = []

    def refuse(route: Any) -> None:
        tried.append(route.request.url)
        route.abort("internetdisconnected")

    page.context.route("**/*", refuse)
    return tried


def test_without_a_signal_the_phone_shows_the_offline_page_from_its_shell(app_phone: Phone) -> None:
    page = app_phone.page
    app_phone.goto("/claims/status")
    wait_for_the_shell(page)
    cached = page.evaluate(CACHED)
    paths = {c["url"] for c in cached}
    assert {"/static/css/app.css", "/static/js/claim-form.js", "/static/manifest.webmanifest", "/offline"} <= paths, paths
    assert sum(c["bytes"] for c in cached) < MAX_SHELL_BYTES

    app_phone.navigate(lambda: page.click("form.text-size button[value=large]"), "large text")  # 大字模式, chosen before
    tried = cut_the_signal(page)
    response = page.goto(app_phone.base_url + "/claims/status")
    assert response is not None and response.ok  # answered by the service worker, not the browser's error page
    assert page.locator("#offline").count() == 1
    assert any(url.endswith("/claims/status") for url in tried)  # it did try the network first
    # The stylesheet came from the phone: the page has the app's look without the network.
    assert page.evaluate("getComputedStyle(document.querySelector('.topbar')).backgroundColor") == TOPBAR_GREEN
    assert page.evaluate("getComputedStyle(document.querySelector('.button.primary')).minHeight") == "44px"
    page.wait_for_function("() => document.documentElement.classList.contains('large-text')")  # the size chosen holds offline

    page.context.unroute("**/*")
    app_phone.navigate(lambda: page.click("#offline a.button"), "try again with the signal back")
    assert page.locator("#offline").count() == 0 and page.locator("header.topbar nav").count() == 1
    app_phone.assert_clean()


def test_the_phone_keeps_only_the_filing_form_of_a_logged_in_villager_and_logging_out_removes_it(app_phone: Phone) -> None:
    page = app_phone.page
    log_in(app_phone, "13800000001")
    wait_for_the_shell(page)
    for path in ("/claims/", "/claims/new", "/notifications"):
        app_phone.goto(path)
    owner = page.get_attribute("meta[name=claims-account]", "content")
    cached = page.evaluate(CACHED)
    # The filing form, so that it opens without a signal; in the account's own cache. No other page (the place tree
    # is the shell's: region names, the same for everyone).
    assert {c["url"] for c in cached if not c["url"].startswith("/static/")} == {"/offline", "/places.js", "/claims/new", "/__owner"}
    caches = page.evaluate("caches.keys()")
    assert f"claims-forms-{owner}" in caches
    app_phone.navigate(lambda: page.click("form[data-logout] button"), "log out")
    assert page.evaluate("caches.keys()").count(f"claims-forms-{owner}") == 0
    cached = page.evaluate(CACHED)
    assert {c["url"] for c in cached if not c["url"].startswith("/static/")} <= {"/offline", "/places.js", "/__owner"}
    assert not [c["url"] for c in cached if not c["url"].startswith("/static/") and ("张建国" in c["text"] or "csrf_token" in c["text"])]
    app_phone.assert_clean()
