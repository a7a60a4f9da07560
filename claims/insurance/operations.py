"""The insurer's operation the referral page calls: accept, adjust or decline a referred claim."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _

from claims.accounts.models import User
from claims.insurance.models import InsurerDecision
from claims.intake.models import Claim
from claims.lifecycle import apply_transition
from claims.workflow.services import WorkflowError


def decide_as_insurer(
    claim: Claim,
    decision: InsurerDecision,
    *,
    actor: User,
    adjustments: dict[int, tuple[Decimal, str]] | None = None,
    decline_reason: str | None = None,
    note: str | None = None,
    expected_version: int | None = None,
) -> None:
    adjustments = adjustments or {}
    if decision == InsurerDecision.ADJUST and (not adjustments or any(not reason.strip() for _, reason in adjustments.values())):
        raise WorkflowError(_("Each adjusted line needs its amount and a reason."))
    if decision == InsurerDecision.DECLINE and not decline_reason:
        raise WorkflowError(_("Choose the reason for declining."))
    data = {
        "decision": decision,
        "adjustments": adjustments,
        "decline_reason": decline_reason,
        "note": note,
        "changes": {"decision": decision.value, "adjustments": {str(k): [str(a), r] for k, (a, r) in adjustments.items()}, "decline_reason": decline_reason},
    }
    apply_transition(claim, "insurer_decide", actor=actor, reason=note, data=data, expected_version=expected_version)
