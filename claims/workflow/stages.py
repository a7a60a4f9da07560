"""When a claim enters and leaves each status: the stays that the stage-time reports (claims.reports) measure."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from claims.extensions import db
from claims.workflow.models import ClaimStage
from claims.workflow.states import ClaimStatus


def enter_stage(claim_id: int, status: ClaimStatus, at: datetime, *, first: bool = False) -> None:
    """Close the claim's open stay at `at` and open one in `status` from `at` (the moment of its audit event);
    `first`: the claim was created in this transaction, so it has no stay to close.

    Called in the transaction that changes the status, after the claim's row is locked, so two stays are never
    open at once. The open stay is read by the index (claim_id, left_at)."""
    open_stay = select(ClaimStage).where(ClaimStage.claim_id == claim_id, ClaimStage.left_at.is_(None))
    previous = None if first else db.session.execute(open_stay).scalar_one_or_none()
    if previous is not None:
        at = max(at, previous.entered_at)  # a clock that stepped back (NTP, another node) never makes a stay negative
        previous.left_at = at
    db.session.add(ClaimStage(claim_id=claim_id, status=status, entered_at=at))
