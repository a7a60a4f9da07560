"""Background jobs (issue 12, item 2): recorded with their cause, run after the commit (in-process by default,
by an rq worker on Redis when REDIS_URL is set), idempotent, retried with back-off, visible to administrators."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from rq import Queue, SimpleWorker
from sqlalchemy import func, select

from claims.accounts.models import Role
from claims.accounts.services import find_user
from claims.core import jobs
from claims.core import time as clock
from claims.core.jobs import Job, JobKind, JobStatus, RetryLater, enqueue
from claims.documents import pdf
from claims.documents.models import DocumentKind, IssuedDocument
from claims.extensions import db
from claims.intake import review
from claims.workflow.models import AuditEvent
from tests.conftest import DEMO_PASSWORD, csrf_token
from tests.documents.conftest import file_claim
from tests.factories import new_staff
from tests.workflow.conftest import region

REDIS_URL = os.environ.get("CLAIMS_TEST_REDIS", "redis://127.0.0.1:6379/13")


class Calls:
    """A job function for the tests: records its calls, fails the first `fail` of them."""

    def __init__(self, fail: int = 0, error: type[Exception] = RuntimeError) -> None:
        self.calls: list[dict[str, object]] = []
        self.fail, self.error = fail, error

    def __call__(self, **args: object) -> None:
        self.calls.append(args)
        if len(self.calls) <= self.fail:
            raise self.error("broken on purpose")


@pytest.fixture
def touch(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Calls:
    calls = Calls()
    monkeypatch.setitem(app.extensions["claims_jobs"], "touch", JobKind(calls, max_attempts=3))
    return calls


def _job(key: str) -> Job:
    return db.session.execute(select(Job).where(Job.key == key)).scalar_one()


def test_a_job_runs_after_the_commit_not_before(ctx: None, touch: Calls) -> None:
    enqueue("touch", "touch:1", n=1)
    db.session.flush()
    assert touch.calls == []  # nothing runs inside the transaction
    db.session.commit()
    assert touch.calls == [{"n": 1}]
    job = _job("touch:1")
    assert job.status == JobStatus.DONE and job.attempts == 1 and job.finished_at is not None


def test_a_rolled_back_job_never_runs(ctx: None, touch: Calls) -> None:
    enqueue("touch", "touch:2")
    db.session.rollback()
    db.session.commit()
    assert touch.calls == [] and db.session.query(Job).filter(Job.key == "touch:2").count() == 0


def test_the_same_key_twice_makes_one_job(ctx: None, touch: Calls) -> None:
    first = enqueue("touch", "touch:3", n=1)
    second = enqueue("touch", "touch:3", n=2)
    db.session.commit()
    assert first.id == second.id and touch.calls == [{"n": 1}]
    again = enqueue("touch", "touch:3", n=3)  # after it ran: still the one job, not run again
    db.session.commit()
    assert again.id == first.id and touch.calls == [{"n": 1}]
    assert db.session.scalar(select(func.count()).select_from(Job).where(Job.key == "touch:3")) == 1


def test_a_failing_job_is_retried_with_back_off_then_failed(ctx: None, app: Flask, touch: Calls) -> None:
    touch.fail = 99
    start = clock.utcnow()
    clock.freeze(start)
    enqueue("touch", "touch:4")
    db.session.commit()
    job = _job("touch:4")
    assert job.status == JobStatus.QUEUED and job.attempts == 1 and job.last_error == "RuntimeError"
    assert job.next_attempt_at == start + timedelta(minutes=1)
    assert jobs.retry_due() == 0 and len(touch.calls) == 1  # not due yet: nothing tried
    clock.freeze(start + timedelta(minutes=1))
    assert jobs.retry_due() == 1
    db.session.expire_all()
    job = _job("touch:4")
    assert job.attempts == 2 and job.next_attempt_at == start + timedelta(minutes=1 + 2)  # the wait doubles
    clock.freeze(start + timedelta(minutes=3))
    jobs.retry_due()
    db.session.expire_all()
    job = _job("touch:4")
    assert job.status == JobStatus.FAILED and job.attempts == 3 and job.next_attempt_at is None  # max_attempts=3
    assert len(touch.calls) == 3
    clock.freeze(start + timedelta(hours=5))
    assert jobs.retry_due() == 0 and len(touch.calls) == 3  # a failed job waits for an administrator


def test_a_job_that_succeeds_on_retry_is_done(ctx: None, touch: Calls) -> None:
    touch.fail = 1
    start = clock.utcnow()
    clock.freeze(start)
    enqueue("touch", "touch:5")
    db.session.commit()
    clock.freeze(start + timedelta(minutes=1))
    jobs.retry_due()
    db.session.expire_all()
    job = _job("touch:5")
    assert job.status == JobStatus.DONE and job.attempts == 2 and len(touch.calls) == 2


def test_a_setback_keeps_what_the_job_wrote(ctx: None, app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """RetryLater: the attempt the job recorded (an SMS gateway's refusal, say) is committed, and the job waits."""

    def half_done(**args: object) -> None:
        db.session.add(AuditEvent(entity="test", action="attempt", prev_hash="x", hash=uuid.uuid4().hex, changes={}))
        raise RetryLater("gateway down")

    monkeypatch.setitem(app.extensions["claims_jobs"], "half", JobKind(half_done))
    enqueue("half", "half:1")
    db.session.commit()
    job = _job("half:1")
    assert job.status == JobStatus.QUEUED and job.last_error == "RetryLater: gateway down"
    assert db.session.query(AuditEvent).filter(AuditEvent.entity == "test").count() == 1


def test_a_running_job_left_by_a_dead_worker_is_put_back(ctx: None, touch: Calls) -> None:
    start = clock.utcnow()
    db.session.add(Job(kind="touch", key="touch:6", args={}, status=JobStatus.RUNNING, attempts=1, started_at=start))
    db.session.commit()
    clock.freeze(start + jobs.STALE_RUNNING + timedelta(minutes=1))
    assert jobs.retry_due() == 1
    db.session.expire_all()
    assert _job("touch:6").status == JobStatus.DONE and len(touch.calls) == 1


def test_a_job_whose_last_attempt_stopped_the_worker_is_failed_not_run_again(ctx: None, touch: Calls) -> None:
    """A job that kills its worker (out of memory, a crash in a library) is not put back forever."""
    start = clock.utcnow()
    db.session.add(Job(kind="touch", key="touch:7", args={}, status=JobStatus.RUNNING, attempts=3, started_at=start))  # max_attempts=3
    db.session.commit()
    clock.freeze(start + jobs.STALE_RUNNING + timedelta(minutes=1))
    assert jobs.retry_due() == 0
    db.session.expire_all()
    job = _job("touch:7")
    assert job.status == JobStatus.FAILED and job.last_error == "WorkerStopped" and touch.calls == []


def test_a_failing_job_logs_where_not_its_message(ctx: None, touch: Calls, caplog: pytest.LogCaptureFixture) -> None:
    """An error's text may quote a mobile or an ID number: the log names the place and the type only."""
    touch.error = lambda text: ValueError("13800000001 430921196503151234")  # type: ignore[assignment,misc]
    touch.fail = 1
    with caplog.at_level(logging.ERROR):
        enqueue("touch", "touch:8")
        db.session.commit()
    assert "ValueError" in caplog.text and "test_jobs.py" in caplog.text
    assert "13800000001" not in caplog.text and "430921196503151234" not in caplog.text


# Documents: the step answers at once, the PDF follows ----------------------------------------------------
def _accept_over_http(client: FlaskClient, claim_id: int) -> None:
    token = csrf_token(client, f"/claims/{claim_id}")
    response = client.post(f"/claims/{claim_id}/accept", data={"csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


def test_a_step_has_its_document_after_the_request(app: Flask, as_user) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        claim_id = file_claim().id
        db.session.commit()
    client = as_user("clerk")
    _accept_over_http(client, claim_id)
    with app.app_context():
        document = db.session.execute(select(IssuedDocument).where(IssuedDocument.claim_id == claim_id)).scalar_one()
        assert document.kind == DocumentKind.RECEIPT and document.ready and document.size_bytes
        document_id = document.id
    response = client.get(f"/claims/{claim_id}/documents/{document_id}")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")


def test_a_document_being_prepared_is_said_so(app: Flask, as_user, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        claim_id = file_claim().id
        db.session.commit()

    def down(*args: object, **kwargs: object) -> bytes:
        raise RuntimeError("renderer down")

    monkeypatch.setattr(pdf, "render_pdf", down)
    client = as_user("clerk")
    _accept_over_http(client, claim_id)
    with app.app_context():
        document = db.session.execute(select(IssuedDocument).where(IssuedDocument.claim_id == claim_id)).scalar_one()
        assert not document.ready
        document_id, number = document.id, document.number
    page = client.get(f"/claims/{claim_id}").get_data(as_text=True)
    assert "文件正在生成" in page and f"/claims/{claim_id}/documents/{document_id}" not in page
    response = client.get(f"/claims/{claim_id}/documents/{document_id}")
    assert response.status_code == 202 and "文件正在生成" in response.get_data(as_text=True) and number in response.get_data(as_text=True)
    assert response.headers["Retry-After"]

    monkeypatch.undo()  # the renderer is back: the retry after the back-off stores it
    clock.freeze(clock.utcnow() + timedelta(minutes=2))
    with app.app_context():
        assert jobs.retry_due() >= 1
    response = client.get(f"/claims/{claim_id}/documents/{document_id}")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    with app.app_context():
        stored = db.session.execute(select(AuditEvent).where(AuditEvent.action == "document_stored", AuditEvent.entity_id == document_id)).scalar_one()
        assert stored.changes["number"] == number


def test_rendering_again_makes_nothing_twice(ctx: None) -> None:
    claim = file_claim()
    review.accept_claim(claim, actor=find_user("clerk"))
    db.session.commit()
    document = db.session.execute(select(IssuedDocument).where(IssuedDocument.claim_id == claim.id)).scalar_one()
    key, sha = document.storage_key, document.sha256
    job = _job(f"render_document:{document.id}")
    from claims.documents.services import render_document

    render_document(**job.args)  # a re-run (a crash after the work, an administrator's retry): the stored file stays
    db.session.commit()
    db.session.refresh(document)
    assert (document.storage_key, document.sha256) == (key, sha)


# The administrators' page -------------------------------------------------------------------------------
def _failed_job(app: Flask) -> int:
    with app.app_context():
        job = Job(kind="touch", key=f"touch:{uuid.uuid4().hex}", args={"n": 7}, status=JobStatus.FAILED, attempts=3, last_error="RuntimeError")
        db.session.add(job)
        db.session.commit()
        return job.id


def test_an_administrator_sees_and_retries_a_failed_job(app: Flask, as_user, touch: Calls) -> None:  # type: ignore[no-untyped-def]
    job_id = _failed_job(app)
    client = as_user("admin")
    page = client.get("/admin/jobs").get_data(as_text=True)
    assert "后台任务" in page and "失败" in page and f"/admin/jobs/{job_id}/retry" in page
    response = client.post(f"/admin/jobs/{job_id}/retry", data={"csrf_token": csrf_token(client, "/admin/jobs")})
    assert response.status_code == 302
    assert touch.calls == [{"n": 7}]
    with app.app_context():
        job = db.session.get(Job, job_id)
        assert job is not None and job.status == JobStatus.DONE
        audit = db.session.execute(select(AuditEvent).where(AuditEvent.action == "job_retried", AuditEvent.entity_id == job_id)).scalar_one()
        assert audit.actor_id == find_user("admin").id  # type: ignore[union-attr]
    assert "只有失败的任务可以重试" in client.post(
        f"/admin/jobs/{job_id}/retry", data={"csrf_token": csrf_token(client, "/admin/jobs")}, follow_redirects=True
    ).get_data(as_text=True)


def test_a_retry_needs_the_csrf_token(app: Flask, as_user, touch: Calls) -> None:  # type: ignore[no-untyped-def]
    job_id = _failed_job(app)
    assert as_user("admin").post(f"/admin/jobs/{job_id}/retry").status_code == 400
    assert touch.calls == []


@pytest.mark.parametrize("role", ["clerk", "officer", "approver", "13800000001", "admin_cl"])  # admin_cl: Chaling county's
def test_only_administrators_see_the_jobs(app: Flask, as_user, role: str, touch: Calls) -> None:  # type: ignore[no-untyped-def]
    job_id = _failed_job(app)
    if role == "admin_cl":
        with app.app_context():
            new_staff(login="admin_cl", name="谭敏", role=Role.ADMIN, region=region("430224"), password=DEMO_PASSWORD)
            db.session.commit()
    client = as_user(role)
    assert client.get("/admin/jobs").status_code == 404
    assert client.post(f"/admin/jobs/{job_id}/retry", data={"csrf_token": csrf_token(client, "/")}).status_code == 404
    assert touch.calls == []


def test_the_province_administrator_finds_the_jobs_from_the_start_page(as_user) -> None:  # type: ignore[no-untyped-def]
    assert 'href="/admin/jobs"' in as_user("admin").get("/").get_data(as_text=True)


def test_the_jobs_pages_are_bounded(app: Flask, as_user) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        for i in range(55):
            db.session.add(Job(kind="touch", key=f"bulk:{i}", args={}, status=JobStatus.FAILED, attempts=1))
        db.session.commit()
        newest = jobs.jobs_page([JobStatus.FAILED])
        assert len(newest) == 50 and newest[0].id > newest[-1].id
    client = as_user("admin")
    page = client.get("/admin/jobs?show=failed").get_data(as_text=True)
    assert page.count("/retry") == 50 and f"before={newest[-1].id}" in page
    assert client.get(f"/admin/jobs?show=failed&before={newest[-1].id}").get_data(as_text=True).count("/retry") >= 5


# Health -------------------------------------------------------------------------------------------------
def test_health_reports_a_late_queue(app: Flask, client: FlaskClient) -> None:
    runner = app.test_cli_runner()
    assert runner.invoke(args=["jobs", "health"]).exit_code == 0
    assert client.get("/healthz").json["jobs"]["late"] is False  # type: ignore[index]
    with app.app_context():  # a job nobody ran (no worker), recorded an hour ago
        db.session.add(Job(kind="touch", key="late:1", args={}, status=JobStatus.QUEUED, attempts=0, created_at=clock.utcnow() - timedelta(hours=1)))
        db.session.commit()
    result = runner.invoke(args=["jobs", "health"])
    assert result.exit_code == 1 and "1 queued" in result.output
    body = client.get("/healthz").json
    assert body["jobs"]["late"] is True and body["jobs"]["queued"] == 1 and body["jobs"]["oldest_due_seconds"] >= 3600  # type: ignore[index]


# rq on a real Redis ---------------------------------------------------------------------------------------
@pytest.fixture
def redis_queue(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[Queue]:
    """A queue of its own on the Redis at 127.0.0.1:6379 (db 13); skipped only when no Redis answers, and never on CI."""
    connection = redis.Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except redis.exceptions.ConnectionError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true and no Redis at {REDIS_URL}: {exc}")
        pytest.skip(f"no Redis answers at {REDIS_URL} (set CLAIMS_TEST_REDIS, or start redis-server)")
    queue = Queue(f"claims-test-{uuid.uuid4().hex[:12]}", connection=connection)
    monkeypatch.setitem(app.config, "REDIS_URL", REDIS_URL)
    monkeypatch.setitem(app.config, "JOBS_QUEUE", queue.name)
    monkeypatch.setitem(app.extensions, "claims_rq", queue)
    yield queue
    scheduled = queue.scheduled_job_registry
    for job_id in scheduled.get_job_ids():
        scheduled.remove(job_id, delete_job=True)
    connection.delete(scheduled.key)
    queue.delete(delete_jobs=True)
    connection.close()


def test_with_redis_a_worker_runs_the_job(app: Flask, redis_queue: Queue, touch: Calls) -> None:
    with app.app_context():
        enqueue("touch", "rq:1", n=1)
        db.session.commit()
        assert touch.calls == [] and _job("rq:1").status == JobStatus.QUEUED  # pushed to Redis, not run here
        assert redis_queue.count == 1
        db.session.rollback()  # SQLite: end this reader's transaction, as a separate web process would have
        SimpleWorker([redis_queue], connection=redis_queue.connection).work(burst=True)
        db.session.expire_all()
        assert touch.calls == [{"n": 1}] and _job("rq:1").status == JobStatus.DONE


def test_with_redis_a_step_document_is_rendered_by_the_worker(app: Flask, redis_queue: Queue) -> None:
    with app.app_context():
        claim = file_claim()
        review.accept_claim(claim, actor=find_user("clerk"))
        db.session.commit()
        document = db.session.execute(select(IssuedDocument).where(IssuedDocument.claim_id == claim.id)).scalar_one()
        assert not document.ready  # the request answered; the worker has not run yet
        db.session.rollback()  # SQLite: end this reader's transaction, as a separate web process would have
        SimpleWorker([redis_queue], connection=redis_queue.connection).work(burst=True)
        db.session.expire_all()
        document = db.session.get(IssuedDocument, document.id)
        assert document is not None and document.ready and document.sha256


def test_with_redis_a_lost_push_is_sent_again_by_retry_due(app: Flask, redis_queue: Queue, touch: Calls) -> None:
    with app.app_context():
        enqueue("touch", "rq:2")
        db.session.commit()
        redis_queue.empty()  # Redis lost it
        assert jobs.retry_due() == 1 and redis_queue.count == 1
        db.session.rollback()  # SQLite: end this reader's transaction, as a separate web process would have
        SimpleWorker([redis_queue], connection=redis_queue.connection).work(burst=True)
        db.session.expire_all()
        assert _job("rq:2").status == JobStatus.DONE and len(touch.calls) == 1


def test_with_redis_a_failed_attempt_waits_in_the_scheduler(app: Flask, redis_queue: Queue, touch: Calls) -> None:
    touch.fail = 99
    with app.app_context():
        enqueue("touch", "rq:3")
        db.session.commit()
        db.session.rollback()
        SimpleWorker([redis_queue], connection=redis_queue.connection).work(burst=True)
        db.session.expire_all()
        job = _job("rq:3")
        assert job.status == JobStatus.QUEUED and job.attempts == 1 and job.next_attempt_at is not None
        assert redis_queue.scheduled_job_registry.count == 1  # the retry waits in rq's scheduler, not in a sleep


def test_flask_jobs_work_runs_the_queue(app: Flask, redis_queue: Queue, touch: Calls) -> None:
    with app.app_context():
        enqueue("touch", "rq:4", n=4)
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["jobs", "work", "--burst"])
    assert result.exit_code == 0, result.output
    assert touch.calls == [{"n": 4}]


def test_flask_jobs_work_needs_redis(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["jobs", "work", "--burst"])
    assert result.exit_code != 0 and "REDIS_URL is not set" in result.output


def test_a_cursor_out_of_range_is_the_first_page(as_user) -> None:  # type: ignore[no-untyped-def]
    client = as_user("admin")
    for cursor in ("99999999999999999999", "-1", "x"):
        assert client.get(f"/admin/jobs?show=failed&before={cursor}").status_code == 200
    assert client.get("/admin/jobs?show=nothing").status_code == 404
