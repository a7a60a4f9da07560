"""Which action panels a user sees on a claim page, each with its form (fresh, or refused and refilled)."""

from __future__ import annotations

from typing import Any

from claims.accounts.models import Role, User
from claims.approval.advances import advance_of, personal_losses, quote_advance
from claims.approval.budget import budget_check
from claims.approval.forms import (
    ApproveAdvanceForm,
    ApproveForm,
    CorrectAccountForm,
    ObjectionReviewForm,
    RefuseAdvanceForm,
    RefuseAwardForm,
    RequestAdvanceForm,
)
from claims.approval.models import Payment, PaymentStatus
from claims.approval.services import approvals_this_round, award_total, current_entry, objections_of
from claims.extensions import db
from claims.insurance.models import Referral, Split
from claims.intake.models import Claim
from claims.intake.permissions import can_view_claim
from claims.intake.review_forms import AcceptForm, LapseForm, RefuseForm, ReturnForm
from claims.lifecycle import available_actions
from claims.regions.settings import county_setting
from claims.survey.forms import AssignForm, ConfirmationForm
from claims.survey.models import ConfirmationMethod
from claims.survey.panels import incident_panel
from claims.survey.permissions import eligible_surveyors
from claims.valuation.panels import valuation_panel
from claims.workflow.states import ClaimStatus

OBJECTION_READERS = frozenset({Role.CLERK, Role.OFFICER, Role.APPROVER, Role.ADMIN})
REVIEW_ACTIONS = frozenset({"uphold_objection_survey", "uphold_objection_value", "dismiss_objection"})
CONFIRM_METHOD = {Role.OFFICER: ConfirmationMethod.SMS_CODE, Role.CLERK: ConfirmationMethod.PAPER, Role.VILLAGER: ConfirmationMethod.ONLINE}


def confirmation_method(user: User) -> ConfirmationMethod | None:
    return CONFIRM_METHOD.get(user.role)


def action_panels(claim: Claim, user: User, forms: dict[str, Any]) -> dict[str, Any]:
    """The forms of the steps the lifecycle table offers this user now (claims.lifecycle.available_actions)."""
    if not can_view_claim(user, claim):
        return {}
    actions = available_actions(claim, user)
    panels: dict[str, Any] = {}
    if "accept" in actions:
        panels["accept"] = forms.get("accept") or AcceptForm(version=claim.version)
    if "return" in actions:
        panels["return"] = forms.get("return") or ReturnForm(version=claim.version)
    if "not_accept" in actions:
        panels["not_accept"] = forms.get("not_accept") or RefuseForm(version=claim.version)
    if "lapse" in actions:
        panels["lapse"] = forms.get("lapse") or LapseForm(version=claim.version)
    if "assign_survey" in actions:
        form = forms.get("assign_survey") or AssignForm(version=claim.version)
        form.surveyors.choices = [(u.id, u.name) for u in eligible_surveyors(claim)]
        panels["assign_survey"] = form
        panels["surveyors_required"] = county_setting(claim.county, "surveyors_required")
    if "survey_eligible" in actions:
        panels["survey"] = True
    if "confirm" in actions and user.role in CONFIRM_METHOD:
        panels["confirm"] = forms.get("confirm") or ConfirmationForm()
        panels["confirm_method"] = CONFIRM_METHOD[user.role].value
    _award_panels(claim, user, forms, panels, actions)
    panels.update(incident_panel(claim, user, forms))
    panels.update(valuation_panel(claim, user, forms))
    return panels


def _award_panels(claim: Claim, user: User, forms: dict[str, Any], panels: dict[str, Any], actions: set[str]) -> None:
    """Split, approval and payment panels (insurance and approval capabilities)."""
    if user.role in OBJECTION_READERS:  # the objector's name stays with the county's and township's staff
        panels["objections"] = objections_of(claim)
    if actions & REVIEW_ACTIONS:
        panels["objection_review"] = forms.get("objection_review") or ObjectionReviewForm(version=claim.version)
    panels["split"] = db.session.get(Split, claim.id)
    panels["referral"] = db.session.query(Referral).filter_by(claim_id=claim.id).one_or_none()
    if claim.status == ClaimStatus.IN_NOTICE:
        panels["notice_entry"] = current_entry(claim)
        panels["approvals"] = approvals_this_round(claim)
        panels["approvals_needed"] = 2 if award_total(claim) > county_setting(claim.county, "second_approval_above") else 1
        if "approve" in actions:
            panels["approve"] = forms.get("approve") or ApproveForm(version=claim.version)
            panels["budget"] = budget_check(claim)  # warns, never blocks: the law obliges compensation
        if "refuse_award" in actions:
            panels["refuse_award"] = forms.get("refuse_award") or RefuseAwardForm(version=claim.version)
    _advance_panel(claim, forms, panels, actions)
    payments = db.session.query(Payment).filter_by(claim_id=claim.id).order_by(Payment.id).all()
    panels["payments"] = payments
    failed = any(p.status == PaymentStatus.FAILED for p in payments) and not any(p.status in (PaymentStatus.PENDING, PaymentStatus.EXPORTED) for p in payments)
    if claim.status == ClaimStatus.APPROVED and failed and user.role in (Role.CLERK, Role.VILLAGER):
        panels["correct_account"] = forms.get("correct_account") or CorrectAccountForm(bank_name=claim.bank_name)


def _advance_panel(claim: Claim, forms: dict[str, Any], panels: dict[str, Any], actions: set[str]) -> None:
    """The advance on an injury or death: the amount the settings give, to request; the request, to approve."""
    advance = advance_of(claim)
    panels["advance"] = advance
    if advance is None and "request_advance" in actions and personal_losses(claim):
        quote = quote_advance(claim)
        panels["advance_quote"] = quote
        if quote.problem is None:
            panels["request_advance"] = forms.get("request_advance") or RequestAdvanceForm(version=claim.version)
    if advance is not None and advance.approved_at is None and "approve_advance" in actions:
        panels["approve_advance"] = forms.get("approve_advance") or ApproveAdvanceForm(version=claim.version)
    if advance is not None and advance.approved_at is None and "refuse_advance" in actions:
        panels["refuse_advance"] = forms.get("refuse_advance") or RefuseAdvanceForm(version=claim.version)
