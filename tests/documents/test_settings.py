"""The documents' settings: several read at once answer as one by one (nearest region, latest start)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from claims.core.time import local_today
from claims.extensions import db
from claims.regions.models import CountySetting, Region
from claims.regions.settings import county_setting, county_settings
from tests.documents.conftest import nan_county

KEYS = ["doc_issuing_authority", "doc_court", "doc_provincial_measures", "doc_prefix_refusal", "notice_days"]


def _region(code: str) -> Region:
    return db.session.execute(select(Region).where(Region.code == code)).scalar_one()


def test_county_settings_answers_like_county_setting(ctx: None) -> None:
    today = local_today()
    nan, yiyang, hunan = nan_county(), _region("430900"), _region("430000")
    rows = [
        (hunan, "doc_provincial_measures", "《某省办法》", today - timedelta(days=400), None),
        (hunan, "doc_court", "省里的法院", today - timedelta(days=400), None),
        (yiyang, "doc_court", "益阳市的法院", today - timedelta(days=30), None),
        (nan, "doc_court", "沅江市人民法院（演示）", today - timedelta(days=10), None),
        (nan, "doc_court", "将来的法院", today + timedelta(days=10), None),
        (nan, "doc_issuing_authority", "旧名称", today - timedelta(days=100), today - timedelta(days=1)),
        (nan, "notice_days", 10, today - timedelta(days=5), None),
    ]
    for region, key, value, start, end in rows:
        db.session.add(CountySetting(region=region, key=key, value=value, effective_from=start, effective_to=end))
    db.session.flush()
    for county in (nan, _region("430224")):
        for on in (today, today + timedelta(days=20), date(2000, 1, 1)):
            assert county_settings(county, KEYS, on) == {key: county_setting(county, key, on) for key in KEYS}
    values = county_settings(nan, KEYS)
    assert values["doc_court"] == "沅江市人民法院（演示）" and values["doc_issuing_authority"] == "" and values["notice_days"] == 10
    assert county_settings(None, KEYS)["doc_court"] == ""
