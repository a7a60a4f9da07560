"""How much does issuing a document add to WeasyPrint's own rendering of it?

Issues ``--count`` compensation decisions (200 by default) from hand-built data through
``claims.documents.services.issue_document``, each in its own transaction: gap-free number, Jinja
template, QR code, PDF/A-3b rendering with the decision's data attached as JSON, the county's signature
(a trial RSA-2048 key, timed on its own), SHA-256, storage
write, the row and its audit event, commit. In the same loop, document by document (so a busy machine
slows both sides alike; each bare render comes after the next document's service render, so neither
side renders text the other has just laid out), the bare work: ``HTML(string=...).write_pdf()``
of exactly the HTML the service rendered, with the same parsed print stylesheet, in the same warm
process (plain PDF, default options: no PDF/A, no attachment).

Then the same with 2 worker processes issuing ``--count`` decisions between them into the same
database (each for its own county, so they do not wait for each other's number sequence; on SQLite
they still share its single writer lock, see the summary).

The instance is built from nothing for each run: a temporary folder with the storage, an SQLite
database (or a scratch PostgreSQL database with ``--database-url``), the real migrations and the
region list. Prints a summary and, as its last line, one JSON object:
``{"docs_per_s": ..., "ratio_to_bare": ..., "signing_ms_median": ..., "ratio_to_bare_signed": ...,
"docs_per_s_2proc": ...}``. The goal is a ratio of at most 1.15 for issuing and rendering
(``ratio_to_bare``, the signature's time taken out); the signing cost is reported beside it.

    .venv/bin/python bench/documents.py                 # 200 decisions on SQLite
    .venv/bin/python bench/documents.py --count 20      # a quick check
    .venv/bin/python bench/documents.py --database-url postgresql://postgres@127.0.0.1:5432/test
    .venv/bin/python bench/documents.py --batch 10000 --workers 2 \\
        --database-url postgresql://postgres@127.0.0.1:5432/test --redis-url redis://127.0.0.1:6379/0

``--batch N`` times a county's batch of N decisions: issued in steps of 500 per transaction while N job workers
(rq's SimpleWorker, as ``flask jobs work`` runs it, each in its own process) render, sign and store them, until the
last is stored; rendering and signing are timed apart in the workers. Its last line:
``{"batch": N, "batch_wall_s": ..., "batch_docs_per_s": ..., "batch_render_ms_median": ...,
"batch_sign_ms_median": ..., "batch_10k_estimate_s": ...}`` (goal: 10,000 within 900 s with 2 workers).
"""

from __future__ import annotations

import argparse
import gc
import json
import multiprocessing as mp
import re
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `python bench/documents.py` from anywhere
    sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402

from claims import create_app  # noqa: E402
from claims.extensions import db  # noqa: E402

GOAL_RATIO = 1.15
WARMUP = 3
COUNTIES = ("430921", "430224")  # 南县, 茶陵县


# --- the instance --------------------------------------------------------------------------------


def _pg_urls(url: str, name: str) -> tuple[str, str]:
    from sqlalchemy.engine import make_url

    base = make_url(re.sub(r"^postgres(ql)?://", "postgresql+psycopg://", url))
    return base.render_as_string(hide_password=False), base.set(database=name).render_as_string(hide_password=False)


def make_app(url: str, workdir: Path, secret: str, key: str, **extra: Any) -> Flask:
    return create_app(
        {
            **extra,
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": secret,
            "FIELD_ENCRYPTION_KEY": key,
            "UPLOAD_FOLDER": str(workdir / "uploads"),
            "INSTANCE_PATH": str(workdir / "instance"),
            "PUBLIC_BASE_URL": "https://claims.example.gov.cn",
            "DOCUMENT_KEYS_DIR": str(workdir / "document-keys"),
            "DOCUMENT_SIGNING_REQUIRED": True,  # every decision is signed, as in production
        }
    )


@contextmanager
def instance(database_url: str | None, **extra: Any) -> Iterator[dict[str, Any]]:
    """A temporary instance: folder, database, migrations, regions. Removed afterwards."""
    from flask_migrate import upgrade
    from sqlalchemy import create_engine, text

    from claims.regions.loader import load_regions

    workdir = Path(tempfile.mkdtemp(prefix="claims-bench-docs-"))
    admin = None
    app: Flask | None = None
    scratch = f"claims_bench_{secrets.token_hex(4)}"
    try:
        if database_url:
            admin_url, url = _pg_urls(database_url, scratch)
            admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{scratch}"'))
        else:
            url = f"sqlite:///{workdir / 'bench.db'}"
        settings = {"url": url, "workdir": workdir, "secret": secrets.token_hex(32), "key": secrets.token_hex(32), "extra": extra}
        app = make_app(url, workdir, settings["secret"], settings["key"], **extra)
        with app.app_context():
            upgrade(revision="heads")  # "heads": also while parallel work has left several heads
            load_regions()
            db.session.commit()
            from claims.documents.keys import ensure_trial_keys

            ensure_trial_keys(list(COUNTIES))  # RSA-2048 trial keys, as `flask documents keys create` makes
        yield {**settings, "app": app}
    finally:
        if app is not None:
            with app.app_context():
                db.engine.dispose()
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'))
            admin.dispose()
        shutil.rmtree(workdir, ignore_errors=True)


# --- the documents -------------------------------------------------------------------------------


def decision(i: int) -> Any:
    """A realistic two-line decision with an insurer's share; amounts vary so no two PDFs are alike."""
    from claims.core.time import utcnow
    from claims.documents.data import AwardLine, CompensationDecisionData, Incident, Party

    crop = Decimal(600 * (1 + i % 7)) + Decimal(i % 100) / 100
    poultry = Decimal(60 * (1 + i % 5))
    total = crop + poultry
    insurer = (total * Decimal("0.8")).quantize(Decimal("0.01"))
    return CompensationDecisionData(
        claimant=Party(name="张建国", id_number="4309**********1233", address="南县三仙湖镇三仙湖村3组"),
        incident=Incident(
            f"430921-2026-{i + 1:06d}",
            "南县三仙湖镇三仙湖村",
            utcnow() - timedelta(days=20),
            "野猪",
            "夜里野猪进田，水稻被拱倒吃掉一大片。",
            utcnow() - timedelta(days=19),
        ),
        bank="湖南农村信用社 6217 **** **** 4567",
        lines=[
            AwardLine("水稻", f"{1 + i % 7} 亩，损失率 100%", f"600.00 元/亩 × {1 + i % 7} 亩 × 100%", crop),
            AwardLine("鸡", f"{1 + i % 5} 只", f"60.00 元/只 × {1 + i % 5} 只", poultry),
        ],
        total=total,
        insurer_share=insurer,
        government_share=total - insurer,
        payer="保险部分由中华联合财产保险股份有限公司益阳中心支公司支付，其余部分由县林业局从野生动物致害补偿资金中支付，",
        payment_terms="自本决定作出之日起10个工作日内",
        schedule_title="《南县陆生野生动物致害补偿标准（2026年）》",
        schedule_number="南林发〔2026〕3号",
        insurer_name="中华联合财产保险股份有限公司益阳中心支公司",
        survey_date=date(2026, 3, 2),
    )


class Stopwatch:
    """Wraps a module's function and keeps the time of each call (the signing; in a worker process the rendering too)."""

    def __init__(self, module: Any, name: str) -> None:
        self.original = getattr(module, name)
        self.seconds: list[float] = []
        setattr(module, name, self)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return self.original(*args, **kwargs)
        finally:
            self.seconds.append(time.perf_counter() - start)


class HtmlRecorder:
    """Keeps the HTML the service renders, so the bare side renders exactly the same."""

    def __init__(self) -> None:
        from claims.documents import services

        self.services = services
        self.original = services.document_html
        self.last = ""
        services.document_html = self  # type: ignore[assignment]

    def __call__(self, *args: Any, **kwargs: Any) -> str:
        self.last = self.original(*args, **kwargs)
        return self.last


def issue(county: Any, i: int) -> None:
    from claims.documents.models import DocumentKind
    from claims.documents.services import issue_document

    issue_document(DocumentKind.COMPENSATION, None, decision(i), actor=None, county=county)
    db.session.commit()


def county_of(code: str) -> Any:
    from sqlalchemy import select

    from claims.regions.models import Region

    return db.session.execute(select(Region).where(Region.code == code)).scalar_one()


def bare(html: str) -> float:
    from weasyprint import HTML

    from claims.documents.pdf import font_config, print_stylesheet

    start = time.perf_counter()
    HTML(string=html).write_pdf(stylesheets=[print_stylesheet()], font_config=font_config())  # the same faces (make fonts)
    return time.perf_counter() - start


def single(app: Flask, count: int) -> dict[str, Any]:
    from claims.documents import signing

    recorder = HtmlRecorder()
    signer = Stopwatch(signing, "sign_pdf")
    service_s: list[float] = []
    signing_s: list[float] = []
    bare_s: list[float] = []
    with app.app_context():
        county = county_of(COUNTIES[0])
        for i in range(WARMUP):
            issue(county, 10_000 + i)
            bare(recorder.last)
        gc.collect()
        gc.freeze()  # a warm server process: what start-up built is never garbage, so collections skip it
        # service(i), then bare(i - 1): each render follows the render of another document, so neither
        # side profits from Pango's and HarfBuzz's caches holding the very text it is about to lay out.
        previous = ""
        for i in range(count + 1):
            if i < count:
                signer.seconds.clear()
                start = time.perf_counter()
                issue(county, i)
                service_s.append(time.perf_counter() - start)
                signing_s.append(sum(signer.seconds))
            if previous:
                bare_s.append(bare(previous))
            previous = recorder.last
        db.session.remove()
    return {"service": service_s, "signing": signing_s, "bare": bare_s}


# --- two worker processes ------------------------------------------------------------------------


def worker(settings: dict[str, Any], code: str, count: int, first: int, barrier: Any, results: Any) -> None:
    app = make_app(settings["url"], settings["workdir"], settings["secret"], settings["key"], **settings["extra"])
    with app.app_context():
        county = county_of(code)
        for i in range(WARMUP):  # warm process: imports, fonts, templates, first render
            issue(county, 20_000 + first + i)
        gc.collect()
        gc.freeze()
        barrier.wait()  # no transaction is open here: each issue() commits
        start = time.perf_counter()
        for i in range(count):
            issue(county, first + i)
        results.put(time.perf_counter() - start)
        db.session.remove()


def two_processes(settings: dict[str, Any], count: int) -> float:
    ctx = mp.get_context("spawn")  # fresh interpreters: no database connection or Pango state crosses a fork
    barrier = ctx.Barrier(3)
    results = ctx.Queue()
    halves = (count // 2, count - count // 2)
    procs = [
        ctx.Process(target=worker, args=({k: v for k, v in settings.items() if k != "app"}, COUNTIES[n], halves[n], 100_000 * (n + 1), barrier, results))
        for n in range(2)
    ]
    for proc in procs:
        proc.start()
    barrier.wait()
    start = time.perf_counter()
    for proc in procs:
        proc.join()
    wall = time.perf_counter() - start
    if any(proc.exitcode for proc in procs):
        raise SystemExit("a worker process failed")
    per_worker = [results.get() for _ in procs]
    print(f"2 processes: {count} decisions in {wall:.2f} s wall (workers {', '.join(f'{s:.2f} s' for s in per_worker)})")
    return count / wall


# --- a batch through the job queue ---------------------------------------------------------------


def job_worker(settings: dict[str, Any], stop: Any, results: Any) -> None:
    """`flask jobs work`'s worker (rq's SimpleWorker on the app's queue) in a fresh process, with the rendering and the
    signing timed; it works in bursts until told to stop, then reports its timings."""
    from rq import SimpleWorker

    from claims.core import jobs
    from claims.documents import pdf, signing

    render = Stopwatch(pdf, "render_pdf")
    sign = Stopwatch(signing, "sign_pdf")
    app = make_app(settings["url"], settings["workdir"], settings["secret"], settings["key"], **settings["extra"])
    with app.app_context():
        queue = jobs.rq_queue(app)
        assert queue is not None
        while True:
            SimpleWorker([queue], connection=queue.connection).work(burst=True, logging_level="WARNING")
            if stop.is_set() and queue.count == 0:
                break
            time.sleep(0.2)
    results.put({"render": render.seconds, "sign": sign.seconds})


def stored_count(app: Flask) -> int:
    from sqlalchemy import func, select

    from claims.documents.models import IssuedDocument

    with app.app_context():
        count = db.session.execute(select(func.count()).select_from(IssuedDocument).where(IssuedDocument.stored_at.is_not(None))).scalar_one()
        db.session.remove()
    return int(count)


def batch(database_url: str, redis_url: str, count: int, workers: int, chunk: int = 500) -> dict[str, Any]:
    """A county settling a year at once: `count` decisions issued in steps of `chunk` per transaction (numbers, rows,
    templates, one job each) while `workers` job workers render, sign and store them; timed until the last is stored."""
    extra = {"REDIS_URL": redis_url, "JOBS_QUEUE": f"claims_bench_{secrets.token_hex(4)}"}
    with instance(database_url, **extra) as inst:
        app = inst["app"]
        with app.app_context():
            db.engine.dispose()
        ctx = mp.get_context("spawn")
        stop, results = ctx.Event(), ctx.Queue()
        plain = {k: v for k, v in inst.items() if k != "app"}
        procs = [ctx.Process(target=job_worker, args=(plain, stop, results)) for _ in range(workers)]
        for proc in procs:
            proc.start()
        time.sleep(5)  # the workers start (imports, app) as they would be running already
        start = time.perf_counter()
        issuing = 0.0
        with app.app_context():
            county = county_of(COUNTIES[0])
            for first in range(0, count, chunk):
                began = time.perf_counter()
                for i in range(first, min(count, first + chunk)):
                    issue_document_only(county, i)
                db.session.commit()  # the jobs are pushed to Redis once this commits
                issuing += time.perf_counter() - began
            db.session.remove()
        issued = time.perf_counter() - start
        while (done := stored_count(app)) < count:
            if any(not proc.is_alive() for proc in procs):
                raise SystemExit("a job worker died")
            time.sleep(1)
        wall = time.perf_counter() - start
        stop.set()
        timings = [results.get(timeout=120) for _ in procs]
        for proc in procs:
            proc.join(timeout=60)
        render = [t for w in timings for t in w["render"]]
        sign = [t for w in timings for t in w["sign"]]
        check(app, count)
        print(f"batch: {count} decisions, {workers} job workers (rq on Redis), PostgreSQL; issued in {issued:.1f} s ({issuing:.1f} s in the steps)")
        print(f"  all {done} stored in {wall:.1f} s -> {count / wall:.2f} documents/s (goal: 10,000 within 900 s)")
        print(f"  rendering: median {statistics.median(render) * 1000:.1f} ms, {sum(render):.1f} s in all")
        print(f"  signing: median {statistics.median(sign) * 1000:.1f} ms, {sum(sign):.1f} s in all")
        return {
            "batch": count,
            "batch_wall_s": round(wall, 1),
            "batch_docs_per_s": round(count / wall, 2),
            "batch_render_ms_median": round(statistics.median(render) * 1000, 1),
            "batch_sign_ms_median": round(statistics.median(sign) * 1000, 1),
            "batch_10k_estimate_s": round(wall * 10_000 / count, 1),
        }


def issue_document_only(county: Any, i: int) -> None:
    """One decision issued in the open transaction (the caller commits a chunk at once)."""
    from claims.documents.models import DocumentKind
    from claims.documents.services import issue_document

    issue_document(DocumentKind.COMPENSATION, None, decision(i), actor=None, county=county)


# --- main ----------------------------------------------------------------------------------------


def check(app: Flask, expected: int) -> None:
    """Every document numbered gap-free, stored, and matching its hash."""
    import hashlib

    from sqlalchemy import select

    from claims.core.storage import get_storage
    from claims.documents.models import IssuedDocument

    with app.app_context():
        rows = db.session.execute(select(IssuedDocument)).scalars().all()
        assert len(rows) == expected, (len(rows), expected)
        for county_id in {r.county_id for r in rows}:
            seqs = sorted(r.seq for r in rows if r.county_id == county_id)
            assert seqs == list(range(1, len(seqs) + 1)), "numbers with gaps"
        storage = get_storage()
        for row in rows[:: max(1, len(rows) // 20)]:
            assert hashlib.sha256(storage.get(row.storage_key)).hexdigest() == row.sha256
            assert row.signed_by, "an unsigned document"
        db.session.remove()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=200, help="decisions to issue (default 200)")
    parser.add_argument("--database-url", help="a PostgreSQL server URL; a scratch database is created on it and dropped afterwards")
    parser.add_argument("--batch", type=int, help="instead: issue this many decisions as one batch through the job queue (needs --database-url, --redis-url)")
    parser.add_argument("--workers", type=int, default=2, help="job workers for --batch (default 2)")
    parser.add_argument("--redis-url", help="a Redis server for --batch's job queue (a queue of its own name)")
    args = parser.parse_args(argv)
    if args.batch:
        if not (args.database_url and args.redis_url):
            parser.error("--batch needs --database-url (PostgreSQL) and --redis-url")
        print(json.dumps(batch(args.database_url, args.redis_url, args.batch, args.workers)))
        return 0
    with instance(args.database_url) as inst:
        app = inst["app"]
        timings = single(app, args.count)
        service, signing_, bare_ = timings["service"], timings["signing"], timings["bare"]
        unsigned = [t - s for t, s in zip(service, signing_, strict=True)]  # issuing and rendering, without the signature
        docs_per_s = len(service) / sum(service)
        ratio = sum(unsigned) / sum(bare_)
        per_doc = statistics.median(s / b for s, b in zip(unsigned, bare_, strict=True))
        print(f"database: {'PostgreSQL' if args.database_url else 'SQLite'}; {args.count} compensation decisions, 1 process (warm), each signed")
        print(f"service: median {statistics.median(service) * 1000:.1f} ms, total {sum(service):.2f} s -> {docs_per_s:.2f} documents/s")
        print(f"  of which signing (pyHanko, RSA-2048, visible stamp): median {statistics.median(signing_) * 1000:.1f} ms, total {sum(signing_):.2f} s")
        print(f"bare WeasyPrint, same HTML: median {statistics.median(bare_) * 1000:.1f} ms, total {sum(bare_):.2f} s")
        print(f"ratio service without signing / bare: {ratio:.3f} (document by document, median {per_doc:.3f}; goal <= {GOAL_RATIO})")
        print(f"ratio with signing / bare: {sum(service) / sum(bare_):.3f}")
        with app.app_context():
            db.engine.dispose()
        docs_2proc = two_processes(inst, args.count)
        print(f"2 processes: {docs_2proc:.2f} documents/s ({docs_2proc / docs_per_s:.2f}x one process)")
        check(app, 2 * args.count + 3 * WARMUP)
        summary = {
            "docs_per_s": round(docs_per_s, 2),
            "ratio_to_bare": round(ratio, 3),
            "signing_ms_median": round(statistics.median(signing_) * 1000, 1),
            "ratio_to_bare_signed": round(sum(service) / sum(bare_), 3),
            "docs_per_s_2proc": round(docs_2proc, 2),
        }
        print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
