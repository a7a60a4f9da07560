"""The incident map on a 360-px phone: a county approver opens it, Leaflet draws the points (clusters and a lone
marker), the heat layer can be switched on, and tapping a point leads to its claim. Elements are found by ids,
classes and hrefs, never by visible text."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import expect

from claims.core.time import utcnow
from claims.extensions import db
from tests.browser.steps import click_to, log_in, shortcut
from tests.factories import SANXIANHU_VILLAGE, YANTANG_VILLAGE, file_claim

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:Passing SelectField choices as tuples is deprecated:DeprecationWarning"),
]

CLOSE = [(29.30001, 112.40002), (29.30004, 112.40005), (29.30007, 112.40001)]  # a few metres apart: one cluster
LONE = (29.41, 112.29)  # about 15 km away: a marker of its own


def test_a_county_approver_reaches_a_claim_from_the_map(app: Flask, phone: Any) -> None:
    with app.app_context():
        now = utcnow()
        for n, gps in enumerate(CLOSE):
            file_claim("13800000001", village=SANXIANHU_VILLAGE, incident_utc=now - timedelta(days=n + 1), gps=gps)
        lone = file_claim("13800000001", village=SANXIANHU_VILLAGE, incident_utc=now - timedelta(days=5), gps=LONE)
        file_claim("13800000002", village=YANTANG_VILLAGE, gps=(29.41, 112.30), name="李秀英", mobile="13800000002")  # 茶陵县's
        db.session.commit()
        lone_id = lone.id
    page = phone.page
    log_in(phone, "approver")
    shortcut(phone, "/reports/map")
    # On a phone the filters are folded above the map, and the map takes the page's width.
    assert page.eval_on_selector("#map-filters", "d => d.open") is False
    box, main = page.locator("#incident-map").bounding_box(), page.locator("main").bounding_box()
    assert box["width"] >= main["width"] - 40 and box["width"] > 300, (box, main)
    phone.assert_no_horizontal_scroll()
    # Leaflet's DOM: the three close claims as one cluster of 3, the lone one as a marker; nothing of 茶陵县.
    expect(page.locator(".leaflet-marker-icon")).to_have_count(2)  # retried until the clusters have settled
    expect(page.locator(".leaflet-marker-icon.marker-cluster span")).to_have_text("3")
    expect(page.locator(".leaflet-marker-icon.map-point-incident")).to_have_count(1)
    # Leaflet's controls are labelled from the catalog, not in Leaflet's English.
    assert page.get_attribute(".leaflet-control-zoom-in", "aria-label") == "放大"
    assert page.get_attribute(".leaflet-control-layers-toggle", "aria-label") == "图层"
    # The heat layer, switched on in the layers control, draws on its canvas.
    page.hover(".leaflet-control-layers")  # the control unfolds under the pointer (or a tap)
    page.locator(".leaflet-control-layers-overlays input").nth(2).check()
    page.wait_for_selector("canvas.leaflet-heatmap-layer")
    page.locator(".leaflet-control-layers-overlays input").nth(2).uncheck()
    page.mouse.move(5, 5)
    # Tapping the lone point opens its popup (number, animal, date) with the link to the claim.
    page.click(".leaflet-marker-icon.map-point-incident")
    page.wait_for_selector(f".leaflet-popup a.map-claim-link[href='/claims/{lone_id}']")
    assert "野猪" in page.inner_text(".leaflet-popup .map-popup")
    assert page.get_attribute(".leaflet-popup-close-button", "aria-label") == "关闭弹窗"
    phone.screenshot("incident-map-360")
    click_to(phone, ".leaflet-popup a.map-claim-link", "open the claim from the map")
    assert page.url.endswith(f"/claims/{lone_id}")
    phone.assert_clean()
