"""Load: villagers filing with photos, clerks and officers working their queues, approvers approving, at once.

Builds a throw-away instance on PostgreSQL (a scratch database, the real migrations, the demo data) and
prepares it in-process: ``--villager-accounts`` villager accounts to file from, and ``--approvable``
uninsured claims in 茶陵县 taken through the real services to the end of a public notice (the notice's
dates are then moved into the past, as if the period had run). Then it starts gunicorn on loopback
(``--workers`` processes with ``--threads`` threads each) and, for ``--seconds`` seconds, runs these
virtual users as threads, each with its own session cookie and its own client address
(``X-Forwarded-For``, with ``TRUSTED_PROXIES=1``, so the throttling sees many phones, not one):

* villager (``--villagers``): signs in with a fresh account, opens the filing form, files a claim with three
  4000x3000 phone photos (the same kind of JPEG as bench/intake.py), reads the acknowledgement and the list
  of their claims;
* clerk (``--clerks``, 南县 then 茶陵县's township clerk): the to-do list, a claim from it, accepts it when
  the page offers that, the claim list, the notices page;
* officer (``--officers``): the to-do list, the overdue list, the claim list, a claim from it;
* approver (``--approvers``, 茶陵县): the approvals page, approves up to three claims from it in one batch,
  the payments page, the claim list.

An error is a 5xx answer, a failed connection, or an answer a user would not expect (a sign-in that does
not sign in, a filing that is not acknowledged, an approval that is not recorded); two clerks accepting the
same claim at once is expected, and the second is told so on the claim's page (not an error). Prints per page the requests and
p95, then as its last line one JSON object: ``{"errors": ..., "claims_per_minute": ..., "pages_per_second":
..., "p95_ms": {...}}``. The goal is 0 errors.

    .venv/bin/python bench/load.py                                    # 60 s on the local PostgreSQL
    .venv/bin/python bench/load.py --seconds 20 --approvable 20       # a quick check
"""

from __future__ import annotations

import argparse
import contextlib
import html as html_lib
import http.client
import itertools
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `python bench/load.py` from anywhere
    sys.path.insert(0, str(ROOT))

from bench.intake import CHINA, DEMO_PASSWORD, Instance, claim_photos, filing_body, instance, make_pool, percentile  # noqa: E402

DEFAULT_DATABASE = "postgresql://postgres@127.0.0.1:5432/test"
CLAIM_LINK = re.compile(r'href="/claims/(\d+)"')
APPROVABLE = re.compile(r'name="claims"[^>]*value="(\d+)"|value="(\d+)"[^>]*name="claims"')
ACK = re.compile(r"/claims/\d+/submitted$")
FORM = re.compile(r'<form[^>]*action="([^"]+)"[^>]*>(.*?)</form>', re.S)
INPUT = re.compile(r"<input\b[^>]*>")
ATTR = re.compile(r'(\w[\w-]*)="([^"]*)"')


# --- what was seen -------------------------------------------------------------------------------


@dataclass
class Record:
    started: float
    deadline: float
    lock: threading.Lock = field(default_factory=threading.Lock)
    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    filed: int = 0
    accepted: int = 0
    approved: int = 0

    def page(self, label: str, ms: float) -> None:
        with self.lock:
            self.times[label].append(ms)

    def error(self, text: str) -> None:
        with self.lock:
            self.errors.append(text)

    def count(self, what: str) -> None:
        with self.lock:
            setattr(self, what, getattr(self, what) + 1)

    def running(self) -> bool:
        return time.monotonic() < self.deadline


class Unexpected(Exception):
    """An answer a user would not expect (recorded as an error; the virtual user starts its round again)."""


def label_of(method: str, path: str) -> str:
    return f"{method} " + re.sub(r"/\d+", "/<id>", path.split("?")[0])


class Browser:
    """One phone or desk: a keep-alive connection, the session cookie, its own client address."""

    def __init__(self, port: int, address: str, record: Record) -> None:
        self.port, self.address, self.record = port, address, record
        self.cookies: dict[str, str] = {}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def request(self, method: str, path: str, body: bytes | None = None, content_type: str | None = None) -> tuple[int, dict[str, str], str]:
        headers = {"X-Forwarded-For": self.address, "Accept-Language": "zh-CN"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if content_type:
            headers["Content-Type"] = content_type
        start = time.perf_counter()
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            text = response.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException) as exc:
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            raise Unexpected(f"{method} {path}: {type(exc).__name__}") from exc
        self.record.page(label_of(method, path), (time.perf_counter() - start) * 1000)
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key] = rest.split(";", 1)[0]
        if response.status >= 500:
            raise Unexpected(f"{method} {path}: {response.status}")
        return response.status, {k.lower(): v for k, v in response.getheaders()}, text

    def get(self, path: str, expect: int = 200) -> str:
        status, _, text = self.request("GET", path)
        if status != expect:
            raise Unexpected(f"GET {path}: {status}")
        return text

    def post(self, path: str, fields: list[tuple[str, str]]) -> tuple[int, str]:
        status, headers, _ = self.request("POST", path, urlencode(fields).encode(), "application/x-www-form-urlencoded")
        return status, headers.get("location", "")

    def sign_in(self, login: str) -> None:
        token = csrf(self.get("/login"))
        status, location = self.post("/login", [("csrf_token", token), ("login", login), ("password", DEMO_PASSWORD)])
        if status != 302 or "/login" in location:
            raise Unexpected(f"sign-in of {login}: {status} {location}")


def csrf(page: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"', page)
    if match is None:
        raise Unexpected("no CSRF token on the page")
    return match.group(1) or match.group(2)


def form_fields(page: str, action_suffix: str) -> tuple[str, list[tuple[str, str]]] | None:
    """The action and hidden fields of the first form whose action ends with ``action_suffix``."""
    for action, inner in FORM.findall(page):
        if action.endswith(action_suffix):
            fields = []
            for tag in INPUT.findall(inner):
                attrs = dict(ATTR.findall(tag))
                if attrs.get("type") == "hidden" and "name" in attrs:
                    fields.append((attrs["name"], html_lib.unescape(attrs.get("value", ""))))
            return html_lib.unescape(action), fields
    return None


# --- the virtual users ---------------------------------------------------------------------------


class Taker:
    """The next unused villager account and claim number, for any thread."""

    def __init__(self, accounts: Iterator[str], numbers: Iterator[int]) -> None:
        self.accounts, self.numbers, self.lock = accounts, numbers, threading.Lock()

    def account(self) -> str:
        with self.lock:
            return next(self.accounts)

    def number(self) -> int:
        with self.lock:
            return next(self.numbers)


def villager(browser: Browser, inst: Instance, pool: list[bytes], take: Taker) -> None:
    mobile = take.account()
    browser.cookies.clear()
    browser.sign_in(mobile)
    token = csrf(browser.get("/claims/new"))
    number = take.number()
    boundary, body = filing_body(inst, token, claim_photos(pool, number), number, datetime.now(CHINA), mobile)
    status, headers, _ = browser.request("POST", "/claims/new", body, f"multipart/form-data; boundary={boundary}")
    location = headers.get("location", "")
    if status != 302 or not ACK.search(location):
        raise Unexpected(f"filing not acknowledged: {status} {location}")
    browser.get(location)
    browser.record.count("filed")
    browser.get("/claims/")


def clerk(browser: Browser) -> None:
    ids = CLAIM_LINK.findall(browser.get("/queue"))
    if ids:
        claim_id = ids[len(ids) // 2]
        page = browser.get(f"/claims/{claim_id}")
        form = form_fields(page, f"/claims/{claim_id}/accept")
        if form is not None:
            status, location = browser.post(*form)
            if status != 302:
                raise Unexpected(f"accept of claim {claim_id}: {status}")
            browser.record.count("accepted")
            browser.get(location)  # back to the claim: accepted by this clerk, or already by another (told so)
    browser.get("/claims/")
    browser.get("/notices")


def officer(browser: Browser) -> None:
    browser.get("/queue")
    browser.get("/overdue")
    ids = CLAIM_LINK.findall(browser.get("/claims/"))
    if ids:
        browser.get(f"/claims/{ids[0]}")


def approver(browser: Browser) -> None:
    page = browser.get("/approvals")
    ids = [a or b for a, b in APPROVABLE.findall(page)][:3]
    if ids:
        status, _ = browser.post("/approvals", [("csrf_token", csrf(page)), *(("claims", i) for i in ids)])
        if status != 302:
            raise Unexpected(f"batch approval: {status}")
        for _ in ids:
            browser.record.count("approved")
    browser.get("/payments")
    browser.get("/claims/")


def run_user(name: str, browser: Browser, login: str | None, round_: Callable[[Browser], None]) -> None:
    record = browser.record
    signed_in = False
    while record.running():
        try:
            if login and not signed_in:
                browser.sign_in(login)
                signed_in = True
            round_(browser)
        except Unexpected as exc:
            if record.running():  # what the end of the run cut off is not the app's error
                record.error(f"{name}: {exc}")
            signed_in = False
            browser.cookies.clear()


# --- the instance --------------------------------------------------------------------------------


def prepare(inst: Instance, villagers: int, approvable: int) -> list[str]:
    """Villager accounts to file from, and uninsured claims whose notice has run (approvable)."""
    from sqlalchemy import update

    from claims.accounts.models import Role
    from claims.accounts.services import create_user, find_user
    from claims.approval import operations
    from claims.approval.models import NoticeBatch
    from claims.core.time import local_today
    from claims.extensions import db
    from tests.approval.conftest import valued_claim

    mobiles = [f"136{n:08d}" for n in range(villagers)]  # 139... are the demo staff's numbers
    with inst.app.app_context():
        for mobile in mobiles:
            create_user(login=mobile, name="村民", role=Role.VILLAGER, region=None, password=DEMO_PASSWORD, mobile=mobile)
        db.session.commit()
        if approvable:
            claims = [valued_claim("chaling", seed=n + 1) for n in range(approvable)]
            batch = operations.create_notice_batch(claims[0].township, claims, local_today(), actor=find_user("clerk_cl"))
            db.session.commit()
            today = local_today()
            db.session.execute(
                update(NoticeBatch).where(NoticeBatch.id == batch.id).values(start_date=today - timedelta(days=12), end_date=today - timedelta(days=3))
            )
            db.session.commit()
        db.engine.dispose()
    return mobiles


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def gunicorn(inst: Instance, workers: int, threads: int) -> Iterator[int]:
    port = free_port()
    config = inst.app.config
    env = {
        **os.environ,
        "DATABASE_URL": config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": config["SECRET_KEY"],
        "FIELD_ENCRYPTION_KEY": config["FIELD_ENCRYPTION_KEY"],
        "UPLOAD_FOLDER": config["UPLOAD_FOLDER"],
        "SMS_CONSOLE_FILE": str(inst.workdir / "sms.log"),
        "TRUSTED_PROXIES": "1",
    }
    command = [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--threads", str(threads)]
    command += ["--bind", f"127.0.0.1:{port}", "--no-control-socket", "--log-level", "warning", "wsgi:app"]
    log = open(inst.workdir / "gunicorn.log", "wb")  # noqa: SIM115 - closed below
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(300):
            with contextlib.suppress(OSError, http.client.HTTPException):
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    break
            if server.poll() is not None:
                raise SystemExit(f"gunicorn exited: {(inst.workdir / 'gunicorn.log').read_text()[-2000:]}")
            time.sleep(0.2)
        yield port
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
        errors = [line for line in (inst.workdir / "gunicorn.log").read_text(errors="replace").splitlines() if "ERROR" in line or "Traceback" in line]
        if errors:
            print("gunicorn logged:\n  " + "\n  ".join(errors[:20]), file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--database-url", default=DEFAULT_DATABASE, help="a PostgreSQL server; a scratch database is made there and dropped")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--villagers", type=int, default=3, help="villagers filing at once")
    parser.add_argument("--clerks", type=int, default=2)
    parser.add_argument("--officers", type=int, default=2)
    parser.add_argument("--approvers", type=int, default=1)
    parser.add_argument("--villager-accounts", type=int, default=300)
    parser.add_argument("--approvable", type=int, default=60, help="claims prepared for the approvers")
    parser.add_argument("--pool", type=int, default=6, help="different photos to draw from")
    args = parser.parse_args(argv)

    taken = (datetime.now(CHINA) - timedelta(days=1)).replace(hour=22, minute=30, second=0, microsecond=0)
    pool = make_pool(args.pool, taken)
    with instance(args.database_url) as inst:
        print(f"instance: PostgreSQL scratch database, demo data, in {inst.workdir}", file=sys.stderr)
        started = time.perf_counter()
        mobiles = prepare(inst, args.villager_accounts, args.approvable)
        print(f"prepared {len(mobiles)} villager accounts and {args.approvable} approvable claims in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        with gunicorn(inst, args.workers, args.threads) as port:
            record = Record(started=time.monotonic(), deadline=time.monotonic() + args.seconds)
            take = Taker(iter(mobiles * 10), itertools.count(1000))
            users: list[tuple[str, str | None, Callable[[Browser], None]]] = []
            users += [(f"villager{n}", None, lambda b: villager(b, inst, pool, take)) for n in range(args.villagers)]
            users += [(f"clerk{n}", ("clerk", "clerk_cl")[n % 2], clerk) for n in range(args.clerks)]
            users += [(f"officer{n}", ("officer", "officer_cl", "officer2", "officer_cl2")[n % 4], officer) for n in range(args.officers)]
            users += [(f"approver{n}", "approver_cl", approver) for n in range(args.approvers)]
            threads = [
                threading.Thread(target=run_user, args=(name, Browser(port, f"10.8.{n // 250}.{n % 250 + 1}", record), login, round_), daemon=True)
                for n, (name, login, round_) in enumerate(users)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(args.seconds + 180)
            elapsed = time.monotonic() - record.started

    requests = sum(len(v) for v in record.times.values())
    print(f"\n{elapsed:.0f} s, {len(users)} virtual users, gunicorn {args.workers} workers x {args.threads} threads:", file=sys.stderr)
    print(f"  {'page':<36} {'requests':>8} {'p95 ms':>8}", file=sys.stderr)
    p95 = {}
    for label in sorted(record.times):
        values = record.times[label]
        p95[label] = round(percentile(values, 0.95), 1)
        print(f"  {label:<36} {len(values):8d} {p95[label]:8.1f}", file=sys.stderr)
    print(f"claims filed {record.filed}, accepted {record.accepted}, approved {record.approved}", file=sys.stderr)
    for error in record.errors[:20]:
        print(f"error: {error}", file=sys.stderr)
    result = {
        "seconds": round(elapsed, 1),
        "errors": len(record.errors),
        "claims_per_minute": round(record.filed * 60 / elapsed, 1),
        "pages_per_second": round(requests / elapsed, 1),
        "accepted": record.accepted,
        "approved": record.approved,
        "p95_ms": p95,
    }
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
