"""Text messages leave through a gateway: `send_due` sends the outbox rows that are due and keeps each one's status.

Two backends, chosen by `SMS_BACKEND` (claims/config.py; README, "Configuration"):
- `console` (the default): writes each message to the log and, when `SMS_CONSOLE_FILE` is set, appends it to that
  file (development and tests; nothing leaves the machine);
- `http`: a thin adapter for an intranet SMS gateway, the way county and provincial government networks reach the
  operators: `POST SMS_HTTP_URL` with the JSON `{"mobile": ..., "text": ...}` and `Authorization: Bearer
  SMS_HTTP_TOKEN`; any 2xx answer is a sent message, anything else (or no answer within `SMS_HTTP_TIMEOUT`
  seconds) a failed attempt.
Each message is written as an outbox row (`queue_sms`, in the transaction of its cause) with a background job that
sends it once that transaction commits (`send_queued`, claims/core/jobs.py): at once in the web process by default,
by the rq worker when REDIS_URL is set. A failed attempt is kept on the row and the message is tried again after a
growing back-off (1, 2, 4, ... minutes, at most an hour); after `MAX_ATTEMPTS` it is marked failed (and its job
too, which an administrator may retry: that alone gives the message a fresh set of attempts). `flask sms send`
sends the due rows that no job reached (rows queued before the jobs came, a job lost): run it now and then from
cron as a sweeper.

A send takes three steps, so that no lock waits for the gateway (on SQLite a write transaction locks the whole
database; a slow gateway would make other users' requests fail with "database is locked"):
1. a short transaction locks the row, checks it is still queued and due, and leases it: the attempt is counted
   and its next try set `lease_time` ahead (well past the gateway's timeout), then it commits;
2. the gateway is called with no transaction open;
3. a second short transaction records the outcome: sent, or a failed attempt with its back-off, or failed.
While leased the row is not due, so the job and the sweeper at once never send it twice; a sender that died in
step 2 leaves it to be tried again once the lease is over.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from flask import current_app
from sqlalchemy import or_, select

from claims.core.jobs import GiveUp, RetryLater, enqueue
from claims.core.time import utcnow
from claims.extensions import db
from claims.workflow.models import OutboxMessage, OutboxStatus

__all__ = [
    "MAX_ATTEMPTS",
    "ConsoleGateway",
    "HttpGateway",
    "OutboxStatus",
    "SendReport",
    "SmsError",
    "SmsGateway",
    "gateway_from_config",
    "queue_sms",
    "retry_message",
    "send_due",
    "send_queued",
]

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
FIRST_WAIT = timedelta(minutes=1)
LONGEST_WAIT = timedelta(hours=1)
SEND_LEASE = timedelta(minutes=5)  # a message being sent is not due for this long (at least): see lease_time


class SmsError(Exception):
    """The gateway did not take the message; the text says why (kept as the message's last error)."""


class SmsGateway(Protocol):
    def send(self, mobile: str, text: str) -> None:
        """Hand one message to the operator; raise SmsError when it was not taken."""


class ConsoleGateway:
    """Development: the message goes to the log and, if a path is given, to the end of that file."""

    def __init__(self, path: str | None = None) -> None:
        self.path = Path(path) if path else None

    def send(self, mobile: str, text: str) -> None:
        log.info("SMS to %s: %s", mobile, text)
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(f"{utcnow().isoformat()}\t{mobile}\t{text}\n")


class HttpGateway:
    """An intranet SMS gateway: one JSON POST per message, a bearer token, 2xx means taken."""

    def __init__(self, url: str, *, token: str | None = None, timeout: float = 10) -> None:
        self.url, self.token, self.timeout = url, token, timeout

    def send(self, mobile: str, text: str) -> None:
        body = json.dumps({"mobile": mobile, "text": text}, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")  # noqa: S310 (the URL is the operator's setting)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                status = response.status
        except urllib.error.HTTPError as exc:
            raise SmsError(f"gateway answered HTTP {exc.code}") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise SmsError(f"gateway unreachable: {exc}"[:200]) from exc
        if not 200 <= status < 300:
            raise SmsError(f"gateway answered HTTP {status}")


def gateway_from_config(config: Mapping[str, Any]) -> SmsGateway:
    """The backend the settings name (SMS_BACKEND: console, the default, or http)."""
    backend = (config.get("SMS_BACKEND") or "console").lower()
    if backend == "http":
        if not config.get("SMS_HTTP_URL"):
            raise ValueError("SMS_BACKEND=http needs SMS_HTTP_URL.")
        return HttpGateway(config["SMS_HTTP_URL"], token=config.get("SMS_HTTP_TOKEN"), timeout=float(config.get("SMS_HTTP_TIMEOUT") or 10))
    if backend == "console":
        return ConsoleGateway(config.get("SMS_CONSOLE_FILE"))
    raise ValueError(f"Unknown SMS_BACKEND {backend!r}: console or http.")


@dataclass
class SendReport:
    sent: int = 0
    failed: int = 0  # attempts that failed (the message stays queued until its last attempt)
    given_up: int = 0


def back_off(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt: 1, 2, 4, ... minutes, at most an hour."""
    return min(FIRST_WAIT * 2 ** (attempts - 1), LONGEST_WAIT)


def lease_time(gateway: SmsGateway) -> timedelta:
    """How long a message being sent is kept from other senders: well past the gateway's timeout (which bounds
    each of the connection's steps, not the whole call)."""
    return max(SEND_LEASE, timedelta(seconds=10 * float(getattr(gateway, "timeout", 0))))


@dataclass(frozen=True)
class Lease:
    """A message taken for one attempt: what to send, and the attempt number that marks it as ours."""

    message_id: int
    recipient: str
    body: str
    attempts: int


def is_due(message: OutboxMessage, now: datetime) -> bool:
    return message.status == OutboxStatus.QUEUED and (message.next_attempt_at is None or message.next_attempt_at <= now)


def take_lease(message: OutboxMessage, gateway: SmsGateway) -> Lease:
    """Count the attempt and keep the (locked, due) message from other senders until it is over, then commit:
    the gateway is called with no transaction open, so no lock waits for its answer."""
    message.attempts += 1
    message.next_attempt_at = utcnow() + lease_time(gateway)
    lease = Lease(message.id, message.recipient, message.body, message.attempts)
    db.session.commit()
    return lease


def next_due_lease(gateway: SmsGateway) -> Lease | None:
    """The sweeper: lease the first due message in a short transaction of its own (None: nothing is due)."""
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.channel == "sms", OutboxMessage.status == OutboxStatus.QUEUED)
        .where(or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= utcnow()))
        .order_by(OutboxMessage.id)
        .limit(1)
        .with_for_update(skip_locked=True)  # another sender's lease in the making: take the next one
    )
    message = db.session.execute(query).scalar_one_or_none()
    if message is None:
        db.session.commit()
        return None
    return take_lease(message, gateway)


def deliver(lease: Lease, gateway: SmsGateway, report: SendReport) -> tuple[OutboxStatus, str | None]:
    """Hand the leased message to the gateway (no transaction open), then record the outcome in a short
    transaction: sent, or a failed attempt with its back-off, or failed after the last attempt. The message's
    status after it, and the gateway's error."""
    assert not db.session().in_transaction(), "a transaction would hold its locks while the gateway answers"
    try:
        gateway.send(lease.recipient, lease.body)
        error = None
    except SmsError as exc:
        error = str(exc)[:200]
    message = db.session.execute(select(OutboxMessage).where(OutboxMessage.id == lease.message_id).with_for_update()).scalar_one()
    if error is None:
        if message.status != OutboxStatus.SENT:
            message.status, message.sent_at, message.next_attempt_at = OutboxStatus.SENT, utcnow(), None
        report.sent += 1
    else:
        report.failed += 1
        if message.status == OutboxStatus.QUEUED and message.attempts == lease.attempts:  # still our lease
            message.last_error = error
            if message.attempts >= MAX_ATTEMPTS:
                message.status, message.next_attempt_at = OutboxStatus.FAILED, None
                report.given_up += 1
            else:
                message.next_attempt_at = utcnow() + back_off(message.attempts)
    status = message.status
    db.session.commit()
    return status, error


def send_due(gateway: SmsGateway, *, limit: int = 200) -> SendReport:
    """Send the queued text messages that are due, one lease at a time; each step commits on its own (so call it
    with nothing of your own pending)."""
    report = SendReport()
    for _ in range(limit):
        lease = next_due_lease(gateway)
        if lease is None:
            break
        deliver(lease, gateway, report)
    return report


def queue_sms(recipient: str, body: str, *, claim_id: int | None = None) -> OutboxMessage:
    """An outbox row for one text message, and the job that sends it after the commit, in the open transaction."""
    message = OutboxMessage(channel="sms", recipient=recipient, body=body, claim_id=claim_id)
    db.session.add(message)
    db.session.flush()
    enqueue("send_sms", f"send_sms:{message.id}", message_id=message.id)
    return message


def send_queued(message_id: int) -> None:
    """The job: send one outbox message, unless it was sent already (by the sweeper, or an earlier run).

    The job's transaction leases the message and commits; the gateway is called with none open, and the outcome
    is committed on its own (`deliver`). A refused attempt: RetryLater has the job tried again after the same
    back-off, GiveUp marks it failed with the row. A message being sent by the sweeper, or waiting for its next
    try, is tried later; a failed one (the sweeper's last attempt, or the job's) ends the job: only an
    administrator's retry of the job (`retry_message`) starts its attempts afresh."""
    query = select(OutboxMessage).where(OutboxMessage.id == message_id).with_for_update()
    message = db.session.execute(query).scalar_one_or_none()
    if message is None or message.status == OutboxStatus.SENT:
        return
    if message.status == OutboxStatus.FAILED:
        raise GiveUp(message.last_error or "not sent")
    if not is_due(message, utcnow()):
        raise RetryLater("not due: being sent, or waiting for its next try")
    gateway = gateway_from_config(current_app.config)
    lease = take_lease(message, gateway)
    status, error = deliver(lease, gateway, SendReport())
    if status == OutboxStatus.FAILED:
        raise GiveUp(error or "not sent")
    if status == OutboxStatus.QUEUED:
        raise RetryLater(error or "not sent")


def retry_message(message_id: int) -> None:
    """An administrator retries the failed job (claims/core/jobs.py `retry_failed`, in its transaction): a failed
    message gets a fresh set of attempts."""
    message = db.session.execute(select(OutboxMessage).where(OutboxMessage.id == message_id).with_for_update()).scalar_one_or_none()
    if message is not None and message.status == OutboxStatus.FAILED:
        message.status, message.attempts, message.next_attempt_at = OutboxStatus.QUEUED, 0, None
        db.session.flush()
