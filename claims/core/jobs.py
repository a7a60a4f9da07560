"""Background jobs: one row per job in the database; rq on Redis runs them when REDIS_URL is set, this process
right after the commit otherwise (the embedded default of `make run` needs no Redis).

- `enqueue(kind, key, **args)` records a job in the open transaction. The key makes it idempotent: enqueuing a
  key that exists returns the job already there, so a re-run of the cause never makes a second job.
- Once that transaction commits (never before: a job never sees rows that might roll back), its jobs are
  dispatched: pushed to rq (the worker is `flask jobs work`), or performed here and now, each in its own
  app context, session and transaction, as a worker would.
- `perform` claims the job (queued -> running, a compare-and-set, so two runners never run it twice), calls
  the function the app's job table (claims/jobs.py) names for its kind, and marks it done in the same
  transaction as the function's work. A failure rolls the work back and counts an attempt: the job waits
  for a growing back-off and is tried again, until its kind's last attempt marks it failed. An administrator
  can put a failed job back in the queue (/admin/jobs).
- `retry_due` dispatches the queued jobs that are due (retries, and jobs whose push to Redis was lost) and
  puts back jobs left running by a worker that died: `flask jobs retry-due`, every minute from cron.

Run the worker as `flask jobs work` (it runs each job in the app's context), not as a bare `rq worker`.

A job function must itself check whether its work exists already (the document stored, the message sent):
a job may run again after a crash between its work and its commit, or when an administrator retries it.
The row keeps no personal data: the arguments are ids and storage keys, the error a short text of our own.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app, has_app_context
from flask_babel import lazy_gettext as _l
from redis import Redis
from rq import Queue
from sqlalchemy import JSON, Index, Integer, String, event, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, SessionTransaction, mapped_column

from claims.core.db import UTCDateTime, intpk, str_enum
from claims.core.frames import code_frames
from claims.core.time import utcnow
from claims.extensions import db

log = logging.getLogger(__name__)

PENDING = "claims.jobs.pending"  # session.info: ids of the jobs enqueued in the open transaction
PENDING_QUEUED = "claims.jobs.pending_queued"  # the same, of kinds that do not run inline (JobKind.inline)
STALE_RUNNING = timedelta(minutes=30)  # a job running longer than this was left by a worker that died


class JobStatus(enum.StrEnum):
    QUEUED = "queued"  # waiting for its first run, or for the next attempt after a failure
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"  # given up after its last attempt; an administrator may retry it

    @property
    def title(self) -> str:
        return str(_TITLES[self])

    @property
    def css(self) -> str:
        return {"queued": "waiting", "running": "action", "done": "done", "failed": "refused"}[self.value]


_TITLES = {JobStatus.QUEUED: _l("Queued"), JobStatus.RUNNING: _l("Running"), JobStatus.DONE: _l("Done"), JobStatus.FAILED: _l("Failed")}


class Job(db.Model):
    """One background job: what to do (kind and arguments), its dedupe key, and how its attempts went."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_status_id", "status", "id"), Index("ix_jobs_due", "status", "next_attempt_at"))

    id: Mapped[intpk]
    kind: Mapped[str] = mapped_column(String(40), comment="the job table's name for the function (claims/jobs.py)")
    key: Mapped[str] = mapped_column(String(120), unique=True, comment="one job per key: enqueuing it again returns this job")
    args: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, comment="ids and storage keys only, no personal data")
    status: Mapped[JobStatus] = mapped_column(str_enum(JobStatus, 10), default=JobStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0, comment="runs started so far")
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), comment="not run before this time (back-off); null: at once")
    last_error: Mapped[str | None] = mapped_column(String(200), comment="the last failure: the error's type and our own short text")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


# The job table: which function runs each kind, and how often it is tried --------------------------------
@dataclass(frozen=True)
class JobKind:
    function: Callable[..., Any]  # its result is for `run_once`; a queued job's is dropped
    max_attempts: int = 5
    first_wait: timedelta = timedelta(minutes=1)
    longest_wait: timedelta = timedelta(hours=1)
    # Called with the job's arguments, in the administrator's transaction, when a failed job is retried: the
    # kind's own rows start afresh there (a job function cannot tell that retry from its scheduled ones).
    on_retry: Callable[..., None] | None = None
    # Called with the job's arguments, in the runner's transaction, when the job is marked failed for good (its last
    # attempt failed, or the worker running it died): the kind's own rows record that nothing more will be tried.
    on_failed: Callable[..., None] | None = None
    # False: the in-process mode (no Redis) does not run the job in the request that recorded it but leaves it to
    # `flask jobs retry-due` (cron, every minute): a job that waits on another system (a webhook's receiver) must
    # not hold up the person who caused it.
    inline: bool = True

    def back_off(self, attempts: int) -> timedelta:
        """The wait after the `attempts`-th failed attempt: first_wait, doubled each time, at most longest_wait."""
        return min(self.first_wait * 2 ** max(attempts - 1, 0), self.longest_wait)


class Setback(Exception):
    """Raised by a job function that recorded part of its work (an attempt at a gateway): that work is committed,
    and the message, our own words without personal data, is kept as the job's last error."""


class RetryLater(Setback):
    """Commit what the job wrote, count a failed attempt and try again after the back-off."""


class GiveUp(Setback):
    """Commit what the job wrote and mark the job failed now."""


class WaitForSetup(RetryLater):
    """Something an administrator must set up is missing (a county's signing key): try again every SETUP_WAIT, without
    using up the job's attempts, so that the job runs once it is there, however long that takes."""


SETUP_WAIT = timedelta(minutes=10)


def init_jobs(app: Flask, table: Mapping[str, JobKind]) -> None:
    app.extensions["claims_jobs"] = dict(table)


def job_table() -> dict[str, JobKind]:
    return current_app.extensions["claims_jobs"]


# Recording a job ------------------------------------------------------------------------------------------
def enqueue(kind: str, key: str, **args: Any) -> Job:
    """Record a job in the open transaction (dispatched once it commits); the same key twice makes one job."""
    job = _add_once(Job(kind=kind, key=key, args=args, status=JobStatus.QUEUED, attempts=0))
    if job is None:
        return _existing(key)
    return _pending(job)


def enqueue_new(kind: str, key: str, **args: Any) -> Job:
    """Record a job whose key cannot exist yet, because it names a row the open transaction has just inserted (the
    rendering of a new document): one INSERT, without `enqueue`'s look-up and savepoint. Should the key exist after
    all, the unique key refuses it and the transaction fails."""
    job = Job(kind=kind, key=key, args=args, status=JobStatus.QUEUED, attempts=0)
    db.session.add(job)
    db.session.flush()
    return _pending(job)


def _pending(job: Job) -> Job:
    """Dispatch the recorded job once its transaction commits."""
    known = job_table().get(job.kind)
    db.session.info.setdefault(PENDING if known is None or known.inline else PENDING_QUEUED, []).append(job.id)
    return job


def run_once(kind: str, key: str, **args: Any) -> tuple[Job, Any]:
    """Run a keyed job here, in the open transaction, and record it done there (a daily command run from cron
    with no worker): the job's function and its row commit together, or neither does. Returns the job and what
    its function returned; the job already there and None when the key was run (or queued) before."""
    job = _add_once(Job(kind=kind, key=key, args=args, status=JobStatus.RUNNING, attempts=1, started_at=utcnow()))
    if job is None:
        return _existing(key), None
    result = job_table()[kind].function(**args)
    job.status, job.finished_at = JobStatus.DONE, utcnow()
    db.session.flush()
    return job, result


def claim_marker(key: str, *, kind: str) -> bool:
    """Write the marker `key` (a done job row, under the jobs' unique key) in the open transaction: True if this
    transaction wrote it, False if it exists. A runner at the same time waits for the first one's transaction
    (PostgreSQL) or is refused the write (SQLite, then retried) and finds it: work done under a marker is done once."""
    now = utcnow()
    return _add_once(Job(kind=kind, key=key, args={}, status=JobStatus.DONE, attempts=0, started_at=now, finished_at=now)) is not None


def _add_once(job: Job) -> Job | None:
    """Add the job row unless its key exists: the job, or None when the key was taken before or by a concurrent
    transaction at the same time (the unique key refuses the second row; the savepoint keeps the transaction)."""
    if _by_key(job.key) is not None:
        return None
    try:
        with db.session.begin_nested():
            db.session.add(job)
    except IntegrityError:
        return None
    return job


def _existing(key: str) -> Job:
    found = _by_key(key)
    assert found is not None  # _add_once found it, or lost the race to it
    return found


def _by_key(key: str) -> Job | None:
    return db.session.execute(select(Job).where(Job.key == key)).scalar_one_or_none()


@event.listens_for(Session, "after_commit")
def _dispatch_committed(session: Session) -> None:
    """The transaction that recorded jobs has committed: hand them on (this is the queue's dispatcher; what a
    job does is named where it is enqueued). Nothing raised here may reach the commit that already happened."""
    if session.in_nested_transaction():
        return
    ids = session.info.pop(PENDING, None)
    if ids and has_app_context():
        dispatch(ids)
    later = session.info.pop(PENDING_QUEUED, None)
    if later and has_app_context():
        dispatch(later, queue_only=True)


@event.listens_for(Session, "after_transaction_end")
def _forget_uncommitted(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None and not transaction.nested:
        session.info.pop(PENDING, None)  # rolled back or closed: those jobs were never recorded
        session.info.pop(PENDING_QUEUED, None)


# Dispatching and running ----------------------------------------------------------------------------------
def rq_queue(app: Flask | None = None) -> Queue | None:
    """The rq queue when REDIS_URL is set; None for the in-process mode."""
    app = app or current_app
    url = app.config.get("REDIS_URL")
    if not url:
        return None
    queue = app.extensions.get("claims_rq")
    if queue is None:
        queue = Queue(app.config["JOBS_QUEUE"], connection=Redis.from_url(url))
        app.extensions["claims_rq"] = queue
    return queue


def dispatch(ids: Iterable[int], *, delay: timedelta | None = None, queue_only: bool = False) -> None:
    """Push the jobs to rq, or perform them here (in-process mode; a delayed retry, and a job that is `queue_only`,
    then wait for retry-due)."""
    try:
        queue = rq_queue()
    except Exception:  # a bad REDIS_URL: the jobs stay queued in the database
        log.error("jobs: no queue\n%s", code_frames())
        return
    for job_id in ids:
        if queue is None:
            if delay is None and not queue_only:
                perform(job_id)
            continue
        try:
            if delay is None:
                queue.enqueue_call(perform, args=(job_id,), result_ttl=0)
            else:
                queue.enqueue_in(delay, perform, job_id)
        except Exception:  # Redis down: the row stays queued and `flask jobs retry-due` pushes it again
            log.error("jobs: could not push job %s to Redis\n%s", job_id, code_frames())


def perform(job_id: int) -> None:
    """Run one job in its own app context and transaction (rq calls this, and so does the in-process mode)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    with app.app_context():
        try:
            _perform(job_id)
        except Exception:  # the job's own failure is recorded by _perform; this is the runner failing
            log.error("jobs: runner failed on job %s\n%s", job_id, code_frames())
            db.session.rollback()


def _perform(job_id: int) -> None:
    now = utcnow()
    claim = (
        update(Job)
        .where(Job.id == job_id, Job.status == JobStatus.QUEUED, or_(Job.next_attempt_at.is_(None), Job.next_attempt_at <= now))
        .values(status=JobStatus.RUNNING, attempts=Job.attempts + 1, started_at=now)
        .execution_options(synchronize_session=False)
    )
    claimed = db.session.execute(claim).rowcount  # type: ignore[attr-defined]
    db.session.commit()
    if claimed != 1:
        return  # done already, running elsewhere, not due, or never committed
    job = db.session.get(Job, job_id)
    assert job is not None
    kind = job_table().get(job.kind)
    try:
        if kind is None:
            raise LookupError(f"no job function for kind {job.kind}")
        kind.function(**job.args)
    except WaitForSetup as exc:
        job.attempts -= 1  # not an attempt: the job could not start its work
        _attempt_failed(job, kind, f"{type(exc).__name__}: {exc}", wait=SETUP_WAIT)
    except Setback as exc:
        _attempt_failed(job, kind, f"{type(exc).__name__}: {exc}", give_up=isinstance(exc, GiveUp))
    except Exception as exc:
        log.error("jobs: job %s (%s) failed\n%s", job_id, job.kind, code_frames())  # where, never the message
        db.session.rollback()
        job = db.session.get(Job, job_id)
        assert job is not None
        _attempt_failed(job, kind, type(exc).__name__)  # the type only: an error's text may quote personal data
    else:
        job.status, job.finished_at, job.next_attempt_at = JobStatus.DONE, utcnow(), None
        db.session.commit()


def _attempt_failed(job: Job, kind: JobKind | None, error: str, *, give_up: bool = False, wait: timedelta | None = None) -> None:
    job.last_error = error[:200]
    if give_up or kind is None or (wait is None and job.attempts >= kind.max_attempts):
        job.status, job.finished_at, job.next_attempt_at = JobStatus.FAILED, utcnow(), None
        if kind is not None and kind.on_failed is not None:
            kind.on_failed(**job.args)
        db.session.commit()
        return
    wait = wait or kind.back_off(job.attempts)
    job.status, job.next_attempt_at = JobStatus.QUEUED, utcnow() + wait
    db.session.commit()
    dispatch([job.id], delay=wait)


# Retries, the administrators' page and the health check -----------------------------------------------------
def retry_due(limit: int = 500) -> int:
    """Put back jobs a dead worker left running, then dispatch the queued jobs that are due; how many."""
    now = utcnow()
    stale = select(Job).where(Job.status == JobStatus.RUNNING, Job.started_at < now - STALE_RUNNING).order_by(Job.id).limit(limit)
    for job in db.session.execute(stale).scalars():
        kind = job_table().get(job.kind)
        if kind is None or job.attempts >= kind.max_attempts:  # its last attempt stopped the worker: no more
            job.status, job.finished_at, job.next_attempt_at, job.last_error = JobStatus.FAILED, now, None, "WorkerStopped"
            if kind is not None and kind.on_failed is not None:
                kind.on_failed(**job.args)
        else:
            job.status, job.next_attempt_at = JobStatus.QUEUED, None
    db.session.flush()
    due = select(Job.id).where(Job.status == JobStatus.QUEUED, or_(Job.next_attempt_at.is_(None), Job.next_attempt_at <= now)).order_by(Job.id).limit(limit)
    ids = list(db.session.execute(due).scalars())
    db.session.commit()
    dispatch(ids)
    return len(ids)


def retry_failed(job: Job) -> None:
    """An administrator's retry: the failed job goes back to the queue with a fresh set of attempts (dispatched
    after the commit), and its kind's `on_retry` resets the job's own rows in the same transaction."""
    if job.status != JobStatus.FAILED:
        raise ValueError("only a failed job can be retried")
    kind = job_table().get(job.kind)
    if kind is not None and kind.on_retry is not None:
        kind.on_retry(**job.args)
    job.status, job.attempts, job.next_attempt_at, job.finished_at = JobStatus.QUEUED, 0, None, None
    db.session.flush()
    db.session.info.setdefault(PENDING, []).append(job.id)


def counts_by_status() -> dict[JobStatus, int]:
    rows = db.session.execute(select(Job.status, func.count()).group_by(Job.status)).all()
    found = {status: count for status, count in rows}
    return {status: found.get(status, 0) for status in JobStatus}


def jobs_page(statuses: Iterable[JobStatus], *, before_id: int | None = None, size: int = 50) -> list[Job]:
    """Newest first, `size` at a time (keyset: the next page starts below the last id shown)."""
    query = select(Job).where(Job.status.in_(list(statuses))).order_by(Job.id.desc()).limit(size)
    if before_id is not None:
        query = query.where(Job.id < before_id)
    return list(db.session.execute(query).scalars())


@dataclass(frozen=True)
class QueueHealth:
    queued: int
    failed: int
    oldest_due_seconds: float  # how long the oldest due job has waited; 0 when none waits


def queue_health() -> QueueHealth:
    now = utcnow()
    oldest = db.session.execute(
        select(func.min(func.coalesce(Job.next_attempt_at, Job.created_at))).where(
            Job.status == JobStatus.QUEUED, or_(Job.next_attempt_at.is_(None), Job.next_attempt_at <= now)
        )
    ).scalar_one_or_none()
    # Only the queued and failed rows are counted (the index on status serves it): done jobs pile up by the million.
    waiting = (JobStatus.QUEUED, JobStatus.FAILED)
    rows = db.session.execute(select(Job.status, func.count()).where(Job.status.in_(waiting)).group_by(Job.status)).all()
    counts = {status: count for status, count in rows}
    waited = (now - _aware(oldest)).total_seconds() if oldest is not None else 0.0
    return QueueHealth(queued=counts.get(JobStatus.QUEUED, 0), failed=counts.get(JobStatus.FAILED, 0), oldest_due_seconds=max(waited, 0.0))


def _aware(moment: datetime | str) -> datetime:
    """min() over a UTCDateTime comes back without the column's type on SQLite (a naive value or a string)."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=utcnow().tzinfo)
