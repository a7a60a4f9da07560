"""In-app notices: how many a user has not read yet.

Which step tells whom, and what they read, is part of each step in claims.lifecycle, which writes the
notice rows (and the claimant's text messages, as outbox rows) in the step's own transaction.
"""

from __future__ import annotations

from sqlalchemy import func, select

from claims.accounts.models import User
from claims.extensions import db
from claims.workflow.models import Notification


def unread_count(user: User) -> int:
    query = select(func.count()).select_from(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    return db.session.execute(query).scalar_one()
