"""Assigning surveyors, the field survey form (for phones) and the claimant's confirmation."""

from __future__ import annotations

import uuid

from flask import Blueprint, abort, flash, g, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from claims.accounts.models import Role, User
from claims.accounts.session import login_required, roles_required
from claims.core.inputs import bounded_int
from claims.core.inputs import form_version as _version
from claims.core.sync import answer as sync_answer
from claims.core.sync import field_errors, is_sync_request, note_arrival, offline_form
from claims.core.time import local_now
from claims.extensions import db
from claims.intake.models import PERSONAL_CATEGORIES
from claims.intake.permissions import visible_claim_or_404
from claims.intake.views import render_detail
from claims.regions.settings import county_setting
from claims.survey import operations
from claims.survey.forms import AssignForm, ConfirmationForm, SurveyForm
from claims.survey.panels import survey_on_server
from claims.survey.permissions import current_assignment, eligible_surveyors, is_assigned_surveyor
from claims.survey.services import line_fields
from claims.survey.steps import grade_problem
from claims.valuation.schedules import price_grades
from claims.workflow.actions import run_action, run_sync_action
from claims.workflow.panels import confirmation_method

bp = Blueprint("survey", __name__, url_prefix="/claims")


@bp.route("/<int:claim_id>/assign", methods=["POST"])
@roles_required(Role.OFFICER)
def assign(claim_id: int):  # type: ignore[no-untyped-def]
    claim = visible_claim_or_404(claim_id, g.user)
    form = AssignForm()
    form.surveyors.choices = [(u.id, u.name) for u in eligible_surveyors(claim)]
    required = county_setting(claim.county, "surveyors_required")
    if form.validate_on_submit() and len(set(form.surveyors.data)) != required:
        form.surveyors.errors.append(_("Choose exactly %(n)d surveyors.", n=required))
    if form.errors or request.method != "POST" or not form.surveyors.data:
        return render_detail(claim, {"assign_survey": form}, 422)
    surveyors = list(db.session.execute(select(User).where(User.id.in_(form.surveyors.data))).scalars())
    return run_action(
        claim,
        lambda: operations.assign_surveyors(claim, surveyors, actor=g.user, expected_version=_version(form.version.data)),
        _("The surveyors were assigned and notified."),
    )


def _survey_form(claim) -> SurveyForm:  # type: ignore[no-untyped-def]
    form = SurveyForm()
    if request.method == "GET":
        form.version.data = claim.version
        form.submission_key.data = uuid.uuid4().hex
        form.visited_at.data = local_now().replace(tzinfo=None, second=0, microsecond=0)
        assignment = current_assignment(claim)
        form.surveyors_present.data = "、".join(u.name for u in assignment.surveyors) if assignment else g.user.name
        for line in claim.losses:
            entry = form.lines.append_entry()
            entry.form.loss_line_id.data = str(line.id)
            entry.form.quantity.data = line.quantity
    return form


@bp.route("/<int:claim_id>/survey", methods=["GET", "POST"])
@roles_required(Role.OFFICER)
def survey(claim_id: int):  # type: ignore[no-untyped-def]
    claim = visible_claim_or_404(claim_id, g.user)
    if not is_assigned_surveyor(claim, g.user):
        abort(404)
    form = _survey_form(claim)
    form.property_lines = any(line.category not in PERSONAL_CATEGORIES for line in claim.losses)
    form.incident_at = claim.incident_at
    lines = {line.id: line for line in claim.losses}
    grades = {line.id: price_grades(claim, line) for line in claim.losses if "grade" in line_fields(line.category)}
    key = form.key() if request.method == "POST" else None
    if key and not is_sync_request():
        note_arrival(key)
    if key and operations.recorded_survey(claim, key) is not None:  # the same form again (a draft sent twice)
        return _arrived(claim)
    if request.method == "POST" and form.validate() & _grades_listed(form, lines, grades):
        problems: list = []

        def act() -> None:
            problems.extend(operations.record_survey(claim, form.to_input(), form.uploads(), actor=g.user, expected_version=_version(form.version.data)))

        if is_sync_request():
            response = run_sync_action(
                claim,
                act,
                _("The survey was recorded."),
                arrived=lambda: operations.recorded_survey(claim, key) is not None,
                server=lambda: survey_on_server(claim, g.user),
            )
        else:
            response = run_action(claim, act, _("The survey was recorded."))
        for problem in problems:
            flash(f"{problem.filename}: {problem.message}", "warning")
        return response
    if request.method == "POST" and is_sync_request():
        return sync_answer("invalid", 422, message=_("Please correct the marked fields."), errors=field_errors(form))
    fields = {line.id: line_fields(line.category) for line in claim.losses}
    for entry in form.lines:
        entry.form.grade.choices = [("", "—"), *((g, g) for g in grades.get(_line_id(entry), []))]
    page = render_template("survey/survey_form.html", claim=claim, form=form, lines=lines, fields=fields, grades=grades)
    return offline_form(make_response(page, 422 if request.method == "POST" else 200))


def _arrived(claim):  # type: ignore[no-untyped-def]
    message = _("The survey was recorded.")
    if is_sync_request():
        return sync_answer("done", message=message, url=url_for("intake.detail", claim_id=claim.id))
    flash(message, "success")
    return redirect(url_for("intake.detail", claim_id=claim.id))


def _line_id(entry) -> int | None:  # type: ignore[no-untyped-def]
    return bounded_int(entry.form.loss_line_id.data, 1)


def _grades_listed(form: SurveyForm, lines: dict, grades: dict[int, list[str]]) -> bool:  # type: ignore[type-arg]
    """Each line's price grade is one the schedule lists for its item; else the field says so (nothing is lost)."""
    ok = True
    for entry in form.lines:
        line = lines.get(_line_id(entry))
        problem = grade_problem(line, (entry.form.grade.data or "").strip() or None, lambda loss: grades.get(loss.id, [])) if line else None
        if problem:
            entry.form.grade.errors = [*entry.form.grade.errors, problem]
            ok = False
    return ok


@bp.route("/<int:claim_id>/confirmation/code", methods=["POST"])
@roles_required(Role.OFFICER)
def confirmation_code(claim_id: int):  # type: ignore[no-untyped-def]
    claim = visible_claim_or_404(claim_id, g.user)  # the token is checked by CSRFProtect, as on every POST
    return run_action(claim, lambda: operations.send_confirmation_code(claim, actor=g.user), _("A code was texted to the claimant's mobile number."))


@bp.route("/<int:claim_id>/confirmation", methods=["POST"])
@login_required
def confirmation(claim_id: int):  # type: ignore[no-untyped-def]
    claim = visible_claim_or_404(claim_id, g.user)
    method = confirmation_method(g.user)
    if method is None:
        abort(404)
    form = ConfirmationForm()
    if not form.validate_on_submit():
        return render_detail(claim, {"confirm": form}, 422)
    info = form.to_input(method)
    done = _("The confirmation was recorded.") if info.confirmed else _("The dispute was recorded; the county will assign a second survey.")
    return run_action(claim, lambda: operations.record_confirmation(claim, info, actor=g.user, expected_version=_version(request.form.get("version"))), done)
