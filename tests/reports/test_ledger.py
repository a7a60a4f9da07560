"""The fund ledger (claims/reports/ledger.py, claims/approval/budget.py): figures, scope, spreadsheets, the loss ratio.

The fixture, built through the real services and pages (figures from the demo schedules, as in test_exports.py):
- C1, C2: 茶陵县 (uninsured), valued at 2,228.00 each = rice 2.5 mu x 1,060 x 100% x 80% (2,120.00) + chickens
  108.00, all of it the government's; approved on 2026-08-28 (local), in one payment batch; the bank pays C1 only.
- N1: 南县 (insured by PYYY2026430921000001), valued at 1,608.00 = rice 2.5 mu x 600 (1,500.00) + chickens 3 x 60 x 60%
  (108.00); the insurer adjusts the rice line by -10.00, so it pays 1,598.00 and the government 10.00. Approved on
  2026-08-28; the insurer records its payment of 1,598.00, the county's batch pays the 10.00.
- C3: 茶陵县, 2,228.00, approved at 2026-12-31 17:00 UTC, which is 2027-01-01 01:00 in Beijing: it commits 2027's fund.
- 茶陵县's 2026 budget, entered by its administrator on /budget: 3,000.00 (茶财农〔2026〕3号), a supplementary 1,000.00
  (茶财农〔2026〕41号), and 500.00 typed by mistake and reversed: 3,000 + 1,000 + 500 - 500 = 4,000.00. 南县: none.
- The policy's premium, entered by the province's administrator: 3,196.00, so its loss ratio is 1,598 / 3,196 = 50%.

Hand-computed, fiscal year 2026:
  茶陵县  allocated 4,000.00  committed 2,228 x 2 = 4,456.00  paid 2,228.00  remaining -456.00  cash left 1,772.00
  南县    allocated     0.00  committed            10.00      paid    10.00  remaining  -10.00  cash left   -10.00
  total   allocated 4,000.00  committed           4,466.00    paid 2,238.00  remaining -466.00  cash left 1,762.00
Fiscal year 2027: 茶陵县 committed 2,228.00 (C3), nothing allocated, nothing paid.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import select

from claims.accounts.models import Role
from claims.accounts.services import find_user
from claims.approval import operations, payments
from claims.approval.budget import FundPosition
from claims.approval.models import BudgetAllocation
from claims.core import time as clock
from claims.extensions import db
from claims.insurance.models import InsurancePolicy, InsurerDecision
from claims.insurance.operations import decide_as_insurer
from claims.insurance.services import award_lines
from claims.regions.models import Region, RegionLevel
from claims.reports.ledger import LedgerRow, fund_ledger
from claims.workflow.audit import verify_chain
from claims.workflow.models import AuditEvent
from tests.approval.conftest import valued_claim
from tests.conftest import DEMO_PASSWORD, csrf_token, login
from tests.factories import new_staff, page_text

D = Decimal
POLICY = "PYYY2026430921000001"
LEDGER_HEADERS = [
    "县",
    "预算年度",
    "已下达（元）",
    "已批准占用（元）",
    "已支付（元）",
    "预算余额：已下达 − 已批准占用（元）",
    "资金结余：已下达 − 已支付（元）",
    "备注",
]
# (allocated, committed, paid, remaining, cash left) for 2026, hand-computed above
CHALING_2026 = (D("4000.00"), D("4456.00"), D("2228.00"), D("-456.00"), D("1772.00"))
NAN_2026 = (D("0.00"), D("10.00"), D("10.00"), D("-10.00"), D("-10.00"))
TOTAL_2026 = (D("4000.00"), D("4466.00"), D("2238.00"), D("-466.00"), D("1762.00"))


@dataclass
class Fixture:
    numbers: dict[str, str]


def signed_in(app: Flask, login_name: str) -> FlaskClient:
    client = app.test_client()
    login(client, login_name)
    return client


def allocate(client: FlaskClient, **fields: str):  # type: ignore[no-untyped-def]
    data = {"csrf_token": csrf_token(client, "/budget"), "what": "add", "fiscal_year": "2026", "document_date": "2026-03-01"} | fields
    return client.post("/budget?year=2026", data=data)


def _notice_then_approve(claims: list, clerk: str, approver: str) -> None:  # type: ignore[type-arg]
    operations.create_notice_batch(claims[0].township, claims, clock.local_today(), actor=find_user(clerk))
    db.session.commit()
    clock.freeze(clock.utcnow() + timedelta(days=8))
    for claim in claims:
        assert operations.approve(claim, actor=find_user(approver))
    db.session.commit()


def _pay(county, paid_numbers: set[str], approver: str) -> None:  # type: ignore[no-untyped-def]
    """A payment batch of the county's waiting government shares; the bank pays those of `paid_numbers` only."""
    treasurer = find_user(approver)
    batch = payments.create_batch(county, actor=treasurer)
    lines = list(csv.DictReader(io.StringIO(payments.export_csv(batch, actor=treasurer).decode("utf-8-sig"))))
    result = "reference,status,amount,bank_reference\r\n" + "".join(
        f"{line['reference']},SUCCESS,{line['amount']},CBS{n}\r\n" for n, line in enumerate(lines) if line["claim_number"] in paid_numbers
    )
    assert payments.import_results(batch, result.encode(), actor=treasurer).paid == len(paid_numbers)
    db.session.commit()


@pytest.fixture
def world(app: Flask) -> Fixture:
    with app.app_context():
        clock.freeze(datetime(2026, 8, 20, 2, tzinfo=UTC))
        c1, c2 = valued_claim("chaling", seed=3, filer="13800000001"), valued_claim("chaling", seed=4, filer="13800000002")
        n1 = valued_claim("nan", seed=5)
        first = award_lines(n1)[0]
        decide_as_insurer(n1, InsurerDecision.ADJUST, actor=find_user("insurer"), adjustments={first.index: (first.amount - D("10.00"), "面积核减")})
        db.session.commit()
        operations.create_notice_batch(n1.township, [n1], clock.local_today(), actor=find_user("clerk"))
        _notice_then_approve([c1, c2], "clerk_cl", "approver_cl")  # 2026-08-28 local
        assert operations.approve(n1, actor=find_user("approver"))
        db.session.commit()
        _pay(c1.county, {c1.number}, "approver_cl")
        _pay(n1.county, {n1.number}, "approver")
        payments.record_insurer_payment(n1, D("1598.00"), "ZHLH-2026-0001", actor=find_user("insurer"))
        db.session.commit()
        clock.freeze(datetime(2026, 12, 23, 17, tzinfo=UTC))
        c3 = valued_claim("chaling", seed=6, filer="13800000001")
        _notice_then_approve([c3], "clerk_cl", "approver_cl")  # 2026-12-31 17:00 UTC: 2027-01-01 in Beijing
        numbers = {"c1": c1.number, "c2": c2.number, "c3": c3.number, "n1": n1.number}
        new_staff(login="admin_cl", name="贺敏", role=Role.ADMIN, region=c1.county, password=DEMO_PASSWORD)
        db.session.commit()
    admin_cl = signed_in(app, "admin_cl")  # 茶陵县's administrator: the 2026 budget, on its page
    for amount, number in (("3000", "茶财农〔2026〕3号"), ("1000.00", "茶财农〔2026〕41号"), ("500", "茶财农〔2026〕42号")):
        assert allocate(admin_cl, amount=amount, document_title="关于下达野生动物致害补偿资金的通知", document_number=number).status_code == 302
    with app.app_context():
        wrong = db.session.execute(select(BudgetAllocation).where(BudgetAllocation.document_number == "茶财农〔2026〕42号")).scalar_one().id
    data = {"csrf_token": csrf_token(admin_cl, "/budget"), "what": "reverse", "entry_id": str(wrong), "reason": "重复录入"}
    assert admin_cl.post("/budget?year=2026", data=data).status_code == 302
    admin = signed_in(app, "admin")
    with app.app_context():
        policy = db.session.execute(select(InsurancePolicy).where(InsurancePolicy.number == POLICY)).scalar_one().id
    data = {"csrf_token": csrf_token(admin, "/admin/policies"), "what": "premium", "policy_id": str(policy), "premium": "3196"}
    assert admin.post("/admin/policies", data=data).status_code == 302
    return Fixture(numbers)


def figures(row) -> tuple[Decimal, ...]:  # type: ignore[no-untyped-def]
    p = row.position
    return (p.allocated, p.committed, p.paid, p.remaining, p.cash_left)


def test_the_ledger_matches_the_hand_computed_figures(app: Flask, world: Fixture) -> None:
    with app.app_context():
        ledger = fund_ledger(find_user("admin"), 2026)
        rows = {row.county.name: row for row in ledger.rows}
        assert figures(rows["茶陵县"]) == CHALING_2026 and rows["茶陵县"].position.recorded
        assert figures(rows["南县"]) == NAN_2026 and not rows["南县"].position.recorded
        assert all(figures(r) == (D(0),) * 5 for name, r in rows.items() if name not in ("茶陵县", "南县"))
        t = ledger.total
        assert (t.allocated, t.committed, t.paid, t.remaining, t.cash_left) == TOTAL_2026
        later = {row.county.name: row for row in fund_ledger(find_user("admin"), 2027).rows}
        assert figures(later["茶陵县"]) == (D("0.00"), D("2228.00"), D("0.00"), D("-2228.00"), D("0.00"))
        loss = {r.policy.number: r for r in ledger.policies}
        assert loss[POLICY].paid == D("1598.00") and loss[POLICY].policy.premium == D("3196.00") and loss[POLICY].ratio == D("0.5000")
        assert loss["PYYY2025430921000001"].ratio is None  # no premium entered: no ratio
        assert verify_chain().ok


def test_the_page_shows_each_reader_their_counties(app: Flask, world: Fixture) -> None:
    county_view = page_text(signed_in(app, "approver_cl").get("/reports/ledger?year=2026").get_data(as_text=True))
    assert "茶陵县" in county_view and "南县" not in county_view
    assert "¥4,000.00" in county_view and "¥4,456.00" in county_view and "¥2,228.00" in county_view and "¥-456.00" in county_view
    assert POLICY not in county_view  # 南县's policy is not 茶陵县's
    province = signed_in(app, "admin").get("/reports/ledger?year=2026")
    text = page_text(province.get_data(as_text=True))
    assert province.status_code == 200 and "补偿资金台账" in text
    assert "南县" in text and "未录入预算" in text and "¥4,466.00" in text and "¥2,238.00" in text
    assert POLICY in text and "¥3,196.00" in text and "¥1,598.00" in text and "50%" in text
    nan = page_text(signed_in(app, "approver").get("/reports/ledger?year=2026").get_data(as_text=True))
    assert "茶陵县" not in nan and POLICY in nan


@pytest.mark.parametrize("year", ["1999", "abc", "20260", "２０２６"])
def test_a_year_outside_the_ledger_is_a_message(app: Flask, year: str) -> None:
    response = signed_in(app, "admin").get(f"/reports/ledger?year={year}")
    assert response.status_code == 422 and "请选择 2000 年至" in response.get_data(as_text=True)


def xlsx_sheets(data: bytes) -> tuple[list[list[object]], list[list[object]]]:
    book = load_workbook(io.BytesIO(data))
    ledger, loss = book["补偿资金台账"], book["赔付率"]
    return [list(r) for r in ledger.iter_rows(values_only=True)], [list(r) for r in loss.iter_rows(values_only=True)]


def amount(value: object) -> Decimal:
    return D(str(value or 0)).quantize(D("0.01"))


def export(client: FlaskClient, fmt: str, year: str = "2026"):  # type: ignore[no-untyped-def]
    return client.post(f"/reports/ledger.{fmt}", data={"csrf_token": csrf_token(client, "/reports/ledger"), "year": year})


def test_the_xlsx_totals_are_the_hand_computed_ones(app: Flask, world: Fixture) -> None:
    response = export(signed_in(app, "admin"), "xlsx")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    ledger, loss = xlsx_sheets(response.get_data())
    assert ledger[0] == LEDGER_HEADERS
    rows = {r[0]: r for r in ledger[1:-1]}
    assert tuple(amount(v) for v in rows["茶陵县"][2:7]) == CHALING_2026 and rows["茶陵县"][1] == 2026
    assert tuple(amount(v) for v in rows["南县"][2:7]) == NAN_2026 and rows["南县"][7] == "未录入预算"
    assert ledger[-1][0] == "合计" and tuple(amount(v) for v in ledger[-1][2:7]) == TOTAL_2026
    assert tuple(sum((amount(r[i]) for r in rows.values()), D(0)) for i in range(2, 7)) == TOTAL_2026
    policy = next(r for r in loss[1:] if r[0] == POLICY)
    assert amount(policy[5]) == D("3196.00") and amount(policy[6]) == D("1598.00") and policy[7] == 0.5
    book = load_workbook(io.BytesIO(response.get_data()))  # shown as a reader expects: 2026, 3,196.00 and 50.00%
    year, premium, ratio = book["补偿资金台账"]["B2"], book["赔付率"]["F2"], book["赔付率"]["H2"]
    assert (year.number_format, premium.number_format, ratio.number_format) == ("General", "#,##0.00", "0.00%")


def test_the_csv_holds_the_same_figures(app: Flask, world: Fixture) -> None:
    response = export(signed_in(app, "admin"), "csv")
    data = response.get_data()
    assert response.status_code == 200 and data.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert lines[0] == LEDGER_HEADERS
    rows = {line[0]: line for line in lines[1:]}
    assert tuple(D(v) for v in rows["茶陵县"][2:7]) == CHALING_2026 and tuple(D(v) for v in rows["南县"][2:7]) == NAN_2026
    assert tuple(sum((D(r[i]) for r in rows.values()), D(0)) for i in range(2, 7)) == TOTAL_2026
    county = list(csv.reader(io.StringIO(export(signed_in(app, "approver_cl"), "csv").get_data().decode("utf-8-sig"), newline="")))
    assert [line[0] for line in county[1:]] == ["茶陵县"]  # a county's reader exports its own county only


def test_exports_are_audited_and_a_bad_year_exports_nothing(app: Flask, world: Fixture) -> None:
    client = signed_in(app, "approver_cl")
    assert export(client, "xlsx").status_code == 200
    assert export(client, "csv", year="1999").status_code == 302
    with app.app_context():
        events = db.session.execute(select(AuditEvent).where(AuditEvent.action == "ledger_exported")).scalars().all()
        assert [(e.actor_id, e.changes) for e in events] == [(find_user("approver_cl").id, {"format": "xlsx", "year": 2026, "counties": 1})]


def test_a_county_name_cannot_run_as_a_formula(app: Flask) -> None:
    with app.app_context():
        county = Region(name="=HYPERLINK(1)", code="x", path="x", level=RegionLevel.COUNTY)
        assert LedgerRow(county, 2026, FundPosition(D(1), D(0), D(0), True)).cells()[0] == "'=HYPERLINK(1)"
