"""The fund ledger's page (/reports/ledger) and its spreadsheets (POST /reports/ledger.xlsx and .csv, audited)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _

from claims.accounts.models import Role
from claims.accounts.session import roles_required
from claims.approval.budget import FIRST_YEAR, year_choices
from claims.core.inputs import bounded_int
from claims.core.time import local_today
from claims.reports.exports import ExportFormat
from claims.reports.ledger import export_ledger, fund_ledger
from claims.reports.permissions import can_read_ledger

bp = Blueprint("ledger", __name__, url_prefix="/reports")


def _year(raw: str | None) -> int | None:
    """The chosen fiscal year (this year when none is chosen), or None when it is no year the ledger offers."""
    if raw in (None, ""):
        return local_today().year
    return bounded_int(raw, FIRST_YEAR, year_choices()[0])


@bp.route("/ledger")
@roles_required(Role.APPROVER, Role.ADMIN)
def ledger():  # type: ignore[no-untyped-def]
    if not can_read_ledger(g.user):
        abort(404)
    year = _year(request.args.get("year"))
    if year is None:
        message = _("Choose a fiscal year from %(first)d to %(last)d.", first=FIRST_YEAR, last=year_choices()[0])
        return render_template("reports/ledger.html", ledger=None, year=local_today().year, years=year_choices(), problem=message), 422
    return render_template("reports/ledger.html", ledger=fund_ledger(g.user, year), year=year, years=year_choices(), problem=None)


@bp.route("/ledger.<any(xlsx, csv):fmt>", methods=["POST"])
@roles_required(Role.APPROVER, Role.ADMIN)
def export(fmt: str) -> Response:
    if not can_read_ledger(g.user):
        abort(404)
    year = _year(request.form.get("year"))
    if year is None:
        flash(_("Choose a fiscal year from %(first)d to %(last)d.", first=FIRST_YEAR, last=year_choices()[0]), "warning")
        return redirect(url_for("ledger.ledger"))  # type: ignore[return-value]
    export = export_ledger(g.user, year, ExportFormat(fmt))
    response = send_file(export.file, mimetype=export.fmt.mimetype, as_attachment=True, download_name=export.filename, max_age=0)
    response.headers["Cache-Control"] = "no-store"
    return response
