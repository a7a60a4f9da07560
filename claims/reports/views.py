"""The reports' pages: stage times, the annual statistics table and the insurer's bordereau."""

from __future__ import annotations

from flask import Blueprint, abort, g, render_template, request

from claims.accounts.models import Role
from claims.accounts.session import roles_required
from claims.reports.bordereau import bordereau, readable_policies
from claims.reports.forms import BordereauForm, PeriodForm, YearForm
from claims.reports.permissions import ReportScope, may_ask_for_bordereau, report_scope
from claims.reports.report_exports import bordereau_heading, bordereau_table, statistics_table
from claims.reports.services import stage_times
from claims.reports.statistics import annual_statistics

bp = Blueprint("reports", __name__, url_prefix="/reports")


def _reader_scope() -> ReportScope:
    """The reader's scope for the county and province reports, or 404 (as if the page did not exist)."""
    scope = report_scope(g.user)
    if scope is None:
        abort(404)
    return scope


@bp.route("/stages")
@roles_required(Role.APPROVER, Role.ADMIN)
def stages():  # type: ignore[no-untyped-def]
    scope = _reader_scope()
    form = PeriodForm(request.args)
    if not form.validate():
        return render_template("reports/stages.html", form=form, report=None, scope=scope), 422
    return render_template("reports/stages.html", form=form, report=stage_times(scope, form.period()), scope=scope)


@bp.route("/statistics")
@roles_required(Role.APPROVER, Role.ADMIN)
def statistics():  # type: ignore[no-untyped-def]
    form = YearForm(request.args, meta={"csrf": False})
    scope = _reader_scope()
    if not form.validate():
        return render_template("reports/statistics.html", form=form, report=None), 422
    report = annual_statistics(scope, form.chosen_year())
    return render_template("reports/statistics.html", form=form, report=report, table=statistics_table(report))


@bp.route("/bordereau")
@roles_required(Role.INSURER, Role.APPROVER, Role.ADMIN)
def bordereau_page():  # type: ignore[no-untyped-def]
    if not may_ask_for_bordereau(g.user):
        abort(404)
    form = BordereauForm(request.args, meta={"csrf": False}, policies=readable_policies(g.user))
    if "policy" not in request.args:
        return render_template("reports/bordereau.html", form=form, report=None)
    if not form.validate():
        return render_template("reports/bordereau.html", form=form, report=None), 422
    report = bordereau(g.user, form.chosen_policy(), form.chosen_month())
    return render_template("reports/bordereau.html", form=form, report=report, table=bordereau_table(report), heading=bordereau_heading(report))
