"""Webhooks: an organisation's system registers a URL and is sent, by background jobs, the events of the claims it may
see, signed as the Standard Webhooks specification says (checked here with its reference verifier), retried with
back-off until it answers 2xx, each delivery logged and replayable by an administrator."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, text
from standardwebhooks import Webhook, WebhookVerificationError

from claims.accounts.models import Role
from claims.accounts.services import create_user, find_user
from claims.api import services, webhooks
from claims.api.models import ApiClient, ApiToken, DeliveryStatus, WebhookDelivery, WebhookEndpoint
from claims.approval import operations
from claims.core import jobs
from claims.core import time as clock
from claims.extensions import db
from claims.intake.models import Claim
from claims.regions.models import Region
from claims.workflow.models import AuditEvent
from claims.workflow.states import ClaimStatus
from tests.api.conftest import call, make_token
from tests.api.test_writes import _approve
from tests.approval.conftest import pay_through_the_bank, valued_claim
from tests.conftest import DEMO_PASSWORD, csrf_token, login


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.body)


@dataclass
class Receiver:
    """An organisation's system on loopback: it keeps every request and answers with the next status of `answers`
    (204 once they run out)."""

    url: str
    received: list[Received] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)

    def of_type(self, event: str) -> list[Received]:
        return [r for r in self.received if r.json["type"] == event]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            state.received.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            status = state.answers.pop(0) if state.answers else 204
            if status == 0:  # not HTTP at all
                self.wfile.write(b"NOT HTTP AT ALL\r\n\r\n")
                return
            self.send_response(status)
            if status in (301, 302, 307, 308):
                self.send_header("Location", f"http://127.0.0.1:{self.server.server_port}/elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_port}/hooks/claims"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def _client(name: str) -> ApiClient:
    return db.session.execute(select(ApiClient).where(ApiClient.name == f"system {name}")).scalar_one()


def _subscribe(app: Flask, name: str, url: str, events: list[str]) -> str:
    """The client `name` of tests/api/conftest.py (made first), subscribed at `url`; the signing secret."""
    with app.app_context():
        _endpoint, secret = webhooks.add_endpoint(_client(name), url, events, actor=None)
        db.session.commit()
        return secret


def _send(app: Flask) -> int:
    """What cron's `flask jobs retry-due` does every minute: without Redis, deliveries wait for it (never sent inline)."""
    with app.app_context():
        return jobs.retry_due()


def _verified(secret: str, received: Received) -> dict[str, Any]:
    return Webhook(secret).verify(received.body, received.headers)


EVERY_EVENT = ["referral.created", "claim.approved", "payment.due", "objection.raised"]


@pytest.fixture
def monday() -> None:
    clock.freeze(datetime(2026, 12, 14, 2, tzinfo=UTC))  # a Monday, within the Nan county policy of 2026-27


def test_an_insurers_system_plays_its_part_from_the_webhook_to_the_closed_claim(app: Flask, receiver: Receiver, monday: None) -> None:
    token = make_token(app, "insurer")
    secret = _subscribe(app, "insurer", receiver.url, EVERY_EVENT)
    with app.app_context():
        claim_id = valued_claim("nan", seed=5).id  # valued, then referred to the insurer at once: the step commits
    assert receiver.received == []  # not sent inside the step's request
    _send(app)

    # 1. The referral arrives, signed; it names the claim and where to fetch the referral, and no personal data.
    [referral_event] = receiver.of_type("referral.created")
    event = _verified(secret, referral_event)
    assert referral_event.path == "/hooks/claims" and referral_event.headers["content-type"].startswith("application/json")
    assert event["data"]["claim_id"] == claim_id and event["data"]["status"] == "referred" and referral_event.headers["webhook-id"] == event["id"]
    with app.app_context():
        claim = db.session.get(Claim, claim_id)
        assert claim.claimant_name not in referral_event.body.decode() and claim.claimant_mobile not in referral_event.body.decode()

    # 2. The system fetches the referral it was told of and adjusts a line.
    referral = call(app.test_client(), event["data"]["links"]["referral"], token).get_json()
    documents = call(app.test_client(), referral["links"]["documents"], token).get_json()["items"]  # the package's documents
    claim = call(app.test_client(), referral["links"]["claim"], token).get_json()
    assert documents and claim["photos"] and call(app.test_client(), claim["photos"][0]["links"]["display"], token).mimetype == "image/jpeg"
    line = referral["package"]["valuation"][0]
    lowered = f"{Decimal(line['amount']) - Decimal('10.00'):.2f}"
    body = {"decision": "adjust", "lines": [{"index": line["index"], "amount": lowered, "reason": "面积核减"}]}
    decided = call(app.test_client(), f"/api/v1/referrals/{claim_id}/decision", token, "POST", headers={"Idempotency-Key": "d-1"}, json=body)
    assert decided.status_code == 200, decided.get_json()

    # 3. The county approves: the system hears of the approval and of the share now due, with its amount and date.
    amount = _approve(app, claim_id)
    _send(app)
    approved = _verified(secret, receiver.of_type("claim.approved")[0])
    due = _verified(secret, receiver.of_type("payment.due")[0])
    assert approved["data"]["status"] == "approved"
    assert (due["data"]["amount"], due["data"]["currency"]) == (f"{amount:.2f}", "CNY")
    assert due["data"]["due_on"] == (clock.local_today() + timedelta(days=30)).isoformat()  # the demo policy's 30 days

    # 4. It records its payment; the county pays its own share through the bank, and the claim closes.
    payment = {"amount": due["data"]["amount"], "reference": "ZHLH-2026-0002"}
    paid = call(app.test_client(), f"/api/v1/referrals/{claim_id}/payment", token, "POST", headers={"Idempotency-Key": "p-1"}, json=payment)
    assert paid.status_code == 200, paid.get_json()
    with app.app_context():
        pay_through_the_bank(db.session.get(Claim, claim_id))
        assert db.session.get(Claim, claim_id).status == ClaimStatus.CLOSED
        statuses = db.session.execute(select(WebhookDelivery.status)).scalars().all()
        assert statuses and set(statuses) == {DeliveryStatus.DELIVERED}
    assert len(receiver.received) == 3 and len({r.headers["webhook-id"] for r in receiver.received}) == 3


def test_a_tampered_or_foreign_body_fails_the_reference_verifier(app: Flask, receiver: Receiver, monday: None) -> None:
    make_token(app, "insurer")
    secret = _subscribe(app, "insurer", receiver.url, ["referral.created"])
    with app.app_context():
        valued_claim("nan", seed=5)
    _send(app)
    [got] = receiver.received
    assert _verified(secret, got)["type"] == "referral.created"
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(got.body.replace(b"referred", b"approved"), got.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(webhooks.new_secret()).verify(got.body, got.headers)


def test_only_systems_that_may_see_the_claim_hear_of_it(app: Flask, receiver: Receiver, monday: None) -> None:
    insurer = make_token(app, "insurer")
    for name in ("other_insurer", "nan", "chaling"):
        make_token(app, name)
    _subscribe(app, "other_insurer", receiver.url + "/other", EVERY_EVENT)  # another insurer: none of this is its business
    _subscribe(app, "chaling", receiver.url + "/chaling", ["claim.approved", "objection.raised"])  # another county's platform
    _subscribe(app, "nan", receiver.url + "/nan", ["claim.approved", "objection.raised"])  # the claim's county's platform
    with app.app_context():
        claim_id = valued_claim("nan", seed=5).id
    decided = call(app.test_client(), f"/api/v1/referrals/{claim_id}/decision", insurer, "POST", headers={"Idempotency-Key": "a"}, json={"decision": "accept"})
    assert decided.status_code == 200
    with app.app_context():
        claim = db.session.get(Claim, claim_id)
        operations.create_notice_batch(claim.township, [claim], clock.local_today(), actor=find_user("clerk"))
        db.session.commit()
        with pytest.raises(services.ApiError):
            webhooks.add_endpoint(_client("nan"), receiver.url, ["referral.created"], actor=None)  # not a platform's event
        db.session.rollback()
    with app.app_context():
        claim = db.session.get(Claim, claim_id)
        operations.record_objection(claim, "李四（岩塘村）", "损失面积不实", actor=find_user("clerk"))
        db.session.commit()
    _send(app)
    assert [(r.path, r.json["type"]) for r in receiver.received] == [("/hooks/claims/nan", "objection.raised")]
    assert "李四" not in receiver.received[0].body.decode()


def test_a_refusal_is_retried_with_back_off_under_the_same_id_then_delivered(app: Flask, receiver: Receiver, monday: None) -> None:
    make_token(app, "insurer")
    secret = _subscribe(app, "insurer", receiver.url, ["referral.created"])
    receiver.answers = [500, 302, 0]  # a server error, a redirect (not followed: not delivered), an answer that is not HTTP
    with app.app_context():
        valued_claim("nan", seed=5)
    _send(app)
    with app.app_context():
        delivery = db.session.execute(select(WebhookDelivery)).scalar_one()
        assert (delivery.status, delivery.attempts, delivery.last_status) == (DeliveryStatus.PENDING, 1, 500)
        job = db.session.execute(select(jobs.Job).where(jobs.Job.kind == "deliver_webhook")).scalar_one()
        assert job.status == jobs.JobStatus.QUEUED and job.next_attempt_at == clock.utcnow() + timedelta(minutes=1)
        assert jobs.retry_due() == 0  # not due yet
    for minutes in (1, 2, 4):
        clock.freeze(clock.utcnow() + timedelta(minutes=minutes))
        _send(app)
    assert [r.path for r in receiver.received] == ["/hooks/claims"] * 4  # the redirect was not followed to /elsewhere
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 1 and _verified(secret, receiver.received[-1])
    with app.app_context():
        delivery = db.session.execute(select(WebhookDelivery)).scalar_one()
        assert (delivery.status, delivery.attempts, delivery.last_status, delivery.last_error) == (DeliveryStatus.DELIVERED, 4, 204, None)


def test_after_the_last_attempt_the_delivery_fails_and_the_admin_replays_it(app: Flask, receiver: Receiver, monday: None) -> None:
    make_token(app, "insurer")
    _subscribe(app, "insurer", receiver.url, ["referral.created"])
    receiver.answers = [503] * webhooks.MAX_ATTEMPTS
    with app.app_context():
        valued_claim("nan", seed=5)
    for _ in range(webhooks.MAX_ATTEMPTS):
        _send(app)
        clock.freeze(clock.utcnow() + webhooks.LONGEST_WAIT)
    with app.app_context():
        failed = db.session.execute(select(WebhookDelivery)).scalar_one()
        assert (failed.status, failed.attempts, failed.last_error) == (DeliveryStatus.FAILED, webhooks.MAX_ATTEMPTS, "HTTP 503")
        endpoint_id, failed_id, event_id = failed.endpoint_id, failed.id, failed.event_id
    assert len(receiver.received) == webhooks.MAX_ATTEMPTS

    client = app.test_client()
    login(client, "admin")
    log = client.get(f"/admin/api-clients/webhooks/{endpoint_id}")
    assert log.status_code == 200 and event_id in log.get_data(as_text=True) and "HTTP 503" in log.get_data(as_text=True)
    token = csrf_token(client, f"/admin/api-clients/webhooks/{endpoint_id}")
    replayed = client.post(f"/admin/api-clients/webhooks/deliveries/{failed_id}/replay", data={"csrf_token": token})
    assert replayed.status_code == 302
    _send(app)
    assert receiver.received[-1].headers["webhook-id"] == event_id and receiver.received[-1].body == receiver.received[0].body
    with app.app_context():
        copy = db.session.execute(select(WebhookDelivery).where(WebhookDelivery.replay_of_id == failed_id)).scalar_one()
        assert copy.status == DeliveryStatus.DELIVERED
        assert db.session.execute(select(AuditEvent).where(AuditEvent.action == "webhook_replayed")).scalar_one().actor_id == find_user("admin").id


def test_the_admin_registers_an_endpoint_sees_its_secret_once_and_disables_it(app: Flask, receiver: Receiver, monday: None) -> None:
    make_token(app, "insurer")
    with app.app_context():
        client_id = _client("insurer").id
    client = app.test_client()
    login(client, "admin")
    token = csrf_token(client, "/admin/api-clients/")
    path = f"/admin/api-clients/{client_id}/webhooks"

    refused = client.post(path, data={"csrf_token": token, "url": "ftp://example.cn/x", "events": ["referral.created"]})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "https://claims.example.cn/webhooks" in page and 'value="ftp://example.cn/x"' in page
    added = client.post(path, data={"csrf_token": token, "url": receiver.url, "events": ["referral.created", "payment.due"]})
    assert added.status_code == 200 and added.headers["Cache-Control"] == "no-store"
    secret = re.search(r"<code>(whsec_[A-Za-z0-9+/=]+)</code>", added.get_data(as_text=True)).group(1)
    assert secret not in client.get("/admin/api-clients/").get_data(as_text=True)  # shown once
    with app.app_context():
        endpoint = db.session.execute(select(WebhookEndpoint)).scalar_one()
        endpoint_id = endpoint.id
        assert endpoint.secret == secret and endpoint.events == ["payment.due", "referral.created"]
        raw = db.session.execute(text("SELECT secret FROM webhook_endpoints")).scalar_one()
        assert secret not in raw  # encrypted at rest
        valued_claim("nan", seed=5)
    _send(app)
    assert _verified(secret, receiver.received[0])["type"] == "referral.created"

    assert client.post(f"/admin/api-clients/webhooks/{endpoint_id}/disable", data={"csrf_token": token}).status_code == 302
    with app.app_context():
        valued_claim("nan", seed=6, filer="13800000002")
    _send(app)
    assert len(receiver.received) == 1  # nothing more once disabled

    with app.app_context():  # a county's administrator: an insurer's system is the province's business
        county = db.session.execute(select(Region).where(Region.code == "430921")).scalar_one()
        create_user(login="admin_nan", name="县管理员", role=Role.ADMIN, region=county, password=DEMO_PASSWORD)
        db.session.commit()
    login(other := app.test_client(), "admin_nan")
    assert other.get(f"/admin/api-clients/webhooks/{endpoint_id}").status_code == 404


@pytest.mark.parametrize(
    "url",
    ["http://insurer.example.cn/hooks", "https://user:pw@insurer.example.cn/hooks", "https:///hooks", "https://insurer.example.cn:99999/x",
     "javascript:alert(1)", "https://insurer.example.cn/a b", "https://" + "a" * 500 + ".cn/"],
)  # fmt: skip
def test_an_address_that_is_not_a_plain_https_url_is_refused(app: Flask, url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    make_token(app, "insurer")
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOW_HTTP", False)
    with app.app_context(), app.test_request_context(), pytest.raises(services.ApiError) as refused:
        webhooks.add_endpoint(_client("insurer"), url, ["referral.created"], actor=None)
    assert refused.value.field == "url" and refused.value.message


def test_the_back_off_spreads_the_attempts_over_about_twenty_hours() -> None:
    from claims.jobs import JOBS

    kind = JOBS["deliver_webhook"]
    waits = [kind.back_off(n) for n in range(1, webhooks.MAX_ATTEMPTS)]
    assert waits[0] == timedelta(minutes=1) and max(waits) == webhooks.LONGEST_WAIT == timedelta(hours=6)
    assert timedelta(hours=20) <= sum(waits, timedelta()) <= timedelta(hours=21)  # as docs/api.md and the log page say


def test_a_system_whose_token_is_revoked_hears_nothing_more(app: Flask, receiver: Receiver, monday: None) -> None:
    make_token(app, "insurer")
    _subscribe(app, "insurer", receiver.url, ["referral.created"])
    with app.app_context():
        valued_claim("nan", seed=5)  # recorded while the token was valid
        for token in db.session.execute(select(ApiToken)).scalars():
            services.revoke_token(token, actor=None)
        db.session.commit()
    _send(app)
    assert receiver.received == []
    with app.app_context():
        delivery = db.session.execute(select(WebhookDelivery)).scalar_one()
        assert (delivery.status, delivery.last_error) == (DeliveryStatus.FAILED, "the client may no longer see the claim")
        valued_claim("nan", seed=6, filer="13800000002")
        assert db.session.execute(select(WebhookDelivery)).scalars().all() == [delivery]  # and no new event is recorded


def test_a_job_that_fails_for_good_fails_its_delivery_too(app: Flask, receiver: Receiver, monday: None, monkeypatch: pytest.MonkeyPatch) -> None:
    make_token(app, "insurer")
    _subscribe(app, "insurer", receiver.url, ["referral.created"])
    with app.app_context():
        valued_claim("nan", seed=5)

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("before the attempt was counted")

    monkeypatch.setattr(webhooks, "may_hear", broken)  # fails inside the job, before the delivery counts an attempt
    for _ in range(webhooks.MAX_ATTEMPTS):
        _send(app)
        clock.freeze(clock.utcnow() + webhooks.LONGEST_WAIT)
    with app.app_context():
        job = db.session.execute(select(jobs.Job).where(jobs.Job.kind == "deliver_webhook")).scalar_one()
        delivery = db.session.execute(select(WebhookDelivery)).scalar_one()
        assert (job.status, delivery.status) == (jobs.JobStatus.FAILED, DeliveryStatus.FAILED)
    assert receiver.received == []


def test_a_receiver_that_drips_its_answer_is_cut_off_at_the_timeout() -> None:
    """Each byte comes well within a read's timeout, so only a deadline on the whole POST ends it (else the job would
    outlive the runner's STALE_RUNNING and be started a second time)."""
    answer = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-Slow: " + b"x" * 400 + b"\r\n\r\n"
    listener = socket.create_server(("127.0.0.1", 0))
    sent: list[int] = []

    def drip() -> None:
        connection, _ = listener.accept()
        with connection:
            connection.recv(65536)
            count = 0
            try:
                for byte in answer:
                    connection.sendall(bytes([byte]))
                    count += 1
                    time.sleep(0.05)
            except OSError:
                pass
            sent.append(count)

    thread = threading.Thread(target=drip, daemon=True)
    thread.start()
    status, error = webhooks.post(f"http://127.0.0.1:{listener.getsockname()[1]}/hook", "{}", {}, timeout=1.0)
    thread.join(timeout=60)
    listener.close()
    assert (status, error) == (None, "no answer")
    assert sent and sent[0] < len(answer)  # the connection was closed long before the answer's end
