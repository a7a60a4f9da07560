"""The province's annual statistics table at scale: one year of a million claims, as the page and as the XLSX export.

    .venv/bin/python bench/statistics_table.py --database-url postgresql://postgres@127.0.0.1:5432/postgres
    .venv/bin/python bench/statistics_table.py --claims 100000 --keep     # a smaller world, kept for the next run

Builds a scratch PostgreSQL database (dropped at the end unless --keep): the migrations, the demo data and `--claims`
claims in bulk by bench/pages_data.py (three years, two counties, every state). pages_data writes decisions without
lines, no settlements and no ID hashes; this bench then gives every decision its lines (crops, and a poultry line
on one in three), every paid payment its settlement and every claim an ID hash (about 1.5 claims a household), in
SQL, so that the per-category, paid and household queries do their real work.
Then it times, as the province's administrator, the statistics of the year with the most claims: the report
itself (the queries), and the whole XLSX export (queries, workbook, audit event), `--repeat` times each after one
untimed run. The last line is JSON: {"claims": ..., "year_claims": ..., "report_s": ..., "export_s": ...} (medians).
"""

from __future__ import annotations

import argparse
import json
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text

from bench import pages_data
from bench.pages import _config, _pg_url
from claims import create_app
from claims.extensions import db

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"

FILL = (
    # Every decision's lines: its total as crops, or two thirds crops and a third poultry (to the fen, adding up).
    """UPDATE decisions SET lines = CASE WHEN claim_id % 3 = 0 THEN json_build_array(
         json_build_object('category', 'crop', 'label', '水稻', 'amount', to_char((total - total / 3) / 100.0, 'FM999999990.00')),
         json_build_object('category', 'poultry', 'label', '鸡', 'amount', to_char((total / 3) / 100.0, 'FM999999990.00')))
       ELSE json_build_array(json_build_object('category', 'crop', 'label', '水稻', 'amount', to_char(total / 100.0, 'FM999999990.00'))) END""",
    # pages_data files every claim without an ID number; households are distinct ID hashes: about 1.5 claims each.
    "UPDATE claims SET claimant_id_hash = encode(sha256(((id * 7) % 666667)::text::bytea), 'hex')",
    """INSERT INTO settlements (claim_id, share, payment_id, amount, settled_at)
       SELECT claim_id, share, id, amount, settled_at FROM payments WHERE status = 'paid' ON CONFLICT DO NOTHING""",
    "ANALYZE",
)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def build(url: str, claims: int) -> None:
    from flask_migrate import upgrade

    from claims.demo import load_demo

    app = create_app(_config(url, Path(tempfile.mkdtemp()), "bench", secrets.token_hex(32)))
    with app.app_context():
        upgrade(revision="heads")
        load_demo()
        db.session.commit()
        pages_data.build(db.engine.connect, claims)
        with db.engine.begin() as conn:
            for statement in FILL:
                conn.execute(text(statement))
        db.engine.dispose()


def timed(function, repeat: int) -> float:  # type: ignore[no-untyped-def]
    function()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def measure(url: str, repeat: int) -> dict[str, float | int]:
    from claims.accounts.services import find_user
    from claims.reports.exports import ExportFormat
    from claims.reports.permissions import report_scope
    from claims.reports.report_exports import export_statistics
    from claims.reports.statistics import annual_statistics

    app = create_app(_config(url, Path(tempfile.mkdtemp()), "bench", secrets.token_hex(32)))
    with app.app_context():
        year, year_claims = db.session.execute(
            text("SELECT extract(year FROM incident_at AT TIME ZONE 'Asia/Shanghai')::int AS y, count(*) FROM claims GROUP BY y ORDER BY 2 DESC LIMIT 1")
        ).one()
        total = db.session.execute(text("SELECT count(*) FROM claims")).scalar_one()
        admin = find_user("admin")
        scope = report_scope(admin)
        assert scope is not None
        report = annual_statistics(scope, year)
        log(f"year {year}: {report.total.cases:,} cases, approved {report.total.approved:,}, paid {report.total.paid:,}")

        def export() -> None:
            export_statistics(admin, scope, year, ExportFormat.XLSX).file.close()
            db.session.rollback()  # the audit event: nothing kept between runs

        result = {"claims": total, "year_claims": year_claims, "report_s": round(timed(lambda: annual_statistics(scope, year), repeat), 3)}
        result["export_s"] = round(timed(export, repeat), 3)
        db.engine.dispose()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--claims", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=DEFAULT_PG, help=f"the PostgreSQL server (default {DEFAULT_PG}); a scratch database is made there")
    parser.add_argument("--keep", action="store_true", help="keep the database (and reuse it when it exists)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    name = f"wt_stats_bench_{args.claims}"
    url = _pg_url(args.database_url, name)
    admin = create_engine(_pg_url(args.database_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first() is not None
        if exists and not args.keep:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        if not exists or not args.keep:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        if not (exists and args.keep):
            started = time.perf_counter()
            build(url, args.claims)
            log(f"built in {time.perf_counter() - started:.0f} s")
        result = measure(url, args.repeat)
    finally:
        if not args.keep:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
