"""The installable app on a phone: the service worker installs after the page, keeps the app shell, and without a
signal the phone shows the offline page with the app's own look instead of the browser's error; pages themselves
are never kept on the phone.

Playwright's offline switch does not reach a service worker, so the signal is cut by routing: every request the
context makes, the service worker's included, is aborted.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import PHONE, TIMEOUT_MS, LiveServer, Phone
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


@pytest.fixture
def app_phone(browser: Any, live_server: LiveServer) -> Iterator[Phone]:
    """A phone that lets the app install its service worker."""
    context = browser.new_context(base_url=live_server.url, **{**PHONE, "service_workers": "allow"})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    phone = Phone(page=page, server=live_server)
    page.on("console", lambda m: m.type in ("error", "assert") and phone.errors.append(f"console.{m.type} on {page.url}: {m.text}"))
    page.on("pageerror", lambda exc: phone.errors.append(f"uncaught exception on {page.url}: {exc}"))
    yield phone
    context.close()


def wait_for_the_shell(page: Any) -> None:
    """Until the service worker is active (so it has precached the shell: it activates only after) and controls
    the page."""
    state = page.evaluate(
        """async (ms) => {
          const ready = (async () => {
            const registration = await navigator.serviceWorker.ready;
            if (!navigator.serviceWorker.controller) {
              await new Promise(resolve => navigator.serviceWorker.addEventListener('controllerchange', resolve, {once: true}));
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

    tried = cut_the_signal(page)
    response = page.goto(app_phone.base_url + "/claims/status")
    assert response is not None and response.ok  # answered by the service worker, not the browser's error page
    assert page.locator("#offline").count() == 1
    assert any(url.endswith("/claims/status") for url in tried)  # it did try the network first
    # The stylesheet came from the phone: the page has the app's look without the network.
    assert page.evaluate("getComputedStyle(document.querySelector('.topbar')).backgroundColor") == TOPBAR_GREEN
    assert page.evaluate("getComputedStyle(document.querySelector('.button.primary')).minHeight") == "44px"

    page.context.unroute("**/*")
    app_phone.navigate(lambda: page.click("#offline a.button"), "try again with the signal back")
    assert page.locator("#offline").count() == 0 and page.locator("header.topbar nav").count() == 1
    app_phone.assert_clean()


def test_the_phone_keeps_no_page_of_a_logged_in_villager(app_phone: Phone) -> None:
    page = app_phone.page
    log_in(app_phone, "13800000001")
    wait_for_the_shell(page)
    for path in ("/claims/", "/claims/new", "/notifications"):
        app_phone.goto(path)
    cached = page.evaluate(CACHED)
    assert {c["url"] for c in cached if not c["url"].startswith("/static/")} == {"/offline"}
    assert not [c["url"] for c in cached if "张建国" in c["text"] or "csrf_token" in c["text"]]
    app_phone.assert_clean()
