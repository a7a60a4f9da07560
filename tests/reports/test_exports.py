"""The claim list's exports (claims/reports/exports.py): the list's claims for each role, masked, neutralised, audited.

The fixture, built through the real services (figures from the demo schedules, see tests/valuation):
- N1: Nan county (三仙湖镇), submitted by 张建国, incident at 18:30 UTC, which is the next day in Asia/Shanghai;
- N2: Nan county, valued and referred to the insurer: valued 1,608.00 = rice 2.5 mu x 600 x 100% (1,500.00)
  + chickens 3 x 60 x 60% (108.00);
- C1, C2: 茶陵县 (uninsured), valued and approved at 2,228.00 each = rice 2.5 mu x 1,060 x 100% x 80% (2,120.00)
  + chickens 108.00; a payment batch holds both, and the bank's result file pays C1 only (2,228.00).
The filing form asks for no estimate, so the exports have no "amount claimed" column.
"""

from __future__ import annotations

import csv
import html
import io
import re
import zipfile
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import select

from claims.accounts.services import find_user
from claims.core.spreadsheet import spreadsheet_text
from claims.core.time import to_local, utcnow
from claims.extensions import db
from claims.intake import services as intake
from claims.reports import exports
from claims.workflow.models import AuditEvent
from tests.approval.conftest import approved_chaling_claims, pay_through_the_bank, valued_claim
from tests.conftest import csrf_token, login
from tests.factories import BANK_ACCOUNT, resident_id
from tests.factories import file_claim as file_claim_as
from tests.workflow.conftest import file_claim

HEADERS = [
    "申请编号",
    "状态",
    "县",
    "乡镇",
    "村",
    "物种",
    "发生日期",
    "提交时间",
    "办理期限",
    "核定金额（元）",
    "批准金额（元）",
    "支付金额（元）",
    "申请人（已脱敏）",
]
NUMBER, STATUS, INCIDENT, VALUED, APPROVED, PAID, CLAIMANT = 0, 1, 6, 9, 10, 11, 12
D = Decimal


@dataclass
class Fixture:
    numbers: dict[str, str]
    incident_local: date  # N1's incident day in Asia/Shanghai


@pytest.fixture
def world(app: Flask) -> Fixture:
    with app.app_context():
        late_evening = (utcnow() - timedelta(days=2)).replace(hour=18, minute=30, second=0, microsecond=0)
        n1 = file_claim("13800000001", seed=1, incident=late_evening)
        db.session.commit()
        n2 = valued_claim("nan", seed=2)
        c1, c2 = approved_chaling_claims(3, 4)
        pay_through_the_bank(c1)
        numbers = {"n1": n1.number, "n2": n2.number, "c1": c1.number, "c2": c2.number}
        incident_local = to_local(n1.incident_at).date()
    assert incident_local == late_evening.date() + timedelta(days=1)  # 18:30 UTC is 02:30 the next day in China
    return Fixture(numbers, incident_local)


def signed_in(app: Flask, login_name: str) -> FlaskClient:
    client = app.test_client()
    login(client, login_name)
    return client


def export(client: FlaskClient, fmt: str, **form: str):  # type: ignore[no-untyped-def]
    return client.post(f"/claims/export.{fmt}", data={"csrf_token": csrf_token(client, "/claims/"), **form})


def xlsx_rows(data: bytes) -> tuple[list[list[object]], list[object]]:
    """The claim rows under the header, and the total row."""
    sheet = load_workbook(io.BytesIO(data)).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == HEADERS
    return rows[1:-1], rows[-1]


def csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads the file as UTF-8
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0] == HEADERS
    return rows[1:]


def amount(value: object) -> Decimal:
    """A cell's amount to the fen (openpyxl reads numbers back as floats; an empty cell is 0)."""
    return D(str(value or 0)).quantize(D("0.01"))


def listed_numbers(app: Flask, login_name: str, status: str | None = None) -> list[str]:
    """The list page's claims for that user, newest first: what its pages show, read from its own service."""
    with app.app_context():
        user = find_user(login_name)
        page = intake.claims_for(user, status=intake.status_filter(status), size=1000)
        return [c.number for c in page.rows]


@pytest.mark.parametrize("login_name", ["clerk", "clerk2", "clerk_cl", "officer", "approver_cl", "insurer", "admin"])
def test_rows_are_the_list_pages_claims_in_both_formats(app: Flask, world: Fixture, login_name: str) -> None:
    client = signed_in(app, login_name)
    wanted = listed_numbers(app, login_name)
    response = export(client, "xlsx")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    assert response.headers["Cache-Control"] == "no-store" and re.search(r"filename=claims-\d{8}-\d{4}\.xlsx", response.headers["Content-Disposition"])
    rows, _total = xlsx_rows(response.get_data())
    assert [row[NUMBER] for row in rows] == wanted
    response = export(client, "csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert [row[NUMBER] for row in csv_rows(response.get_data())] == wanted


def test_scope_per_role(app: Flask, world: Fixture) -> None:
    n = world.numbers
    expected = {
        "clerk": [n["n2"], n["n1"]],  # 三仙湖镇
        "clerk2": [],  # 茅草街镇: none
        "officer": [n["n2"], n["n1"]],  # 南县
        "approver_cl": [n["c2"], n["c1"]],  # 茶陵县
        "insurer": [n["n2"]],  # only the claim referred to its policy
        "admin": [n["c2"], n["c1"], n["n2"], n["n1"]],  # the province
    }
    for login_name, numbers in expected.items():
        rows, _total = xlsx_rows(export(signed_in(app, login_name), "xlsx").get_data())
        assert [row[NUMBER] for row in rows] == numbers, login_name


def test_totals_equal_the_hand_computed_figures(app: Flask, world: Fixture) -> None:
    # (claims, valued, approved, paid): see the module docstring for each figure
    expected = {
        "admin": (4, D("6064.00"), D("4456.00"), D("2228.00")),  # 1,608 + 2 x 2,228; 2 x 2,228; C1 only
        "approver_cl": (2, D("4456.00"), D("4456.00"), D("2228.00")),
        "officer": (2, D("1608.00"), D("0.00"), D("0.00")),
        "insurer": (1, D("1608.00"), D("0.00"), D("0.00")),
    }
    for login_name, (count, valued, approved, paid) in expected.items():
        client = signed_in(app, login_name)
        rows, total = xlsx_rows(export(client, "xlsx").get_data())
        assert len(rows) == count
        assert sum((amount(row[VALUED]) for row in rows), D(0)) == valued
        assert sum((amount(row[APPROVED]) for row in rows), D(0)) == approved
        assert sum((amount(row[PAID]) for row in rows), D(0)) == paid
        assert total[NUMBER] == f"合计：{count} 件"
        assert (amount(total[VALUED]), amount(total[APPROVED]), amount(total[PAID])) == (valued, approved, paid)
        lines = csv_rows(export(client, "csv").get_data())
        assert sum((amount(line[VALUED]) for line in lines), D(0)) == valued
        assert sum((amount(line[PAID]) for line in lines), D(0)) == paid


def test_cells_are_chinese_local_and_masked(app: Flask, world: Fixture) -> None:
    n = world.numbers
    rows, _total = xlsx_rows(export(signed_in(app, "admin"), "xlsx").get_data())
    by_number = {row[NUMBER]: row for row in rows}
    first = by_number[n["n1"]]
    assert first[STATUS] == "已提交" and first[2:6] == ["南县", "三仙湖镇", "三仙湖村", "野猪"]
    assert first[INCIDENT].date() == world.incident_local  # the day in China, not the UTC day
    assert first[CLAIMANT] == "张*国" and first[VALUED] is None
    assert by_number[n["c1"]][CLAIMANT] == "张*国" and by_number[n["c2"]][CLAIMANT] == "李*英"
    assert (amount(by_number[n["c1"]][PAID]), by_number[n["c2"]][PAID]) == (D("2228.00"), None)
    lines = {line[NUMBER]: line for line in csv_rows(export(signed_in(app, "admin"), "csv").get_data())}
    assert lines[n["n1"]][INCIDENT] == world.incident_local.isoformat() and lines[n["c1"]][PAID] == "2228.00"
    assert lines[n["c1"]][STATUS] == "已办结" and lines[n["c2"]][STATUS] == "已审批"  # C1 was paid: closed


def _file_text(data: bytes) -> str:
    """All the text of an export: a CSV as it is, an XLSX unzipped (its XML parts are compressed in the file) with
    its character references read (openpyxl writes 申 as &#30003;)."""
    if data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "".join(html.unescape(archive.read(name).decode("utf-8")) for name in archive.namelist())
    return data.decode("utf-8-sig")


@pytest.mark.parametrize("login_name", ["clerk", "officer", "approver_cl", "insurer", "admin"])
def test_no_id_number_account_mobile_or_full_name_in_any_export(app: Flask, world: Fixture, login_name: str) -> None:
    id_number = resident_id()  # every claim of the fixture was filed with it
    secrets = [id_number, id_number[6:14], BANK_ACCOUNT, BANK_ACCOUNT[4:-4], "13800000001", "13800000002", "13700000009", "张建国", "李秀英"]
    client = signed_in(app, login_name)
    for fmt in ("xlsx", "csv"):
        text = _file_text(export(client, fmt).get_data())
        assert "申请编号" in text  # the file was read
        found = [secret for secret in secrets if secret in text]
        assert not found, (login_name, fmt, found)


HOSTILE_NAMES = ['=HYPERLINK("http://evil.example","x")', "+1+2", "@SUM(A1)", "-2+3", "=1+2"]


def test_formula_injection_is_neutralised(app: Flask) -> None:
    with app.app_context():
        for name in HOSTILE_NAMES:
            file_claim_as("clerk", name=name, mobile="13700000009")
        db.session.commit()
    client = signed_in(app, "officer")
    data = export(client, "xlsx").get_data()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheets = [archive.read(name).decode() for name in archive.namelist() if name.startswith("xl/worksheets/")]
    assert sheets and not any("<f>" in sheet or "<f " in sheet for sheet in sheets)  # no formula anywhere
    sheet = load_workbook(io.BytesIO(data)).active
    claimants = [row[CLAIMANT] for row in sheet.iter_rows(min_row=2, values_only=True)][:-1]
    assert len(claimants) == len(HOSTILE_NAMES)
    assert all(str(value).startswith("'") and str(value)[1] in "=+@-" for value in claimants), claimants
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    lines = csv_rows(export(client, "csv").get_data())
    assert all(line[CLAIMANT][:1] == "'" and line[CLAIMANT][1] in "=+@-" for line in lines), [line[CLAIMANT] for line in lines]


def test_the_status_filter_is_the_lists_and_a_bad_one_is_ignored_as_the_list_does(app: Flask, world: Fixture) -> None:
    client = signed_in(app, "admin")
    rows, _total = xlsx_rows(export(client, "xlsx", status="approved").get_data())
    assert [row[NUMBER] for row in rows] == listed_numbers(app, "admin", "approved") == [world.numbers["c2"]]  # C1 was paid: closed
    everything = listed_numbers(app, "admin")
    for bad in ("NaN", "approved'--", "张\x00三", "9" * 40, ""):
        response = export(client, "csv", status=bad)
        assert response.status_code == 200, bad
        assert [line[NUMBER] for line in csv_rows(response.get_data())] == everything


def test_keyset_batches_give_every_row_once(app: Flask, world: Fixture, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(exports, "BATCH_SIZE", 1)  # one statement a row: each batch continues after the last id
    rows, total = xlsx_rows(export(signed_in(app, "admin"), "xlsx").get_data())
    assert [row[NUMBER] for row in rows] == listed_numbers(app, "admin") and total[NUMBER] == "合计：4 件"


def test_an_export_over_the_limit_is_refused_with_a_message(app: Flask, world: Fixture, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(exports, "EXPORT_ROW_LIMIT", 3)
    client = signed_in(app, "admin")
    response = export(client, "xlsx")
    assert response.status_code == 302 and response.headers["Location"].endswith("/claims/")
    page = client.get("/claims/").get_data(as_text=True)
    assert "该清单共有 4 件申请，一次最多导出 3 件" in page
    response = export(client, "csv", status="approved")  # C2 alone: within the limit
    assert response.status_code == 200 and len(csv_rows(response.get_data())) == 1
    with app.app_context():
        events = db.session.execute(select(AuditEvent).where(AuditEvent.action == "claims_exported")).scalars().all()
        assert [e.changes["rows"] for e in events] == [1]  # the refused export wrote nothing


def test_every_export_is_audited(app: Flask, world: Fixture) -> None:
    export(signed_in(app, "insurer"), "xlsx")
    export(signed_in(app, "approver_cl"), "csv", status="approved")
    with app.app_context():
        events = db.session.execute(select(AuditEvent).where(AuditEvent.action == "claims_exported").order_by(AuditEvent.id)).scalars().all()
        seen = [(e.entity, e.actor_id, e.actor_role, e.changes) for e in events]
        assert seen == [
            ("claim_list", find_user("insurer").id, "insurer", {"format": "xlsx", "filters": {"status": None}, "rows": 1}),
            ("claim_list", find_user("approver_cl").id, "approver", {"format": "csv", "filters": {"status": "approved"}, "rows": 1}),
        ]


def test_villagers_get_no_export_and_no_button(app: Flask, world: Fixture) -> None:
    """A villager's list is their own few claims, on the page: the export is for staff (404, as for a page that is not there)."""
    client = signed_in(app, "13800000001")
    assert 'action="/claims/export.xlsx"' not in client.get("/claims/").get_data(as_text=True)
    assert export(client, "xlsx").status_code == 404 and export(client, "csv").status_code == 404
    staff = signed_in(app, "officer")
    page = staff.get("/claims/?status=submitted").get_data(as_text=True)
    assert 'action="/claims/export.xlsx"' in page and 'action="/claims/export.csv"' in page
    assert page.count('name="status" value="submitted"') == 2  # each export button carries the list's filter


def test_get_is_not_an_export(app: Flask, world: Fixture) -> None:
    """An export writes an audit event, so it is a POST with the token; GET and a post without the token do nothing."""
    client = signed_in(app, "admin")
    assert client.get("/claims/export.xlsx").status_code == 405
    assert client.post("/claims/export.csv", data={}).status_code == 400
    with app.app_context():
        assert db.session.execute(select(AuditEvent).where(AuditEvent.action == "claims_exported")).first() is None


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("=1+2", "'=1+2"),
        ("+86 138", "'+86 138"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("  =1+2", "'  =1+2"),  # a sign after spaces
        ("\t=1+2", "'\t=1+2"),
        ("\rx", "'\rx"),
        ("张*国", "张*国"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
    ],
)
def test_spreadsheet_text(text: str | None, shown: str) -> None:
    assert spreadsheet_text(text) == shown
