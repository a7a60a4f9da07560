"""The SMS sender: outbox rows leave through a gateway, each with its status, attempts and back-off (issue 11, item 4).

No network: the HTTP backend is tried against a local fake server, the rest through a fake gateway.
"""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

from claims.core import time as clock
from claims.core.time import utcnow
from claims.extensions import db
from claims.workflow.models import OutboxMessage


class FakeGateway:
    """Fails the first `failures` sends, then records every message it is given."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.sent: list[tuple[str, str]] = []

    def send(self, mobile: str, text: str) -> None:
        from claims.workflow.sms import SmsError

        if self.failures:
            self.failures -= 1
            raise SmsError("gateway down")
        self.sent.append((mobile, text))


def queue(mobile: str = "13700000009", body: str = "【野生动物致害补偿】测试") -> OutboxMessage:
    message = OutboxMessage(channel="sms", recipient=mobile, body=body)
    db.session.add(message)
    db.session.commit()
    return message


@pytest.fixture(autouse=True)
def empty_outbox(app):  # type: ignore[no-untyped-def]
    """Each test starts with an empty outbox (the template database may hold the demo's messages)."""
    with app.app_context():
        db.session.query(OutboxMessage).delete()
        db.session.commit()


def test_a_queued_message_is_sent_and_marked(ctx):  # type: ignore[no-untyped-def]
    from claims.workflow.sms import OutboxStatus, send_due

    message = queue()
    gateway = FakeGateway()
    report = send_due(gateway)
    db.session.commit()
    assert gateway.sent == [("13700000009", "【野生动物致害补偿】测试")]
    assert (report.sent, report.failed) == (1, 0)
    assert message.status == OutboxStatus.SENT and message.sent_at is not None and message.attempts == 1
    assert send_due(gateway).sent == 0  # never sent twice
    assert len(gateway.sent) == 1


def test_a_failed_send_stays_queued_and_is_retried_after_a_growing_back_off(ctx):  # type: ignore[no-untyped-def]
    from claims.workflow.sms import OutboxStatus, send_due

    start = utcnow()
    clock.freeze(start)
    try:
        message = queue()
        gateway = FakeGateway(failures=2)
        send_due(gateway)
        db.session.commit()
        assert message.status == OutboxStatus.QUEUED and message.attempts == 1 and message.last_error == "gateway down"
        first_wait = message.next_attempt_at - start
        assert first_wait > timedelta(0)
        assert send_due(gateway).sent == 0 and message.attempts == 1  # not due yet: nothing tried
        clock.freeze(message.next_attempt_at)
        send_due(gateway)
        db.session.commit()
        assert message.status == OutboxStatus.QUEUED and message.attempts == 2
        assert message.next_attempt_at - utcnow() > first_wait  # the wait grows
        clock.freeze(message.next_attempt_at)
        send_due(gateway)
        db.session.commit()
        assert message.status == OutboxStatus.SENT and message.attempts == 3 and gateway.sent
    finally:
        clock.freeze(None)


def test_a_message_is_given_up_after_the_last_attempt(ctx):  # type: ignore[no-untyped-def]
    from claims.workflow.sms import MAX_ATTEMPTS, OutboxStatus, send_due

    start = utcnow()
    try:
        message = queue()
        gateway = FakeGateway(failures=MAX_ATTEMPTS + 5)
        for _ in range(MAX_ATTEMPTS + 2):
            clock.freeze(message.next_attempt_at or start)
            send_due(gateway)
            db.session.commit()
        assert message.status == OutboxStatus.FAILED and message.attempts == MAX_ATTEMPTS
    finally:
        clock.freeze(None)


class _Handler(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []
    answer = 200

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        type(self).received.append({"auth": self.headers.get("Authorization"), "body": json.loads(self.rfile.read(length))})
        self.send_response(type(self).answer)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"ok": true}')

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def fake_gateway_server():  # type: ignore[no-untyped-def]
    _Handler.received = []
    _Handler.answer = 200
    server = HTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_the_http_backend_posts_json_with_the_token(ctx, fake_gateway_server):  # type: ignore[no-untyped-def]
    from claims.workflow.sms import HttpGateway, OutboxStatus, send_due

    url = f"http://127.0.0.1:{fake_gateway_server.server_port}/sms"
    message = queue()
    send_due(HttpGateway(url, token="s3cret", timeout=5))
    db.session.commit()
    assert _Handler.received == [{"auth": "Bearer s3cret", "body": {"mobile": "13700000009", "text": "【野生动物致害补偿】测试"}}]
    assert message.status == OutboxStatus.SENT

    _Handler.answer = 503
    second = queue(body="第二条")
    send_due(HttpGateway(url, token="s3cret", timeout=5))
    db.session.commit()
    assert second.status == OutboxStatus.QUEUED and second.attempts == 1 and "503" in (second.last_error or "")


def test_the_console_backend_is_the_default_and_writes_a_file(app, tmp_path):  # type: ignore[no-untyped-def]
    from claims.workflow.sms import ConsoleGateway, gateway_from_config

    gateway = gateway_from_config({"SMS_BACKEND": "console", "SMS_CONSOLE_FILE": str(tmp_path / "sms.log")})
    assert isinstance(gateway, ConsoleGateway)
    gateway.send("13700000009", "你好")
    assert "13700000009" in (tmp_path / "sms.log").read_text() and "你好" in (tmp_path / "sms.log").read_text()
    assert isinstance(gateway_from_config({}), ConsoleGateway)


def test_flask_sms_send_command(app):  # type: ignore[no-untyped-def]
    with app.app_context():
        message_id = queue().id
    result = app.test_cli_runner().invoke(args=["sms", "send"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        row = db.session.get(OutboxMessage, message_id)
        assert str(row.status) == "sent"


# Sent by a background job after the commit (issue 12, item 2) -------------------------------------------------
def test_a_queued_text_is_sent_by_its_job_after_the_commit(ctx, monkeypatch):  # type: ignore[no-untyped-def]
    from claims.core.jobs import Job, JobStatus
    from claims.workflow import sms

    gateway = FakeGateway()
    monkeypatch.setattr(sms, "gateway_from_config", lambda config: gateway)
    message = sms.queue_sms("13700000009", "【野生动物致害补偿】测试")
    db.session.flush()
    assert gateway.sent == []  # nothing leaves before the commit
    db.session.commit()
    assert gateway.sent == [("13700000009", "【野生动物致害补偿】测试")]
    assert message.status == sms.OutboxStatus.SENT and message.attempts == 1
    job = db.session.query(Job).filter(Job.key == f"send_sms:{message.id}").one()
    assert job.status == JobStatus.DONE
    assert sms.send_due(gateway).sent == 0  # the sweeper finds nothing left: never sent twice


def test_a_refused_text_is_retried_by_its_job_after_the_back_off(ctx, monkeypatch):  # type: ignore[no-untyped-def]
    from claims.core import jobs
    from claims.core.jobs import Job, JobStatus
    from claims.workflow import sms

    gateway = FakeGateway(failures=1)
    monkeypatch.setattr(sms, "gateway_from_config", lambda config: gateway)
    start = utcnow()
    clock.freeze(start)
    message = sms.queue_sms("13700000009", "【野生动物致害补偿】测试")
    db.session.commit()
    job = db.session.query(Job).filter(Job.key == f"send_sms:{message.id}").one()
    assert message.status == sms.OutboxStatus.QUEUED and message.attempts == 1 and message.last_error == "gateway down"
    assert job.status == JobStatus.QUEUED and job.next_attempt_at == message.next_attempt_at == start + timedelta(minutes=1)
    assert job.last_error == "RetryLater: gateway down"
    clock.freeze(start + timedelta(minutes=1))
    assert jobs.retry_due() == 1
    db.session.expire_all()
    assert gateway.sent == [("13700000009", "【野生动物致害补偿】测试")]
    assert db.session.get(OutboxMessage, message.id).status == sms.OutboxStatus.SENT  # type: ignore[union-attr]
    assert db.session.get(Job, job.id).status == JobStatus.DONE  # type: ignore[union-attr]


def test_a_step_texts_the_claimant_through_a_job(app, as_user, monkeypatch):  # type: ignore[no-untyped-def]
    from claims.workflow import sms
    from tests.documents.conftest import file_claim

    gateway = FakeGateway()
    monkeypatch.setattr(sms, "gateway_from_config", lambda config: gateway)
    with app.app_context():
        claim = file_claim()
        claim_id, mobile = claim.id, claim.claimant_mobile
        db.session.commit()
    from tests.conftest import csrf_token

    client = as_user("clerk")
    response = client.post(f"/claims/{claim_id}/accept", data={"csrf_token": csrf_token(client, f"/claims/{claim_id}")})
    assert response.status_code == 302
    assert [m for m, _text in gateway.sent] == [mobile]  # sent when the request's commit held, not by a cron
    with app.app_context():
        (row,) = db.session.query(OutboxMessage).filter(OutboxMessage.claim_id == claim_id).all()
        assert row.status == sms.OutboxStatus.SENT


# No write lock held while the gateway answers; one message sent once by two runners at once ------------------
def write_from_another_connection(message_id: int) -> None:
    """Write the message's row from a second connection that waits at most a moment for a lock: it fails with
    "database is locked" (SQLite) or a lock timeout (PostgreSQL) while a transaction holds the row or the database."""
    from sqlalchemy import create_engine, text

    url = db.engine.url
    sqlite = url.get_backend_name() == "sqlite"
    other = create_engine(url, connect_args={"timeout": 0.2} if sqlite else {})
    try:
        with other.begin() as conn:
            if not sqlite:
                conn.execute(text("SET LOCAL lock_timeout = '200ms'"))
            conn.execute(text("UPDATE outbox_messages SET body = body WHERE id = :id"), {"id": message_id})
    finally:
        other.dispose()


class ProbingGateway(FakeGateway):
    """Checks, while it 'waits for the operator', that no transaction is open and that others can write."""

    def __init__(self, failures: int = 0) -> None:
        super().__init__(failures)
        self.message_id = 0
        self.probed: list[int] = []

    def send(self, mobile: str, text: str) -> None:
        assert not db.session().in_transaction()
        write_from_another_connection(self.message_id)
        self.probed.append(self.message_id)
        super().send(mobile, text)


@pytest.mark.parametrize("failures", [0, 1])
def test_the_sweeper_holds_no_lock_while_the_gateway_answers(ctx, failures):  # type: ignore[no-untyped-def]
    from claims.workflow.sms import OutboxStatus, send_due

    message = queue()
    gateway = ProbingGateway(failures=failures)
    gateway.message_id = message.id
    report = send_due(gateway)
    assert gateway.probed == [message.id]
    assert (report.sent, report.failed) == (1 - failures, failures)
    db.session.expire_all()
    assert message.status == (OutboxStatus.QUEUED if failures else OutboxStatus.SENT) and message.attempts == 1


@pytest.mark.parametrize("failures", [0, 1])
def test_the_job_holds_no_lock_while_the_gateway_answers(ctx, monkeypatch, failures):  # type: ignore[no-untyped-def]
    from claims.core.jobs import Job, JobStatus
    from claims.workflow import sms

    gateway = ProbingGateway(failures=failures)
    monkeypatch.setattr(sms, "gateway_from_config", lambda config: gateway)
    message = sms.queue_sms("13700000009", "【野生动物致害补偿】测试")
    gateway.message_id = message.id
    db.session.commit()  # the job runs here, in-process
    assert gateway.probed == [message.id]
    db.session.expire_all()
    job = db.session.query(Job).filter(Job.key == f"send_sms:{message.id}").one()
    if failures:
        assert message.status == sms.OutboxStatus.QUEUED and message.attempts == 1 and job.status == JobStatus.QUEUED
        assert message.last_error == "gateway down" and job.next_attempt_at is not None
    else:
        assert message.status == sms.OutboxStatus.SENT and message.attempts == 1 and job.status == JobStatus.DONE


class InterruptingGateway(FakeGateway):
    """While the first runner waits for the operator, a second runner (its own app context, session and
    connection) tries to send the same messages."""

    def __init__(self, app, second_runner) -> None:  # type: ignore[no-untyped-def]
        super().__init__()
        self.app, self.second_runner, self.second_outcome = app, second_runner, None

    def send(self, mobile: str, text: str) -> None:
        if self.second_runner is not None:
            runner, self.second_runner = self.second_runner, None
            with self.app.app_context():
                try:
                    self.second_outcome = runner()
                except Exception as exc:
                    self.second_outcome = exc
                finally:
                    db.session.remove()
        super().send(mobile, text)


def test_the_job_and_the_sweeper_at_once_send_a_message_once(app, ctx, monkeypatch):  # type: ignore[no-untyped-def]
    from claims.core.jobs import RetryLater
    from claims.workflow import sms

    message = queue()
    message_id = message.id  # read now: the message's own (outer) session must not open a transaction meanwhile
    gateway = InterruptingGateway(app, lambda: sms.send_queued(message_id))
    monkeypatch.setattr(sms, "gateway_from_config", lambda config: gateway)
    report = sms.send_due(gateway)  # the sweeper sends; the job runs meanwhile
    assert isinstance(gateway.second_outcome, RetryLater)  # it found the message being sent: it tries later
    assert gateway.sent == [("13700000009", "【野生动物致害补偿】测试")] and report.sent == 1
    db.session.expire_all()
    assert message.status == sms.OutboxStatus.SENT and message.attempts == 1
    sms.send_queued(message.id)  # the job's retry finds it sent
    assert len(gateway.sent) == 1


def test_the_sweeper_and_the_job_at_once_send_a_message_once(app, ctx, monkeypatch):  # type: ignore[no-untyped-def]
    from claims.workflow import sms

    message = queue()
    gateway = InterruptingGateway(app, lambda: sms.send_due(gateway))
    monkeypatch.setattr(sms, "gateway_from_config", lambda config: gateway)
    sms.send_queued(message.id)  # the job sends; the sweeper runs meanwhile
    assert gateway.second_outcome == sms.SendReport()  # it found nothing due
    assert gateway.sent == [("13700000009", "【野生动物致害补偿】测试")]
    db.session.expire_all()
    assert message.status == sms.OutboxStatus.SENT and message.attempts == 1


# A message the sweeper gave up on stays failed; an administrator's retry starts it afresh --------------------
def test_the_job_does_not_revive_a_message_the_sweeper_gave_up_on(ctx, monkeypatch):  # type: ignore[no-untyped-def]
    from claims.core import jobs
    from claims.core.jobs import Job, JobStatus
    from claims.workflow import sms

    gateway = FakeGateway(failures=1)
    monkeypatch.setattr(sms, "gateway_from_config", lambda config: gateway)
    start = utcnow()
    clock.freeze(start)
    message = sms.queue_sms("13700000009", "【野生动物致害补偿】测试")
    db.session.commit()  # the job's first attempt fails: it waits for its retry
    message.status, message.attempts, message.next_attempt_at = sms.OutboxStatus.FAILED, sms.MAX_ATTEMPTS, None
    db.session.commit()  # meanwhile the sweeper made the other attempts and gave up
    clock.freeze(start + timedelta(hours=2))
    assert jobs.retry_due() == 1
    db.session.expire_all()
    assert gateway.sent == []
    assert message.status == sms.OutboxStatus.FAILED and message.attempts == sms.MAX_ATTEMPTS
    job = db.session.query(Job).filter(Job.key == f"send_sms:{message.id}").one()
    assert job.status == JobStatus.FAILED and "GiveUp" in (job.last_error or "")


def test_an_administrators_retry_sends_a_failed_message_afresh(ctx, monkeypatch):  # type: ignore[no-untyped-def]
    from claims.core import jobs
    from claims.core.jobs import Job, JobStatus
    from claims.workflow import sms

    gateway = FakeGateway(failures=1)
    monkeypatch.setattr(sms, "gateway_from_config", lambda config: gateway)
    message = sms.queue_sms("13700000009", "【野生动物致害补偿】测试")
    db.session.commit()
    job = db.session.query(Job).filter(Job.key == f"send_sms:{message.id}").one()
    message.status, message.attempts, message.next_attempt_at = sms.OutboxStatus.FAILED, sms.MAX_ATTEMPTS, None
    job.status, job.next_attempt_at = JobStatus.FAILED, None
    db.session.commit()  # both given up (the job's last attempt, or the sweeper's)
    jobs.retry_failed(job)
    db.session.commit()  # the job runs again here, in-process
    db.session.expire_all()
    assert gateway.sent == [("13700000009", "【野生动物致害补偿】测试")]
    assert message.status == sms.OutboxStatus.SENT and message.attempts == 1
    assert job.status == JobStatus.DONE
