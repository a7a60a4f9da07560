"""In-app notices: how many a user has not read yet.

Which step tells whom, and what they read, is part of each step in claims.lifecycle, which writes the
notice rows (and the claimant's text messages, as outbox rows) in the step's own transaction.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ScalarSelect, func, select, update

from claims.accounts.models import User
from claims.core.time import utcnow
from claims.extensions import db
from claims.workflow.models import Notification


def unread_of(user_id: Any) -> ScalarSelect[int]:
    """How many of a user's notices are unread, as a value a statement can hold (`user_id`: an id or a column)."""
    return select(func.count()).select_from(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None)).scalar_subquery()


def unread_count(user: User) -> int:
    return db.session.execute(select(unread_of(user.id))).scalar_one()


def read_claim_notices(user: User, claim_id: int) -> int:
    """Opening a claim reads the user's notices about it, as following a notice there would: they are marked read.
    Returns how many were unread."""
    unread = (Notification.user_id == user.id, Notification.claim_id == claim_id, Notification.read_at.is_(None))
    result = db.session.execute(update(Notification).where(*unread).values(read_at=utcnow()).execution_options(synchronize_session=False))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
