"""The county fund's budget (claims/approval/budget.py): entered by the county's administrator, append-only, audited;
and the approver's warning when an approval would overdraw what remains of it (a warning, never a refusal).

Figures: an uninsured 茶陵县 claim is valued at 2,228.00 (rice 2.5 mu x 1,060 x 100% x 80% = 2,120.00 + chickens
3 x 60 x 60% = 108.00), all of it the government's share; the notice runs 7 days, so approval comes 8 days later.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from claims.accounts.models import Role
from claims.accounts.services import find_user
from claims.approval import operations
from claims.approval.budget import fund_position
from claims.approval.models import BudgetAllocation
from claims.core import time as clock
from claims.extensions import db
from claims.intake.models import Claim
from claims.workflow.audit import verify_chain
from claims.workflow.models import AuditEvent
from tests.approval.conftest import valued_claim
from tests.conftest import DEMO_PASSWORD, csrf_token, login
from tests.database import changed_tables, checksum
from tests.factories import new_staff, page_text
from tests.security.world import CHALING_COUNTY, NAN_COUNTY, region
from tests.test_every_page_chinese import page_problems

D = Decimal
TITLE = "关于下达2026年野生动物致害补偿资金的通知"
GOOD = {
    "what": "add",
    "fiscal_year": "2026",
    "amount": "120000.50",
    "document_title": TITLE,
    "document_number": "茶财农〔2026〕3号",
    "document_date": "2026-03-01",
}


@pytest.fixture
def admins(app: Flask) -> None:
    """An administrator for each county (the demo has only the province's), at a fixed date in 2026."""
    clock.freeze(datetime(2026, 9, 1, 2, tzinfo=UTC))
    with app.app_context():
        new_staff(login="admin_cl", name="贺敏", role=Role.ADMIN, region=region(CHALING_COUNTY), password=DEMO_PASSWORD)
        new_staff(login="admin_nan", name="罗军", role=Role.ADMIN, region=region(NAN_COUNTY), password=DEMO_PASSWORD)
        db.session.commit()


def signed_in(app: Flask, login_name: str) -> FlaskClient:
    client = app.test_client()
    login(client, login_name)
    return client


def post(client: FlaskClient, **fields: str):  # type: ignore[no-untyped-def]
    return client.post("/budget?year=2026", data={"csrf_token": csrf_token(client, "/")} | fields)


def entries(app: Flask) -> list[tuple[str, int, Decimal, str | None]]:
    with app.app_context():
        rows = db.session.execute(select(BudgetAllocation).order_by(BudgetAllocation.id)).scalars()
        return [(r.county.name, r.fiscal_year, r.amount, r.document_number) for r in rows]


def test_the_county_administrator_records_an_allocation_audited(app: Flask, admins: None) -> None:
    client = signed_in(app, "admin_cl")
    page = client.get("/budget")
    assert page.status_code == 200 and "补偿资金预算" in page.get_data(as_text=True)
    response = post(client, **GOOD)
    assert response.status_code == 302 and response.headers["Location"].endswith("/budget?year=2026")
    assert entries(app) == [("茶陵县", 2026, D("120000.50"), "茶财农〔2026〕3号")]
    shown = page_text(client.get("/budget?year=2026").get_data(as_text=True))
    assert "预算下达记录已保存。" in shown and "¥120,000.50" in shown and TITLE in shown and "贺敏" in shown
    with app.app_context():
        event = db.session.execute(select(AuditEvent).where(AuditEvent.action == "budget_allocated")).scalar_one()
        assert event.actor_id == find_user("admin_cl").id and event.changes["amount"] == "120000.50" and event.changes["document"] == "茶财农〔2026〕3号"
        assert verify_chain().ok


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("amount", "0", "请输入大于 0、不超过 100,000,000.00 元的金额。"),
        ("amount", "-5", "请输入大于 0、不超过 100,000,000.00 元的金额。"),
        ("amount", "100000000.01", "请输入大于 0、不超过 100,000,000.00 元的金额。"),
        ("amount", "", "请输入下达金额。"),
        ("amount", "NaN", "请输入数字。"),
        ("amount", "1.005", "请以元为单位填写金额，最多两位小数。"),  # never rounded behind the admin's back
        ("amount", "0.014", "请以元为单位填写金额，最多两位小数。"),
        ("fiscal_year", "1999", "不是有效的选择"),
        ("fiscal_year", "2028", "不是有效的选择"),  # next year (2027) at the most
        ("document_title", "", "请输入财政局下达文件的标题。"),
        ("document_number", "  ", "请输入文号。"),
        ("document_date", "", "请输入发文日期。"),
        ("document_date", "2026-09-02", "发文日期不能晚于今天。"),
        ("document_title", "长" * 201, "字段长度不能超过 200 个字符。"),
    ],
)
def test_a_bad_allocation_is_a_message_and_keeps_what_was_typed(app: Flask, admins: None, field: str, value: str, message: str) -> None:
    client = signed_in(app, "admin_cl")
    response = post(client, **(GOOD | {field: value}))
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and message in html
    assert "茶财农〔2026〕3号" in html or field == "document_number"  # nothing entered is lost
    assert entries(app) == []


@pytest.mark.parametrize(("typed", "stored"), [("0.01", "0.01"), ("1E+2", "100.00"), ("7.5", "7.50")])
def test_an_amount_is_kept_and_audited_to_the_fen_as_typed(app: Flask, admins: None, typed: str, stored: str) -> None:
    client = signed_in(app, "admin_cl")
    assert post(client, **(GOOD | {"amount": typed})).status_code == 302
    assert entries(app)[0][2] == D(stored)
    with app.app_context():
        event = db.session.execute(select(AuditEvent).where(AuditEvent.action == "budget_allocated")).scalar_one()
        assert event.changes["amount"] == stored  # the audit trail holds what the ledger holds


def test_a_wrong_entry_is_reversed_never_edited(app: Flask, admins: None) -> None:
    client = signed_in(app, "admin_cl")
    post(client, **GOOD)
    post(client, **(GOOD | {"amount": "30000", "document_number": "茶财农〔2026〕41号", "note": "追加"}))
    with app.app_context():
        first = db.session.execute(select(BudgetAllocation.id).order_by(BudgetAllocation.id)).scalars().first()
    assert post(client, what="reverse", entry_id=str(first), reason="").status_code == 422  # the reason is required
    assert post(client, what="reverse", entry_id=str(first), reason="金额录错").status_code == 302
    assert post(client, what="reverse", entry_id=str(first), reason="再冲一次").status_code == 422  # no longer offered
    assert post(client, **(GOOD | {"amount": "120000.00", "document_number": "茶财农〔2026〕3号"})).status_code == 302
    assert [e[2] for e in entries(app)] == [D("120000.50"), D("30000.00"), D("-120000.50"), D("120000.00")]
    with app.app_context():
        assert fund_position(region(CHALING_COUNTY).id, 2026).allocated == D("150000.00")  # 120,000.50 + 30,000 - 120,000.50 + 120,000
        reversal = db.session.execute(select(BudgetAllocation).where(BudgetAllocation.reverses_id == first)).scalar_one()
        assert reversal.note == "金额录错" and reversal.entered_by_id == find_user("admin_cl").id
        assert [e.action for e in db.session.execute(select(AuditEvent).where(AuditEvent.entity == "budget_allocation")).scalars()] == [
            "budget_allocated",
            "budget_allocated",
            "budget_reversed",
            "budget_allocated",
        ]


def test_only_the_countys_administrator_enters_its_budget(app: Flask, admins: None) -> None:
    before = checksum(app)
    for login_name in ("admin", "approver_cl", "clerk_cl", "officer_cl", "13800000002", "insurer"):
        client = signed_in(app, login_name)
        assert client.get("/budget").status_code == 404, login_name
        assert post(client, **GOOD).status_code == 404, login_name
    assert changed_tables(before, checksum(app)) == []
    # 南县's administrator records for 南县 whatever county the form names; 茶陵县's entries it cannot reverse.
    with app.app_context():
        chaling_id = str(region(CHALING_COUNTY).id)
    nan = signed_in(app, "admin_nan")
    assert post(nan, **(GOOD | {"county_id": chaling_id, "region_id": chaling_id})).status_code == 302
    chaling = signed_in(app, "admin_cl")
    post(chaling, **(GOOD | {"document_number": "茶财农〔2026〕9号"}))
    with app.app_context():
        theirs = db.session.execute(select(BudgetAllocation.id).where(BudgetAllocation.document_number == "茶财农〔2026〕9号")).scalar_one()
    assert post(nan, what="reverse", entry_id=str(theirs), reason="x").status_code == 422  # not among 南县's entries
    assert [(e[0], e[3]) for e in entries(app)] == [("南县", "茶财农〔2026〕3号"), ("茶陵县", "茶财农〔2026〕9号")]


# The approver's warning -----------------------------------------------------------------------------
def _claim_ready_for_approval(app: Flask) -> int:
    with app.app_context():
        claim = valued_claim("chaling", seed=7, filer="13800000002")
        operations.create_notice_batch(claim.township, [claim], clock.local_today(), actor=find_user("clerk_cl"))
        db.session.commit()
        clock.freeze(clock.utcnow() + timedelta(days=8))
        return claim.id


def _allocate(app: Flask, amount: str) -> None:
    assert post(signed_in(app, "admin_cl"), **(GOOD | {"amount": amount})).status_code == 302


WARNING = 'id="budget-warning"'
APPROVED = "您的审批意见已记录。"


def test_without_a_budget_the_approver_sees_a_neutral_note(app: Flask, admins: None) -> None:
    claim_id = _claim_ready_for_approval(app)
    page = signed_in(app, "approver_cl").get(f"/claims/{claim_id}").get_data(as_text=True)
    assert "本县 2026 年度尚未录入预算，本次批准不核对资金余额。" in page and WARNING not in page


@pytest.mark.parametrize(("allocated", "warned"), [("2228.00", False), ("2227.99", True), ("100000", False)])
def test_the_warning_appears_exactly_when_the_share_exceeds_what_remains(app: Flask, admins: None, allocated: str, warned: bool) -> None:
    claim_id = _claim_ready_for_approval(app)
    _allocate(app, allocated)
    approver = signed_in(app, "approver_cl")
    page = approver.get(f"/claims/{claim_id}").get_data(as_text=True)
    assert (WARNING in page) is warned
    if warned:
        assert "本次批准将占用政府资金 2,228.00 元，而本县 2026 年度预算仅余 2,227.99 元：批准后将超支 0.01 元。" in page
    else:
        assert f"政府承担 2,228.00 元；本县 2026 年度预算余额 {D(allocated):,.2f} 元。" in page
    token = csrf_token(approver, f"/claims/{claim_id}")
    with app.app_context():
        version = str(db.session.get(Claim, claim_id).version)
    response = approver.post(f"/claims/{claim_id}/approve", data={"csrf_token": token, "version": version}, follow_redirects=True)
    shown = response.get_data(as_text=True)
    assert response.status_code == 200 and APPROVED in shown
    assert ("补偿资金超支 0.01 元" in shown) is warned  # the approval went through either way
    with app.app_context():
        position = fund_position(region(CHALING_COUNTY).id, 2026)
        assert position.committed == D("2228.00") and position.remaining == D(allocated) - D("2228.00")


def test_the_new_pages_are_chinese(app: Flask, admins: None) -> None:
    """/budget (with entries, a reversal and a refused form), the ledger, and the approval panel's warning, read as a
    Chinese reader does (the scanner of tests/test_every_page_chinese.py: the demo world has no county administrator)."""
    claim_id = _claim_ready_for_approval(app)
    _allocate(app, "1000")
    client = signed_in(app, "admin_cl")
    with app.app_context():
        entry = db.session.execute(select(BudgetAllocation.id)).scalar_one()
    post(client, what="reverse", entry_id=str(entry), reason="金额录错")
    _allocate(app, "1000")
    refused = post(client, **(GOOD | {"amount": "abc", "document_date": "2099-01-01"}))
    data = {"admin_cl", "贺敏", TITLE, "茶财农〔2026〕3号", "金额录错"}
    pages = {
        "refused form": refused.get_data(as_text=True),
        "budget": client.get("/budget?year=2026").get_data(as_text=True),
        "ledger (county admin)": client.get("/reports/ledger?year=2026").get_data(as_text=True),
        "ledger (province)": signed_in(app, "admin").get("/reports/ledger").get_data(as_text=True),
        "policies": signed_in(app, "admin").get("/admin/policies").get_data(as_text=True),
        "approval panel": signed_in(app, "approver_cl").get(f"/claims/{claim_id}").get_data(as_text=True),
    }
    assert WARNING in pages["approval panel"]
    problems = {name: page_problems(html, data=data) for name, html in pages.items()}
    assert problems == {name: [] for name in pages}, problems


def test_a_batch_approval_that_overdraws_the_fund_warns_once(app: Flask, admins: None) -> None:
    """Two claims of 2,228.00 approved together against 3,000.00: 4,456.00 - 3,000.00 = 1,456.00 overdrawn."""
    with app.app_context():
        claims = [valued_claim("chaling", seed=8 + n, filer=f"1380000000{n + 1}") for n in range(2)]
        operations.create_notice_batch(claims[0].township, claims, clock.local_today(), actor=find_user("clerk_cl"))
        db.session.commit()
        ids = [str(c.id) for c in claims]
    clock.freeze(clock.utcnow() + timedelta(days=8))
    _allocate(app, "3000")
    approver = signed_in(app, "approver_cl")
    response = approver.post("/approvals", data={"csrf_token": csrf_token(approver, "/approvals"), "claims": ids}, follow_redirects=True)
    shown = response.get_data(as_text=True)
    assert "已批准2件，0件等待第二位审批人。" in shown
    assert shown.count("本县 2026 年度预算现已超支 1,456.00 元。请告知财政局。") == 1
