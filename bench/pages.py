"""Do the list pages stay fast at 1,000,000 claims, on SQLite and on PostgreSQL?

Builds ``--claims`` claims (1,000,000 by default) in a throw-away instance (real migrations, demo data,
then a bulk insert of claims in every state with the rows each state implies: bench/pages_data.py), and
times every list page in-process with Flask's test client, logged in as the demo role that uses it: the
first page, the page its ``<a rel="next">`` link leads to, and a page from the middle of the data (the
next link's cursor with its last part, the row id, set to the middle id of the rows the page lists).
For each request it counts the SQL statements. The list pages come from the app's URL map: every GET
route without arguments must be in ``PAGES`` (timed) or in ``NOT_LISTS`` (with the reason it lists no
claims, batches, referrals or notifications), or the bench fails before building anything.

Then, on PostgreSQL, the throughput: gunicorn (2 workers) serves the app against the same database and 8
clients (threads, keep-alive where the server allows it) ask for the clerk's to-do page for
``--rps-seconds``; the same gunicorn command then serves a bare Flask endpoint (bench/bare_app.py) and
the same clients ask for it. ``queue_rps_ratio`` is app / bare.

Prints a table per database to stderr and, last on stdout, one JSON object:
``{"p95_ms_sqlite_1m": ..., "p95_ms_postgres_1m": ..., "max_statements": ..., "queue_rps_ratio": ...}``
(p95 of the slowest page; most statements of any page). Goals: under 50 ms, at most 20, at least 0.25.

    .venv/bin/python bench/pages.py                                   # 1M claims, SQLite and PostgreSQL
    .venv/bin/python bench/pages.py --claims 20000 --database sqlite  # a quick check
    .venv/bin/python bench/pages.py --keep --data-dir /var/tmp/claims-bench   # build once, reuse after
"""

from __future__ import annotations

import argparse
import json
import re
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `python bench/pages.py` from anywhere
    sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402
from sqlalchemy import create_engine, event, func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench import pages_data, pages_rps  # noqa: E402
from claims import create_app  # noqa: E402
from claims.extensions import db  # noqa: E402

DEMO_PASSWORD = "Demo@2026"  # noqa: S105 - the published demo password (claims/demo.py)
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
GOALS = {"p95_ms": 50.0, "statements": 20, "rps_ratio": 0.25}
WARMUP = 3
MIN_SAMPLES = 3
NEXT_RE = re.compile(r'<a\b[^>]*\brel="next"[^>]*>|<link\b[^>]*\brel="next"[^>]*>')
HREF_RE = re.compile(r'\bhref="([^"]+)"')
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


@dataclass(frozen=True)
class Page:
    endpoint: str
    login: str  # the demo user who uses it (claims/demo.py)
    rows: str  # the table whose ids the page's cursor ends with, for the page from the middle


# Every list page, as the role that uses it; a page several roles use is timed as each (their scopes differ).
PAGES = [
    Page("main.index", "13800000001", "claims"),  # the start page: the newest claims
    Page("main.index", "clerk", "claims"),
    Page("intake.index", "13800000001", "claims"),
    Page("intake.index", "clerk", "claims"),
    Page("intake.index", "officer", "claims"),
    Page("intake.index", "admin", "claims"),
    Page("workflow.queue", "clerk", "claims"),
    Page("workflow.queue", "officer", "claims"),
    Page("workflow.queue", "approver", "claims"),
    Page("workflow.queue", "insurer", "claims"),
    Page("workflow.overdue", "clerk", "claims"),
    Page("workflow.overdue", "officer", "claims"),
    Page("workflow.overdue", "admin", "claims"),
    Page("workflow.notifications", "clerk", "notifications"),
    Page("workflow.notifications", "13800000001", "notifications"),
    Page("approval.notices", "clerk", "notice_batches"),
    Page("approval.approvals", "approver", "claims"),
    Page("approval.payment_batches", "approver", "payment_batches"),
    Page("insurance.portal", "insurer", "referrals"),
    Page("jobs.index", "admin", "jobs"),  # background jobs: the bench builds none, so its first page only
    Page("incidents.incidents", "officer", "incidents"),  # the county's incidents: the bench builds none, first page only
    # The token API (claims/api): an insurer's system reads its referrals, a county platform its claims.
    Page("api_v1.referral_list", "api:insurer", "referrals"),
    Page("api_v1.claim_list", "api:platform", "claims"),
]

# GET routes without arguments that list no claims, batches, referrals or notifications.
NOT_LISTS = {
    "accounts.change_password": "a form",
    "accounts.login": "a form",
    "accounts.register": "a form",
    "admin.new_user": "a form",
    "admin.users": "lists staff accounts (dozens per county)",
    "insurance.insurers": "lists insurers (a handful)",
    "insurance.policies": "lists insurance policies (a few per county and year)",
    "intake.link_claim": "a form",
    "intake.new_claim": "a form",
    "intake.proxy_claim": "a form",
    "main.health": "a health check",
    "main.home": "a redirect to the start page",
    "regions.regions": "the region tree",
    "reports.dashboard_page": "a dashboard: figures from an aggregate, not a list (timed by bench/reports.py)",
    "reports.stages": "stage times: figures per stage and region for a period of at most a year, not a list",
    "reports.incident_map": "the map's page: its filters and the counts per township and animal (points: reports.map_points)",
    "reports.map_points": "the map's points as JSON, capped at 50,000 claims (measured in docs/reports.md)",
    "reports.statistics": "a table per county and year (its export is timed by bench/reports.py)",
    "reports.bordereau_page": "a settlement document: one policy's referred claims with movement in one month, whole on purpose",
    "ledger.ledger": "the fund's figures per county and year",
    "budget.allocations": "a county's budget entries (a handful a year)",
    "regions.species": "the species list",
    "schedules.index": "compensation schedules (a few per county)",
    "schedules.reference": "reference prices (per item, region and year)",
    "settings.calendar": "the working-day calendar",
    "settings.conflicts": "the user's own declared relatives",
    "settings.county_settings": "settings per county",
    "settings.time_limits": "time limits per county",
    "static": "static files",
    "main.service_worker": "the service worker's script",
    "main.offline": "the page shown without a signal",
    "main.places": "the filing form's townships and villages (region names, not claims)",
    "main.sync_session": "a fresh CSRF token for the phone's drafts (JSON)",
    "intake.status_enquiry": "a form",
    "api.docs": "the API's documentation page",
    "api-docs.openapi_json": "the OpenAPI document",
    "api_admin.clients": "lists API clients (a few per province)",
    "api_v1.statistics": "figures per county and year, not a list",
    "api_v1.schedules": "compensation schedules (a few per county)",
    "api_v1.document_verify": "looks up one document by its number and code",
}


def log(message: str = "") -> None:
    print(message, file=sys.stderr, flush=True)


def check_coverage(app: Flask) -> list[str]:
    """The GET routes without arguments that are neither timed nor excluded with a reason (should be none)."""
    timed = {page.endpoint for page in PAGES}
    problems = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.arguments - set(rule.defaults or {}):
            continue
        if rule.endpoint not in timed and rule.endpoint not in NOT_LISTS:
            problems.append(f"{rule.rule} ({rule.endpoint}) is neither timed (PAGES) nor excluded (NOT_LISTS)")
    problems += [f"{p.endpoint} is in PAGES but not a GET route without arguments" for p in PAGES if p.endpoint not in _plain_endpoints(app)]
    return problems


def _plain_endpoints(app: Flask) -> set[str]:
    return {r.endpoint for r in app.url_map.iter_rules() if "GET" in (r.methods or ()) and not r.arguments - set(r.defaults or {})}


# --- the instance --------------------------------------------------------------------------------


@dataclass
class Instance:
    kind: str  # sqlite or postgres
    app: Flask
    url: str
    secret_key: str
    encryption_key: str
    build_seconds: float | None  # None: a kept database was reused
    rows: int


def _config(url: str, workdir: Path, secret_key: str, encryption_key: str) -> dict[str, Any]:
    return {
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": secret_key,
        "FIELD_ENCRYPTION_KEY": encryption_key,
        "UPLOAD_FOLDER": str(workdir / "uploads"),
        "INSTANCE_PATH": str(workdir / "instance"),
        "RATELIMIT_ENABLED": False,  # a bench logs in many times a minute
    }


def _pg_url(url: str, name: str | None = None) -> str:
    base = make_url(re.sub(r"^postgres(ql)?(\+\w+)?://", "postgresql+psycopg://", url))
    return (base.set(database=name) if name else base).render_as_string(hide_password=False)


def _claim_count(url: str) -> int | None:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM claims")).scalar_one()
    except Exception:
        return None
    finally:
        engine.dispose()


@contextmanager
def instance(kind: str, args: argparse.Namespace) -> Iterator[Instance]:
    """A migrated instance with the demo data and ``args.claims`` claims: built, or reused with --keep."""
    from flask_migrate import upgrade

    data_dir = Path(args.data_dir) if args.data_dir else Path(tempfile.gettempdir()) / "claims-bench-pages"
    data_dir.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="claims-bench-pages-", dir=data_dir))
    # Keys are kept with a kept database: the demo users' password hashes do not depend on them, but
    # encrypted columns would; a fresh build gets fresh keys.
    keys_file = data_dir / f"keys-{kind}-{args.claims}.json"
    keys = json.loads(keys_file.read_text()) if args.keep and keys_file.exists() else {"secret": secrets.token_hex(32), "fernet": secrets.token_hex(32)}
    admin = None
    scratch = None
    try:
        if kind == "sqlite":
            path = data_dir / f"pages-{args.claims}.db" if args.keep else workdir / "bench.db"
            url = f"sqlite:///{path}"
        else:
            name = f"wt_bench_pages_{args.claims}" if args.keep else f"wt_bench_pages_{secrets.token_hex(4)}"
            url = _pg_url(args.database_url, name)
            admin = create_engine(_pg_url(args.database_url), isolation_level="AUTOCOMMIT")
        reuse = args.keep and _claim_count(url) == args.claims
        if not reuse and kind == "sqlite" and path.exists():
            path.unlink()
        if not reuse and admin is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            scratch = None if args.keep else name
        app = create_app(_config(url, workdir, keys["secret"], keys["fernet"]))
        with app.app_context():
            built: float | None = None
            if not reuse:
                log(f"{kind}: migrating, loading the demo data, building {args.claims:,} claims")
                started = time.perf_counter()
                upgrade(revision="heads")  # "heads": also while parallel work has left several heads
                from claims.demo import load_demo

                load_demo()
                db.session.commit()
                pages_data.build(db.engine.connect, args.claims)
                built = time.perf_counter() - started
                if args.keep:
                    keys_file.write_text(json.dumps(keys))
            else:
                log(f"{kind}: reusing the kept database with {args.claims:,} claims ({url.split('@')[-1]}); migrating it to the heads")
                upgrade(revision="heads")  # new migrations (indexes) apply to the kept rows too
            with db.engine.connect() as conn:
                rows = sum(pages_data.describe(conn).values())
            db.session.remove()
        yield Instance(kind, app, url, keys["secret"], keys["fernet"], built, rows)
    finally:
        try:
            with app.app_context():  # type: ignore[possibly-undefined]
                db.engine.dispose()
        except NameError:
            pass
        if scratch is not None and admin is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'))
        if admin is not None:
            admin.dispose()
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)


# --- timing in-process ---------------------------------------------------------------------------


def log_in(app: Flask, login: str) -> FlaskClient:
    if login.startswith("api:"):
        return api_client(app, login.removeprefix("api:"))
    client = app.test_client()
    html = client.get("/login").get_data(as_text=True)
    match = CSRF_RE.search(html)
    if match is None:
        raise AssertionError("no CSRF token on /login")
    response = client.post("/login", data={"login": login, "password": DEMO_PASSWORD, "csrf_token": match.group(1) or match.group(2)})
    if response.status_code != 302:
        raise AssertionError(f"login as {login} failed: {response.status_code}")
    return client


class StatementCounter:
    def __init__(self, engine: Any) -> None:
        self.count = 0
        self.engine = engine
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args: Any) -> None:
        self.count += 1

    def remove(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._seen)


@dataclass
class Result:
    page: Page
    variant: str  # first, next, middle
    url: str
    times_ms: list[float] = field(default_factory=list)
    statements: int = 0
    status: int = 200
    has_next: bool = False

    @property
    def p95(self) -> float:
        return percentile(self.times_ms, 0.95)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))] if ordered else float("nan")


def api_client(app: Flask, kind: str) -> FlaskClient:
    """A test client that calls the token API as an organisation's system: the demo insurer's (its adjuster's
    insurer) or 南县's platform."""
    from datetime import timedelta

    from claims.accounts.models import User
    from claims.api import services as api
    from claims.api.models import KIND_SCOPES, ClientKind
    from claims.core.time import utcnow
    from claims.insurance.models import Insurer
    from claims.insurance.permissions import insurer_of
    from claims.regions.models import Region

    with app.app_context():
        adjuster = db.session.execute(select(User).where(User.login == "insurer")).scalar_one()
        client_kind = ClientKind(kind)
        insurer = db.session.get(Insurer, insurer_of(adjuster)) if client_kind == ClientKind.INSURER else None
        region = None if insurer else db.session.execute(select(Region).where(Region.code == "430921")).scalar_one()
        made = api.create_client(f"bench {kind} {time.time_ns()}", client_kind, insurer=insurer, region=region, actor=None)
        secret = api.issue_token(made, [str(s) for s in KIND_SCOPES[client_kind]], utcnow() + timedelta(days=1), actor=None).secret
        db.session.commit()
        db.session.remove()
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    return client


def next_link(html: str) -> str | None:
    if html.startswith("{"):  # the API: the next page's cursor
        try:
            cursor = json.loads(html).get("next_cursor")
        except ValueError:
            return None
        return f"?after={cursor}" if cursor else None
    for tag in NEXT_RE.findall(html):
        href = HREF_RE.search(tag)
        if href:
            return unescape(href.group(1))
    return None


def middle_url(next_url: str, middle_id: int) -> str | None:
    """The next link with its cursor's last part (the row id) replaced by an id from the middle of the data."""
    parts = urlsplit(next_url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    cursor = dict(query).get("after")
    if not cursor:
        return None
    values = cursor.split(",")
    values[-1] = str(middle_id)
    query = [(k, ",".join(values) if k == "after" else v) for k, v in query]
    return f"{parts.path}?{urlencode(query)}"


def time_url(client: FlaskClient, counter: StatementCounter, result: Result, repeat: int, budget_s: float) -> str:
    """GET the page up to WARMUP times untimed, then `repeat` times timed; fewer (at least MIN_SAMPLES timed)
    once the page has taken `budget_s` seconds: a page that takes seconds is far enough from the goal."""
    html = ""
    started = time.perf_counter()
    for n in range(WARMUP + repeat):
        warming = n < WARMUP
        over = time.perf_counter() - started > budget_s
        if over and (warming or len(result.times_ms) >= MIN_SAMPLES):
            if warming:
                continue
            break
        before = counter.count
        start = time.perf_counter()
        response = client.get(result.url)
        elapsed = time.perf_counter() - start
        result.status = response.status_code
        if response.status_code != 200:
            break
        html = response.get_data(as_text=True)
        if not warming:
            result.times_ms.append(elapsed * 1000)
            result.statements = max(result.statements, counter.count - before)
    return html


def middle_ids(app: Flask) -> dict[str, int]:
    ids = {}
    with app.app_context():
        for table in pages_data._tables():
            if "id" in table.c:
                low, high = db.session.execute(select(func.min(table.c.id), func.max(table.c.id))).one()
                ids[table.name] = ((low or 0) + (high or 0)) // 2
        db.session.remove()
    return ids


def time_pages(inst: Instance, repeat: int, budget_s: float) -> list[Result]:
    app = inst.app
    # Every request draws its page: the goal is the drawing's. A page kept for its viewer until the data changes
    # (claims/core/pagecache.py) shows in the throughput, served by gunicorn with the cache as configured.
    app.config["PAGE_CACHE_ENTRIES"] = 0
    with app.app_context():
        engine = db.engine
    counter = StatementCounter(engine)
    middles = middle_ids(app)
    results: list[Result] = []
    clients: dict[str, FlaskClient] = {}
    try:
        for page in PAGES:
            client = clients.get(page.login) or clients.setdefault(page.login, log_in(app, page.login))
            with app.test_request_context():
                from flask import url_for

                url = url_for(page.endpoint)
            first = Result(page, "first", url)
            html = time_url(client, counter, first, repeat, budget_s)
            results.append(first)
            follow = next_link(html) if first.status == 200 else None
            if follow and follow.startswith("?"):
                follow = url + follow
            first.has_next = follow is not None
            if follow:
                results.append(second := Result(page, "next", follow))
                time_url(client, counter, second, repeat, budget_s)
                middle = middle_url(follow, middles.get(page.rows, 0))
                if middle:
                    results.append(deep := Result(page, "middle", middle))
                    time_url(client, counter, deep, repeat, budget_s)
            for r in results[-3:]:
                if r.page is page:
                    log_result(r)
    finally:
        counter.remove()
    return results


def log_result(r: Result) -> None:
    if r.status != 200:
        log(f"  {r.page.endpoint:<26} {r.page.login:<12} {r.variant:<7} HTTP {r.status}  {r.url}")
        return
    median = statistics.median(r.times_ms)
    flag = "" if r.p95 < GOALS["p95_ms"] and r.statements <= GOALS["statements"] else "  <-- over the goal"
    more = "" if r.variant != "first" else ("  (next link)" if r.has_next else "  (no next link)")
    few = f"  ({len(r.times_ms)} samples)" if len(r.times_ms) < 10 else ""
    log(f"  {r.page.endpoint:<26} {r.page.login:<12} {r.variant:<7} {median:9.1f} {r.p95:9.1f} {max(r.times_ms):9.1f} {r.statements:6d}{more}{few}{flag}")


def session_cookie(inst: Instance, login: str) -> str:
    """The session cookie as a browser holds it once logged in and shown a page (the page's forms gave the session its
    CSRF secret, which a page kept for its viewer names: claims/core/pagecache.py)."""
    client = log_in(inst.app, login)
    client.get("/queue")
    cookie = client.get_cookie("session")
    if cookie is None:
        raise AssertionError("no session cookie after logging in")
    return f"session={cookie.value}"


# --- main ----------------------------------------------------------------------------------------


def scaled(claims: int) -> str:
    return "1m" if claims == 1_000_000 else f"{claims // 1000}k" if claims % 1000 == 0 else str(claims)


def run_database(kind: str, args: argparse.Namespace, summary: dict[str, Any]) -> list[Result]:
    with instance(kind, args) as inst:
        built = f"built in {inst.build_seconds:.0f} s" if inst.build_seconds is not None else "kept"
        log(f"{kind}: {args.claims:,} claims, {inst.rows:,} rows in the bench's tables ({built})")
        log(f"  {'page':<26} {'as':<12} {'cursor':<7} {'median':>9} {'p95 ms':>9} {'max':>9} {'SQL':>6}")
        results = time_pages(inst, args.repeat, args.page_seconds)
        summary[f"build_s_{kind}"] = None if inst.build_seconds is None else round(inst.build_seconds)
        summary[f"rows_{kind}"] = inst.rows
        if kind == "postgres" and args.rps_seconds > 0:
            log(f"postgres: throughput, gunicorn -w 2, 8 clients, {args.rps_seconds:g} s each")
            cookie = session_cookie(inst, "clerk")
            summary["rps"] = pages_rps.throughput(inst.url, inst.secret_key, inst.encryption_key, cookie, args.rps_seconds)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--claims", type=int, default=1_000_000, help="claims to build (default 1,000,000)")
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--database-url", default=DEFAULT_PG, help=f"the PostgreSQL server (default {DEFAULT_PG}); a scratch database is made there")
    parser.add_argument("--keep", action="store_true", help="keep the built databases (and reuse them when they hold --claims claims)")
    parser.add_argument("--data-dir", help="where the SQLite file (and scratch folders) go (default: <tmp>/claims-bench-pages)")
    parser.add_argument("--repeat", type=int, default=20, help="timed requests per page (default 20, after 3 untimed)")
    parser.add_argument("--page-seconds", type=float, default=10, help="stop timing a page after this many seconds, with at least 3 samples (default 10)")
    parser.add_argument("--rps-seconds", type=float, default=15, help="seconds of load per server for the throughput (0: skip it)")
    args = parser.parse_args(argv)

    problems = check_coverage(create_app(_config("sqlite://", Path(tempfile.gettempdir()), "x" * 64, "0" * 64)))
    if problems:
        for problem in problems:
            log(f"error: {problem}")
        log("Add each list page to PAGES (with the role that uses it) or, if it lists none of those rows, to NOT_LISTS with the reason.")
        return 2

    started = time.perf_counter()
    kinds = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    summary: dict[str, Any] = {}
    all_results: dict[str, list[Result]] = {}
    for kind in kinds:
        all_results[kind] = run_database(kind, args, summary)

    size = scaled(args.claims)
    out: dict[str, Any] = {}
    for kind in ("sqlite", "postgres"):
        results = all_results.get(kind, [])
        worst = max((r for r in results if r.times_ms), key=lambda r: r.p95, default=None)
        out[f"p95_ms_{kind}_{size}"] = round(worst.p95, 1) if worst else None
        if worst:
            summary[f"slowest_{kind}"] = f"{worst.page.endpoint} as {worst.page.login} ({worst.variant})"
    every = [r for results in all_results.values() for r in results]
    out["max_statements"] = max((r.statements for r in every), default=None)
    out["queue_rps_ratio"] = summary.get("rps", {}).get("ratio")
    most = max(every, key=lambda r: r.statements, default=None)
    if most:
        summary["most_statements"] = f"{most.page.endpoint} as {most.page.login} ({most.variant})"
    summary["claims"] = args.claims
    summary["pages_timed"] = len(every)
    summary["pages_without_next_link"] = sorted({f"{r.page.endpoint} as {r.page.login}" for r in every if r.variant == "first" and not r.has_next})
    goals = f"p95 < {GOALS['p95_ms']:g} ms, at most {GOALS['statements']} statements, ratio >= {GOALS['rps_ratio']}"
    log(f"total run {time.perf_counter() - started:.0f} s; goals: {goals}")
    failed = [f"{kind}: {r.url} as {r.page.login}: HTTP {r.status}" for kind, results in all_results.items() for r in results if r.status != 200]
    if failed:
        summary["failed_pages"] = failed
        log(f"error: {len(failed)} page(s) did not answer 200: {failed}")
    print(json.dumps({**out, **summary}, ensure_ascii=False))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
