"""The province's administrator and an insurer's adjuster read their reports in the browser, on a phone: the figures
on the pages and in the spreadsheets they download are the fixture's hand-computed totals (tests/reports/
statistics_world.py lists every claim; tests/reports/test_statistics.py and test_bordereau.py work the figures out), and
the pages outside their scope answer 404. (A county approver's dashboard: tests/browser/test_dashboard_journey.py.)"""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path
from typing import Any

from flask import Flask
from openpyxl import load_workbook

from claims.core import time as clock
from tests.browser.steps import expect_not_found, log_in
from tests.reports.statistics_world import reports_world

YEAR = "2026"


def _table_rows(page: Any, selector: str) -> dict[str, list[str]]:
    """A report table's rows by their first cell: the cells' texts as the reader sees them."""
    rows = page.evaluate(
        "(sel) => Array.from(document.querySelectorAll(sel + ' tbody tr')).map(tr => Array.from(tr.cells).map(c => c.innerText.trim()))", selector
    )
    return {row[0]: row for row in rows}


def _headers(page: Any, selector: str) -> list[str]:
    return page.evaluate("(sel) => Array.from(document.querySelectorAll(sel + ' thead th')).map(th => th.innerText.trim())", selector)


def _download(page: Any, button_text: str) -> list[list[Any]]:
    """Tap an export button and read the spreadsheet it downloads."""
    with page.expect_download() as download:
        page.click(f"form.inline button:has-text('{button_text}')")
    data = Path(download.value.path()).read_bytes()
    return [list(r) for r in load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True)]


def _amount(value: Any) -> Decimal:
    return Decimal(str(value or 0).replace(",", "")).quantize(Decimal("0.01"))


def test_the_province_reads_its_statistics_and_dashboard(app: Flask, phone: Any) -> None:
    reports_world(app)
    clock.freeze(None)
    page = phone.page
    log_in(phone, "admin")
    phone.goto(f"/reports/statistics?year={YEAR}")
    headers = _headers(page, "table.report-table")
    rows = _table_rows(page, "table.report-table")
    total = dict(zip(headers, rows["合计"], strict=True))
    assert (total["案件数"], total["户数"], total["已补偿"], total["不予补偿"]) == ("10", "5", "3", "2")
    assert (total["核定金额（元）"], total["批准金额（元）"], total["支付金额（元）"]) == ("10,456.00", "5,956.00", "3,728.00")
    assert (total["保险承担（元）"], total["政府承担（元）"]) == ("1,500.00", "4,456.00")
    assert "小计：益阳市" in rows and "小计：株洲市" in rows
    sheet = _download(page, "XLSX")
    header = sheet[2]
    by_region = {str(r[0]): dict(zip(header, r, strict=True)) for r in sheet[3:]}
    assert by_region["合计"]["案件数"] == 10 and by_region["合计"]["户数"] == 5
    assert _amount(by_region["合计"]["批准金额（元）"]) == Decimal("5956.00") and _amount(by_region["合计"]["支付金额（元）"]) == Decimal("3728.00")
    assert _amount(by_region["茶陵县"]["政府已付（元）"]) == Decimal("2228.00") and _amount(by_region["南县"]["保险已付（元）"]) == Decimal("1500.00")

    # The province's dashboard of the year: the same decisions and payments, split insurer / government.
    phone.goto(f"/reports/dashboard?date_from={YEAR}-01-01&date_to={YEAR}-12-31")
    amounts = page.evaluate(
        "() => Array.from(document.querySelectorAll('#table-amounts tbody tr')).map(tr => Array.from(tr.cells).map(c => c.innerText.trim()))"
    )
    by_row = {row[0]: row[1:] for row in amounts}
    assert by_row["合计"][2:] == ["5,956.00", "3,728.00"]  # approved, paid
    assert by_row["保险公司承担部分"][2:] == ["1,500.00", "1,500.00"]
    assert by_row["政府承担部分"][2:] == ["4,456.00", "2,228.00"]
    regions = {row[0]: row[1] for row in page.evaluate(
        "() => Array.from(document.querySelectorAll('#table-regions tbody tr')).map(tr => Array.from(tr.cells).map(c => c.innerText.trim()))"
    )}  # fmt: skip
    assert "益阳市" in regions and "株洲市" in regions
    phone.assert_no_horizontal_scroll()
    phone.assert_clean()


def test_an_insurer_reads_its_bordereau_and_nothing_else(app: Flask, phone: Any) -> None:
    world = reports_world(app)
    clock.freeze(None)
    page = phone.page
    log_in(phone, "insurer")
    phone.goto("/reports/bordereau")
    options = page.evaluate("() => Array.from(document.querySelectorAll('select[name=policy] option')).map(o => o.innerText.trim())")
    assert any("PYYY2025430921000001" in o for o in options) and not any("茶陵" in o for o in options), options
    page.select_option("select[name=policy]", str(world.policies["nan"]))
    page.fill("input[name=month]", "2026-03")
    phone.navigate(lambda: page.click("form.filters button[type=submit]"), "show the bordereau")
    rows = _table_rows(page, "table.report-table")
    numbers = [number for number in rows if not number.startswith("合计")]
    assert numbers == [world.numbers[k] for k in ("N4", "N5", "N8", "N9")]
    assert any(key.startswith("合计：4 件") for key in rows)
    sheet = _download(page, "XLSX")
    header, lines = sheet[2], [dict(zip(sheet[2], r, strict=True)) for r in sheet[3:]]
    assert header[0] == "申请编号" and lines[-1]["申请编号"] == "合计：4 件"
    assert _amount(lines[-1]["未决估损（元）"]) == Decimal("1500.00") and _amount(lines[-1]["未付余额（元）"]) == Decimal("3000.00")
    for path in ("/reports/dashboard", f"/reports/statistics?year={YEAR}", "/reports/ledger", "/reports/map", "/reports/stages"):
        expect_not_found(phone, path)
    phone.assert_clean()
