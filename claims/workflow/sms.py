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
too, which an administrator may retry). `flask sms send` sends the due rows that no job reached (rows queued
before the jobs came, a job lost): run it now and then from cron as a sweeper. The row is locked while it is
sent, so the job and the sweeper never send it twice.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
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
    "send_due",
    "send_queued",
]

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
FIRST_WAIT = timedelta(minutes=1)
LONGEST_WAIT = timedelta(hours=1)


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


def due_messages(limit: int) -> list[OutboxMessage]:
    now = utcnow()
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.channel == "sms", OutboxMessage.status == OutboxStatus.QUEUED)
        .where(or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now))
        .order_by(OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)  # two senders at once never send the same row
    )
    return list(db.session.execute(query).scalars())


def send_one(message: OutboxMessage, gateway: SmsGateway, report: SendReport) -> None:
    message.attempts += 1
    try:
        gateway.send(message.recipient, message.body)
    except SmsError as exc:
        message.last_error = str(exc)[:200]
        if message.attempts >= MAX_ATTEMPTS:
            message.status, message.next_attempt_at = OutboxStatus.FAILED, None
            report.given_up += 1
        else:
            message.next_attempt_at = utcnow() + back_off(message.attempts)
        report.failed += 1
        return
    message.status, message.sent_at, message.next_attempt_at = OutboxStatus.SENT, utcnow(), None
    report.sent += 1


def send_due(gateway: SmsGateway, *, limit: int = 200) -> SendReport:
    """Send the queued text messages that are due; the caller commits."""
    report = SendReport()
    for message in due_messages(limit):
        send_one(message, gateway, report)
        db.session.flush()
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

    A refused attempt is recorded on the row (attempts, last error, next try) and committed with it: RetryLater
    has the job tried again after the same back-off, GiveUp marks it failed with the row. An administrator's retry
    of the failed job starts the message's attempts afresh."""
    query = select(OutboxMessage).where(OutboxMessage.id == message_id).with_for_update()
    message = db.session.execute(query).scalar_one_or_none()
    if message is None or message.status == OutboxStatus.SENT:
        return
    if message.status == OutboxStatus.FAILED:
        message.status, message.attempts = OutboxStatus.QUEUED, 0
    send_one(message, gateway_from_config(current_app.config), SendReport())
    db.session.flush()
    if message.status == OutboxStatus.FAILED:
        raise GiveUp(message.last_error or "not sent")
    if message.status == OutboxStatus.QUEUED:
        raise RetryLater(message.last_error or "not sent")
