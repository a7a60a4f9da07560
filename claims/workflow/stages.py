"""When a claim enters and leaves each status: the stays that the stage-time reports (claims.reports) measure."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update

from claims.extensions import db
from claims.workflow.models import ClaimStage
from claims.workflow.states import ClaimStatus


def enter_stage(claim_id: int, status: ClaimStatus, at: datetime) -> None:
    """Close the claim's open stay at `at` and open one in `status` from `at` (the moment of its audit event).

    Called in the transaction that changes the status, after the claim's row is locked, so two stays are never
    open at once. The UPDATE reads the index (claim_id, left_at)."""
    db.session.execute(update(ClaimStage).where(ClaimStage.claim_id == claim_id, ClaimStage.left_at.is_(None)).values(left_at=at))
    db.session.add(ClaimStage(claim_id=claim_id, status=status, entered_at=at))
