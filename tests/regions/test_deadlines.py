"""Working days with Chinese holidays and adjusted weekends, administrator overrides, time limits per county."""

from __future__ import annotations

from datetime import date

import chinese_calendar
import pytest
from sqlalchemy import select

from claims.accounts.services import find_user
from claims.extensions import db
from claims.regions import admin_services
from claims.regions.models import LimitKind, Region
from claims.regions.services import add_working_days, is_workday, time_limit, working_days_between
from claims.regions.settings import county_setting


def _nan() -> Region:
    return db.session.execute(select(Region).where(Region.code == "430921")).scalar_one()


def test_national_day_week_is_not_counted(ctx):  # type: ignore[no-untyped-def]
    # 2025: 1-8 October are holidays; Sunday 28 September and Saturday 11 October are adjusted working days.
    assert not is_workday(date(2025, 10, 3))
    assert is_workday(date(2025, 9, 28))
    assert is_workday(date(2025, 10, 11))
    assert add_working_days(date(2025, 9, 30), 3) == date(2025, 10, 11)  # 9 Oct, 10 Oct, 11 Oct (Sat, worked)
    assert working_days_between(date(2025, 9, 30), date(2025, 10, 13)) == 4


@pytest.fixture
def package_without_2027(monkeypatch: pytest.MonkeyPatch) -> None:
    """The published calendar as it was before its 2027 data: what the test asserts does not depend on the
    package version installed (chinesecalendar adds each year's holidays once the State Council publishes them)."""
    for name in ("holidays", "workdays"):
        known = {day: note for day, note in getattr(chinese_calendar, name).items() if day.year < 2027}
        monkeypatch.setattr(chinese_calendar, name, known)


def test_admin_override_wins_and_years_beyond_the_package_fall_back_to_weekdays(ctx, package_without_2027):  # type: ignore[no-untyped-def]
    admin = find_user("admin")
    assert is_workday(date(2027, 1, 1))  # a Friday, in a year the package does not know: Monday to Friday work
    assert not is_workday(date(2027, 1, 2))  # a Saturday
    assert working_days_between(date(2026, 12, 31), date(2027, 1, 4)) == 2  # Friday 1 and Monday 4 January
    admin_services.set_calendar_day(date(2027, 1, 1), False, "元旦", actor=admin)
    db.session.commit()
    assert not is_workday(date(2027, 1, 1))
    assert working_days_between(date(2026, 12, 31), date(2027, 1, 4)) == 1


def test_county_time_limit_replaces_the_default_from_its_date(ctx):  # type: ignore[no-untyped-def]
    admin, nan = find_user("admin"), _nan()
    assert time_limit(nan, LimitKind.INTAKE, date(2026, 6, 1)) == 3
    admin_services.set_time_limit(nan, LimitKind.INTAKE, 5, date(2026, 7, 1), "南县通知", actor=admin)
    db.session.commit()
    assert time_limit(nan, LimitKind.INTAKE, date(2026, 6, 30)) == 3
    assert time_limit(nan, LimitKind.INTAKE, date(2026, 7, 1)) == 5
    admin_services.set_time_limit(nan, LimitKind.INTAKE, 4, date(2026, 9, 1), "南县新通知", actor=admin)
    db.session.commit()
    assert time_limit(nan, LimitKind.INTAKE, date(2026, 8, 31)) == 5
    assert time_limit(nan, LimitKind.INTAKE, date(2026, 9, 2)) == 4


def test_surveyors_required_is_a_dated_county_setting(ctx):  # type: ignore[no-untyped-def]
    nan = _nan()
    assert county_setting(nan, "surveyors_required", date(2026, 1, 1)) == 2
    admin_services.set_county_setting(nan, "surveyors_required", "3", date(2026, 5, 1), "", actor=find_user("admin"))
    db.session.commit()
    assert county_setting(nan, "surveyors_required", date(2026, 4, 30)) == 2
    assert county_setting(nan, "surveyors_required", date(2026, 5, 1)) == 3


def test_admin_pages_keep_values_on_error(client, as_user):  # type: ignore[no-untyped-def]
    from tests.conftest import csrf_token

    as_user("admin")
    token = csrf_token(client, "/admin/time-limits")
    response = client.post(
        "/admin/time-limits",
        data={"csrf_token": token, "region_id": "0", "kind": "intake", "working_days": "999", "effective_from": "2026-07-01", "source": "测试来源"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "测试来源" in page
    response = client.post("/admin/calendar", data={"csrf_token": token, "day": "2027-02-10", "note": "春节"})
    assert response.status_code == 302
    assert "2027-02-10" in client.get("/admin/calendar").get_data(as_text=True)


def test_time_limits_read_in_one_statement_from_known_paths_answer_as_before(ctx):  # type: ignore[no-untyped-def]
    """A county's own row, its province's and the general one: the same answers whether the county's path is given
    (one statement, as a filing reads them) or read (two)."""
    from sqlalchemy import event

    from claims.regions.services import TimeLimits

    admin, nan = find_user("admin"), _nan()
    hunan = db.session.execute(select(Region).where(Region.code == nan.path.split("/")[0])).scalar_one()
    admin_services.set_time_limit(hunan, LimitKind.INTAKE, 6, date(2026, 7, 1), "湘林发", actor=admin)
    admin_services.set_time_limit(nan, LimitKind.APPLICATION, 20, date(2026, 8, 1), "南县通知", actor=admin)
    db.session.commit()
    paths = {nan.id: nan.path}  # as a filing has them: the claim's county is loaded
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if statement.startswith("SELECT"):
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        given = TimeLimits(list(paths), paths)
        assert len(statements) == 1
        read = TimeLimits([nan.id])
        assert len(statements) == 3
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    days = [date(2026, 6, 30), date(2026, 7, 1), date(2026, 8, 1)]
    answers = {(kind, day): given.days(nan.id, kind, day) for kind in LimitKind for day in days}
    assert answers == {(kind, day): read.days(nan.id, kind, day) for kind in LimitKind for day in days}
    assert answers[(LimitKind.INTAKE, date(2026, 6, 30))] == 3 and answers[(LimitKind.INTAKE, date(2026, 7, 1))] == 6
    assert answers[(LimitKind.APPLICATION, date(2026, 8, 1))] == 20
