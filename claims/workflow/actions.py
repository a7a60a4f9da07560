"""Running a workflow action from a view: one place for the messages and the rollback on refusal."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import flash, redirect, url_for
from flask.typing import ResponseReturnValue

from claims.core.sync import answer as sync_answer
from claims.extensions import db
from claims.intake.models import Claim
from claims.workflow.codes import CodeRejected
from claims.workflow.services import ClaimChanged, WorkflowError

F = TypeVar("F")


def run_action(claim: Claim, action: Callable[[], Any], success: str, *, refused: Callable[[int], ResponseReturnValue] | None = None) -> ResponseReturnValue:
    """Apply the action; on refusal or a concurrent change, roll back and say why on the claim page (a rejected
    one-time code is the exception: its counted attempt is committed, claims.workflow.codes).

    `refused(status)`, for a form with text typed into it (a reason), renders the claim page again with that form
    (see `kept`) instead of sending the browser back to an empty one: 409 after a concurrent change, 422 otherwise."""
    claim_id = claim.id
    try:
        action()
    except CodeRejected as exc:
        db.session.commit()  # the wrong attempt counts; a code is checked before anything else is written
        flash(exc.message, "error")
    except ClaimChanged as exc:
        db.session.rollback()
        flash(exc.message, "warning")
        if refused is not None:
            return refused(409)
    except WorkflowError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        if refused is not None:
            return refused(422)
    else:
        flash(success, "success")
    return redirect(url_for("intake.detail", claim_id=claim_id))


def run_sync_action(
    claim: Claim, action: Callable[[], Any], success: str, *, arrived: Callable[[], bool], server: Callable[[], dict[str, Any]]
) -> ResponseReturnValue:
    """`run_action` for a draft sent from the phone (claims.core.sync): the answer says what became of it.
    `arrived()` tells whether this very form was recorded already (by an earlier send whose answer the phone never
    got): then the repeat is answered as done, and nothing is recorded twice. `server()` is the claim as it is now,
    shown beside the draft when the claim changed meanwhile."""
    url = url_for("intake.detail", claim_id=claim.id)
    try:
        action()
    except ClaimChanged as exc:
        db.session.rollback()
        if arrived():
            return sync_answer("done", message=success, url=url)
        return sync_answer("conflict", 409, message=exc.message, server=server(), url=url)
    except WorkflowError as exc:
        db.session.rollback()
        if arrived():
            return sync_answer("done", message=success, url=url)
        return sync_answer("refused", 422, message=exc.message, url=url)
    flash(success, "success")  # shown on the next page the user opens
    return sync_answer("done", message=success, url=url)


def kept(form: F, claim: Claim) -> F:
    """A refused form as it was typed, its hidden version moved on to the claim's (the page shows the claim as it is
    now, so sending the form again acts on what the user sees)."""
    version = getattr(form, "version", None)
    if version is not None:
        version.data = str(claim.version)
    return form
