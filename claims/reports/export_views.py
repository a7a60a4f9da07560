"""The exports: the claim list (POST /claims/export.xlsx and .csv, with the list page's filters), the annual statistics
(POST /reports/statistics.xlsx and .csv, with the year) and the bordereau (POST /reports/bordereau.xlsx and .csv, with the
policy and the month).

POST, with the CSRF token, because an export is audited (it writes an audit event; a GET changes nothing) and
because another site must not be able to make a signed-in officer's browser fetch one. The filters are the
list's (`status`); a value the list would ignore is ignored here too. Outside the roles that may export: 404.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, send_file, url_for

from claims.accounts.session import login_required
from claims.intake.services import status_filter
from claims.reports import report_exports
from claims.reports.bordereau import readable_policies
from claims.reports.exports import Export, ExportFormat, ExportTooLarge, export_claims
from claims.reports.forms import BordereauForm, YearForm
from claims.reports.permissions import can_export_claims, may_ask_for_bordereau, report_scope
from claims.reports.report_exports import ReportFile

bp = Blueprint("exports", __name__)


@bp.route("/claims/export.<any(xlsx, csv):fmt>", methods=["POST"])
@login_required
def export_list(fmt: str) -> Response:
    if not can_export_claims(g.user):
        abort(404)
    status = status_filter(request.form.get("status"))
    try:
        export = export_claims(g.user, ExportFormat(fmt), status=status)
    except ExportTooLarge as too_large:
        flash(str(too_large), "warning")
        return redirect(url_for("intake.index", status=status.value if status else None))  # type: ignore[return-value]
    return _send(export)


def _send(export: Export | ReportFile) -> Response:
    response = send_file(export.file, mimetype=export.fmt.mimetype, as_attachment=True, download_name=export.filename, max_age=0)
    response.headers["Cache-Control"] = "no-store"  # claimants' (masked) names and amounts: never kept by a browser or proxy
    return response


@bp.route("/reports/statistics.<any(xlsx, csv):fmt>", methods=["POST"])
@login_required
def export_statistics(fmt: str) -> Response:
    scope = report_scope(g.user)
    if scope is None:
        abort(404)
    form = YearForm()
    if not form.validate_on_submit():
        return render_template("reports/statistics.html", form=form, report=None), 422  # type: ignore[return-value]
    return _send(report_exports.export_statistics(g.user, scope, form.chosen_year(), ExportFormat(fmt)))


@bp.route("/reports/bordereau.<any(xlsx, csv):fmt>", methods=["POST"])
@login_required
def export_bordereau(fmt: str) -> Response:
    if not may_ask_for_bordereau(g.user):
        abort(404)
    form = BordereauForm(policies=readable_policies(g.user))
    if not form.validate_on_submit():
        return render_template("reports/bordereau.html", form=form, report=None), 422  # type: ignore[return-value]
    return _send(report_exports.export_bordereau(g.user, form.chosen_policy(), form.chosen_month(), ExportFormat(fmt)))
