"""Stage times: the stays the lifecycle records, and the report's figures against numbers worked out by hand.

The fixture (March 2026, local times; no public holiday that month, and the test makes Wednesday 11 March a day
off through the administrators' calendar, so every working day below is counted from data the test controls):

- Nan county, 三仙湖镇: four claims submitted Monday 2 March 10:00, accepted 2, 4, 6 and 13 March; a fifth accepted
  on 1 April, outside the period. 茅草街镇: one claim submitted 2 March, accepted Thursday 5 March.
- Chaling county, 严塘镇: two claims submitted Tuesday 3 March, accepted Friday 6 and Saturday 7 March.

The intake limit is 3 working days (the default; no county sets one), so a claim submitted on 2 March is due on
Thursday 5 March and one submitted on 3 March on Friday 6 March.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from claims.accounts.services import find_user
from claims.core import time as clock
from claims.core.time import LOCAL_TZ
from claims.extensions import db
from claims.intake.models import Claim
from claims.intake.review import accept_claim
from claims.regions.admin_services import set_calendar_day
from claims.regions.models import LimitKind, RegionLevel
from claims.regions.services import DEFAULT_LIMITS
from claims.reports.permissions import report_scope
from claims.reports.services import MEDIAN, P90, Period, StageFigures, Stay, figures, percentile, stage_times
from claims.workflow.models import ClaimStage
from claims.workflow.states import ClaimStatus
from tests.factories import MAOCAOJIE_VILLAGE, SANXIANHU_VILLAGE, VILLAGER, VILLAGER2, YANTANG_VILLAGE, file_claim
from tests.security.world import client_as

MARCH = Period(date(2026, 3, 1), date(2026, 3, 31))


def local(day: int, month: int = 3, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=LOCAL_TZ)


def _claim(village: str, filed: datetime, accepted: datetime, clerk: str, login: str = VILLAGER) -> int:
    clock.freeze(filed)
    claim = file_claim(login, village=village, incident_utc=filed - timedelta(days=1))
    db.session.commit()
    clock.freeze(accepted)
    accept_claim(claim, actor=find_user(clerk))
    db.session.commit()
    return claim.id


@pytest.fixture
def march(app: Flask) -> dict[str, Any]:
    """The fixture of the module docstring, built through the real services with the clock frozen."""
    with app.app_context():
        clock.freeze(local(1, hour=9))
        set_calendar_day(date(2026, 3, 11), False, "test day off", actor=find_user("admin"))
        db.session.commit()
        ids = {
            "s0": _claim(SANXIANHU_VILLAGE, local(2), local(2, hour=16), "clerk"),
            "s2": _claim(SANXIANHU_VILLAGE, local(2), local(4), "clerk"),
            "s4": _claim(SANXIANHU_VILLAGE, local(2), local(6), "clerk"),
            "s11": _claim(SANXIANHU_VILLAGE, local(2), local(13), "clerk"),
            "april": _claim(SANXIANHU_VILLAGE, local(2), local(1, month=4), "clerk"),
            "m3": _claim(MAOCAOJIE_VILLAGE, local(2), local(5), "clerk2"),
            "c3": _claim(YANTANG_VILLAGE, local(3), local(6), "clerk_cl", VILLAGER2),
            "c4": _claim(YANTANG_VILLAGE, local(3), local(7), "clerk_cl", VILLAGER2),
        }
        clock.freeze(None)
        db.session.remove()
    return ids


def _report(login: str, period: Period = MARCH) -> dict[tuple[ClaimStatus, str], StageFigures]:
    scope = report_scope(find_user(login))
    assert scope is not None
    return {(row.status, row.region): row.figures for row in stage_times(scope, period).rows}


def test_the_intake_limit_is_the_default_this_fixture_assumes() -> None:
    assert DEFAULT_LIMITS[LimitKind.INTAKE] == 3


def test_a_claims_stays_follow_its_steps(app: Flask, march: dict[str, Any]) -> None:
    with app.app_context():
        rows = db.session.execute(select(ClaimStage).where(ClaimStage.claim_id == march["s4"]).order_by(ClaimStage.entered_at, ClaimStage.id)).scalars().all()
        assert [(r.status, r.entered_at, r.left_at) for r in rows] == [
            (ClaimStatus.DRAFT, local(2), local(2)),  # started and submitted in the same (frozen) moment
            (ClaimStatus.SUBMITTED, local(2), local(6)),
            (ClaimStatus.ACCEPTED, local(6), None),  # still there
        ]
        assert all(r.entered_at.tzinfo is not None for r in rows)
        claim = db.session.get(Claim, march["s4"])
        assert claim is not None and claim.status == ClaimStatus.ACCEPTED


def test_percentiles_interpolate_between_ranks_like_percentile_cont() -> None:
    assert percentile([(0, 1), (2, 1), (4, 1), (11, 1)], MEDIAN) == 3.0
    # 90th of [0, 2, 4, 11]: rank 3 x 0.9 = 2.7, between 4 and 11: 4 + 7 x 0.7 = 8.9
    assert percentile([(11, 1), (0, 1), (4, 1), (2, 1)], P90) == 8.9
    # counted values are ranks too: [3, 3, 5] -> median 3
    assert figures([Stay(2, 3, 3, True), Stay(1, 5, 4, False)]) == StageFigures(3, 3.0, 4.6, 3.0, 3.8, 2 / 3)


def test_a_county_approver_sees_the_county_and_its_townships(app: Flask, march: dict[str, Any]) -> None:
    with app.app_context():
        report = _report("approver")
    submitted = {region: f for (status, region), f in report.items() if status == ClaimStatus.SUBMITTED}
    # 三仙湖镇: calendar [0, 2, 4, 11]; working [0, 2, 4, 8] (3-13 March less the weekend and the 11th);
    # median 3 and 3; 90th: 4 + 7 x 0.7 = 8.9 and 4 + 4 x 0.7 = 6.8; due 5 March: 2 and 4 March in time, 2 of 4.
    assert submitted["三仙湖镇"] == StageFigures(4, 3.0, 8.9, 3.0, 6.8, 0.5)
    # 茅草街镇: accepted on the deadline day itself, in time.
    assert submitted["茅草街镇"] == StageFigures(1, 3.0, 3.0, 3.0, 3.0, 1.0)
    # 南县: calendar [0, 2, 3, 4, 11]: median 3, 90th 4 + 7 x 0.6 = 8.2; working [0, 2, 3, 4, 8]: 3 and 4 + 4 x 0.6 = 6.4.
    assert submitted["南县"] == StageFigures(5, 3.0, 8.2, 3.0, 6.4, 0.6)
    assert set(submitted) == {"南县", "三仙湖镇", "茅草街镇"}  # nothing of Chaling; the April acceptance is outside March
    assert {status for status, _region in report} == {ClaimStatus.SUBMITTED}  # accepted stays are still open


def test_the_province_sees_counties_and_a_stay_left_on_a_saturday_after_its_deadline_is_late(app: Flask, march: dict[str, Any]) -> None:
    with app.app_context():
        report = _report("admin")
        levels = {row.level for row in stage_times(report_scope(find_user("admin")), MARCH).rows}  # type: ignore[arg-type]
    assert levels == {RegionLevel.COUNTY}
    assert report[(ClaimStatus.SUBMITTED, "南县")] == StageFigures(5, 3.0, 8.2, 3.0, 6.4, 0.6)
    # 茶陵县: submitted Tuesday 3 March, due Friday 6 March. Left Friday: 3 days, 3 working days, in time. Left
    # Saturday: 4 days, still 3 working days, but after the deadline. Calendar [3, 4]: median 3.5, 90th 3.9.
    assert report[(ClaimStatus.SUBMITTED, "茶陵县")] == StageFigures(2, 3.5, 3.9, 3.0, 3.0, 0.5)


def test_the_period_chooses_the_stays_by_the_day_they_ended(app: Flask, march: dict[str, Any]) -> None:
    with app.app_context():
        april = _report("approver", Period(date(2026, 4, 1), date(2026, 4, 1)))
        first_week = _report("approver", Period(date(2026, 3, 1), date(2026, 3, 6)))
    # submitted 2 March, accepted 1 April: 30 days; 3 March - 1 April has 22 weekdays, less the 11th: 21.
    assert april[(ClaimStatus.SUBMITTED, "三仙湖镇")] == StageFigures(1, 30.0, 30.0, 21.0, 21.0, 0.0)
    assert first_week[(ClaimStatus.SUBMITTED, "南县")].stays == 4


def test_the_page_shows_the_figures_to_an_approver_and_nothing_of_another_county(app: Flask, march: dict[str, Any]) -> None:
    html = client_as(app, "approver").get("/reports/stages?date_from=2026-03-01&date_to=2026-03-31").get_data(as_text=True)
    assert "三仙湖镇" in html and "8.9" in html and "6.8" in html and "50%" in html and "60%" in html
    assert "茶陵县" not in html
    other = client_as(app, "approver_cl").get("/reports/stages?date_from=2026-03-01&date_to=2026-03-31").get_data(as_text=True)
    assert "茶陵县" in other and "3.9" in other and "南县" not in other and "三仙湖镇" not in other


@pytest.mark.parametrize("role", ["owner", "clerk", "officer", "insurer"])
def test_other_roles_do_not_find_the_page(app: Flask, role: str) -> None:
    assert client_as(app, role).get("/reports/stages").status_code == 404


def test_anonymous_is_sent_to_log_in(app: Flask) -> None:
    response = app.test_client().get("/reports/stages")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("date_from=2026-13-01", "不是有效的日期"),
        ("date_from=yesterday&date_to=%00", "不是有效的日期"),
        ("date_from=1800-01-01", "请输入 2000-01-01 至 2100-12-31 之间的日期"),
        ("date_from=2026-03-31&date_to=2026-03-01", "时段的截止日期不能早于起始日期"),
        ("date_from=2020-01-01&date_to=2026-03-01", "时段最长 366 天"),
        ("date_from=2000-01-01", "时段最长 366 天"),  # "From" alone: to today, 26 years (the review found it let through)
        ("date_from=2000-01-01&date_to=", "时段最长 366 天"),
        ("date_from=2100-12-31", "时段的截止日期不能早于起始日期"),  # to today: ends before it starts
        ("date_from=" + "9" * 5000, "不是有效的日期"),
    ],
)
def test_a_bad_period_is_a_clear_message_in_chinese(app: Flask, query: str, message: str) -> None:
    response = client_as(app, "approver").get(f"/reports/stages?{query}")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_an_empty_period_says_so_and_defaults_apply(app: Flask) -> None:
    client = client_as(app, "admin")
    assert "本时段内没有结束的停留" in client.get("/reports/stages?date_from=&date_to=").get_data(as_text=True)
    assert client.get("/reports/stages").status_code == 200


def test_the_reports_working_day_count_agrees_with_the_deadlines_one(app: Flask) -> None:
    """WorkingDays (summed once for a report) and working_days_between (deadlines) count the same days."""
    from claims.regions.services import WorkingDays, working_days_between

    with app.app_context():
        set_calendar_day(date(2026, 3, 11), False, "test day off", actor=find_user("admin"))
        set_calendar_day(date(2026, 3, 14), True, "test working Saturday", actor=find_user("admin"))
        calendar = WorkingDays(date(2026, 2, 25), date(2026, 4, 10))
        days = [date(2026, 2, 20) + timedelta(days=n) for n in range(55)]
        assert all(calendar.between(a, b) == working_days_between(a, b) for a in days for b in days)
        assert calendar.between(date(2026, 3, 2), date(2026, 3, 13)) == 8
        db.session.rollback()


def test_the_public_notice_and_the_assigned_survey_have_no_limit_of_their_own(app: Flask) -> None:
    """The hostile review: the notice period is a minimum that runs from the batch's start date (a claim approved on the
    first day allowed was counted late), and assigning a survey keeps the deadline set at acceptance (a survey done
    after that deadline was counted in time). Neither is a deadline from the day the claim entered the status, so
    neither gets a share within the limit; the accepted stage carries the survey's deadline."""
    from claims.reports.services import Deadlines
    from tests.factories import NAN_COUNTY, region_id

    nan = region_id(app, NAN_COUNTY)
    with app.app_context():
        deadlines = Deadlines([nan], date(2026, 3, 1), date(2026, 3, 31))
        assert deadlines.within(ClaimStatus.IN_NOTICE, nan, date(2026, 3, 2), date(2026, 3, 12)) is None
        assert deadlines.within(ClaimStatus.SURVEY_ASSIGNED, nan, date(2026, 3, 13), date(2026, 3, 19)) is None
        assert deadlines.within(ClaimStatus.ACCEPTED, nan, date(2026, 3, 2), date(2026, 3, 9)) is True
        assert deadlines.within(ClaimStatus.PAID, nan, date(2026, 3, 2), date(2026, 3, 30)) is None  # paid, then closed: no deadline


def test_a_clock_that_steps_back_never_makes_a_stay_negative(app: Flask) -> None:
    """An NTP correction or a second node a second behind: the next step's time is before the open stay's start."""
    from claims.workflow.stages import enter_stage

    with app.app_context():
        claim = file_claim(VILLAGER)
        db.session.commit()
        (open_stay,) = db.session.execute(select(ClaimStage).where(ClaimStage.claim_id == claim.id, ClaimStage.left_at.is_(None))).scalars()
        enter_stage(claim.id, ClaimStatus.ACCEPTED, open_stay.entered_at - timedelta(seconds=1))
        db.session.commit()
        stays = db.session.execute(select(ClaimStage).where(ClaimStage.claim_id == claim.id).order_by(ClaimStage.id)).scalars().all()
        assert all(s.left_at is None or s.left_at >= s.entered_at for s in stays)
        assert stays[-1].status == ClaimStatus.ACCEPTED and stays[-1].left_at is None


def test_a_stay_held_in_the_session_is_closed_there_too(app: Flask) -> None:
    """The open stay is closed by one statement; a copy of it the session holds reads as closed afterwards."""
    from claims.workflow.stages import enter_stage

    with app.app_context():
        claim = file_claim(VILLAGER)
        db.session.commit()
        (held,) = db.session.execute(select(ClaimStage).where(ClaimStage.claim_id == claim.id, ClaimStage.left_at.is_(None))).scalars()
        at = held.entered_at + timedelta(hours=1)
        enter_stage(claim.id, ClaimStatus.ACCEPTED, at)
        assert held.left_at == at
        db.session.commit()
        assert [s.left_at for s in db.session.execute(select(ClaimStage).where(ClaimStage.claim_id == claim.id)).scalars()].count(None) == 1


def test_two_open_stays_left_by_a_fault_are_both_closed_and_the_next_begins_after_the_later(app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    """Never made by the app (every step locks the claim's row first), but a restored backup or a hand-made fix may
    leave two open stays: the next step closes both, begins after the later one, and the log says so."""
    from claims.workflow.stages import enter_stage

    with app.app_context():
        claim = file_claim(VILLAGER)
        db.session.commit()
        (first,) = db.session.execute(select(ClaimStage).where(ClaimStage.claim_id == claim.id, ClaimStage.left_at.is_(None))).scalars()
        later = first.entered_at + timedelta(hours=2)
        db.session.add(ClaimStage(claim_id=claim.id, status=ClaimStatus.SUBMITTED, entered_at=later))
        db.session.commit()
        enter_stage(claim.id, ClaimStatus.ACCEPTED, first.entered_at + timedelta(hours=1))
        db.session.commit()
        stays = db.session.execute(select(ClaimStage).where(ClaimStage.claim_id == claim.id).order_by(ClaimStage.id)).scalars().all()
        assert [s.left_at is None for s in stays].count(True) == 1 and stays[-1].left_at is None
        assert stays[-1].status == ClaimStatus.ACCEPTED and stays[-1].entered_at == later
    assert "2 open stays" in caplog.text
