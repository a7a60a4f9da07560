"""API clients (an insurer's system or a government platform) and their tokens; only a hash of a token is stored."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from claims.accounts.models import User
from claims.core.crypto import EncryptedString
from claims.core.db import UTCDateTime, intpk, str_enum
from claims.core.time import utcnow
from claims.extensions import db
from claims.insurance.models import Insurer
from claims.regions.models import Region


class ClientKind(enum.StrEnum):
    """An insurer's system sees what is referred to the insurer's policies; a platform sees a region's claims."""

    INSURER = "insurer"
    PLATFORM = "platform"

    @property
    def title(self) -> str:
        return str(_KIND_TITLES[self])


_KIND_TITLES = {ClientKind.INSURER: _l("Insurer's system"), ClientKind.PLATFORM: _l("Government platform")}


class Scope(enum.StrEnum):
    CLAIMS_READ = "claims:read"
    REFERRALS_READ = "referrals:read"
    REFERRALS_DECIDE = "referrals:decide"
    PAYMENTS_RECORD = "payments:record"
    STATISTICS_READ = "statistics:read"

    @property
    def title(self) -> str:
        return str(_SCOPE_TITLES[self])


SCOPE_VALUES = frozenset(s.value for s in Scope)
# Deciding referrals and recording payments are an insurer's acts; a platform reads.
KIND_SCOPES = {ClientKind.INSURER: frozenset(Scope), ClientKind.PLATFORM: frozenset({Scope.CLAIMS_READ, Scope.STATISTICS_READ})}

_SCOPE_TITLES = {
    Scope.CLAIMS_READ: _l("Read claims"),
    Scope.REFERRALS_READ: _l("Read referrals"),
    Scope.REFERRALS_DECIDE: _l("Decide referrals"),
    Scope.PAYMENTS_RECORD: _l("Record insurer payments"),
    Scope.STATISTICS_READ: _l("Read statistics"),
}


class ApiClient(db.Model):
    """An organisation's system. It acts through its own service account (`user`), an insurer's adjuster or a
    region's administrator that cannot log in (no usable password), so that every predicate the pages use
    (`scope_filter`, `visible_claim_or_404`, the insurer's decision) applies to the API unchanged."""

    __tablename__ = "api_clients"
    __table_args__ = (CheckConstraint("(kind = 'insurer' AND insurer_id IS NOT NULL) OR (kind = 'platform' AND region_id IS NOT NULL)", name="kind_scoped"),)

    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[ClientKind] = mapped_column(str_enum(ClientKind))
    insurer_id: Mapped[int | None] = mapped_column(ForeignKey("insurers.id"), index=True)
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"), index=True, comment="a platform's province, prefecture or county")
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True, comment="the service account the client acts as")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), comment="NULL: created by the command line")

    insurer: Mapped[Insurer | None] = relationship()
    region: Mapped[Region | None] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])


class ApiToken(db.Model):
    """A bearer token `<key_id>.<secret>`: the key id finds the row, the secret's SHA-256 proves it (the secret is
    32 random bytes, so a plain hash cannot be guessed back). Valid until `expires_at` unless revoked."""

    __tablename__ = "api_tokens"

    id: Mapped[intpk]
    client_id: Mapped[int] = mapped_column(ForeignKey("api_clients.id"), index=True)
    key_id: Mapped[str] = mapped_column(String(24), unique=True, comment="the public part of the token, before the dot")
    secret_hash: Mapped[str] = mapped_column(String(64), comment="SHA-256 of the secret part, hex")
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("api_tokens.id"), comment="the token that rotation issued in its place")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), comment="NULL: issued by the command line")

    client: Mapped[ApiClient] = relationship()

    def is_valid(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at

    @property
    def scope_set(self) -> frozenset[Scope]:
        return frozenset(Scope(s) for s in self.scopes if s in SCOPE_VALUES)


class IdempotentResponse(db.Model):
    """The first successful answer to a write, per client and Idempotency-Key: a repeat gets it again, unchanged."""

    __tablename__ = "api_idempotent_responses"
    __table_args__ = (UniqueConstraint("client_id", "key"),)

    id: Mapped[intpk]
    client_id: Mapped[int] = mapped_column(ForeignKey("api_clients.id"))
    key: Mapped[str] = mapped_column(String(100))
    fingerprint: Mapped[str] = mapped_column(String(64), comment="SHA-256 of the method, path and body: the same key for another request is refused")
    status: Mapped[int] = mapped_column(Integer)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)  # purge-keys reads it


class WebhookEvent(enum.StrEnum):
    """What an organisation's system may be told of, as it happens (claims/lifecycle.py names the steps that cause each)."""

    REFERRAL_CREATED = "referral.created"
    CLAIM_APPROVED = "claim.approved"
    PAYMENT_DUE = "payment.due"
    OBJECTION_RAISED = "objection.raised"

    @property
    def title(self) -> str:
        return str(_EVENT_TITLES[self])


_EVENT_TITLES = {
    WebhookEvent.REFERRAL_CREATED: _l("A claim is referred to the insurer"),
    WebhookEvent.CLAIM_APPROVED: _l("A claim is approved"),
    WebhookEvent.PAYMENT_DUE: _l("The insurer's share is due for payment"),
    WebhookEvent.OBJECTION_RAISED: _l("An objection is raised during the public notice"),
}
_EVENT_VALUES = frozenset(e.value for e in WebhookEvent)
# Referrals and the insurer's payment are an insurer's business; a platform hears of approvals and objections.
KIND_EVENTS = {
    ClientKind.INSURER: frozenset(WebhookEvent),
    ClientKind.PLATFORM: frozenset({WebhookEvent.CLAIM_APPROVED, WebhookEvent.OBJECTION_RAISED}),
}


class WebhookEndpoint(db.Model):
    """A URL of a client's system that is sent the events it subscribed to, each signed with the endpoint's secret
    (kept encrypted: the app must read it to sign; it is shown to the administrator once)."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[intpk]
    client_id: Mapped[int] = mapped_column(ForeignKey("api_clients.id"), index=True)
    url: Mapped[str] = mapped_column(String(500))
    events: Mapped[list[str]] = mapped_column(JSON, default=list)
    secret: Mapped[str] = mapped_column(EncryptedString(255), deferred=True, comment="whsec_<base64 of 24 random bytes>, AES-GCM encrypted")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    client: Mapped[ApiClient] = relationship()

    @property
    def event_titles(self) -> list[tuple[str, str]]:
        """Each subscribed event's name in the API and its title in the reader's language."""
        return [(e, WebhookEvent(e).title) for e in self.events if e in _EVENT_VALUES]


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for its first attempt or the next one
    DELIVERED = "delivered"  # the endpoint answered 2xx
    FAILED = "failed"  # given up after the last attempt (an administrator may replay it)

    @property
    def title(self) -> str:
        return str(_DELIVERY_TITLES[self])

    @property
    def css(self) -> str:
        return {"pending": "waiting", "delivered": "done", "failed": "refused"}[self.value]


_DELIVERY_TITLES = {DeliveryStatus.PENDING: _l("Pending"), DeliveryStatus.DELIVERED: _l("Delivered"), DeliveryStatus.FAILED: _l("Failed")}


class WebhookDelivery(db.Model):
    """One event sent to one endpoint: the exact body (ids, numbers and figures, no personal data) and how its
    attempts went. A replay is a new delivery of the same event id and body, so the receiver can tell a repeat."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_endpoint_id_id", "endpoint_id", "id"),)

    id: Mapped[intpk]
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id"))
    event_id: Mapped[str] = mapped_column(String(40), index=True, comment="msg_<uuid>: the same for every attempt and replay of the event")
    event: Mapped[str] = mapped_column(String(40))
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id"), index=True)
    body: Mapped[str] = mapped_column(Text, comment="the JSON sent, byte for byte as signed")
    status: Mapped[DeliveryStatus] = mapped_column(str_enum(DeliveryStatus, 10), default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_status: Mapped[int | None] = mapped_column(Integer, comment="the HTTP status of the last attempt; null: no answer")
    last_error: Mapped[str | None] = mapped_column(String(200))
    replay_of_id: Mapped[int | None] = mapped_column(ForeignKey("webhook_deliveries.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    endpoint: Mapped[WebhookEndpoint] = relationship()
