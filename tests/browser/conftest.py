"""Browser test set-up: the app served on a real port, Debian's Chromium driven by Playwright, a phone.

The live server serves the `app` fixture of tests/conftest.py (a fresh copy of the demo database per
test) with Werkzeug in a background thread. Chromium is Debian's build (`scripts/system-deps.sh test`,
called by `make test`, installs it); Playwright never downloads a browser here. When Chromium is
missing the tests fail with a message saying how to install it: a skipped browser suite would pass CI
without testing anything a villager sees.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

CHROMIUM_CANDIDATES = ("/usr/lib/chromium/chromium", "/usr/bin/chromium")
# Playwright adds --headless itself (since Chromium 132 that is the new headless mode). Without the
# background-networking flags Chromium keeps trying to reach Google's hosts through a closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# A mid-range Android phone, the device most villagers file from.
PHONE = {
    "viewport": {"width": 360, "height": 740},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
    "timezone_id": "Asia/Shanghai",
    "geolocation": {"latitude": 29.36, "longitude": 112.40, "accuracy": 15},
    "permissions": ["geolocation"],
    # The journeys test the pages, each in a fresh context: the service worker's precache would only add downloads
    # racing each test's end. tests/browser/test_pwa.py allows it and tests it.
    "service_workers": "block",
}
RESULTS = Path(__file__).resolve().parents[2] / "test-results"
TIMEOUT_MS = 10_000


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test in this folder is a browser journey, marked `browser` whether or not its module says so: `make test`
    runs them in its SQLite pass only (`-m "not browser"` in the PostgreSQL pass; tryfirst: before `-m` selects)."""
    here = Path(__file__).resolve().parent
    for item in items:
        if here in item.path.resolve().parents:
            item.add_marker(pytest.mark.browser)


def chromium_executable() -> str:
    for candidate in CHROMIUM_CANDIDATES:
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    pytest.fail(
        "Chromium is not installed (looked for " + " and ".join(CHROMIUM_CANDIDATES) + "). "
        "The browser tests need Debian's Chromium: run `bash scripts/system-deps.sh test` as root "
        "(`make test` does), or `apt-get install chromium`. Do not run `playwright install`.",
        pytrace=False,
    )


class ServerErrors(logging.Handler):
    """Errors the app logs while serving (its error handler logs every unexpected exception)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.setFormatter(logging.Formatter("%(name)s: %(message)s"))
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(self.format(record))


def buffered(app: Flask) -> Any:
    """The app as a WSGI callable whose response bodies are read whole and closed before the server writes them.

    Werkzeug's development server closes the response iterable in a `finally` that first drains the socket;
    when the browser has dropped the connection (it cancels a stylesheet or icon request as it navigates on),
    that drain raises and the iterable (a static file) is left to the garbage collector: a ResourceWarning at
    a random later point of the run, which the suite turns into a failure.
    """

    def wsgi(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        iterable = app(environ, start_response)
        try:
            return [b"".join(iterable)]
        finally:
            close = getattr(iterable, "close", None)
            if close is not None:
                close()

    return wsgi


class LiveServer:
    """Werkzeug's threaded server on 127.0.0.1 and a free port, in a daemon thread."""

    def __init__(self, app: Flask) -> None:
        self.server = make_server("127.0.0.1", 0, buffered(app), threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="live-server", daemon=True)
        self.errors = ServerErrors()

    def __enter__(self) -> LiveServer:
        logging.getLogger().addHandler(self.errors)
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
        logging.getLogger().removeHandler(self.errors)


@pytest.fixture
def live_server(app: Flask) -> Iterator[LiveServer]:
    with LiveServer(app) as server:
        yield server


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    executable = chromium_executable()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@dataclass
class Phone:
    """A page on a phone-sized context, with what went wrong in the browser collected as it happens."""

    page: Any
    server: LiveServer
    errors: list[str] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return self.server.url

    def check_response(self, response: Any, what: str, expect: int | None = None) -> None:
        """Fail at once, with the server's traceback, when a page answered with an error (or, given `expect`,
        with anything else than that status: a refused form answers 422; that expected answer is then
        dropped from the collected browser errors)."""
        status = response.status if response is not None else None
        if expect is not None and status == expect:
            self.errors[:] = [e for e in self.errors if not (e == f"HTTP {expect} for {response.url}" or (e.startswith("console.error") and str(expect) in e))]
            return
        if status is None or status >= 400 or expect is not None:
            logged = "\n".join(self.server.errors.messages[-2:])
            shown = self.page.evaluate("Array.from(document.querySelectorAll('.error, .flash, .flashes li')).map(e => e.innerText).join(' | ')")
            pytest.fail(f"{what}: HTTP {status} at {self.page.url}\n{shown}\n{logged}", pytrace=False)

    def goto(self, path: str) -> Any:
        response = self.page.goto(self.base_url + path)
        self.check_response(response, f"GET {path}")
        return response

    def navigate(self, action: Any, what: str, expect: int | None = None) -> Any:
        """Run `action` (a click that loads a new page) and check the page that comes back."""
        with self.page.expect_navigation() as info:
            action()
        self.check_response(info.value, what, expect)
        return info.value

    def screenshot(self, name: str) -> Path:
        RESULTS.mkdir(exist_ok=True)
        path = RESULTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def assert_no_horizontal_scroll(self) -> None:
        width = self.page.evaluate("document.documentElement.scrollWidth")
        viewport = self.page.viewport_size["width"]
        if width > viewport:
            culprits = self.page.evaluate(
                """(limit) => Array.from(document.querySelectorAll('body *'))
                     .filter(el => el.getBoundingClientRect().right > limit + 0.5)
                     .slice(0, 5).map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
                        (el.className && typeof el.className === 'string' ? '.' + el.className.trim().replace(/\\s+/g, '.') : '') +
                        ' right=' + Math.round(el.getBoundingClientRect().right))""",
                viewport,
            )
            pytest.fail(f"{self.page.url} scrolls sideways at {viewport} px: scrollWidth {width}; too wide: {culprits}")

    def assert_clean(self) -> None:
        problems = self.errors + [f"server error: {m}" for m in self.server.errors.messages]
        assert not problems, "errors in the browser or the server:\n" + "\n".join(problems)


@pytest.fixture
def phone(browser: Any, live_server: LiveServer) -> Iterator[Phone]:
    context = browser.new_context(base_url=live_server.url, **PHONE)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    phone = Phone(page=page, server=live_server)

    def on_console(message: Any) -> None:
        if message.type in ("error", "assert"):
            phone.errors.append(f"console.{message.type} on {page.url}: {message.text}")

    def on_csp(report: str) -> None:
        phone.errors.append(f"CSP violation on {page.url}: {report}")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: phone.errors.append(f"uncaught exception on {page.url}: {exc}"))
    page.on("response", lambda r: r.status >= 400 and phone.errors.append(f"HTTP {r.status} for {r.url}"))
    # Chromium logs a CSP violation as a console error too; the event also catches the report-only kind.
    page.expose_function("__cspViolation", on_csp)
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => window.__cspViolation("
        "e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') + ' at ' + e.sourceFile + ':' + e.lineNumber));"
    )
    yield phone
    context.close()


@pytest.fixture
def app_phone(browser: Any, live_server: LiveServer) -> Iterator[Phone]:
    """A phone that lets the app install its service worker (tests/browser/test_pwa.py, test_offline_drafts.py).
    Requests refused while a test has cut the signal are what the test does, not errors of the app."""
    context = browser.new_context(base_url=live_server.url, **{**PHONE, "service_workers": "allow"})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    phone = Phone(page=page, server=live_server)

    def on_console(message: Any) -> None:
        if message.type in ("error", "assert") and "ERR_INTERNET_DISCONNECTED" not in message.text:
            phone.errors.append(f"console.{message.type} on {page.url}: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: phone.errors.append(f"uncaught exception on {page.url}: {exc}"))
    yield phone
    context.close()


@pytest.fixture
def page(phone: Phone) -> Any:
    """The Playwright page of the `phone` fixture (360x740, touch, zh-CN, position near 南县)."""
    return phone.page
