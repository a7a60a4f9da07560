"""The valuation operation the claim page calls: submit the computed valuation (the claim becomes VALUED)."""

from __future__ import annotations

from claims.accounts.models import User
from claims.intake.models import Claim
from claims.lifecycle import apply_transition
from claims.valuation.services import current_valuation


def value_claim_step(claim: Claim, *, actor: User, expected_version: int | None = None) -> None:
    """Submit the current valuation: the claim becomes VALUED and the valuation is frozen."""
    valuation = current_valuation(claim)
    changes = {"valuation": valuation.id, "total": str(valuation.total)} if valuation is not None else {}
    apply_transition(claim, "value", actor=actor, data={"changes": changes}, expected_version=expected_version)
