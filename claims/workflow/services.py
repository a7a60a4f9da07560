"""The one function that changes a claim's state."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import gettext as _
from sqlalchemy.orm.exc import StaleDataError

from claims.accounts.models import User
from claims.extensions import db
from claims.intake.models import Claim
from claims.workflow.audit import record_event
from claims.workflow.models import AuditEvent
from claims.workflow.notify import notify
from claims.workflow.states import TRANSITIONS

AfterHook = Callable[[Claim, str, User, dict[str, Any]], None]
AFTER_TRANSITION: list[AfterHook] = []
"""Called inside the transaction after every applied action (documents, automatic referral, ...)."""


def after_transition(hook: AfterHook) -> AfterHook:
    """Register a function called as hook(claim, action, actor, data) after each applied action."""
    AFTER_TRANSITION.append(hook)
    return hook


class WorkflowError(Exception):
    """A step that may not be taken; `message` is for the user, in their language."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ClaimChanged(WorkflowError):
    """Somebody else changed the claim since this user loaded it."""

    def __init__(self) -> None:
        super().__init__(_("This claim was changed by someone else in the meantime. Here is its current state; please check and try again."))


def apply_transition(
    claim: Claim,
    action: str,
    *,
    actor: User,
    reason: str | None = None,
    data: dict[str, Any] | None = None,
    expected_version: int | None = None,
) -> AuditEvent:
    """Check and apply one action of the transition table, with its audit event, in the open transaction."""
    from claims.intake.permissions import can_view_claim

    data = data or {}
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise WorkflowError(_("Unknown step."))
    if expected_version is not None and claim.version != expected_version:
        raise ClaimChanged()
    if not actor.active or not can_view_claim(actor, claim) or actor.role not in transition.roles:
        raise WorkflowError(_("You may not take this step on this claim."))
    if claim.status not in transition.sources:
        raise WorkflowError(_("This step is not possible while the claim is “%(status)s”.", status=claim.status.title))
    if transition.reason_required and not (reason and reason.strip()):
        raise WorkflowError(_("Please give a reason."))
    for guard in transition.guards:
        problem = guard(claim, actor, data)
        if problem:
            raise WorkflowError(problem)
    try:
        if transition.effect is not None:
            transition.effect(claim, actor, data)
        before = claim.status
        claim.status = transition.target
        db.session.flush()  # the compare-and-set on the version column happens here
        event = record_event(
            entity="claim",
            action=action,
            actor=actor,
            claim=claim,
            from_state=str(before),
            to_state=str(transition.target),
            reason=reason,
            changes=data.get("changes"),
        )
        db.session.flush()
    except StaleDataError as exc:
        raise ClaimChanged() from exc
    notify(claim, action, actor=actor, data=data)
    for hook in AFTER_TRANSITION:
        hook(claim, action, actor, data)
    return event
