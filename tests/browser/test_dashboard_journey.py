"""A county approver opens the dashboard on a 360-px phone: the tables show the fixture's hand-worked figures
(tests/reports/test_dashboard.py explains them), ECharts drew every chart, the charts stack, nothing but a table scrolls
sideways, and a township's link opens that township's dashboard."""

from __future__ import annotations

from typing import Any

from flask import Flask

from claims.core import time as clock
from claims.extensions import db
from tests.browser.steps import log_in
from tests.reports.dashboard_world import build_world, local

QUERY = "date_from=2026-03-01&date_to=2026-04-30"


def _rows(page: Any, table: str) -> list[list[str]]:
    return page.evaluate(
        "(id) => Array.from(document.querySelectorAll('#' + id + ' tbody tr')).map(tr => Array.from(tr.cells).map(c => c.innerText.trim()))", table
    )


def test_a_county_approver_reads_the_dashboard_on_a_phone(app: Flask, phone: Any) -> None:
    with app.app_context():
        build_world()
        db.session.remove()
    clock.freeze(local(15, 5))
    try:
        page = phone.page
        log_in(phone, "approver")
        phone.goto(f"/reports/dashboard?{QUERY}")
        assert page.inner_text("#dashboard-total") == "共 4 件申请"
        assert _rows(page, "table-amounts") == [
            ["合计", "1,500.00", "1,608.00", "1,608.00", "1,608.00"],
            ["保险公司承担部分", "—", "—", "1,608.00", "1,608.00"],
            ["政府承担部分", "—", "—", "0.00", "0.00"],
        ]
        assert sorted(_rows(page, "table-status")) == sorted(
            [["已受理", "1", "0.00", "0.00"], ["不予受理", "1", "0.00", "0.00"], ["已办结", "1", "1,608.00", "1,608.00"], ["已撤回", "1", "0.00", "0.00"]]
        )
        assert _rows(page, "table-month") == [["2026年3月", "3", "1,608.00", "1,608.00"], ["2026年4月", "1", "0.00", "0.00"]]
        regions = {row[0]: row[1] for row in _rows(page, "table-regions")}
        assert regions["三仙湖镇"] == "3" and regions["茅草街镇"] == "1" and len(regions) == 12
        assert _rows(page, "table-refusals") == [["超过申报期限", "1", "0"], ["同一损失已经申请过补偿", "1", "0"]]
        assert sorted(_rows(page, "table-overdue-holder")) == [["乡镇经办人员", "三仙湖镇", "1"], ["林业部门工作人员", "南县", "1"]]
        # Every chart drawn by ECharts (a canvas with pixels), one under the other on the phone.
        charts = page.evaluate(
            "() => Array.from(document.querySelectorAll('[data-chart]')).map(d => {"
            " const c = d.querySelector('canvas'); const r = d.getBoundingClientRect();"
            " return [d.dataset.chart, c ? c.width : 0, Math.round(r.left), Math.round(r.top), Math.round(r.width)]; })"
        )
        assert [c[0] for c in charts] == ["amounts", "regions", "status", "species", "category", "month", "refusals", "overdue"]
        assert all(width > 0 for _name, width, _x, _y, _w in charts), charts
        assert len({x for _n, _c, x, _y, _w in charts}) == 1 and all(w <= 360 for *_rest, w in charts), charts  # stacked
        tops = [y for _n, _c, _x, y, _w in charts]
        assert tops == sorted(tops) and len(set(tops)) == len(tops)
        phone.assert_no_horizontal_scroll()  # the wide tables scroll inside their own box
        # Print: the charts hidden, the tables shown.
        page.emulate_media(media="print")
        assert page.evaluate("() => getComputedStyle(document.querySelector('[data-chart]')).display") == "none"
        assert page.is_visible("#table-amounts")
        page.emulate_media(media="screen")
        # Drill down to a township of the county, the period kept.
        phone.navigate(lambda: page.click("#table-regions a[href*='/reports/dashboard/430921128?']"), "三仙湖镇's dashboard")
        assert page.inner_text("#dashboard-total") == "共 3 件申请" and "date_from=2026-03-01" in page.url
        phone.screenshot("dashboard-township")
        phone.assert_clean()
    finally:
        clock.freeze(None)
