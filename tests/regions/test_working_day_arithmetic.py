"""Working-day arithmetic reads the calendar once per call, whatever the range, and agrees day for day with
the plain definition (a day is worked when an administrator says so, else when the published calendar does,
else when it is Monday to Friday).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta

import chinese_calendar
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event

from claims.extensions import db
from claims.regions.models import CalendarDay
from claims.regions.services import add_working_days, is_workday, working_days_back, working_days_between


def plain_workday(day: date, overrides: dict[date, bool]) -> bool:
    if day in overrides:
        return overrides[day]
    if day in chinese_calendar.workdays:
        return True
    return day.weekday() < 5 and day not in chinese_calendar.holidays


def plain_between(start: date, end: date, overrides: dict[date, bool]) -> int:
    return sum(plain_workday(start + timedelta(days=i), overrides) for i in range(1, (end - start).days + 1))


def plain_back(day: date, days: int, overrides: dict[date, bool]) -> date:
    current = day
    while days > 0:
        current -= timedelta(days=1)
        days -= plain_workday(current, overrides)
    return current


def plain_add(start: date, days: int, overrides: dict[date, bool]) -> date:
    current = start
    while days > 0:
        current += timedelta(days=1)
        days -= plain_workday(current, overrides)
    return current


@contextmanager
def statements() -> Iterator[list[str]]:
    """The SELECTs run inside the block (transaction control is not a read of the calendar)."""
    seen: list[str] = []

    def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def test_a_century_is_counted_with_one_query(ctx: None) -> None:
    with statements() as seen:
        total = working_days_between(date(2000, 1, 1), date(2100, 12, 31))
    assert len(seen) == 1
    assert total == plain_between(date(2000, 1, 1), date(2100, 12, 31), {})
    with statements() as seen:
        assert add_working_days(date(2024, 9, 27), 250) == plain_add(date(2024, 9, 27), 250, {})
    assert len(seen) == 1


days = st.dates(min_value=date(2002, 1, 1), max_value=date(2030, 12, 31))


def test_the_arithmetic_matches_the_plain_definition(app: Flask) -> None:
    """Random ranges and random administrator overrides (holidays on weekdays, worked weekends)."""

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(start=days, length=st.integers(0, 800), add=st.integers(0, 60), marks=st.lists(st.tuples(st.integers(0, 800), st.booleans()), max_size=8))
    def check(start: date, length: int, add: int, marks: list[tuple[int, bool]]) -> None:
        overrides = {start + timedelta(days=offset): worked for offset, worked in marks}
        with app.app_context():
            db.session.query(CalendarDay).delete()
            db.session.add_all(CalendarDay(day=day, is_workday=worked, note="") for day, worked in overrides.items())
            db.session.flush()
            end = start + timedelta(days=length)
            assert working_days_between(start, end) == plain_between(start, end, overrides)
            assert working_days_between(end, start) == 0
            assert add_working_days(start, add) == plain_add(start, add, overrides)
            assert working_days_back(end, add) == plain_back(end, add, overrides)
            assert all(is_workday(day) == plain_workday(day, overrides) for day in list(overrides)[:3])
            db.session.rollback()

    check()
