"""Webhooks: an organisation's system registers a URL and is sent the events it subscribed to, as they happen.

- `emit(claim, event)` is called by the lifecycle engine (claims/lifecycle.py names the steps that cause each event)
  in the step's own transaction: one delivery row per endpoint that subscribed to the event and whose client may
  see the claim (the same predicate as the pages: an insurer's system hears only of what is referred to its
  policies), and one background job per delivery, dispatched once the step commits (claims/core/jobs.py).
- The body names the event and the claim (ids, number, status, figures; no personal data): the receiver fetches
  what it needs through the API with its token. It is sent exactly as stored, signed as the Standard Webhooks
  specification says (standardwebhooks.com, so receivers can use its libraries): the headers `webhook-id` (the
  event's id, the same on every attempt and replay), `webhook-timestamp` (Unix seconds of this attempt) and
  `webhook-signature: v1,<base64 of HMAC-SHA256(secret, "<id>.<timestamp>.<body>")>`, the secret being the bytes
  of the base64 after `whsec_`.
- `deliver` is the job: one POST with no transaction open, no redirect followed, at most WEBHOOK_TIMEOUT seconds in
  all (a receiver that drips its answer a byte at a time is cut off then: the job never outlives the runner's
  STALE_RUNNING); a 2xx answer delivers it, anything else counts an attempt and the job is tried again after a growing back-off
  (1 minute doubled each time, at most 6 hours: 12 attempts over about 20 hours), then the delivery is failed. It
  never runs in the request that caused it: an rq worker sends it, or, without Redis, `flask jobs retry-due` (cron,
  every minute). Before each attempt the client must still be allowed to hear of the claim (`may_hear`).
- The error kept for an attempt is coarse ("HTTP 503", "no answer"): an administrator who registers an internal
  address learns nothing about the ports behind it.
- An administrator sees each endpoint's deliveries (/admin/api-clients/webhooks/<id>) and replays any of them: a
  new delivery of the same event id and body.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import secrets
import socket
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterable
from datetime import timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from claims.accounts.models import User
from claims.api.models import KIND_EVENTS, ApiClient, ApiToken, ClientKind, DeliveryStatus, Scope, WebhookDelivery, WebhookEndpoint, WebhookEvent
from claims.api.services import ApiError, acts_as_its_client
from claims.approval.models import Payment, Share
from claims.core.jobs import GiveUp, Job, RetryLater, enqueue
from claims.core.time import local_today, utcnow
from claims.extensions import db
from claims.insurance.models import InsurancePolicy, Split
from claims.intake.models import Claim
from claims.intake.permissions import can_view_claim
from claims.workflow.audit import record_event

MAX_ATTEMPTS = 12
FIRST_WAIT = timedelta(minutes=1)
LONGEST_WAIT = timedelta(hours=6)
MAX_ENDPOINTS = 5  # per client
SECRET_PREFIX = "whsec_"  # noqa: S105 -- the Standard Webhooks spelling of a secret, not a secret


# Registering an endpoint -------------------------------------------------------------------------------------------
def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def checked_url(url: str) -> str:
    """The URL an endpoint may have: absolute http(s) with a host, https unless WEBHOOK_ALLOW_HTTP, no user name or
    password in it (they would be kept and shown in clear), at most 500 characters."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        port_ok = parts.port is None or 0 < parts.port < 65536
    except ValueError:
        parts, port_ok = None, False
    schemes = {"https", "http"} if current_app.config.get("WEBHOOK_ALLOW_HTTP") else {"https"}
    if parts is None or not port_ok or len(url) > 500 or parts.scheme not in schemes or not parts.hostname or parts.username or parts.password:
        if parts is not None and parts.scheme == "http" and "http" not in schemes:
            raise ApiError(_("The address must begin with https://."), "url")
        raise ApiError(_("Enter the full address of the receiving system, such as https://claims.example.cn/webhooks."), "url")
    if not url.isascii():
        raise ApiError(_("Write the address in ASCII characters: a Chinese domain in its xn-- form, a path percent-encoded."), "url")
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise ApiError(_("Enter the full address of the receiving system, such as https://claims.example.cn/webhooks."), "url")
    return url


def checked_events(client: ApiClient, events: Iterable[str]) -> list[str]:
    chosen = sorted(set(events))
    allowed = {e.value for e in KIND_EVENTS[client.kind]}
    if not chosen or not set(chosen) <= allowed:
        raise ApiError(_("Choose at least one event this kind of client may be sent."), "events")
    return chosen


def add_endpoint(client: ApiClient, url: str, events: Iterable[str], *, actor: User | None) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its signing secret (returned for the administrator to pass on; readable again only by rolling it)."""
    url, chosen = checked_url(url), checked_events(client, events)
    count = len(db.session.execute(select(WebhookEndpoint.id).where(WebhookEndpoint.client_id == client.id, WebhookEndpoint.active)).all())
    if count >= MAX_ENDPOINTS:
        raise ApiError(_("A system may have at most %(count)s active webhook addresses.", count=MAX_ENDPOINTS), "url")
    secret = new_secret()
    endpoint = WebhookEndpoint(client_id=client.id, url=url, events=chosen, secret=secret, active=True, created_by_id=actor.id if actor else None)
    db.session.add(endpoint)
    db.session.flush()
    record_event(entity="webhook_endpoint", entity_id=endpoint.id, action="webhook_endpoint_added", actor=actor,
                 changes={"client": client.id, "url": url, "events": chosen})  # fmt: skip
    return endpoint, secret


def roll_secret(endpoint: WebhookEndpoint, *, actor: User | None) -> str:
    """A new secret at once (the old one signs nothing more): for a secret that leaked or was lost."""
    endpoint.secret = new_secret()
    record_event(entity="webhook_endpoint", entity_id=endpoint.id, action="webhook_secret_rolled", actor=actor, changes={"client": endpoint.client_id})
    return endpoint.secret


def disable_endpoint(endpoint: WebhookEndpoint, *, actor: User | None) -> None:
    """No more events are sent to it; pending deliveries fail at their next attempt. Its log stays."""
    if endpoint.active:
        endpoint.active = False
        record_event(entity="webhook_endpoint", entity_id=endpoint.id, action="webhook_endpoint_disabled", actor=actor, changes={"client": endpoint.client_id})


def endpoints_of(client: ApiClient) -> list[WebhookEndpoint]:
    return list(db.session.execute(select(WebhookEndpoint).where(WebhookEndpoint.client_id == client.id).order_by(WebhookEndpoint.id)).scalars())


def deliveries_page(endpoint: WebhookEndpoint, *, before_id: int | None = None, size: int = 50) -> list[WebhookDelivery]:
    """Newest first, `size` at a time (keyset on the index endpoint_id, id)."""
    query = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id).order_by(WebhookDelivery.id.desc()).limit(size)
    if before_id is not None:
        query = query.where(WebhookDelivery.id < before_id)
    return list(db.session.execute(query).scalars())


# Events ------------------------------------------------------------------------------------------------------------
def _claim_data(claim: Claim) -> dict[str, Any]:
    return {
        "claim_id": claim.id,
        "claim_number": claim.number,
        "status": str(claim.status),
        "county": claim.county.code if claim.county else None,
        "links": {"claim": f"/api/v1/claims/{claim.id}"},
    }


def _insurer_share(claim: Claim) -> tuple[InsurancePolicy, Decimal] | None:
    """The policy and the amount of the insurer's share once the claim is approved; None when the insurer pays nothing."""
    split = db.session.get(Split, claim.id)
    policy = db.session.get(InsurancePolicy, split.policy_id) if split is not None and split.policy_id is not None else None
    amount = db.session.execute(select(Payment.amount).where(Payment.claim_id == claim.id, Payment.share == Share.INSURER)).scalars().first()
    if policy is None or amount is None or amount <= 0:
        return None
    return policy, amount


def event_data(claim: Claim, event: WebhookEvent) -> tuple[dict[str, Any], int | None] | None:
    """What the event says, and the only insurer it concerns (None: whoever may see the claim); None: nothing to send."""
    data = _claim_data(claim)
    if event == WebhookEvent.REFERRAL_CREATED:
        data["links"]["referral"] = f"/api/v1/referrals/{claim.id}"
        return data, None
    if event == WebhookEvent.PAYMENT_DUE:
        share = _insurer_share(claim)
        if share is None:
            return None
        policy, amount = share
        data["links"]["referral"] = f"/api/v1/referrals/{claim.id}"
        data |= {"amount": f"{amount:.2f}", "currency": "CNY", "due_on": (local_today() + timedelta(days=policy.payment_days)).isoformat()}
        return data, policy.insurer_id
    return data, None


READ_SCOPES = frozenset({Scope.CLAIMS_READ.value, Scope.REFERRALS_READ.value})


def may_hear(client: ApiClient, claim: Claim | None) -> bool:
    """Whether the client may be told of the claim now: its service account is active and still its client's, it holds
    a valid token that reads claims or referrals (a system that may not read the claim through the API is not told of
    it either), and it may see the claim, as on the pages."""
    if not (client.user.active and acts_as_its_client(client)):
        return False
    tokens = db.session.execute(select(ApiToken).where(ApiToken.client_id == client.id, ApiToken.revoked_at.is_(None), ApiToken.expires_at > utcnow()))
    if not any(READ_SCOPES & set(token.scopes) for token in tokens.scalars()):
        return False
    return claim is None or can_view_claim(client.user, claim)


def _subscribers(claim: Claim, event: WebhookEvent) -> list[WebhookEndpoint]:
    """The active endpoints subscribed to the event (their secrets are not read: one that cannot be decrypted must not
    stop the step)."""
    query = select(WebhookEndpoint).where(WebhookEndpoint.active).order_by(WebhookEndpoint.id)
    return [e for e in db.session.execute(query).scalars() if event.value in e.events]


def emit(claim: Claim, event: WebhookEvent) -> list[WebhookDelivery]:
    """Record the event for every subscribed endpoint whose client may hear of the claim, in the open transaction; each
    is sent by a job after the commit."""
    endpoints = _subscribers(claim, event)
    if not endpoints:
        return []
    what = event_data(claim, event)
    if what is None:
        return []
    data, insurer_id = what
    deliveries = []
    for endpoint in endpoints:
        client = endpoint.client
        if event not in KIND_EVENTS[client.kind] or (insurer_id is not None and (client.kind != ClientKind.INSURER or client.insurer_id != insurer_id)):
            continue
        if not may_hear(client, claim):
            continue
        event_id = f"msg_{uuid.uuid4().hex}"
        body = json.dumps({"id": event_id, "type": event.value, "timestamp": utcnow().isoformat(), "data": data}, ensure_ascii=False, separators=(",", ":"))
        deliveries.append(_queue(WebhookDelivery(endpoint_id=endpoint.id, event_id=event_id, event=event.value, claim_id=claim.id, body=body)))
    return deliveries


def _job_key(delivery_id: int) -> str:
    """The delivery's job, under one key: queued once, its attempts counted by the runner."""
    return f"deliver_webhook:{delivery_id}"


def _queue(delivery: WebhookDelivery) -> WebhookDelivery:
    delivery.status, delivery.attempts = DeliveryStatus.PENDING, 0
    db.session.add(delivery)
    db.session.flush()
    enqueue("deliver_webhook", _job_key(delivery.id), delivery_id=delivery.id)
    return delivery


def replay(delivery: WebhookDelivery, *, actor: User) -> WebhookDelivery:
    """Send the event again: a new delivery with the same id and body (the receiver may tell it has seen it)."""
    if not delivery.endpoint.active:
        raise ApiError(_("This webhook address is disabled; nothing is sent to it."))
    claim = db.session.get(Claim, delivery.claim_id) if delivery.claim_id is not None else None
    if not may_hear(delivery.endpoint.client, claim):
        raise ApiError(_("This system may no longer read the claim (or has no valid token that reads claims); nothing is sent."))
    copy = _queue(WebhookDelivery(endpoint_id=delivery.endpoint_id, event_id=delivery.event_id, event=delivery.event, claim_id=delivery.claim_id,
                                  body=delivery.body, replay_of_id=delivery.id))  # fmt: skip
    record_event(entity="webhook_delivery", entity_id=copy.id, action="webhook_replayed", actor=actor, changes={"replay_of": delivery.id})
    return copy


# Sending -----------------------------------------------------------------------------------------------------------
def signature(secret: str, event_id: str, timestamp: int, body: str) -> str:
    """The `webhook-signature` header's value for one attempt."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    digest = hmac.new(key, f"{event_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a 3xx is the answer (not delivered), never a second request elsewhere


class _Deadline:
    """Cuts one POST's connection when its time is up. A socket's timeout bounds each read, not the whole answer: a
    receiver sending a byte every second would hold the job for as long as it likes."""

    def __init__(self, seconds: float) -> None:
        self.connections: list[Any] = []
        self._lock = threading.Lock()
        self._expired = False
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def track(self, connection_class: Any) -> Any:
        def connect(host: str, **kwargs: Any) -> Any:
            connection = connection_class(host, **kwargs)
            with self._lock:
                self.connections.append(connection)
                if self._expired:  # time ran out before this connection was made
                    connection.close()
            return connection

        return connect

    def _expire(self) -> None:
        with self._lock:
            self._expired = True
            for connection in self.connections:
                sock = getattr(connection, "sock", None)
                if sock is not None:
                    with contextlib.suppress(OSError):
                        sock.shutdown(socket.SHUT_RDWR)  # the blocked read returns at once

    @property
    def expired(self) -> bool:
        """True once the time ran out: what was read is cut short (a cut read looks like the answer's end)."""
        with self._lock:
            return self._expired

    def __enter__(self) -> _Deadline:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()


def _opener(deadline: _Deadline) -> urllib.request.OpenerDirector:
    class HTTP(urllib.request.HTTPHandler):
        def do_open(self, http_class: Any, req: Any, **kwargs: Any) -> Any:
            return super().do_open(deadline.track(http_class), req, **kwargs)

    class HTTPS(urllib.request.HTTPSHandler):
        def do_open(self, http_class: Any, req: Any, **kwargs: Any) -> Any:
            return super().do_open(deadline.track(http_class), req, **kwargs)

    return urllib.request.build_opener(_NoRedirect, HTTP, HTTPS)


def post(url: str, body: str, headers: dict[str, str], timeout: float) -> tuple[int | None, str | None]:
    """One POST, `timeout` seconds in all: the HTTP status (None: no answer) and a coarse text of what went wrong
    (None: a 2xx)."""
    request = urllib.request.Request(url, data=body.encode(), headers=headers, method="POST")  # noqa: S310 -- checked_url: http(s) only
    try:
        with _Deadline(timeout) as deadline, _opener(deadline).open(request, timeout=timeout) as response:
            response.read(1024)
            status = response.status
            if deadline.expired:
                return None, "no answer"
    except urllib.error.HTTPError as exc:
        exc.close()
        return (None, "no answer") if deadline.expired else (exc.code, f"HTTP {exc.code}")
    except Exception:  # no connection, a timeout, TLS, a malformed answer: the same words for all (see the module's note)
        return None, "no answer"
    return status, None if 200 <= status < 300 else f"HTTP {status}"


def _job_attempts(delivery_id: int) -> int:
    """The attempts the delivery's job has started (this one included): the runner counts them, also those that failed
    before this function could count them."""
    attempts = db.session.execute(select(Job.attempts).where(Job.key == _job_key(delivery_id))).scalar_one_or_none()
    return attempts or 0


def deliver(delivery_id: int) -> None:
    """The job: send one delivery, unless it was delivered already or its client may no longer hear of the claim. The
    attempt is recorded and committed before the POST (no transaction stays open while the receiver answers); its
    outcome is committed by the job runner."""
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.status == DeliveryStatus.DELIVERED:
        return
    endpoint = delivery.endpoint
    claim = db.session.get(Claim, delivery.claim_id) if delivery.claim_id is not None else None
    refusal = "the endpoint is disabled" if not endpoint.active else None if may_hear(endpoint.client, claim) else "the client may no longer see the claim"
    if refusal is not None:
        delivery.status, delivery.last_error = DeliveryStatus.FAILED, refusal
        raise GiveUp(refusal)
    url, secret, body, event_id = endpoint.url, endpoint.secret, delivery.body, delivery.event_id
    delivery.status = DeliveryStatus.PENDING
    delivery.attempts = attempt = max(_job_attempts(delivery_id), delivery.attempts + 1)
    delivery.last_attempt_at = utcnow()
    db.session.commit()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "wildlife-claims-webhooks/1",
        "webhook-id": event_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, event_id, timestamp, body),
    }
    status, error = post(url, body, headers, float(current_app.config.get("WEBHOOK_TIMEOUT") or 10))
    delivery = db.session.get(WebhookDelivery, delivery_id)
    assert delivery is not None
    delivery.last_status, delivery.last_error = status, error
    if error is None:
        delivery.status, delivery.delivered_at = DeliveryStatus.DELIVERED, utcnow()
        return
    if attempt >= MAX_ATTEMPTS:
        delivery.status = DeliveryStatus.FAILED
        raise GiveUp(error)
    raise RetryLater(error)


def delivery_failed(delivery_id: int) -> None:
    """The job was marked failed for good (its last attempt, whatever stopped it, or a worker that died): so is the delivery."""
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is not None and delivery.status != DeliveryStatus.DELIVERED:
        delivery.status = DeliveryStatus.FAILED
        delivery.last_error = delivery.last_error or "not sent"


def retry_delivery(delivery_id: int) -> None:
    """An administrator retries the failed job (claims/core/jobs.py `retry_failed`): the delivery gets a fresh set of attempts."""
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is not None and delivery.status != DeliveryStatus.DELIVERED:
        delivery.status, delivery.attempts = DeliveryStatus.PENDING, 0
        db.session.flush()
