"""The officer's valuation actions on a claim: compute (or recompute), adjust a line, submit."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g
from flask_babel import gettext as _

from claims.accounts.models import Role
from claims.accounts.session import roles_required
from claims.intake.permissions import visible_claim_or_404
from claims.intake.views import render_detail
from claims.valuation import operations, services
from claims.valuation.forms import AdjustForm, ComputeForm, CountersignForm, ValueForm, version_of
from claims.valuation.permissions import can_value_claim
from claims.workflow.actions import run_action

bp = Blueprint("valuation", __name__, url_prefix="/claims")


@bp.app_template_global()
def filing_estimate(claim):  # type: ignore[no-untyped-def]
    """The estimate box on the filing form (claims/valuation/services.filing_estimate)."""
    return services.filing_estimate(claim)


def _claim_for_officer(claim_id: int):  # type: ignore[no-untyped-def]
    claim = visible_claim_or_404(claim_id, g.user)
    if not can_value_claim(g.user, claim):
        abort(404)
    return claim


@bp.route("/<int:claim_id>/valuation", methods=["POST"])
@roles_required(Role.OFFICER)
def compute(claim_id: int):  # type: ignore[no-untyped-def]
    claim = _claim_for_officer(claim_id)
    form = ComputeForm()
    if not form.validate_on_submit():
        return render_detail(claim, {"compute": form}, 422)
    reason = (form.reason.data or "").strip() or None
    return run_action(
        claim,
        lambda: services.compute_valuation(claim, actor=g.user, reason=reason, expected_version=version_of(form)),
        services.computed_message(),
    )


@bp.route("/<int:claim_id>/valuation/adjust", methods=["POST"])
@roles_required(Role.OFFICER)
def adjust(claim_id: int):  # type: ignore[no-untyped-def]
    claim = _claim_for_officer(claim_id)
    form = AdjustForm()
    valuation = services.current_valuation(claim)
    if not form.validate_on_submit() or valuation is None:
        if form.line_id.errors:  # a hidden field: its message cannot stand beside it
            flash(_("This line cannot be adjusted."), "error")
        return render_detail(claim, {"adjust": form}, 422)
    return run_action(
        claim,
        lambda: operations.adjust_line_step(valuation, form.line_id.data, form.amount.data, form.reason.data, actor=g.user, expected_version=version_of(form)),
        services.adjusted_message(),
    )


@bp.route("/<int:claim_id>/value", methods=["POST"])
@roles_required(Role.OFFICER)
def submit(claim_id: int):  # type: ignore[no-untyped-def]
    claim = _claim_for_officer(claim_id)
    form = ValueForm()
    if not form.validate_on_submit():
        return render_detail(claim, {}, 422)
    return run_action(claim, lambda: operations.value_claim_step(claim, actor=g.user, expected_version=version_of(form)), services.valued_message())


@bp.route("/<int:claim_id>/valuation/countersign", methods=["POST"])
@roles_required(Role.OFFICER)
def countersign(claim_id: int):  # type: ignore[no-untyped-def]
    """A second officer countersigns the adjustments above the engine's figure (the service says why not)."""
    claim = visible_claim_or_404(claim_id, g.user)
    form = CountersignForm()
    if not form.validate_on_submit():
        return render_detail(claim, {}, 422)
    return run_action(claim, lambda: services.countersign_claim(claim, actor=g.user, expected_version=version_of(form)), services.countersigned_message())
