"""Administration of compensation schedules and reference data: list, import, view, publish, retire, export."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _

from claims.accounts.models import Role
from claims.accounts.session import roles_required
from claims.extensions import db
from claims.intake.models import LossCategory
from claims.survey.models import GrowthStage
from claims.valuation import permissions
from claims.valuation.fileformat import FileError
from claims.valuation.forms import FileForm, RetireForm
from claims.valuation.models import CompensationSchedule, IncomeKind, ValuationMethod
from claims.valuation.reference import all_reference, import_reference
from claims.valuation.schedules import ScheduleError, export_schedule, import_schedule, publish_schedule, retire_schedule, spec_of, visible_schedules

bp = Blueprint("schedules", __name__, url_prefix="/admin")
VIEWERS = (Role.ADMIN, Role.APPROVER)


def _load(schedule_id: int, *, manage: bool = False) -> CompensationSchedule:
    schedule = db.session.get(CompensationSchedule, schedule_id)
    allowed = permissions.can_manage_schedule if manage else permissions.can_view_schedule
    if schedule is None or not allowed(g.user, schedule):
        abort(404)
    return schedule


def _list(form: FileForm, problems: list[str] | None = None, status: int = 200):  # type: ignore[no-untyped-def]
    schedules = visible_schedules(g.user)
    return render_template(
        "valuation/schedules.html", schedules=schedules, form=form, problems=problems or [], can_manage=permissions.can_manage_schedules(g.user)
    ), status


@bp.route("/schedules")
@roles_required(*VIEWERS)
def index():  # type: ignore[no-untyped-def]
    return _list(FileForm())


@bp.route("/schedules/import", methods=["POST"])
@roles_required(Role.ADMIN)
def import_file():  # type: ignore[no-untyped-def]
    form = FileForm()
    if not form.validate_on_submit():
        return _list(form, status=422)
    try:
        schedule = import_schedule(form.text, actor=g.user)
    except FileError as exc:
        return _list(form, [str(p) for p in exc.problems], 422)
    flash(_("The schedule %(code)s was imported as a draft. Check it, then publish it.", code=schedule.code), "success")
    return redirect(url_for("schedules.show", schedule_id=schedule.id))


@bp.route("/schedules/<int:schedule_id>")
@roles_required(*VIEWERS)
def show(schedule_id: int):  # type: ignore[no-untyped-def]
    schedule = _load(schedule_id)
    return render_template(
        "valuation/schedule.html",
        schedule=schedule,
        spec=spec_of(schedule),
        can_manage=permissions.can_manage_schedule(g.user, schedule),
        retire=RetireForm(),
        category_title=lambda code: LossCategory(code).title,
        method_title=lambda code: ValuationMethod(code).title,
        stage_title=GrowthStage.title_of,
    )


@bp.route("/schedules/<int:schedule_id>/publish", methods=["POST"])
@roles_required(Role.ADMIN)
def publish(schedule_id: int):  # type: ignore[no-untyped-def]
    schedule = _load(schedule_id, manage=True)
    try:
        publish_schedule(schedule, actor=g.user)
    except ScheduleError as exc:
        flash(exc.message, "error")
        return redirect(url_for("schedules.show", schedule_id=schedule.id))
    flash(_("The schedule was published. It can no longer be changed, only superseded."), "success")
    return redirect(url_for("schedules.show", schedule_id=schedule.id))


@bp.route("/schedules/<int:schedule_id>/retire", methods=["POST"])
@roles_required(Role.ADMIN)
def retire(schedule_id: int):  # type: ignore[no-untyped-def]
    schedule = _load(schedule_id, manage=True)
    form = RetireForm()
    try:
        if not form.validate_on_submit():
            raise ScheduleError(_("Please give a reason."))
        retire_schedule(schedule, form.reason.data, actor=g.user)
    except ScheduleError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("schedules.show", schedule_id=schedule.id)), 303
    flash(_("The schedule was retired: new valuations no longer use it."), "success")
    return redirect(url_for("schedules.show", schedule_id=schedule.id))


@bp.route("/schedules/<int:schedule_id>/export")
@roles_required(*VIEWERS)
def export(schedule_id: int) -> Response:
    schedule = _load(schedule_id)
    headers = {"Content-Disposition": f'attachment; filename="{schedule.code}.yaml"'}
    return Response(export_schedule(schedule), mimetype="application/yaml", headers=headers)


def _reference(form: FileForm, problems: list[str] | None = None, status: int = 200):  # type: ignore[no-untyped-def]
    prices, incomes = all_reference()
    page = {"prices": prices, "incomes": incomes, "form": form, "problems": problems or [], "income_title": IncomeKind.title_of}
    return render_template("valuation/reference.html", **page), status


@bp.route("/reference")
@roles_required(*VIEWERS)
def reference():  # type: ignore[no-untyped-def]
    return _reference(FileForm())


@bp.route("/reference/import", methods=["POST"])
@roles_required(Role.ADMIN)
def import_reference_file():  # type: ignore[no-untyped-def]
    form = FileForm()
    if not form.validate_on_submit():
        return _reference(form, status=422)
    try:
        prices, incomes = import_reference(form.text, actor=g.user)
    except FileError as exc:
        return _reference(form, [str(p) for p in exc.problems], 422)
    flash(_("%(p)d prices and %(i)d base incomes were imported.", p=prices, i=incomes), "success")
    return redirect(url_for("schedules.reference"))
