"""Intake by the township clerk: accept, return for correction, or not accept (Hunan Art. 3: 受理).

The steps' checks and effects are in claims.intake.steps; these are the operations the pages call."""

from __future__ import annotations

from flask_babel import gettext as _

from claims.accounts.models import User
from claims.intake.models import Claim
from claims.lifecycle import apply_transition


def accept_claim(claim: Claim, *, actor: User, expected_version: int | None = None) -> None:
    apply_transition(claim, "accept", actor=actor, expected_version=expected_version)


def return_claim(claim: Claim, items: list[str], note: str | None, *, actor: User, expected_version: int | None = None) -> None:
    apply_transition(
        claim, "return", actor=actor, reason=note, data={"items": items, "note": note, "changes": {"items": items}}, expected_version=expected_version
    )


def refuse_intake(claim: Claim, reasons: list[str], explanation: str, *, actor: User, expected_version: int | None = None) -> None:
    data = {"reasons": reasons, "explanation": explanation, "changes": {"reasons": reasons}}
    apply_transition(claim, "not_accept", actor=actor, reason=explanation, data=data, expected_version=expected_version)


def lapse_claim(claim: Claim, explanation: str, *, actor: User, expected_version: int | None = None) -> None:
    """Not accepted because the claimant did not correct the application by its deadline (the reason and the
    explanation are written by the step: claims.intake.steps.on_lapse); `explanation` adds the clerk's words."""
    data = {"explanation": explanation, "changes": {"reasons": ["not_corrected"]}}
    apply_transition(claim, "lapse", actor=actor, reason=explanation or None, data=data, expected_version=expected_version)


def accept_message() -> str:
    return _("The claim was accepted. The county's forestry officers are notified.")


def return_message() -> str:
    return _("The claim was returned to the claimant for correction.")


def lapse_message() -> str:
    return _("The claim was not accepted because it was not corrected in time. The claimant is notified.")


def refuse_message() -> str:
    return _("The claim was not accepted. The claimant is notified with the reasons.")
