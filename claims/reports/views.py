"""The reports' pages: stage times."""

from __future__ import annotations

from flask import Blueprint, abort, g, render_template, request

from claims.accounts.models import Role
from claims.accounts.session import roles_required
from claims.reports.forms import PeriodForm
from claims.reports.permissions import report_scope
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
