"""Changing the working-day calendar, time limits, county settings and village points: audited."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import or_, select

from claims.accounts.models import User
from claims.accounts.permissions import administers
from claims.core.crypto import lookup_hash
from claims.core.time import utcnow
from claims.extensions import db
from claims.regions.models import CalendarDay, CountySetting, LimitKind, Region, TimeLimit
from claims.regions.settings import SPECS
from claims.survey.models import ConflictDeclaration
from claims.workflow.audit import record_event


class SettingError(Exception):
    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def set_calendar_day(day: date, is_workday: bool, note: str, *, actor: User) -> CalendarDay:
    row = db.session.get(CalendarDay, day) or CalendarDay(day=day)
    before = None if row.is_workday is None else row.is_workday
    row.is_workday, row.note = is_workday, note
    db.session.add(row)
    record_event(entity="calendar_day", action="calendar_day_set", actor=actor, changes={"day": day.isoformat(), "workday": [before, is_workday], "note": note})
    return row


def remove_calendar_day(day: date, *, actor: User) -> None:
    row = db.session.get(CalendarDay, day)
    if row is not None:
        db.session.delete(row)
        record_event(entity="calendar_day", action="calendar_day_removed", actor=actor, changes={"day": day.isoformat()})


def _close_previous(model: Any, filters: list[Any], start: date) -> None:
    """End the row in force so that the new one takes over from `start` (rows are never edited in place)."""
    query = select(model).where(*filters, model.effective_from < start, or_(model.effective_to.is_(None), model.effective_to >= start))
    for row in db.session.execute(query).scalars():
        row.effective_to = start - timedelta(days=1)


def _check_scope(region: Region, actor: User) -> None:
    """A province's administrator sets only its own counties' values (the pages offer no other county)."""
    if not administers(actor, region):
        raise SettingError(_("%(name)s is outside the region you administer", name=region.name), "region_id")


def set_time_limit(region: Region | None, kind: LimitKind, working_days: int, start: date, source: str, *, actor: User) -> TimeLimit:
    if region is not None:
        _check_scope(region, actor)
    elif actor.region is not None:  # the general row serves every province: a province sets its own (claims.regions.services.TimeLimits)
        raise SettingError(_("%(name)s is outside the region you administer", name=_("every county")), "region_id")
    if working_days < 1:
        raise SettingError(_("A time limit is at least one working day."), "working_days")
    region_filter = TimeLimit.region_id.is_(None) if region is None else TimeLimit.region_id == region.id
    if db.session.execute(select(TimeLimit).where(region_filter, TimeLimit.kind == kind, TimeLimit.effective_from == start)).first():
        raise SettingError(_("A limit for this step already starts on that date."), "effective_from")
    _close_previous(TimeLimit, [region_filter, TimeLimit.kind == kind], start)
    row = TimeLimit(region=region, kind=kind, working_days=working_days, effective_from=start, source=source)
    db.session.add(row)
    record_event(
        entity="time_limit",
        action="time_limit_set",
        actor=actor,
        changes={"region": region.code if region else None, "kind": str(kind), "days": working_days, "from": start.isoformat()},
    )
    return row


def set_county_setting(region: Region, key: str, raw: str, start: date, note: str, *, actor: User) -> CountySetting:
    _check_scope(region, actor)
    spec = SPECS.get(key)
    if spec is None:
        raise SettingError(_("Unknown setting."), "key")
    try:
        value = spec.kind(raw.strip())
    except ValueError:
        raise SettingError(_("This setting needs a whole number."), "value") from None
    if spec.kind is int and value < spec.minimum:
        raise SettingError(_("This setting needs a whole number of at least %(least)d.", least=spec.minimum), "value")
    if spec.kind is int and spec.maximum is not None and value > spec.maximum:
        raise SettingError(_("This setting can be at most %(most)d.", most=spec.maximum), "value")
    filters = [CountySetting.region_id == region.id, CountySetting.key == key]
    if db.session.execute(select(CountySetting).where(*filters, CountySetting.effective_from == start)).first():
        raise SettingError(_("This setting already has a value starting on that date."), "effective_from")
    _close_previous(CountySetting, filters, start)
    row = CountySetting(region=region, key=key, value=value, effective_from=start, note=note)
    db.session.add(row)
    record_event(
        entity="county_setting",
        action="county_setting_set",
        actor=actor,
        changes={"region": region.code, "key": key, "value": value, "from": start.isoformat()},
    )
    return row


def set_village_point(village: Region, point: tuple[float, float] | None, *, actor: User) -> None:
    """Set (or remove) the village's reference point, against which photo positions are checked."""
    before = [village.lat, village.lon]
    village.lat, village.lon = point if point is not None else (None, None)
    record_event(
        entity="region",
        entity_id=village.id,
        action="village_point_set",
        actor=actor,
        changes={"region": village.code, "point": [before, [village.lat, village.lon]]},
    )


# --- conflicts of interest: part of every staff account's set-up -------------------------------------------
def declare_relative(user: User, id_number: str, relation: str) -> ConflictDeclaration:
    """`user` declares a relative by resident ID (kept only as a keyed hash): they take no step on that person's claims."""
    digest = lookup_hash(id_number)
    row = db.session.execute(
        select(ConflictDeclaration).where(ConflictDeclaration.user_id == user.id, ConflictDeclaration.relative_id_hash == digest)
    ).scalar_one_or_none()
    if row is None:
        row = ConflictDeclaration(user_id=user.id, relative_id_hash=digest, relation=relation)
        db.session.add(row)
        record_event(entity="user", entity_id=user.id, action="conflict_declared", actor=user, changes={"relation": relation})
    user.conflicts_declared_at = utcnow()
    return row


def declare_no_conflicts(user: User) -> None:
    """`user` declares that no relative of theirs needs declaring (now): their account may take steps."""
    user.conflicts_declared_at = utcnow()
    record_event(entity="user", entity_id=user.id, action="conflicts_declared_none", actor=user)
