"""The claim list's exports: POST /claims/export.xlsx and /claims/export.csv, with the list page's filters.

POST, with the CSRF token, because an export is audited (it writes an audit event; a GET changes nothing) and
because another site must not be able to make a signed-in officer's browser fetch one. The filters are the
list's (`status`); a value the list would ignore is ignored here too. Outside the roles that may export: 404.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, g, redirect, request, send_file, url_for

from claims.accounts.session import login_required
from claims.intake.services import status_filter
from claims.reports.exports import ExportFormat, ExportTooLarge, export_claims
from claims.reports.permissions import can_export_claims

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
    response = send_file(export.file, mimetype=export.fmt.mimetype, as_attachment=True, download_name=export.filename, max_age=0)
    response.headers["Cache-Control"] = "no-store"  # claimants' (masked) names and amounts: never kept by a browser or proxy
    return response
