"""The insurer's bordereau (claims/reports/bordereau.py): lines and totals against the fixture's hand-computed figures,
in the page, the XLSX and the CSV; who sees which policy; bad policies and months.

The fixture is tests/reports/statistics_world.py. Under Nan's 2025 policy (insurer A, 中华联合) two claims were
referred, both valued at 1,500.00 (rice 2.5 mu x 600 x 100%; every category covered, no deductible, limits far off):
- N4, referred 2 March 2026, never decided: its reserve is the insurer's share of the valuation, 1,500.00;
- N5, referred 2 March, accepted by the insurer 3 March (share 1,500.00), approved 12 March, paid by the insurer 3 April;
- N8, referred 2 March, declined by the insurer 3 March: its share is nothing, so it is closed for the insurer then;
- N9, referred 2 March, accepted by the insurer 3 March (share 1,500.00), refused by the county 12 March: nothing is
  paid, so it is closed for the insurer then.
By hand, as at each month's end:
- February: nothing referred yet.
- March: N4 (reserve 1,500.00, outstanding 1,500.00; moved: referred), N5 (share 1,500.00, nothing paid,
  outstanding 1,500.00; moved: referred, decided, approved), N8 (share 0, outstanding 0; moved: referred, decided) and
  N9 (share 0 as the county refused, outstanding 0; moved: referred, decided, refused). Totals: reserve 1,500.00,
  share 1,500.00, paid 0, outstanding 3,000.00.
- April: N4 (no movement, still outstanding 1,500.00) and N5 (paid 1,500.00 on 3 April, outstanding 0); not N8 nor
  N9, closed in March. Totals: paid in the month 1,500.00, outstanding 1,500.00.
- May: N4 alone (N5 was closed in April): outstanding 1,500.00.
Insurer B (平安) holds a policy of 茶陵县 with nothing referred.
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

from claims.accounts.services import find_user
from claims.extensions import db
from claims.workflow.models import AuditEvent
from tests.conftest import csrf_token, login
from tests.reports.statistics_world import ReportsWorld, reports_world
from tests.test_every_page_chinese import page_problems

D = Decimal
HEADERS = [
    "申请编号",
    "县",
    "乡镇",
    "物种",
    "申请人（已脱敏）",
    "发生日期",
    "移送日期",
    "保险定损日期",
    "审批日期",
    "支付日期",
    "决定",
    "核定金额（元）",
    "保险定损金额（元）",
    "未决估损（元）",
    "保险承担（元）",
    "截至月末已付（元）",
    "本月支付（元）",
    "未付余额（元）",
    "本月变动",
]


@pytest.fixture
def world(app: Flask) -> ReportsWorld:
    return reports_world(app)


def signed_in(app: Flask, login_name: str) -> FlaskClient:
    client = app.test_client()
    login(client, login_name, "Survey#2026x" if login_name == "insurer_b" else "Demo@2026")
    return client


def export(client: FlaskClient, fmt: str, policy: object, month: str):  # type: ignore[no-untyped-def]
    token = csrf_token(client, "/reports/bordereau")
    return client.post(f"/reports/bordereau.{fmt}", data={"csrf_token": token, "policy": str(policy), "month": month})


def xlsx_lines(data: bytes) -> tuple[list[str], list[dict[str, object]], dict[str, object]]:
    """The heading lines, the claims' lines by column title, and the total line."""
    rows = [list(r) for r in load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True)]
    heading, header = [str(r[0]) for r in rows[:2]], rows[2]
    assert header == HEADERS
    lines = [dict(zip(header, r, strict=True)) for r in rows[3:]]
    return heading, lines[:-1], lines[-1]


def csv_lines(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0] == HEADERS
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def amount(value: object) -> Decimal:
    return D(str(value or 0)).quantize(D("0.01"))


AMOUNTS = ("未决估损（元）", "保险承担（元）", "截至月末已付（元）", "本月支付（元）", "未付余额（元）")


def figures(line: dict[str, object]) -> tuple[Decimal, ...]:
    return tuple(amount(line[title]) for title in AMOUNTS)


def test_march_april_and_may_as_at_each_months_end(app: Flask, world: ReportsWorld) -> None:
    client, policy, n = signed_in(app, "insurer"), world.policies["nan"], world.numbers
    heading, lines, total = xlsx_lines(export(client, "xlsx", policy, "2026-03").get_data())
    assert heading == ["保单 PYYY2025430921000001 赔案清单（2026-03）", "保险公司：中华联合财产保险股份有限公司益阳中心支公司；投保人：南县"]
    assert [line["申请编号"] for line in lines] == [n["N4"], n["N5"], n["N8"], n["N9"]]
    n4, n5, n8, n9 = lines
    # (reserve, share, paid by the month's end, paid in the month, outstanding)
    assert figures(n4) == (D("1500.00"), D(0), D(0), D(0), D("1500.00")) and n4["决定"] == "未决" and n4["本月变动"] == "移送保险"
    assert figures(n5) == (D(0), D("1500.00"), D(0), D(0), D("1500.00")) and n5["本月变动"] == "移送保险、保险公司定损、审批"
    assert (n5["移送日期"].date().isoformat(), n5["保险定损日期"].date().isoformat(), n5["审批日期"].date().isoformat()) == (
        "2026-03-02",
        "2026-03-03",
        "2026-03-12",
    )
    assert n5["支付日期"] is None and amount(n5["保险定损金额（元）"]) == D("1500.00") and amount(n5["核定金额（元）"]) == D("1500.00")
    assert figures(n8) == (D(0), D(0), D(0), D(0), D(0)) and n8["决定"] == "已拒赔" and n8["本月变动"] == "移送保险、保险公司定损"
    assert amount(n8["保险定损金额（元）"]) == D(0)  # a decline assesses nothing
    assert figures(n9) == (D(0), D(0), D(0), D(0), D(0)) and n9["决定"] == "县级不予补偿"
    assert n9["本月变动"] == "移送保险、保险公司定损、县级不予补偿" and amount(n9["保险定损金额（元）"]) == D("1500.00")
    assert total["申请编号"] == "合计：4 件" and figures(total) == (D("1500.00"), D("1500.00"), D(0), D(0), D("3000.00"))
    _, lines, total = xlsx_lines(export(client, "xlsx", policy, "2026-04").get_data())
    assert [line["申请编号"] for line in lines] == [n["N4"], n["N5"]]
    assert figures(lines[0]) == (D("1500.00"), D(0), D(0), D(0), D("1500.00")) and lines[0]["本月变动"] is None
    assert figures(lines[1]) == (D(0), D("1500.00"), D("1500.00"), D("1500.00"), D(0)) and lines[1]["本月变动"] == "已支付"
    assert lines[1]["支付日期"].date().isoformat() == "2026-04-03"
    assert figures(total) == (D("1500.00"), D("1500.00"), D("1500.00"), D("1500.00"), D("1500.00"))
    _, lines, total = xlsx_lines(export(client, "xlsx", policy, "2026-05").get_data())
    assert [line["申请编号"] for line in lines] == [n["N4"]] and amount(total["未付余额（元）"]) == D("1500.00")
    _, lines, total = xlsx_lines(export(client, "xlsx", policy, "2026-02").get_data())
    assert lines == [] and total["申请编号"] == "合计：0 件"


def test_the_csv_holds_the_same_lines_without_a_total(app: Flask, world: ReportsWorld) -> None:
    lines = csv_lines(export(signed_in(app, "approver"), "csv", world.policies["nan"], "2026-04").get_data())
    assert [line["申请编号"] for line in lines] == [world.numbers["N4"], world.numbers["N5"]]
    assert sum(amount(line["未付余额（元）"]) for line in lines) == D("1500.00")
    assert sum(amount(line["本月支付（元）"]) for line in lines) == D("1500.00")
    assert lines[1]["移送日期"] == "2026-03-02" and lines[1]["本月支付（元）"] == "1500.00" and lines[0]["保险承担（元）"] == ""


def test_names_are_masked_and_nothing_personal_is_exported(app: Flask, world: ReportsWorld) -> None:
    from tests.reports.statistics_world import IDS

    client = signed_in(app, "insurer")
    for fmt in ("xlsx", "csv"):
        data = export(client, fmt, world.policies["nan"], "2026-03").get_data()
        text = data.decode("utf-8-sig") if fmt == "csv" else _xlsx_text(data)
        assert "王*汉" in text and "王老汉" not in text  # the clerk filed both for 王老汉
        assert not any(secret in text for secret in (IDS["C"], IDS["D"], "6217995500001234567", "13700000009"))


def _xlsx_text(data: bytes) -> str:
    return "\n".join(str(v) for row in load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True) for v in row if v is not None)


def test_the_page_shows_the_lines_and_totals_in_chinese(app: Flask, world: ReportsWorld) -> None:
    client = signed_in(app, "insurer")
    html = client.get(f"/reports/bordereau?policy={world.policies['nan']}&month=2026-03").get_data(as_text=True)
    assert world.numbers["N4"] in html and world.numbers["N5"] in html and "3,000.00" in html and "合计：4 件" in html
    assert 'action="/reports/bordereau.xlsx"' in html and 'name="month" value="2026-03"' in html
    assert page_problems(html, data={"insurer", "PYYY2025430921000001", "PYYY2026430921000001"}) == []


def test_each_reader_is_offered_only_their_policies(app: Flask, world: ReportsWorld) -> None:
    offered = {}
    for login_name in ("insurer", "insurer_b", "approver", "approver_cl", "admin"):
        html = signed_in(app, login_name).get("/reports/bordereau").get_data(as_text=True)
        offered[login_name] = {number for number in ("PYYY2025430921000001", "PYYY2026430921000001", "PAZZ2026430224000001") if number in html}
    nan = {"PYYY2025430921000001", "PYYY2026430921000001"}
    assert offered == {
        "insurer": nan,
        "insurer_b": {"PAZZ2026430224000001"},
        "approver": nan,
        "approver_cl": {"PAZZ2026430224000001"},
        "admin": nan | {"PAZZ2026430224000001"},
    }


@pytest.mark.parametrize(("login_name", "foreign"), [("insurer_b", "nan"), ("insurer", "chaling_b"), ("approver_cl", "nan"), ("approver", "chaling_b")])
def test_another_insurers_policy_answers_as_one_that_does_not_exist(app: Flask, world: ReportsWorld, login_name: str, foreign: str) -> None:
    client = signed_in(app, login_name)
    policy = world.policies[foreign]
    page = client.get(f"/reports/bordereau?policy={policy}&month=2026-03")
    missing = client.get("/reports/bordereau?policy=987654&month=2026-03")
    assert page.status_code == missing.status_code == 422
    html = page.get_data(as_text=True)
    assert "请从列表中选择保单。" in html and world.numbers["N4"] not in html
    assert "PAZZ2026430224000001" not in html if foreign == "chaling_b" else "PYYY2025430921000001" not in html
    for fmt in ("xlsx", "csv"):
        response = export(client, fmt, policy, "2026-03")
        assert response.status_code == 422 and world.numbers["N4"] not in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(select(AuditEvent).where(AuditEvent.action == "bordereau_exported")).first() is None


@pytest.mark.parametrize("month", ["2026-13", "2026-00", "abc", "2026-3", "26-03", "1999-12", "2101-01", "2026-03-01", "２０２６-03"])
def test_a_bad_month_is_a_clear_message(app: Flask, world: ReportsWorld, month: str) -> None:
    client = signed_in(app, "insurer")
    page = client.get("/reports/bordereau", query_string={"policy": world.policies["nan"], "month": month})
    assert page.status_code == 422
    assert "请按“年-月”填写月份，例如 2026-03。" in page.get_data(as_text=True)
    assert export(client, "csv", world.policies["nan"], month).status_code == 422


@pytest.mark.parametrize("policy", ["", "abc", "0", "-1", "1e5", "99999999999999999999999", "1 OR 1=1"])
def test_a_bad_policy_is_a_clear_message(app: Flask, world: ReportsWorld, policy: str) -> None:
    client = signed_in(app, "insurer")
    page = client.get("/reports/bordereau", query_string={"policy": policy, "month": "2026-03"})
    assert page.status_code == 422
    text = page.get_data(as_text=True)
    assert any(message in text for message in ("请从列表中选择保单。", "请选择保单。", "请从列表中选择")), text[-2000:]
    assert export(client, "xlsx", policy, "2026-03").status_code == 422


@pytest.mark.parametrize("login_name", ["13800000001", "clerk", "officer"])
def test_others_get_no_bordereau(app: Flask, world: ReportsWorld, login_name: str) -> None:
    client = signed_in(app, login_name)
    assert client.get("/reports/bordereau").status_code == 404
    assert client.get(f"/reports/bordereau?policy={world.policies['nan']}&month=2026-03").status_code == 404
    assert export(client, "xlsx", world.policies["nan"], "2026-03").status_code == 404


def test_every_export_is_audited(app: Flask, world: ReportsWorld) -> None:
    export(signed_in(app, "insurer"), "xlsx", world.policies["nan"], "2026-03")
    export(signed_in(app, "approver"), "csv", world.policies["nan"], "2026-05")
    with app.app_context():
        events = db.session.execute(select(AuditEvent).where(AuditEvent.action == "bordereau_exported").order_by(AuditEvent.id)).scalars().all()
        seen = [(e.entity, e.entity_id, e.actor_id, e.changes) for e in events]
        policy = world.policies["nan"]
        assert seen == [
            ("policy", policy, find_user("insurer").id, {"format": "xlsx", "month": "2026-03", "rows": 4}),
            ("policy", policy, find_user("approver").id, {"format": "csv", "month": "2026-05", "rows": 1}),
        ]


def test_no_formula_in_any_export(app: Flask, world: ReportsWorld) -> None:
    """The bordereau's texts (a claimant's name, a species typed by the claimant) go through the one neutraliser."""
    import zipfile

    from claims.reports.sheets import Column, SheetRow, write_csv, write_xlsx

    out = io.BytesIO()
    write_xlsx(out, "x", [Column("a"), Column("b", "amount")], [SheetRow(['=HYPERLINK("http://evil.example")', D("-1.50")]), SheetRow(["@SUM(A1)", None])])
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as archive:
        sheets = [archive.read(name).decode() for name in archive.namelist() if name.startswith("xl/worksheets/")]
    assert sheets and not any("<f>" in sheet for sheet in sheets)
    rows = list(load_workbook(io.BytesIO(out.getvalue())).active.iter_rows(values_only=True))
    assert rows[1] == ('\'=HYPERLINK("http://evil.example")', -1.5) and rows[2] == ("'@SUM(A1)", None)
    text = io.BytesIO()
    write_csv(text, [Column("a")], [SheetRow(["+1+2"]), SheetRow(["-2"])])
    assert text.getvalue().decode("utf-8-sig").splitlines()[1:] == ["'+1+2", "'-2"]
    for fmt in ("xlsx",):
        data = export(signed_in(app, "admin"), fmt, world.policies["nan"], "2026-03").get_data()
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            assert not any("<f>" in archive.read(name).decode() for name in archive.namelist() if name.startswith("xl/worksheets/"))
