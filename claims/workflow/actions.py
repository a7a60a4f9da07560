"""Running a workflow action from a view: one place for the messages and the rollback on refusal."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash, redirect, url_for
from werkzeug.wrappers import Response

from claims.core.inputs import bounded_int
from claims.extensions import db
from claims.intake.models import Claim
from claims.workflow.codes import CodeRejected
from claims.workflow.services import ClaimChanged, WorkflowError


def run_action(claim: Claim, action: Callable[[], Any], success: str) -> Response:
    """Apply the action; on refusal or a concurrent change, roll back and say why on the claim page (a rejected
    one-time code is the exception: its counted attempt is committed, claims.workflow.codes)."""
    claim_id = claim.id
    try:
        action()
    except CodeRejected as exc:
        db.session.commit()  # the wrong attempt counts; a code is checked before anything else is written
        flash(exc.message, "error")
    except ClaimChanged as exc:
        db.session.rollback()
        flash(exc.message, "warning")
    except WorkflowError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        flash(success, "success")
    return redirect(url_for("intake.detail", claim_id=claim_id))


def form_version(value: str | None) -> int | None:
    """The claim version a form was rendered with (hidden field), for the compare-and-set; None if absent."""
    return bounded_int(value, 0)
