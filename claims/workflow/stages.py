"""When a claim enters and leaves each status: the stays that the stage-time reports (claims.reports) measure."""

from __future__ import annotations

import logging
from datetime import datetime
from functools import cache

from sqlalchemy import Update, bindparam, case, update

from claims.extensions import db
from claims.workflow.models import ClaimStage
from claims.workflow.states import ClaimStatus

log = logging.getLogger(__name__)


def enter_stage(claim_id: int, status: ClaimStatus, at: datetime, *, first: bool = False) -> None:
    """Close the claim's open stay at `at` and open one in `status` from `at` (the moment of its audit event);
    `first`: the claim was created in this transaction, so it has no stay to close.

    Called in the transaction that changes the status, after the claim's row is locked, so two stays are never
    open at once. The open stay is found by the index (claim_id, left_at) and closed in one statement, which
    returns when it began: a clock that stepped back (NTP, another node) never makes a stay negative, the stay
    closes and the next begins at the later of the two moments."""
    if not first:
        began = db.session.execute(_close_open_stay(), {"stay_claim": claim_id, "at": at}).scalars().all()
        if len(began) > 1:  # never made by the app (the row lock): all are closed, so the claim's times heal, and said
            log.warning("claim %s had %d open stays; all closed at %s", claim_id, len(began), at.isoformat())
        if began:
            at = max(at, *began)
            _forget_open_stays(claim_id)
    db.session.add(ClaimStage(claim_id=claim_id, status=status, entered_at=at))


@cache
def _close_open_stay() -> Update:
    """Built once (every step runs it), the claim and the moment bound when it runs."""
    stamp = bindparam("at", type_=ClaimStage.entered_at.type)
    return (
        update(ClaimStage)
        .where(ClaimStage.claim_id == bindparam("stay_claim"), ClaimStage.left_at.is_(None))
        .values(left_at=case((ClaimStage.entered_at > stamp, ClaimStage.entered_at), else_=stamp))
        .returning(ClaimStage.entered_at)
        .execution_options(synchronize_session=False)
    )


def _forget_open_stays(claim_id: int) -> None:
    """The stays of the claim the session holds as open are open no longer: their `left_at` is read again if asked."""
    session = db.session()
    for held in list(session.identity_map.values()):
        loaded = held.__dict__  # what the copy holds, read without loading anything expired (a stay of another claim)
        if isinstance(held, ClaimStage) and loaded.get("claim_id") == claim_id and "left_at" in loaded and loaded["left_at"] is None:
            session.expire(held, ["left_at"])
