"""The county fund's budget: its administrator records the finance bureau's allocations and reverses wrong entries."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from claims.accounts.models import Role
from claims.accounts.session import roles_required
from claims.approval import budget
from claims.approval.forms import AllocationForm, ReverseAllocationForm
from claims.approval.models import BudgetAllocation
from claims.core.inputs import bounded_int
from claims.core.time import local_today
from claims.extensions import db
from claims.regions.models import Region

bp = Blueprint("budget", __name__)


@bp.route("/budget", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def allocations():  # type: ignore[no-untyped-def]
    county = budget.budget_county(g.user)
    if county is None:  # the fund is a county's: province and prefecture administrators read the ledger instead
        abort(404)
    year = bounded_int(request.args.get("year"), budget.FIRST_YEAR, budget.year_choices()[0]) or local_today().year
    form, reverse = AllocationForm(), ReverseAllocationForm()
    entries = budget.allocations_of(county, year)
    reverse.entry_id.choices = [(e.id, f"{e.document_number} · {e.amount:,.2f}") for e in budget.reversible(entries)]
    if request.method == "GET":
        form.fiscal_year.data = year
    elif request.form.get("what") == "reverse":
        if reverse.validate_on_submit():
            return _reverse(county, reverse, year)
    elif form.validate_on_submit():
        return _allocate(county, form)
    status = 422 if form.errors or reverse.errors else 200
    return render_template(
        "approval/budget.html", county=county, year=year, entries=entries, form=form, reverse=reverse, position=budget.fund_position(county.id, year)
    ), status


def _allocate(county: Region, form: AllocationForm):  # type: ignore[no-untyped-def]
    data = budget.AllocationInput(
        form.fiscal_year.data, form.amount.data, form.document_title.data, form.document_number.data, form.document_date.data, form.note.data
    )
    try:
        budget.add_allocation(county, data, actor=g.user)
    except budget.BudgetError as exc:
        db.session.rollback()
        flash(exc.message, "warning")
        return redirect(url_for("budget.allocations", year=data.fiscal_year))
    flash(_("The allocation was recorded."), "success")
    return redirect(url_for("budget.allocations", year=data.fiscal_year))


def _reverse(county: Region, form: ReverseAllocationForm, year: int):  # type: ignore[no-untyped-def]
    entry = db.session.get(BudgetAllocation, form.entry_id.data)
    if entry is None or entry.county_id != county.id:
        abort(404)
    try:
        budget.reverse_allocation(entry, form.reason.data, actor=g.user)
    except budget.BudgetError as exc:
        db.session.rollback()
        flash(exc.message, "warning")
        return redirect(url_for("budget.allocations", year=year))
    flash(_("The entry was reversed. Enter the right figure as a new allocation."), "success")
    return redirect(url_for("budget.allocations", year=year))
