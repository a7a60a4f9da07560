"""The append-only, hash-chained audit trail."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from claims.accounts.models import User
from claims.core.db import UTCDateTime, intpk, str_enum
from claims.core.time import utcnow
from claims.extensions import db
from claims.workflow.states import ClaimStatus


class AuditEvent(db.Model):
    """One recorded fact: who did what to which object, when, and what changed.

    `hash` covers every other column and the previous event's hash, so an edited, inserted or deleted
    row breaks the chain (`flask audit verify`).
    """

    __tablename__ = "audit_events"

    id: Mapped[intpk]
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id"), index=True)
    entity: Mapped[str] = mapped_column(String(40), comment="claim, user, region, species, ...")
    entity_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(40))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_role: Mapped[str | None] = mapped_column(String(20))
    from_state: Mapped[str | None] = mapped_column(String(30))
    to_state: Mapped[str | None] = mapped_column(String(30))
    reason: Mapped[str | None] = mapped_column(Text)
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    actor: Mapped[User | None] = relationship()


class ClaimStage(db.Model):
    """One stay of a claim in one status: when it entered and when it left (null while it is still there).

    Written by the one function that changes a claim's status (claims.lifecycle.apply_transition) and where a
    draft is started; migration 0015 rebuilt the stays before it from the audit trail. Read by claims.reports.
    """

    __tablename__ = "claim_stages"
    __table_args__ = (
        Index("ix_claim_stages_status_left", "status", "left_at"),  # the stage-time reports: stays that ended in a period
        Index("ix_claim_stages_claim", "claim_id", "left_at"),  # a claim's open stay, closed by the next transition
    )

    id: Mapped[intpk]
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"))
    status: Mapped[ClaimStatus] = mapped_column(str_enum(ClaimStatus))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime())
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), comment="null while the claim is in this status")


class AuditHead(db.Model):
    """The chain's last hash and length; one row, locked for update by every writer of an event."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_hash: Mapped[str] = mapped_column(String(64))
    count: Mapped[int] = mapped_column(Integer)


class Notification(db.Model):
    """An in-app notice to one user about a claim (the bell). Text is rendered in the reader's language."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_unread", "user_id", "read_at", "id"), Index("ix_notifications_user_id", "user_id", "id"))

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id"))
    kind: Mapped[str] = mapped_column(String(40), comment="the transition action that caused it")
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class OutboxStatus(enum.StrEnum):
    QUEUED = "queued"  # waiting for its first send, or for the next try after a failure
    SENT = "sent"
    FAILED = "failed"  # given up after the last attempt


class OutboxMessage(db.Model):
    """A message for an outside channel (SMS), written in the same transaction as its cause.

    `flask sms send` (claims/workflow/sms.py) sends the queued rows that are due, marks them sent, or counts the
    failed attempt and sets the next try with a growing back-off; nothing is lost while the gateway is down.
    """

    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_unsent", "sent_at", "id"), Index("ix_outbox_due", "status", "next_attempt_at"))

    id: Mapped[intpk]
    channel: Mapped[str] = mapped_column(String(10), comment="sms or email")
    recipient: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    status: Mapped[OutboxStatus] = mapped_column(str_enum(OutboxStatus, 10), default=OutboxStatus.QUEUED, server_default="queued")
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), comment="not tried before this time (back-off); null: at once")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(200))


class CodePurpose(enum.StrEnum):
    LINK_MOBILE = "link_mobile"  # proves a villager's mobile number before claims filed for them are linked
    CONFIRM = "confirm"  # the claimant's confirmation of the verified loss, typed on the officer's phone
    CLAIM = "claim"  # printed on the receipt of a claim filed by a clerk: links it to the villager's account


class OneTimeCode(db.Model):
    """A one-time code: only its keyed hash is stored; it expires, allows a few attempts and is used once."""

    __tablename__ = "one_time_codes"
    __table_args__ = (Index("ix_one_time_codes_mobile", "purpose", "mobile_hash", "created_at"),)

    id: Mapped[intpk]
    purpose: Mapped[CodePurpose] = mapped_column(str_enum(CodePurpose, 20))
    code_hash: Mapped[str] = mapped_column(String(64), index=True, comment="HMAC of the code; the code itself is never stored")
    mobile_hash: Mapped[str | None] = mapped_column(String(64), comment="HMAC of the mobile number the code was sent to")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0, comment="wrong answers so far")
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
