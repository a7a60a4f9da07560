"""The valuation operations the claim page calls: adjust a line (telling the officers when a countersignature is
needed) and submit the computed valuation (the claim becomes VALUED)."""

from __future__ import annotations

from decimal import Decimal

from claims.accounts.models import User
from claims.intake.models import Claim
from claims.lifecycle import apply_transition, notify_event
from claims.valuation.models import ClaimValuation, ValuationAdjustment
from claims.valuation.services import adjust_line, current_valuation


def adjust_line_step(
    valuation: ClaimValuation, line_id: str, amount: Decimal, reason: str, *, actor: User, expected_version: int | None = None
) -> ValuationAdjustment:
    """Adjust one line; above the engine's figure the county's other officers hear that a countersignature waits."""
    adjustment = adjust_line(valuation, line_id, amount, reason, actor=actor, expected_version=expected_version)
    if adjustment.raises:
        notify_event(valuation.claim, "countersign_needed", actor=actor)
    return adjustment


def value_claim_step(claim: Claim, *, actor: User, expected_version: int | None = None) -> None:
    """Submit the current valuation: the claim becomes VALUED and the valuation is frozen."""
    valuation = current_valuation(claim)
    changes = {"valuation": valuation.id, "total": str(valuation.total)} if valuation is not None else {}
    apply_transition(claim, "value", actor=actor, data={"changes": changes}, expected_version=expected_version)
