"""The annual statistics table (claims/reports/statistics.py): figures against the fixture's hand-computed totals, in
the page, the XLSX and the CSV, for each reader's scope; bad years; who may not read it.

The fixture is tests/reports/statistics_world.py (its docstring lists every claim). 2026, by hand:
- 南县: cases N1 N2 N3 N4 N5 N7 N8 N9 = 8 (N6's incident is 23:30 on 31 December 2025 in China); households A B C D F
  = 5 (C claimed twice, N4 and N8; D twice, N5 and N9); compensated N5 = 1, refused N2 N9 = 2, withdrawn N3 = 1, in
  progress N1 N4 N7 N8 = 4; mammals 6 (N1 N4 N5 N7 N8 N9), birds 1 (N2, a pheasant), unknown 1 (N3); valued N4 + N5
  + N8 + N9 = 4 x 1,500 = 6,000.00 (N9 was valued before the county refused it); approved N5 1,500.00 (crops), all
  the insurer's (the policy covers crops, no deductible); paid by the insurer 1,500.00.
- 茶陵县: cases C1 C2 = 2, households 1 (both A); both compensated, mammals; valued = approved = 2 x 2,228.00 =
  4,456.00, all the government's; crops 2 x 2,120.00 = 4,240.00, poultry 2 x 108.00 = 216.00; paid C1 2,228.00.
- The province: 10 cases; households 5 (A claimed in both counties: 5 + 1 - 1); compensated 3, refused 2, withdrawn 1,
  in progress 4; mammals 8, birds 1, unknown 1; valued 10,456.00; approved 5,956.00 = insurer 1,500.00 + government
  4,456.00; crops 5,740.00, poultry 216.00; paid 3,728.00 = insurer 1,500.00 + government 2,228.00.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import select

from claims.accounts.models import Role
from claims.accounts.services import find_user
from claims.extensions import db
from claims.regions.models import Region, RegionLevel
from claims.workflow.models import AuditEvent
from tests.conftest import csrf_token, login
from tests.factories import new_staff
from tests.reports.statistics_world import ReportsWorld, reports_world
from tests.test_every_page_chinese import page_problems

D = Decimal
PASSWORD = "Survey#2026x"  # tests.factories.new_staff's


@pytest.fixture
def world(app: Flask) -> ReportsWorld:
    made = reports_world(app)
    with app.app_context():
        yiyang = db.session.execute(select(Region).where(Region.code == "430900")).scalar_one()
        db.session.add(Region(code="430923", name="安化县", level=RegionLevel.COUNTY, parent=yiyang, path=yiyang.path + "430923/"))  # no claims
        for code, login_name in (("430900", "admin_yiyang"), ("430224", "admin_chaling")):
            region = db.session.execute(select(Region).where(Region.code == code)).scalar_one()
            new_staff(login=login_name, name="管理员", role=Role.ADMIN, region=region)
        db.session.commit()
    return made


def signed_in(app: Flask, login_name: str) -> FlaskClient:
    client = app.test_client()
    if login_name.startswith("admin_"):
        login(client, login_name, PASSWORD)
    else:
        login(client, login_name)
    return client


def export(client: FlaskClient, fmt: str, year: str = "2026"):  # type: ignore[no-untyped-def]
    return client.post(f"/reports/statistics.{fmt}", data={"csrf_token": csrf_token(client, "/reports/statistics"), "year": year})


def table_of_xlsx(data: bytes) -> dict[str, dict[str, object]]:
    """Region name -> {column title -> value}, read from the sheet under its two heading lines."""
    rows = [list(r) for r in load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True)]
    assert str(rows[0][0]).startswith("2026年度陆生野生动物致害补偿统计表") and "按致害事件发生日期" in str(rows[1][0])
    header = rows[2]
    return {str(r[0]): dict(zip(header, r, strict=True)) for r in rows[3:]}


def table_of_csv(data: bytes) -> dict[str, dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    return {r[0]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}


def amount(value: object) -> Decimal:
    return D(str(value or 0)).quantize(D("0.01"))


NAN = {"案件数": 8, "户数": 5, "已补偿": 1, "不予补偿": 2, "已撤回": 1, "办理中": 4, "兽类": 6, "鸟类": 1, "物种不明": 1}
NAN_AMOUNTS = {"核定金额（元）": "6000.00", "批准金额（元）": "1500.00", "保险承担（元）": "1500.00", "政府承担（元）": "0.00"}
NAN_AMOUNTS |= {"批准：农作物（元）": "1500.00", "批准：家禽（元）": "0.00", "支付金额（元）": "1500.00", "保险已付（元）": "1500.00", "政府已付（元）": "0.00"}
CHALING = {"案件数": 2, "户数": 1, "已补偿": 2, "不予补偿": 0, "已撤回": 0, "办理中": 0, "兽类": 2, "鸟类": 0, "物种不明": 0}
CHALING_AMOUNTS = {"核定金额（元）": "4456.00", "批准金额（元）": "4456.00", "保险承担（元）": "0.00", "政府承担（元）": "4456.00"}
CHALING_AMOUNTS |= {
    "批准：农作物（元）": "4240.00",
    "批准：家禽（元）": "216.00",
    "支付金额（元）": "2228.00",
    "保险已付（元）": "0.00",
    "政府已付（元）": "2228.00",
}
PROVINCE = {"案件数": 10, "户数": 5, "已补偿": 3, "不予补偿": 2, "已撤回": 1, "办理中": 4, "兽类": 8, "鸟类": 1, "物种不明": 1}
PROVINCE_AMOUNTS = {"核定金额（元）": "10456.00", "批准金额（元）": "5956.00", "保险承担（元）": "1500.00", "政府承担（元）": "4456.00"}
PROVINCE_AMOUNTS |= {"批准：农作物（元）": "5740.00", "批准：家禽（元）": "216.00", "批准：死亡（元）": "0.00"}
PROVINCE_AMOUNTS |= {"支付金额（元）": "3728.00", "保险已付（元）": "1500.00", "政府已付（元）": "2228.00"}


def check(row: dict[str, object], counts: dict[str, int], amounts: dict[str, str]) -> None:
    assert {k: int(str(row[k])) for k in counts} == counts
    assert {k: amount(row[k]) for k in amounts} == {k: D(v) for k, v in amounts.items()}


def test_the_province_sees_every_county_by_prefecture_with_subtotals(app: Flask, world: ReportsWorld) -> None:
    client = signed_in(app, "admin")
    response = export(client, "xlsx")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    table = table_of_xlsx(response.get_data())
    check(table["南县"], NAN, NAN_AMOUNTS)
    check(table["小计：益阳市"], NAN | {"户数": 5}, NAN_AMOUNTS)
    check(table["茶陵县"], CHALING, CHALING_AMOUNTS)
    check(table["小计：株洲市"], CHALING, CHALING_AMOUNTS)
    check(table["合计"], PROVINCE, PROVINCE_AMOUNTS)
    assert list(table)[-1] == "合计"
    names = list(table)
    assert names.index("南县") < names.index("小计：益阳市") and names.index("茶陵县") < names.index("小计：株洲市")
    assert table["安化县"]["案件数"] == 0  # a county of 益阳市 without claims is listed with zeros
    assert [n for n in names if n.startswith("小计：")] == ["小计：株洲市", "小计：益阳市"]  # the demo's two, in code order
    csv_table = table_of_csv(export(client, "csv").get_data())
    assert list(csv_table) == names
    check(csv_table["合计"], PROVINCE, PROVINCE_AMOUNTS)
    check(csv_table["茶陵县"], CHALING, CHALING_AMOUNTS)


def test_the_total_adds_the_rows_up_except_households(app: Flask, world: ReportsWorld) -> None:
    table = table_of_csv(export(signed_in(app, "admin"), "csv").get_data())
    counties = [row for name, row in table.items() if not name.startswith(("小计", "合计"))]
    total = table["合计"]
    for column in [c for c in total if c not in ("地区", "户数")]:
        assert sum(amount(row[column]) for row in counties) == amount(total[column]), column
    assert sum(int(row["户数"]) for row in counties) == 6 and total["户数"] == "5"  # household A counted once in the total


def test_a_prefecture_sees_its_counties(app: Flask, world: ReportsWorld) -> None:
    table = table_of_xlsx(export(signed_in(app, "admin_yiyang"), "xlsx").get_data())
    assert "茶陵县" not in table and not any(name.startswith("小计") for name in table)
    check(table["南县"], NAN, NAN_AMOUNTS)
    check(table["合计"], NAN, NAN_AMOUNTS)
    assert list(table) == ["南县", "安化县", "合计"]


def test_a_county_sees_its_townships(app: Flask, world: ReportsWorld) -> None:
    table = table_of_xlsx(export(signed_in(app, "approver"), "xlsx").get_data())
    sanxianhu = {"案件数": 7, "户数": 4, "已补偿": 1, "不予补偿": 1, "已撤回": 1, "办理中": 4, "兽类": 6, "物种不明": 1}
    check(table["三仙湖镇"], sanxianhu, NAN_AMOUNTS)  # N1 N3 N4 N5 N7 N8 N9; households A C D F
    check(table["茅草街镇"], {"案件数": 1, "户数": 1, "不予补偿": 1, "鸟类": 1}, {"核定金额（元）": "0.00"})
    check(table["合计"], NAN, NAN_AMOUNTS)
    assert "南县" not in table and "茶陵县" not in table
    chaling = table_of_xlsx(export(signed_in(app, "admin_chaling"), "xlsx").get_data())
    check(chaling["严塘镇"], CHALING, CHALING_AMOUNTS)
    check(chaling["合计"], CHALING, CHALING_AMOUNTS)
    assert "三仙湖镇" not in chaling


def test_a_claim_counts_in_the_year_of_its_incident_in_china(app: Flask, world: ReportsWorld) -> None:
    table = table_of_csv(export(signed_in(app, "approver"), "csv", "2025").get_data())
    assert table["合计"]["案件数"] == "1" and table["三仙湖镇"]["案件数"] == "1"  # N6 alone (N7 is 00:30 on 1 January)
    assert table_of_csv(export(signed_in(app, "approver"), "csv", "2024").get_data())["合计"]["案件数"] == "0"


def test_the_page_shows_the_same_table_in_chinese(app: Flask, world: ReportsWorld) -> None:
    client = signed_in(app, "admin")
    html = client.get("/reports/statistics?year=2026").get_data(as_text=True)
    assert "2026年度陆生野生动物致害补偿统计表：湖南省" in html and "小计：益阳市" in html
    assert "5,956.00" in html and "10,456.00" in html  # the total's approved and valued amounts
    assert 'action="/reports/statistics.xlsx"' in html and 'name="year" value="2026"' in html
    assert page_problems(html, data={"admin"}) == []


@pytest.mark.parametrize("year", ["abc", "1999", "2101", "20266", "2026.5", "99999999999999999999999", "-2026", "2026-01"])
def test_a_bad_year_is_a_clear_message(app: Flask, world: ReportsWorld, year: str) -> None:
    client = signed_in(app, "admin")
    page = client.get("/reports/statistics", query_string={"year": year})
    assert page.status_code == 422
    text = page.get_data(as_text=True)
    # The range, or why the text is no year at all: not a whole number, or a number too large to be one (its own message).
    assert "请选择 2000 至 2100 之间的年度。" in text or "请输入整数" in text or "这个数字太大了。" in text, text
    response = export(client, "xlsx", year)
    assert response.status_code == 422
    with app.app_context():
        assert db.session.execute(select(AuditEvent).where(AuditEvent.action == "statistics_exported")).first() is None


def test_an_empty_year_is_this_year_and_odd_digits_are_no_error(app: Flask, world: ReportsWorld) -> None:
    client = signed_in(app, "approver")
    assert client.get("/reports/statistics?year=").status_code == 200
    for year in ("٢٠٢٦", "2026\x00", " 2026 "):  # Unicode digits read as the number they are; never a 500
        assert client.get("/reports/statistics", query_string={"year": year}).status_code in (200, 422)


@pytest.mark.parametrize("login_name", ["13800000001", "clerk", "officer", "insurer"])
def test_others_get_no_statistics(app: Flask, world: ReportsWorld, login_name: str) -> None:
    client = signed_in(app, login_name)
    assert client.get("/reports/statistics").status_code == 404
    assert export(client, "xlsx").status_code == 404 and export(client, "csv").status_code == 404


def test_every_export_is_audited(app: Flask, world: ReportsWorld) -> None:
    export(signed_in(app, "admin"), "xlsx")
    export(signed_in(app, "approver"), "csv", "2025")
    with app.app_context():
        events = db.session.execute(select(AuditEvent).where(AuditEvent.action == "statistics_exported").order_by(AuditEvent.id)).scalars().all()
        admin, approver = find_user("admin"), find_user("approver")
        assert [(e.entity, e.actor_id, e.changes) for e in events] == [
            ("statistics", admin.id, {"format": "xlsx", "year": 2026, "rows": 6}),  # 茶陵县, 株洲市, 南县, 安化县, 益阳市, total
            ("statistics", approver.id, {"format": "csv", "year": 2025, "rows": 13}),  # 南县's 12 townships and the total
        ]
