"""The reports' pages: stage times and the dashboards."""

from __future__ import annotations

from functools import partial

from flask import Blueprint, abort, g, render_template, request
from sqlalchemy import select

from claims.accounts.models import Role
from claims.accounts.session import roles_required
from claims.extensions import db
from claims.regions.models import Region
from claims.reports.dashboard import chart_data, dashboard
from claims.reports.forms import DashboardPeriodForm, PeriodForm
from claims.reports.permissions import can_see_region, report_scope
from claims.reports.services import stage_times

bp = Blueprint("reports", __name__, url_prefix="/reports")


@bp.route("/stages")
@roles_required(Role.APPROVER, Role.ADMIN)
def stages():  # type: ignore[no-untyped-def]
    scope = report_scope(g.user)
    if scope is None:
        abort(404)
    form = PeriodForm(request.args)
    if not form.validate():
        return render_template("reports/stages.html", form=form, report=None, scope=scope), 422
    return render_template("reports/stages.html", form=form, report=stage_times(scope, form.period()), scope=scope)


@bp.route("/dashboard")
@bp.route("/dashboard/<region_code>")
@roles_required(Role.APPROVER, Role.ADMIN)
def dashboard_page(region_code: str | None = None):  # type: ignore[no-untyped-def]
    """A region's dashboard (by its official code; the reader's own region without one), for the period chosen."""
    region = g.user.region if region_code is None else db.session.execute(select(Region).where(Region.code == region_code)).scalar_one_or_none()
    if not can_see_region(g.user, region):
        abort(404)
    form = DashboardPeriodForm(request.args)
    if not form.validate():
        return render_template("reports/dashboard.html", form=form, board=None, region=region), 422
    board = dashboard(g.user, region, form.period(), may_open=partial(can_see_region, g.user))
    return render_template("reports/dashboard.html", form=form, board=board, region=region, charts=chart_data(board))
