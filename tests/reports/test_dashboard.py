"""Dashboards: the figures of a fixture worked out by hand, the aggregate against a count from scratch, scope and input.

The fixture (tests/reports/dashboard_world.py; local times, 2026), every claim with a rice line (2.5 mu) first and a
poultry line (3 chickens) second, so each counts as 野猪 and 农作物:

| claim | township (county)  | filed    | now            | amounts                                                     |
| n1    | 三仙湖镇 (南县)     | 2 March  | 已办结 closed   | estimate 1,500.00; valued 1,608.00 = 2.5 mu x 600 (Nan's    |
|       |                    |          |                | rice schedule) + 3 x 60 x 60 %; approved 1,608.00, all the  |
|       |                    |          |                | insurer's (the policy covers it); insurer paid 1,608.00     |
| n2    | 三仙湖镇 (南县)     | 3 March  | 不予受理        | reasons: reported too late, the same loss claimed before    |
| n3    | 茅草街镇 (南县)     | 10 March | 已受理          | survey due 17 March: overdue in May (a county officer's)    |
| n4    | 三仙湖镇 (南县)     | 2 April  | 已撤回          |                                                             |
| n5    | 三仙湖镇 (南县)     | 27 Feb   | 已提交          | outside March-April; intake due 3 March: overdue (clerks)   |
| c1    | 严塘镇 (茶陵县)     | 5 March  | 已审批          | valued 2,228.00 = 2.5 mu x 1,060 x 80 % + 108.00;           |
|       |                    |          |                | approved 2,228.00, all the government's; nothing paid       |

So for March-April 2026: 南县 has 4 claims (三仙湖镇 3, 茅草街镇 1; March 3, April 1), claimed 1,500.00, verified
1,608.00, approved 1,608.00 (insurer 1,608.00, government 0), paid 1,608.00 (insurer); 茶陵县 1 claim, verified and
approved 2,228.00 (government); the province 5 claims, verified and approved 3,836.00 (insurer 1,608.00, government
2,228.00), paid 1,608.00. On 15 May the overdue claims of 南县 are n5 (submitted, 三仙湖镇's clerks) and n3 (accepted,
the county's officers), whenever filed.
"""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import delete

from claims.accounts.services import find_user
from claims.core import time as clock
from claims.core.jobs import Job
from claims.extensions import db
from claims.regions.models import Region
from claims.reports.dashboard import Dashboard, chart_data, dashboard
from claims.reports.figures import BUCKET_MODELS, FIGURES_COUNTED, counted_rows, rebuild_all, stored_rows
from claims.reports.models import ReportBucket
from claims.reports.permissions import can_see_region
from claims.reports.services import Period
from tests.reports.dashboard_world import build_world, local
from tests.security.world import client_as

SPRING = Period(date(2026, 3, 1), date(2026, 4, 30))
QUERY = "date_from=2026-03-01&date_to=2026-04-30"
MAY_15 = local(15, 5)


@pytest.fixture
def world(app: Flask) -> dict[str, int]:
    with app.app_context():
        ids = build_world()
        db.session.remove()
    clock.freeze(MAY_15)
    yield ids
    clock.freeze(None)


def _board(login: str, code: str | None = None, period: Period = SPRING) -> Dashboard:
    user = find_user(login)
    assert user is not None
    region = user.region if code is None else db.session.query(Region).filter_by(code=code).one()
    assert can_see_region(user, region)
    return dashboard(user, region, period, may_open=lambda r: can_see_region(user, r))


def _counts(tallies: Any) -> dict[str, int]:
    return {t.label: t.claims for t in tallies if t.claims}


def yuan(value: str) -> Decimal:
    return Decimal(value)


def test_the_county_approver_sees_the_hand_worked_figures_of_the_county(app: Flask, world: dict[str, int]) -> None:
    with app.app_context():
        board = _board("approver")
        assert board.total.claims == 4  # n1-n4; n5 was filed in February, c1 is Chaling's
        assert _counts(board.by_status) == {"已受理": 1, "不予受理": 1, "已办结": 1, "已撤回": 1}
        assert _counts(board.by_species) == {"野猪": 4} and _counts(board.by_category) == {"农作物": 4}
        assert [(t.label, t.claims) for t in board.by_month] == [("2026年3月", 3), ("2026年4月", 1)]
        a = board.total.amounts
        assert (a.claimed, a.verified, a.approved, a.paid) == (yuan("1500.00"), yuan("1608.00"), yuan("1608.00"), yuan("1608.00"))
        assert (a.approved_insurer, a.approved_government, a.paid_insurer, a.paid_government) == (yuan("1608.00"), 0, yuan("1608.00"), 0)
        regions = {t.label: (t.claims, t.amounts.verified, t.link) for t in board.by_region}
        assert len(regions) == 12 and all(link for _n, _v, link in regions.values())  # every township of 南县, each linked
        assert regions["三仙湖镇"] == (3, yuan("1608.00"), True) and regions["茅草街镇"] == (1, 0, True) and regions["厂窖镇"] == (0, 0, True)
        assert board.refusals == [("超过申报期限", 1, 0), ("同一损失已经申请过补偿", 1, 0)]
        assert board.overdue.by_stage == [("已提交", 1), ("已受理", 1)]
        assert sorted(board.overdue.by_holder) == [("乡镇经办人员", "三仙湖镇", 1), ("林业部门工作人员", "南县", 1)]
        assert board.parent is None  # 益阳市 is above the approver's county


def test_the_province_sees_its_prefectures_and_drills_down_to_a_township(app: Flask, world: dict[str, int]) -> None:
    with app.app_context():
        board = _board("admin")
        assert board.total.claims == 5
        a = board.total.amounts
        assert (a.verified, a.approved, a.approved_insurer, a.approved_government, a.paid) == (
            yuan("3836.00"),
            yuan("3836.00"),
            yuan("1608.00"),
            yuan("2228.00"),
            yuan("1608.00"),
        )
        assert {t.label: (t.claims, t.code, t.link) for t in board.by_region} == {"益阳市": (4, "430900", True), "株洲市": (1, "430200", True)}
        prefecture = _board("admin", "430200")
        assert {t.label: t.claims for t in prefecture.by_region} == {"茶陵县": 1} and prefecture.parent is not None
        county = _board("admin", "430224")
        assert _counts(county.by_region) == {"严塘镇": 1} and _counts(county.by_status) == {"已审批": 1}
        township = _board("admin", "430921128")
        assert township.total.claims == 3 and township.by_region == [] and township.parent is not None and township.parent.code == "430921"
        assert township.overdue.by_stage == [("已提交", 1)]  # n5 only: n3 is 茅草街镇's


def test_the_aggregate_equals_a_count_from_scratch_and_the_rebuild_command_gives_it_back(app: Flask, world: dict[str, int]) -> None:
    with app.app_context():
        assert stored_rows() == counted_rows()
        before = stored_rows()
        for model in (*BUCKET_MODELS, ReportBucket):
            db.session.execute(delete(model))
        db.session.commit()
        assert stored_rows() != before
    result = app.test_cli_runner().invoke(args=["reports", "rebuild"])
    assert result.exit_code == 0 and "5 buckets" in result.output, result.output  # 三仙湖镇 February, March, April; 茅草街镇 and 严塘镇 March
    with app.app_context():
        assert stored_rows() == before
        assert rebuild_all() == 5  # again: the same
        db.session.commit()
        assert stored_rows() == before


def test_until_the_claims_of_an_upgraded_database_are_counted_the_dashboard_says_so(app: Flask, world: dict[str, int]) -> None:
    """A new database is counted from its first claim (migration 0017 leaves the marker); one upgraded with claims in it
    has no marker until `flask reports rebuild` has run, and the page asks for it rather than show figures without them."""
    client = client_as(app, "approver")
    assert "figures-not-counted" not in client.get(f"/reports/dashboard?{QUERY}").get_data(as_text=True)
    with app.app_context():
        db.session.execute(delete(Job).where(Job.key == FIGURES_COUNTED))
        db.session.commit()
    html = client.get(f"/reports/dashboard?{QUERY}").get_data(as_text=True)
    assert "figures-not-counted" in html and "flask reports rebuild" in html
    assert app.test_cli_runner().invoke(args=["reports", "rebuild"]).exit_code == 0
    assert "figures-not-counted" not in client.get(f"/reports/dashboard?{QUERY}").get_data(as_text=True)


def test_the_page_shows_the_figures_in_tables_beside_the_charts_data(app: Flask, world: dict[str, int]) -> None:
    response = client_as(app, "approver").get(f"/reports/dashboard?{QUERY}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "共 4 件申请" in html and "2026年3月" in html and "1,608.00" in html and "1,500.00" in html
    assert 'href="/reports/dashboard/430921128?date_from=2026-03-01&amp;date_to=2026-04-30"' in html  # drill-down to 三仙湖镇
    assert "茶陵县" not in html and "严塘镇" not in html and "/reports/dashboard/430900" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)", html)  # CSP: no inline code
    assert ' style="' not in html
    data = json.loads(re.search(r'<script type="application/json" id="dashboard-data">(.*?)</script>', html, re.S).group(1))  # type: ignore[union-attr]
    assert data["amounts"]["series"][1]["data"] == ["0.00", "0.00", "1608.00", "1608.00"]  # the insurer's share
    statuses = dict(zip(data["status"]["labels"], data["status"]["series"][0]["data"], strict=True))
    assert statuses == {"已受理": "1", "不予受理": "1", "已办结": "1", "已撤回": "1"}


def test_another_county_sees_only_its_own(app: Flask, world: dict[str, int]) -> None:
    client = client_as(app, "approver_cl")
    html = client.get(f"/reports/dashboard?{QUERY}").get_data(as_text=True)
    assert "共 1 件申请" in html and "2,228.00" in html and "严塘镇" in html
    assert "三仙湖镇" not in html and "1,608.00" not in html and "南县" not in html
    assert client.get(f"/reports/dashboard/430921?{QUERY}").status_code == 404  # Nan county
    assert client.get(f"/reports/dashboard/430921128?{QUERY}").status_code == 404  # a township of Nan county
    assert client.get("/reports/dashboard/430200").status_code == 404  # its own prefecture: above its scope


@pytest.mark.parametrize("login", ["owner", "clerk", "officer", "insurer"])
def test_other_roles_do_not_find_the_dashboards(app: Flask, login: str) -> None:
    client = client_as(app, login)
    assert client.get("/reports/dashboard").status_code == 404
    assert client.get("/reports/dashboard/430921").status_code == 404


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/reports/dashboard/430921128", 200),
        ("/reports/dashboard/430921128243", 404),
        ("/reports/dashboard/nope", 404),
        ("/reports/dashboard/" + "9" * 300, 404),
    ],
)
def test_a_region_is_a_county_approvers_township_never_a_village_or_nonsense(app: Flask, path: str, status: int) -> None:
    assert client_as(app, "approver").get(path).status_code == status


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("date_from=2026-13-01", "不是有效的日期"),
        ("date_from=2026-03-31&date_to=2026-03-01", "时段的截止日期不能早于起始日期"),
        ("date_from=2020-01-01&date_to=2026-03-01", "时段最长 366 天"),
        ("date_from=yesterday&date_to=%00", "不是有效的日期"),
    ],
)
def test_a_bad_period_is_a_clear_message(app: Flask, query: str, message: str) -> None:
    response = client_as(app, "admin").get(f"/reports/dashboard?{query}")
    assert response.status_code == 422 and message in response.get_data(as_text=True)


def test_an_empty_dashboard_says_so(app: Flask) -> None:
    html = client_as(app, "approver").get("/reports/dashboard").get_data(as_text=True)
    assert "共 0 件申请" in html and "本时段内没有提交的申请" in html and "没有超期的申请" in html


def test_the_charts_data_is_what_the_tables_show(app: Flask, world: dict[str, int]) -> None:
    with app.app_context():
        board = _board("admin")
        data = chart_data(board)
    assert data["regions"]["labels"] == ["株洲市", "益阳市"] and data["regions"]["series"][0]["data"] == ["1", "4"]  # by code
    assert data["amounts"]["series"][2]["data"] == ["0.00", "0.00", "2228.00", "0.00"]  # the government's share
    assert data["refusals"]["series"][0]["data"] == ["1", "1"]
