"""The statistics through the API (scope statistics:read): the same table as the statistics page, for the client's scope,
checked against the hand-computed figures of tests/reports/statistics_world.py (its docstring and
tests/reports/test_statistics.py give them)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from claims.extensions import db
from claims.insurance.models import Referral
from claims.intake.models import Claim
from tests.api.conftest import call, make_token
from tests.reports.statistics_world import ReportsWorld, reports_world


@pytest.fixture
def world(app: Flask) -> ReportsWorld:
    return reports_world(app)


def _table(app: Flask, token: str, query: str) -> tuple[int, Any]:
    response = call(app.test_client(), f"/api/v1/statistics?{query}", token)
    return response.status_code, response.get_json()


def _rows(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["name"]: row["figures"] for row in body["rows"]}


def test_the_province_platform_reads_the_provinces_figures(app: Flask, world: ReportsWorld) -> None:
    status, body = _table(app, make_token(app, "province"), "year=2026")
    assert status == 200 and body["region"] == {"code": "430000", "name": "湖南省", "level": "province"}
    total = body["rows"][-1]
    assert total["level"] == "total"
    figures = total["figures"]
    assert (figures["cases"], figures["households"], figures["compensated"], figures["refused"], figures["withdrawn"], figures["in_progress"]) == (
        10,
        5,
        3,
        2,
        1,
        4,
    )
    assert (figures["valued"], figures["approved"], figures["insurer_share"], figures["government_share"]) == ("10456.00", "5956.00", "1500.00", "4456.00")
    assert (figures["paid_insurer"], figures["paid_government"]) == ("1500.00", "2228.00")
    assert figures["species"] == {"mammal": 8, "bird": 1, "": 1}
    assert figures["categories"] == {"crop": "5740.00", "poultry": "216.00"}


def test_a_region_narrows_and_never_widens(app: Flask, world: ReportsWorld) -> None:
    province, chaling = make_token(app, "province"), make_token(app, "chaling")
    status, body = _table(app, province, "year=2026&region=430224")
    assert status == 200 and body["region"]["code"] == "430224" and body["rows"][-1]["figures"]["cases"] == 2
    status, own = _table(app, chaling, "year=2026")
    assert status == 200 and own["rows"][-1]["figures"] == body["rows"][-1]["figures"]  # Chaling's platform: its county, by township
    missing = _table(app, chaling, "year=2026&region=999999")
    assert _table(app, chaling, "year=2026&region=430921") == missing and missing[0] == 404  # Nan is outside Chaling's scope
    assert _table(app, chaling, "year=2026&region=430000") == missing  # so is the province above it
    assert _table(app, province, "year=2026&region=430921128")[0] == 422  # a township's 9-digit code is no statistics region


def test_an_insurer_counts_only_what_was_referred_to_it(app: Flask, world: ReportsWorld) -> None:
    status, body = _table(app, make_token(app, "insurer"), "year=2026")
    assert status == 200 and body["region"]["code"] == "430000"  # the province of its policies
    with app.app_context():
        referred = db.session.execute(select(Claim).join(Referral, Referral.claim_id == Claim.id)).scalars().all()
        in_2026 = [c for c in referred if c.incident_at.year == 2026 and c.county.code == "430921"]
    rows = _rows(body)
    assert rows["南县"]["cases"] == len(in_2026) and rows["茶陵县"]["cases"] == 0  # Chaling buys no insurance
    assert body["rows"][-1]["figures"]["approved"] == "1500.00" == body["rows"][-1]["figures"]["insurer_share"]


@pytest.mark.parametrize("query", ["", "year=1999", "year=2101", "year=abc", "year=2026&region=43", "year=2026&region=<script>"])
def test_a_bad_year_or_region_is_a_422_problem_naming_it(app: Flask, world: ReportsWorld, query: str) -> None:
    status, body = _table(app, make_token(app, "province"), query)
    assert status == 422 and body["errors"][0]["field"] in ("query.year", "query.region") and body["messages"]["zh"]


@pytest.mark.parametrize(
    ("query", "cases"),
    [("year=2026&month=1", 1), ("year=2026&month=3", 9), ("year=2026&quarter=1", 10), ("year=2026&quarter=2", 0), ("year=2025&month=12", 1)],
)
def test_a_quarter_or_a_month_counts_its_incidents_in_beijing_time(app: Flask, world: ReportsWorld, query: str, cases: int) -> None:
    """N7's incident, 00:30 on 1 January 2026 in China, is in January 2026; N6's, 23:30 on 31 December 2025, in December
    2025; the other nine of 2026 in March (the fixture's docstring)."""
    status, body = _table(app, make_token(app, "province"), query)
    assert status == 200 and body["rows"][-1]["figures"]["cases"] == cases
    assert body["period"] == {"year": int(query[5:9]), "quarter": None, "month": None} | {k: int(v) for k, v in (p.split("=") for p in query.split("&")[1:])}


def test_a_quarter_and_a_month_together_are_refused(app: Flask, world: ReportsWorld) -> None:
    status, body = _table(app, make_token(app, "province"), "year=2026&quarter=1&month=3")
    assert status == 422 and body["errors"][0]["field"] == "query.month"
