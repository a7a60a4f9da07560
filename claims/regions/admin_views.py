"""Administration of dated data: the working-day calendar, time limits, county settings; staff conflicts."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from sqlalchemy import or_, select

from claims.accounts.models import Role
from claims.accounts.session import login_required, roles_required
from claims.core.time import local_today
from claims.core.validators import resident_id_problem
from claims.extensions import db
from claims.regions import admin_services as services
from claims.regions.admin_forms import CalendarDayForm, ConflictForm, CountySettingForm, TimeLimitForm
from claims.regions.models import CalendarDay, CountySetting, LimitKind, Region, RegionLevel, TimeLimit
from claims.regions.services import DEFAULT_LIMITS
from claims.regions.settings import SPECS
from claims.survey.models import ConflictDeclaration

bp = Blueprint("settings", __name__, url_prefix="/admin")


def _counties() -> list[Region]:
    prefix = g.user.region.path if g.user.region else ""
    query = select(Region).where(Region.level == RegionLevel.COUNTY, Region.path.startswith(prefix)).order_by(Region.code)
    return list(db.session.execute(query).scalars())


def _in_scope(region_id: Any, *, general: bool = False) -> Any:
    """Rows of the administrator's region (its counties, or the province itself), and the general rows where shown."""
    prefix = g.user.region.path if g.user.region else ""
    own = region_id.in_(select(Region.id).where(Region.path.startswith(prefix)))
    return or_(own, region_id.is_(None)) if general else own


def _county(region_id: int | None) -> Region | None:
    return next((c for c in _counties() if c.id == region_id), None)


def _province_wide() -> bool:
    """The calendar and the default time limits apply to every county: only a province-wide administrator changes them."""
    return g.user.region is None or g.user.region.level == RegionLevel.PROVINCE


@bp.route("/calendar", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def calendar():  # type: ignore[no-untyped-def]
    if request.method == "POST" and not _province_wide():
        abort(404)
    form = CalendarDayForm()
    if form.validate_on_submit():
        services.set_calendar_day(form.day.data, bool(form.is_workday.data), form.note.data or "", actor=g.user)
        flash(_("The calendar was updated."), "success")
        return redirect(url_for("settings.calendar"))
    days = db.session.execute(select(CalendarDay).order_by(CalendarDay.day.desc()).limit(200)).scalars().all()
    return render_template("admin/calendar.html", form=form, days=days), (422 if form.errors else 200)


@bp.route("/calendar/<string:day>/remove", methods=["POST"])
@roles_required(Role.ADMIN)
def remove_day(day: str):  # type: ignore[no-untyped-def]
    from datetime import date

    if not _province_wide():
        abort(404)
    try:
        parsed = date.fromisoformat(day)
    except ValueError:
        abort(404)
    services.remove_calendar_day(parsed, actor=g.user)
    return redirect(url_for("settings.calendar"))


@bp.route("/time-limits", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def time_limits():  # type: ignore[no-untyped-def]
    form = TimeLimitForm()
    form.region_id.choices = ([(0, "—")] if _province_wide() else []) + [(c.id, c.name) for c in _counties()]
    if form.validate_on_submit():
        region = _county(form.region_id.data) or g.user.region  # "—": every county of the administrator's province
        try:
            services.set_time_limit(region, LimitKind(form.kind.data), form.working_days.data, form.effective_from.data, form.source.data or "", actor=g.user)
        except services.SettingError as exc:
            getattr(form, exc.field).errors.append(exc.message)
        else:
            flash(_("The time limit was saved."), "success")
            return redirect(url_for("settings.time_limits"))
    rows = db.session.execute(
        select(TimeLimit).where(_in_scope(TimeLimit.region_id, general=True)).order_by(TimeLimit.kind, TimeLimit.region_id, TimeLimit.effective_from.desc())
    ).scalars()
    return render_template("admin/time_limits.html", form=form, rows=rows, defaults=DEFAULT_LIMITS), (422 if form.errors else 200)


@bp.route("/county-settings", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def county_settings():  # type: ignore[no-untyped-def]
    form = CountySettingForm()
    form.region_id.choices = [(0, "—")] + [(c.id, c.name) for c in _counties()]
    form.key.choices = [(k, str(spec.title)) for k, spec in SPECS.items()]
    if form.validate_on_submit():
        county = _county(form.region_id.data)
        try:
            if county is None:
                raise services.SettingError(_("Choose the county."), "region_id")
            services.set_county_setting(county, form.key.data, form.value.data, form.effective_from.data, form.note.data or "", actor=g.user)
        except services.SettingError as exc:
            getattr(form, exc.field).errors.append(exc.message)
        else:
            flash(_("The setting was saved."), "success")
            return redirect(url_for("settings.county_settings"))
    order = (CountySetting.region_id, CountySetting.key, CountySetting.effective_from.desc())
    rows = db.session.execute(select(CountySetting).where(_in_scope(CountySetting.region_id)).order_by(*order)).scalars()
    return render_template("admin/county_settings.html", form=form, rows=rows, specs=SPECS, today=local_today()), (422 if form.errors else 200)


@bp.route("/conflicts", methods=["GET", "POST"], endpoint="conflicts")
@login_required
@roles_required(Role.CLERK, Role.OFFICER, Role.APPROVER, Role.ADMIN)
def conflicts():  # type: ignore[no-untyped-def]

    form = ConflictForm()
    if form.validate_on_submit():
        problem = resident_id_problem(form.relative_id_number.data)
        if problem:
            form.relative_id_number.errors.append(problem)
        else:
            services.declare_relative(g.user, form.relative_id_number.data, form.relation.data)
            flash(_("The declaration was recorded: you will not be assigned to this person's claims."), "success")
            return redirect(url_for("settings.conflicts"))
    rows = db.session.execute(select(ConflictDeclaration).where(ConflictDeclaration.user_id == g.user.id)).scalars().all()
    return render_template("admin/conflicts.html", form=form, none_form=FlaskForm(), rows=rows), (422 if form.errors else 200)


@bp.route("/conflicts/none", methods=["POST"], endpoint="no_conflicts")
@login_required
@roles_required(Role.CLERK, Role.OFFICER, Role.APPROVER, Role.ADMIN)
def no_conflicts():  # type: ignore[no-untyped-def]
    """ "I have no relative to declare": the declaration every staff account makes before its first step."""
    if FlaskForm().validate_on_submit():
        services.declare_no_conflicts(g.user)
        flash(_("Your declaration was recorded: you have no relative to declare. Declare one here whenever that changes."), "success")
    return redirect(url_for("settings.conflicts"))
