"""Do the dashboards and the province's annual statistics hold at 1,000,000 claims on PostgreSQL?

Builds (or, with ``--keep``, reuses) the 1,000,000-claim PostgreSQL instance of bench/pages.py (bench/pages_data.py:
migrations, demo data, claims in every state by bulk insert), completes what that bulk data leaves out for these
reports (bench/statistics_table.py's FILL: decision lines by loss category, claimants' ID hashes, settlements of the
paid payments), then counts every claim into the dashboards' aggregate (``flask reports rebuild``: the data went in
around the steps that keep it) and runs VACUUM ANALYZE, as an operator does after a bulk load.

Then it times, in-process with Flask's test client and logged in as the demo users:
- the dashboards: the province's administrator on the year with the most claims and on this year so far, Nan
  county's approver on that year, and that county's dashboard of a township; ``--repeat`` requests each after 3
  untimed ones;
- the province's annual statistics as XLSX (the POST the page's button sends: queries, workbook, audit event) for
  that year, ``--export-repeat`` times after one untimed run.

Prints a line per page to stderr and, last on stdout, one JSON object:
``{"dashboard_p95_ms": ..., "export_s": ..., "claims": ...}`` (the slowest dashboard's p95; the export's median).
Goals (issue 14): a dashboard p95 under 300 ms and the export under 10 s.

    .venv/bin/python bench/reports.py                                          # 1M claims, a scratch database
    .venv/bin/python bench/reports.py --keep --data-dir /var/tmp/claims-bench  # build once, reuse after
    .venv/bin/python bench/reports.py --claims 50000                           # a quick check
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `python bench/reports.py` from anywhere
    sys.path.insert(0, str(ROOT))

from flask.testing import FlaskClient  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from bench.pages import CSRF_RE, DEFAULT_PG, instance, log, log_in, percentile  # noqa: E402
from bench.statistics_table import FILL  # noqa: E402
from claims.core.time import local_today  # noqa: E402
from claims.extensions import db  # noqa: E402

GOALS = {"dashboard_p95_ms": 300.0, "export_s": 10.0}
WARMUP = 3
NAN_COUNTY = "430921"


def prepare(url: str) -> dict[str, Any]:
    """FILL, the aggregate rebuilt, VACUUM ANALYZE; the busiest year, its claims and a township of Nan county."""
    from claims.reports.figures import rebuild_all

    with db.engine.begin() as conn:
        for statement in FILL:
            conn.execute(text(statement))
    started = time.perf_counter()
    rebuild_all()
    db.session.commit()
    rebuilt = time.perf_counter() - started
    log(f"aggregate rebuilt in {rebuilt:.1f} s")
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()
    year, year_claims = db.session.execute(
        text("SELECT extract(year FROM submitted_at AT TIME ZONE 'Asia/Shanghai')::int AS y, count(*) FROM claims GROUP BY y ORDER BY 2 DESC LIMIT 1")
    ).one()
    township = db.session.execute(
        text("SELECT t.code FROM claims c JOIN regions t ON t.id = c.township_id JOIN regions k ON k.id = c.county_id WHERE k.code = :k LIMIT 1"),
        {"k": NAN_COUNTY},
    ).scalar_one()
    claims = db.session.execute(text("SELECT count(*) FROM claims")).scalar_one()
    db.session.remove()
    return {"year": year, "year_claims": year_claims, "township": township, "claims": claims, "rebuild_s": round(rebuilt, 1)}


def time_get(client: FlaskClient, url: str, repeat: int) -> list[float]:
    samples = []
    for n in range(WARMUP + repeat):
        started = time.perf_counter()
        response = client.get(url)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise AssertionError(f"{url}: {response.status_code}")
        if n >= WARMUP:
            samples.append(elapsed)
    return samples


def time_export(client: FlaskClient, year: int, repeat: int) -> list[float]:
    page = f"/reports/statistics?year={year}"
    match = CSRF_RE.search(client.get(page).get_data(as_text=True))
    if match is None:
        raise AssertionError(f"no CSRF token on {page}")
    token = match.group(1) or match.group(2)
    samples = []
    for n in range(1 + repeat):
        started = time.perf_counter()
        response = client.post("/reports/statistics.xlsx", data={"year": str(year), "csrf_token": token})
        body = response.get_data()
        elapsed = time.perf_counter() - started
        if response.status_code != 200 or not body.startswith(b"PK"):
            raise AssertionError(f"the statistics export answered {response.status_code}")
        if n:
            samples.append(elapsed)
    return samples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--claims", type=int, default=1_000_000, help="claims to build (default 1,000,000)")
    parser.add_argument("--database-url", default=DEFAULT_PG, help=f"the PostgreSQL server (default {DEFAULT_PG}); a scratch database is made there")
    parser.add_argument("--keep", action="store_true", help="keep the built database (and reuse it when it holds --claims claims)")
    parser.add_argument("--data-dir", help="where scratch folders go (default: <tmp>/claims-bench-pages)")
    parser.add_argument("--repeat", type=int, default=20, help="timed requests per dashboard (default 20, after 3 untimed)")
    parser.add_argument("--export-repeat", type=int, default=3, help="timed exports (default 3, after 1 untimed)")
    args = parser.parse_args(argv)

    with instance("postgres", args) as inst:
        with inst.app.app_context():
            facts = prepare(inst.url)
        year, this_year = facts["year"], local_today().year
        log(f"{facts['claims']:,} claims; the busiest year {year} has {facts['year_claims']:,}")
        whole_year = f"date_from={year}-01-01&date_to={year}-12-31"
        pages = [
            ("admin", f"/reports/dashboard?{whole_year}", "province, busiest year"),
            ("admin", f"/reports/dashboard?date_from={this_year}-01-01", "province, this year"),
            ("approver", f"/reports/dashboard?{whole_year}", "Nan county, busiest year"),
            ("approver", f"/reports/dashboard/{facts['township']}?{whole_year}", "a township, busiest year"),
        ]
        p95s: list[float] = []
        clients: dict[str, FlaskClient] = {}
        for login, url, label in pages:
            client = clients.setdefault(login, log_in(inst.app, login))
            samples = time_get(client, url, args.repeat)
            p95s.append(percentile(samples, 0.95))
            log(f"  {label:<28} p95 {p95s[-1]:7.1f} ms   median {statistics.median(samples):7.1f} ms")
        exports = time_export(clients["admin"], year, args.export_repeat)
        log(f"  statistics XLSX, {year}        median {statistics.median(exports):6.2f} s   (max {max(exports):.2f} s)")

    result = {"dashboard_p95_ms": round(max(p95s), 1), "export_s": round(statistics.median(exports), 2), "claims": facts["claims"]}
    for key, goal in GOALS.items():
        log(f"{key}: {result[key]} (goal under {goal}) {'met' if result[key] < goal else 'NOT met'}")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
