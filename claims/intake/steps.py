"""The checks and effects of filing and intake steps, named by the lifecycle table (claims.lifecycle)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from claims.accounts.models import Role, User
from claims.intake.models import Claim
from claims.intake.services import prepare_submission, submission_problems
from claims.regions.models import LimitKind
from claims.regions.services import due_date
from claims.workflow.reasons import CorrectionItem, RefusalReason
from claims.workflow.states import ClaimStatus


# Checks ---------------------------------------------------------------------------------------------
def submission_complete(claim: Claim, actor: User, data: dict[str, Any]) -> str | None:
    problems = submission_problems(claim)
    return "；".join(problems) if problems else None


def may_withdraw(claim: Claim, actor: User, data: dict[str, Any]) -> str | None:
    """The claimant or whoever filed the claim withdraws it; a township clerk only while correcting a returned
    claim with the claimant. (A clerk turns down a submitted claim through "not accept", with reasons.)"""
    if actor.id in (claim.filed_by_id, claim.claimant_user_id):
        return None
    if claim.status == ClaimStatus.RETURNED and actor.role == Role.CLERK:
        return None
    return _("You may not take this step on this claim.")


def needs_items(claim: Claim, actor: User, data: dict[str, Any]) -> str | None:
    return None if data.get("items") else _("Tick at least one item that needs correcting.")


def needs_reasons(claim: Claim, actor: User, data: dict[str, Any]) -> str | None:
    return None if data.get("reasons") else _("Choose at least one reason.")


# Effects --------------------------------------------------------------------------------------------
def prepare_for_intake(claim: Claim, actor: User, data: dict[str, Any]) -> None:
    prepare_submission(claim)


def on_accept(claim: Claim, actor: User, data: dict[str, Any]) -> None:
    claim.due_at = due_date(claim.county, LimitKind.SURVEY)
    claim.correction_items, claim.correction_note = [], None


def on_return(claim: Claim, actor: User, data: dict[str, Any]) -> None:
    claim.correction_items = [str(CorrectionItem(i)) for i in data["items"]]
    claim.correction_note = data.get("note")
    claim.due_at = due_date(claim.county, LimitKind.APPLICATION)


def on_not_accept(claim: Claim, actor: User, data: dict[str, Any]) -> None:
    claim.decision_reasons = [str(RefusalReason(r)) for r in data["reasons"]]
    claim.decision_explanation = data.get("explanation")
    claim.due_at = None
