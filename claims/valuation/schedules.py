"""Compensation schedules in the database: import, publish, retire, export, and which are in force.

A published schedule is never edited. A later one (with `supersedes`) takes over from its own
`effective_from`; claims keep the schedule they were valued with. Every change is an audit event.
"""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import or_, select

from claims.accounts.models import User
from claims.core.time import to_local, utcnow
from claims.extensions import db
from claims.intake.models import Claim, LossLine
from claims.regions.models import Region, RegionLevel
from claims.valuation.fileformat import FileError, FileProblem, ScheduleFile, parse_schedule, spec_from_body
from claims.valuation.models import CompensationSchedule, ScheduleStatus
from claims.valuation.permissions import can_manage_schedule, can_view_schedule
from claims.valuation.spec import ScheduleSpec
from claims.workflow.audit import record_event

SCHEDULE_LEVELS = (RegionLevel.PROVINCE, RegionLevel.PREFECTURE, RegionLevel.COUNTY)


class ScheduleError(Exception):
    """A schedule action that may not be taken; `message` is for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def region_by_code(code: str) -> Region | None:
    return db.session.execute(select(Region).where(Region.code == code)).scalar_one_or_none()


def find_schedule(code: str) -> CompensationSchedule | None:
    return db.session.execute(select(CompensationSchedule).where(CompensationSchedule.code == code)).scalar_one_or_none()


def _line_of(text: str, key: str) -> int | None:
    """The line of a top-level field, for errors found after parsing."""
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith(f"{key}:") or line.lstrip().startswith(f'"{key}"'):
            return number
    return None


def _check_in_db(text: str, parsed: ScheduleFile, actor: User | None) -> tuple[Region, CompensationSchedule | None, CompensationSchedule | None]:
    spec, problems = parsed.spec, []
    region = region_by_code(spec.region)
    if region is None or region.level not in SCHEDULE_LEVELS:
        problems.append(FileProblem(_line_of(text, "region"), "region", _("no province, prefecture or county with the code %(code)s", code=spec.region)))
    elif actor is not None and actor.region is not None and not region.is_within(actor.region):
        problems.append(FileProblem(_line_of(text, "region"), "region", _("%(name)s is outside the region you administer", name=region.name)))
    existing = find_schedule(spec.code)
    if existing is not None and actor is not None and actor.region is not None and not existing.region.is_within(actor.region):
        # a draft of another province under this code is not this administrator's to replace (nor to move here)
        problems.append(FileProblem(_line_of(text, "code"), "code", _("%(name)s is outside the region you administer", name=existing.region.name)))
    elif existing is not None and existing.status != ScheduleStatus.DRAFT:
        problems.append(
            FileProblem(
                _line_of(text, "code"), "code", _("%(code)s is published and cannot change; import it under a new code that supersedes it", code=spec.code)
            )
        )
    previous = find_schedule(parsed.supersedes) if parsed.supersedes else None
    if parsed.supersedes and (previous is None or previous.region_id != (region.id if region else None) or previous.code == spec.code):
        problems.append(FileProblem(_line_of(text, "supersedes"), "supersedes", _("no other schedule %(code)s of the same region", code=parsed.supersedes)))
    if problems:
        raise FileError(problems)
    assert region is not None
    return region, existing, previous


def import_schedule(text: str, *, actor: User | None) -> CompensationSchedule:
    """Create or replace a draft schedule from a file; FileError names each problem's line and field."""
    parsed = parse_schedule(text)
    region, schedule, previous = _check_in_db(text, parsed, actor)
    spec = parsed.spec
    created = schedule is None
    if schedule is None:
        schedule = CompensationSchedule(code=spec.code, status=ScheduleStatus.DRAFT)
        db.session.add(schedule)
    schedule.region = region
    schedule.title = spec.title
    schedule.document_title, schedule.document_number = spec.document_title, spec.document_number
    schedule.effective_from, schedule.effective_to = spec.effective_from, spec.effective_to
    schedule.body, schedule.source_text, schedule.source_note = parsed.body, text, parsed.source
    schedule.supersedes = previous
    schedule.imported_at, schedule.imported_by_id = utcnow(), actor.id if actor else None
    db.session.flush()
    record_event(
        entity="schedule",
        action="schedule_imported" if created else "schedule_draft_replaced",
        actor=actor,
        entity_id=schedule.id,
        changes={"code": spec.code, "region": spec.region, "from": spec.effective_from.isoformat(), "items": len(spec.items)},
    )
    return schedule


def _check_scope(schedule: CompensationSchedule, actor: User) -> None:
    """A province's administrator acts only on its own province's schedules (the pages answer 404 before this)."""
    if not can_manage_schedule(actor, schedule):
        raise ScheduleError(_("%(name)s is outside the region you administer", name=schedule.region.name))


def publish_schedule(schedule: CompensationSchedule, *, actor: User) -> None:
    _check_scope(schedule, actor)
    if schedule.status != ScheduleStatus.DRAFT:
        raise ScheduleError(_("Only a draft can be published."))
    schedule.status = ScheduleStatus.PUBLISHED
    schedule.published_at, schedule.published_by = utcnow(), actor
    db.session.flush()
    changes = {"code": schedule.code, "supersedes": schedule.supersedes.code if schedule.supersedes else None}
    record_event(entity="schedule", action="schedule_published", actor=actor, entity_id=schedule.id, from_state="draft", to_state="published", changes=changes)


def retire_schedule(schedule: CompensationSchedule, reason: str, *, actor: User) -> None:
    """Withdraw a published schedule from new valuations (valuations already made keep it)."""
    _check_scope(schedule, actor)
    if schedule.status != ScheduleStatus.PUBLISHED:
        raise ScheduleError(_("Only a published schedule can be retired."))
    if not reason.strip():
        raise ScheduleError(_("Please give a reason."))
    schedule.status = ScheduleStatus.RETIRED
    db.session.flush()
    record_event(entity="schedule", action="schedule_retired", actor=actor, entity_id=schedule.id, from_state="published", to_state="retired", reason=reason)


def export_schedule(schedule: CompensationSchedule) -> str:
    """The schedule file exactly as imported (a published schedule's file is its record)."""
    return schedule.source_text


# --- which schedules apply ------------------------------------------------------------------------------
def in_force(region: Region, on: date) -> CompensationSchedule | None:
    """The published schedule of exactly this region in force on `on`: the latest to take effect wins."""
    query = (
        select(CompensationSchedule)
        .where(
            CompensationSchedule.region_id == region.id,
            CompensationSchedule.status == ScheduleStatus.PUBLISHED,
            CompensationSchedule.effective_from <= on,
            or_(CompensationSchedule.effective_to.is_(None), CompensationSchedule.effective_to >= on),
        )
        .order_by(CompensationSchedule.effective_from.desc(), CompensationSchedule.published_at.desc(), CompensationSchedule.id.desc())
        .limit(1)
    )
    return db.session.execute(query).scalar_one_or_none()


def price_grades(claim: Claim, line: LossLine) -> list[str]:
    """The price grades the schedules in force on the incident date list for the line's item (the first schedule
    with a rule for it, as the engine reads them), [] when its rule lists none or no schedule has one."""
    if claim.county is None or claim.incident_at is None:
        return []
    local = to_local(claim.incident_at)
    assert local is not None
    for schedule in schedules_for(claim.county, local.date()):
        rule = spec_of(schedule).item_rule(str(line.category), line.item)
        if rule is not None:
            return list(rule.grades)
    return []


def schedules_for(county: Region, on: date) -> list[CompensationSchedule]:
    """The schedules that apply to a county on a date, most specific first (county, prefecture, province)."""
    chain: list[CompensationSchedule] = []
    node: Region | None = county
    while node is not None:
        if node.level in SCHEDULE_LEVELS:
            found = in_force(node, on)
            if found is not None:
                chain.append(found)
        node = node.parent
    return chain


_SPECS: dict[tuple[int, str, str], ScheduleSpec] = {}


def spec_of(schedule: CompensationSchedule) -> ScheduleSpec:
    """The parsed rules of a schedule (cached for published ones, which never change). The key holds the file's text:
    a database restored from a backup (or a test's fresh one) may give the same id and time to another schedule."""
    if schedule.status == ScheduleStatus.DRAFT:
        return spec_from_body(schedule.body)
    key = (schedule.id, schedule.published_at.isoformat() if schedule.published_at else "", schedule.source_text)
    if key not in _SPECS:
        _SPECS[key] = spec_from_body(schedule.body)
    return _SPECS[key]


def visible_schedules(user: User) -> list[CompensationSchedule]:

    rows = db.session.execute(select(CompensationSchedule).order_by(CompensationSchedule.effective_from.desc(), CompensationSchedule.code)).scalars()
    return [s for s in rows if can_view_schedule(user, s)]
