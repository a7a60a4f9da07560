"""The township clerk's intake decisions on a submitted claim."""

from __future__ import annotations

from flask import Blueprint, g

from claims.accounts.models import Role
from claims.accounts.session import roles_required
from claims.core.inputs import form_version
from claims.intake import review
from claims.intake.permissions import visible_claim_or_404
from claims.intake.review_forms import AcceptForm, LapseForm, RefuseForm, ReturnForm
from claims.intake.views import render_detail
from claims.workflow.actions import run_action

bp = Blueprint("review", __name__, url_prefix="/claims")


def _version(form: AcceptForm | ReturnForm | RefuseForm | LapseForm) -> int | None:
    return form_version(form.version.data)


@bp.route("/<int:claim_id>/accept", methods=["POST"])
@roles_required(Role.CLERK, Role.OFFICER)
def accept(claim_id: int):  # type: ignore[no-untyped-def]
    claim = visible_claim_or_404(claim_id, g.user)
    form = AcceptForm()
    if not form.validate_on_submit():
        return render_detail(claim, {"accept": form}, 422)
    return run_action(claim, lambda: review.accept_claim(claim, actor=g.user, expected_version=_version(form)), review.accept_message())


@bp.route("/<int:claim_id>/return", methods=["POST"])
@roles_required(Role.CLERK, Role.OFFICER)
def return_for_correction(claim_id: int):  # type: ignore[no-untyped-def]
    claim = visible_claim_or_404(claim_id, g.user)
    form = ReturnForm()
    if not form.validate_on_submit():
        return render_detail(claim, {"return": form}, 422)
    return run_action(
        claim,
        lambda: review.return_claim(claim, form.items.data, form.note.data or None, actor=g.user, expected_version=_version(form)),
        review.return_message(),
    )


@bp.route("/<int:claim_id>/not-accept", methods=["POST"])
@roles_required(Role.CLERK, Role.OFFICER)
def not_accept(claim_id: int):  # type: ignore[no-untyped-def]
    claim = visible_claim_or_404(claim_id, g.user)
    form = RefuseForm()
    if not form.validate_on_submit():
        return render_detail(claim, {"not_accept": form}, 422)
    return run_action(
        claim,
        lambda: review.refuse_intake(claim, form.reasons.data, form.explanation.data, actor=g.user, expected_version=_version(form)),
        review.refuse_message(),
    )


@bp.route("/<int:claim_id>/lapse", methods=["POST"])
@roles_required(Role.CLERK, Role.OFFICER)
def lapse(claim_id: int):  # type: ignore[no-untyped-def]
    claim = visible_claim_or_404(claim_id, g.user)
    form = LapseForm()
    if not form.validate_on_submit():
        return render_detail(claim, {"lapse": form}, 422)
    return run_action(
        claim,
        lambda: review.lapse_claim(claim, (form.explanation.data or "").strip(), actor=g.user, expected_version=_version(form)),
        review.lapse_message(),
    )
