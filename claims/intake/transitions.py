"""Filing's actions in the transition table: submit, resubmit after correction, withdraw."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from claims.accounts.models import Role, User
from claims.intake.models import Claim
from claims.workflow.states import ClaimStatus, Transition, register


def _complete(claim: Claim, actor: User, data: dict[str, Any]) -> str | None:
    from claims.intake.services import submission_problems

    problems = submission_problems(claim)
    return "；".join(problems) if problems else None


def _withdrawer(claim: Claim, actor: User, data: dict[str, Any]) -> str | None:
    """The claimant or whoever filed the claim withdraws it; a township clerk only while correcting a returned
    claim with the claimant. (A clerk turns down a submitted claim through "not accept", with reasons.)"""
    if actor.id in (claim.filed_by_id, claim.claimant_user_id):
        return None
    if claim.status == ClaimStatus.RETURNED and actor.role == Role.CLERK:
        return None
    return str(_l("You may not take this step on this claim."))


def _on_submit(claim: Claim, actor: User, data: dict[str, Any]) -> None:
    from claims.intake.services import prepare_submission

    prepare_submission(claim)


FILERS = frozenset({Role.VILLAGER, Role.CLERK})

SUBMIT = register(Transition("submit", _l("Submit"), frozenset({ClaimStatus.DRAFT}), ClaimStatus.SUBMITTED, FILERS, (_complete,), _on_submit))
RESUBMIT = register(Transition("resubmit", _l("Submit again"), frozenset({ClaimStatus.RETURNED}), ClaimStatus.SUBMITTED, FILERS, (_complete,), _on_submit))
WITHDRAW = register(
    Transition(
        "withdraw",
        _l("Withdraw"),
        frozenset({ClaimStatus.DRAFT, ClaimStatus.SUBMITTED, ClaimStatus.RETURNED}),
        ClaimStatus.WITHDRAWN,
        FILERS,
        (_withdrawer,),
    )
)
