"""Regions for all of China: the national list, `flask regions import`, and a province administrator kept to its province."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import func, select

from claims import create_app
from claims.accounts.models import Role
from claims.accounts.services import create_user, find_user
from claims.core import time as clock
from claims.extensions import db
from claims.insurance.models import InsurancePolicy, Insurer
from claims.insurance.services import set_premium
from claims.regions.admin_services import SettingError, set_county_setting
from claims.regions.models import Region, RegionLevel
from claims.regions.services import counties
from claims.valuation.models import CompensationSchedule, ScheduleStatus
from claims.workflow.services import WorkflowError
from tests.conftest import base_config, csrf_token

ROOT = Path(__file__).resolve().parents[2]
BANNA = ROOT / "claims" / "valuation" / "data" / "examples" / "xishuangbanna-2022.yaml"
MENGYANG = ROOT / "claims" / "regions" / "data" / "examples" / "jinghong-mengyang.csv"
HEADER = "code,name,parent_code,level,lat,lon\n"
NOW = datetime(2027, 3, 15, 2, 0, tzinfo=UTC)  # page tests run with the clock frozen ahead of real time


def _invoke(app: Flask, *args: str):  # type: ignore[no-untyped-def]
    with app.app_context():
        return app.test_cli_runner().invoke(args=list(args))


def _count(app: Flask) -> int:
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(Region)).scalar_one()


def test_xishuangbanna_imports_and_publishes_on_a_fresh_database(tmp_path: Path) -> None:
    """From an empty database: the county's villages, then the Yunnan schedule, published by a Yunnan administrator."""
    app = create_app(base_config(f"sqlite:///{tmp_path / 'fresh.db'}", tmp_path))
    with app.app_context():
        upgrade(revision="heads")
    result = _invoke(app, "schedules", "import", str(BANNA))
    assert result.exit_code == 1 and "532800" in result.output  # no region yet
    result = _invoke(app, "regions", "import", str(MENGYANG))
    assert result.exit_code == 0 and "12 added" in result.output, result.output  # 530000, 532800, 532801, the town, 8 villages
    with app.app_context():
        village = db.session.execute(select(Region).where(Region.code == "532801105201")).scalar_one()
        assert village.name == "城子村" and village.path == "530000/532800/532801/532801105/532801105201/"
        assert village.parent.lat == 22.17 and village.ancestor(RegionLevel.PREFECTURE).name == "西双版纳傣族自治州"
        yunnan = db.session.execute(select(Region).where(Region.code == "530000")).scalar_one()
        create_user(login="yn_admin", name="云南管理员", role=Role.ADMIN, region=yunnan, password="Yunnan@2026x")
        db.session.commit()
    result = _invoke(app, "schedules", "import", str(BANNA), "--publish", "--by", "yn_admin")
    assert result.exit_code == 0 and "published" in result.output, result.output
    with app.app_context():
        schedule = db.session.execute(select(CompensationSchedule)).scalar_one()
        assert schedule.status == ScheduleStatus.PUBLISHED and schedule.region.code == "532800"
        db.engine.dispose()


def test_import_is_idempotent_and_updates_names_and_points(app: Flask, tmp_path: Path) -> None:
    before = _count(app)
    assert _invoke(app, "regions", "import", str(MENGYANG)).exit_code == 0
    assert _count(app) == before + 12
    again = _invoke(app, "regions", "import", str(MENGYANG))
    assert again.exit_code == 0 and "0 added, 0 updated, 9 unchanged" in again.output, again.output
    changed = tmp_path / "c.csv"
    changed.write_text(HEADER + "532801105200,纳蚌新村,532801105,village,22.2,100.9\n", encoding="utf-8")
    assert "0 added, 1 updated" in _invoke(app, "regions", "import", str(changed)).output
    with app.app_context():
        village = db.session.execute(select(Region).where(Region.code == "532801105200")).scalar_one()
        assert (village.name, village.lat, village.lon) == ("纳蚌新村", 22.2, 100.9)


HOSTILE = [
    ("code,name\n532801105200,纳蚌村\n", "code,name,parent_code,level,lat,lon"),  # the header
    (HEADER + "532801105200,纳蚌村,532801105,city,,\n", "第2行，level列"),
    (HEADER + "５３２８０１１０５２００,纳蚌村,532801105,village,,\n", "第2行，code列"),  # full-width digits
    (HEADER + "532801106200,纳蚌村,532801105,village,,\n", "532801105"),  # not under its parent's code
    (HEADER + "532899105200,纳蚌村,532899105,village,,\n", "532899105"),  # no such township
    (HEADER + "532801105200,纳蚌村,532801105,village,nan,100.9\n", "第2行，lat列"),
    (HEADER + "532801105200,纳蚌村,532801105,village,100.9,22.2\n", "第2行，lat列"),  # swapped: outside China
    (HEADER + "532801105200,纳蚌村,532801105,village,22.2,\n", "第2行，lon列"),
    (HEADER + "532801105200,,532801105,village,,\n", "第2行，name列"),
    (HEADER + "532801105200,纳\u202e蚌村,532801105,village,,\n", "第2行，name列"),
    (HEADER + "532801105200,纳蚌村,532801105,village,,\n532801105200,城子村,532801105,village,,\n", "第3行"),  # twice
    (HEADER + "532801105200,纳蚌村,532801105,village,,,extra\n", "第2行"),
    (HEADER + "532801105,勐养镇,532801105,township,,\n", "第2行，parent_code列"),
    (HEADER + "532801105200,纳蚌村,532801,village,,\n", "第2行，parent_code列"),  # a village right under a county
    (HEADER + "532800105,勐养镇,532800,township,,\n", "532800"),  # a township right under a prefecture
    (HEADER + '532801105200,"纳蚌村\n', "第2行"),  # an open quote
    (HEADER + "532801105200,纳\x00蚌村,532801105,village,,\n", "第2行"),
    (HEADER, "没有"),  # no rows
]


@pytest.mark.parametrize(("text", "expected"), HOSTILE)
def test_hostile_rows_are_refused_with_their_line_and_nothing_is_written(app: Flask, tmp_path: Path, text: str, expected: str) -> None:
    before = _count(app)
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    result = _invoke(app, "regions", "import", str(path))
    assert result.exit_code == 1 and expected in result.output, result.output
    assert _count(app) == before


def test_a_file_saved_in_gbk_is_refused_with_a_hint(app: Flask, tmp_path: Path) -> None:
    path = tmp_path / "gbk.csv"
    path.write_bytes((HEADER + "532801105200,纳蚌村,532801105,village,,\n").encode("gbk"))
    result = _invoke(app, "regions", "import", str(path))
    assert result.exit_code == 1 and "UTF-8" in result.output


def test_load_national_is_fast_to_repeat_and_leaves_the_filing_form_alone(app: Flask) -> None:
    result = _invoke(app, "regions", "load-national")
    # The demo's 5 have the same names; its province and prefectures get their seats, its counties keep their points.
    assert result.exit_code == 0 and "3343 added, 3 updated, 2 unchanged" in result.output, result.output
    assert "0 added, 0 updated, 3348 unchanged" in _invoke(app, "regions", "load-national").output
    with app.app_context():
        levels = dict(db.session.execute(select(Region.level, func.count()).group_by(Region.level)).all())
        assert levels[RegionLevel.PROVINCE] == 31 and levels[RegionLevel.COUNTY] == 2978
        assert [c.code for c in counties()] == ["430224", "430921"]  # only counties with villages are offered for filing
        assert db.session.execute(select(Region.path).where(Region.code == "430921")).scalar_one() == "430000/430900/430921/"
        jinghong = db.session.execute(select(Region).where(Region.code == "532801")).scalar_one()
        assert (jinghong.lat, jinghong.lon) == (22.0119, 100.7995)  # cpca's seat of 景洪市
        jinghong.lat, jinghong.lon = 22.0, 100.8  # an administrator's point
        db.session.commit()
    assert _invoke(app, "regions", "load-national").exit_code == 0
    assert _invoke(app, "regions", "import", str(MENGYANG)).exit_code == 0
    with app.app_context():
        jinghong = db.session.execute(select(Region).where(Region.code == "532801")).scalar_one()
        assert (jinghong.lat, jinghong.lon) == (22.0, 100.8)  # kept by both


# --- a province's administrator acts only in its province ---------------------------------------------------
def _yunnan_draft(app: Flask) -> int:
    assert _invoke(app, "regions", "import", str(MENGYANG)).exit_code == 0
    assert _invoke(app, "schedules", "import", str(BANNA)).exit_code == 0
    with app.app_context():
        return db.session.execute(select(CompensationSchedule.id).where(CompensationSchedule.code == "yn-xishuangbanna-2022")).scalar_one()


def test_hunan_admin_may_not_publish_or_import_in_yunnan_by_command(app: Flask) -> None:
    schedule_id = _yunnan_draft(app)
    result = _invoke(app, "schedules", "publish", "yn-xishuangbanna-2022", "--by", "admin")
    assert result.exit_code == 1 and "西双版纳傣族自治州" in result.output, result.output
    refused = _invoke(app, "regions", "import", str(MENGYANG), "--by", "admin")
    assert refused.exit_code == 1 and "532801105" in refused.output
    with app.app_context():
        assert db.session.get(CompensationSchedule, schedule_id).status == ScheduleStatus.DRAFT


def test_hunan_admin_gets_404_for_a_yunnan_schedule_page(app: Flask, as_user) -> None:  # type: ignore[no-untyped-def]
    schedule_id = _yunnan_draft(app)
    clock.freeze(NOW)
    client = as_user("admin")
    assert client.get(f"/admin/schedules/{schedule_id}").status_code == 404
    token = csrf_token(client, "/admin/schedules")
    assert client.post(f"/admin/schedules/{schedule_id}/publish", data={"csrf_token": token}).status_code == 404
    assert "yn-xishuangbanna-2022" not in client.get("/admin/schedules").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(CompensationSchedule, schedule_id).status == ScheduleStatus.DRAFT


def test_hunan_admin_may_not_set_a_yunnan_county_setting(app: Flask, as_user) -> None:  # type: ignore[no-untyped-def]
    _yunnan_draft(app)
    clock.freeze(NOW)
    with app.app_context():
        jinghong = db.session.execute(select(Region).where(Region.code == "532801")).scalar_one()
        with pytest.raises(SettingError):
            set_county_setting(jinghong, "notice_days", "9", NOW.date(), "", actor=find_user("admin"))  # type: ignore[arg-type]
        jinghong_id = jinghong.id
        db.session.rollback()
    client = as_user("admin")
    token = csrf_token(client, "/admin/county-settings")
    data = {"csrf_token": token, "region_id": jinghong_id, "key": "notice_days", "value": "9", "effective_from": "2027-04-01", "note": ""}
    assert client.post("/admin/county-settings", data=data).status_code == 422
    assert "景洪市" not in client.get("/admin/county-settings").get_data(as_text=True)


def test_hunan_admin_may_not_touch_a_yunnan_policy(app: Flask, as_user) -> None:  # type: ignore[no-untyped-def]

    _yunnan_draft(app)
    clock.freeze(NOW)
    with app.app_context():
        jinghong = db.session.execute(select(Region).where(Region.code == "532801")).scalar_one()
        insurer = db.session.execute(select(Insurer)).scalars().first()
        policy = InsurancePolicy(
            number="YN-JH-2026", insurer_id=insurer.id, policyholder_region_id=jinghong.id, term_start=date(2026, 1, 1), term_end=date(2026, 12, 31)
        )
        db.session.add(policy)
        db.session.commit()
        policy_id = policy.id
        with pytest.raises(WorkflowError):
            set_premium(policy, Decimal("1000.00"), actor=find_user("admin"))  # type: ignore[arg-type]
        db.session.rollback()
    client = as_user("admin")
    assert "YN-JH-2026" not in client.get("/admin/policies").get_data(as_text=True)
    token = csrf_token(client, "/admin/policies")
    assert client.post("/admin/policies", data={"csrf_token": token, "what": "premium", "policy_id": policy_id, "premium": "1000"}).status_code == 404
    with app.app_context():
        assert db.session.get(InsurancePolicy, policy_id).premium is None


def test_reference_load_loads_the_national_list_with_the_demo_regions(app: Flask) -> None:
    result = _invoke(app, "reference", "load")
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.execute(select(func.count()).where(Region.level == RegionLevel.COUNTY)).scalar_one() == 2978
        assert db.session.execute(select(Region.name).where(Region.code == "532801")).scalar_one() == "景洪市"


def test_a_file_of_bad_rows_lists_the_first_problems_and_counts_the_rest(app: Flask, tmp_path: Path) -> None:
    path = tmp_path / "many.csv"
    path.write_text(HEADER + "x,纳蚌村,532801105,village,,\n" * 80, encoding="utf-8")
    result = _invoke(app, "regions", "import", str(path))
    assert result.exit_code == 1 and "第51行" in result.output and "第52行" not in result.output and "另有30个问题" in result.output, result.output


def test_the_regions_page_goes_down_one_level_at_a_time_within_the_province(app: Flask, as_user) -> None:  # type: ignore[no-untyped-def]
    _yunnan_draft(app)
    assert _invoke(app, "regions", "load-national").exit_code == 0
    clock.freeze(NOW)
    client = as_user("admin")
    top = client.get("/admin/regions").get_data(as_text=True)
    assert 'href="/admin/regions?code=430900"' in top and "三仙湖" not in top and "云南省" not in top  # Hunan's prefectures only
    county = client.get("/admin/regions?code=430921").get_data(as_text=True)
    assert "三仙湖镇" in county and "/location" in county and 'href="/admin/regions?code=430900"' in county  # the trail up
    assert client.get("/admin/regions?code=532801").status_code == 404  # Yunnan: not this administrator's
    assert client.get("/admin/regions?code=999999").status_code == 404


def test_a_yunnan_administrator_publishes_the_yunnan_schedule_beside_hunan(app: Flask) -> None:
    """The fresh-database journey's last step on the test database (PostgreSQL too), beside the demo's Hunan."""
    schedule_id = _yunnan_draft(app)
    with app.app_context():
        yunnan = db.session.execute(select(Region).where(Region.code == "530000")).scalar_one()
        create_user(login="yn_admin", name="云南管理员", role=Role.ADMIN, region=yunnan, password="Yunnan@2026x")
        db.session.commit()
    result = _invoke(app, "schedules", "publish", "yn-xishuangbanna-2022", "--by", "yn_admin")
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.get(CompensationSchedule, schedule_id).status == ScheduleStatus.PUBLISHED


def test_hunan_admin_may_not_take_over_a_yunnan_draft_by_importing_its_code(app: Flask, tmp_path: Path) -> None:
    """The same schedule code with Hunan's county in the file: refused, the Yunnan draft stays Yunnan's."""
    schedule_id = _yunnan_draft(app)
    hijack = tmp_path / "hijack.yaml"
    hijack.write_text(BANNA.read_text(encoding="utf-8").replace('region: "532800"', 'region: "430921"'), encoding="utf-8")
    assert 'region: "430921"' in hijack.read_text(encoding="utf-8")
    result = _invoke(app, "schedules", "import", str(hijack), "--by", "admin")
    assert result.exit_code == 1 and "西双版纳傣族自治州" in result.output, result.output
    with app.app_context():
        assert db.session.get(CompensationSchedule, schedule_id).region.code == "532800"


def test_a_province_sets_its_own_default_time_limits_never_the_general_one(app: Flask, as_user) -> None:  # type: ignore[no-untyped-def]
    """Hunan's "every county" limit is Hunan's row: Hunan's counties take it, Yunnan's keep the general default."""
    from claims.regions.admin_services import set_time_limit
    from claims.regions.models import LimitKind
    from claims.regions.services import DEFAULT_LIMITS, time_limit

    _yunnan_draft(app)
    clock.freeze(NOW)
    client = as_user("admin")
    token = csrf_token(client, "/admin/time-limits")
    data = {"csrf_token": token, "region_id": "0", "kind": "intake", "working_days": "9", "effective_from": "2027-04-01", "source": "湘林发"}
    assert client.post("/admin/time-limits", data=data).status_code == 302
    with app.app_context():
        nan, jinghong = (db.session.execute(select(Region).where(Region.code == code)).scalar_one() for code in ("430921", "532801"))
        assert time_limit(nan, LimitKind.INTAKE, date(2027, 4, 2)) == 9
        assert time_limit(jinghong, LimitKind.INTAKE, date(2027, 4, 2)) == DEFAULT_LIMITS[LimitKind.INTAKE]
        with pytest.raises(SettingError):
            set_time_limit(None, LimitKind.INTAKE, 99, date(2027, 5, 1), "", actor=find_user("admin"))  # type: ignore[arg-type]
        db.session.rollback()


def test_another_provinces_settings_are_not_listed(app: Flask, as_user) -> None:  # type: ignore[no-untyped-def]
    _yunnan_draft(app)
    clock.freeze(NOW)
    with app.app_context():
        yunnan = db.session.execute(select(Region).where(Region.code == "530000")).scalar_one()
        jinghong = db.session.execute(select(Region).where(Region.code == "532801")).scalar_one()
        create_user(login="yn_admin", name="云南管理员", role=Role.ADMIN, region=yunnan, password="Yunnan@2026x")
        set_county_setting(jinghong, "notice_days", "9", date(2027, 4, 1), "景洪", actor=find_user("yn_admin"))  # type: ignore[arg-type]
        db.session.commit()
    page = as_user("admin").get("/admin/county-settings").get_data(as_text=True)
    assert "景洪市" not in page and "南县" in page


def test_load_national_refuses_a_code_that_is_no_province(app: Flask) -> None:
    result = _invoke(app, "regions", "load-national", "--townships", "53")
    assert result.exit_code == 1 and "53：不是省级行政区划代码" in result.output, result.output
