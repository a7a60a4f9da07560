"""The background jobs the app runs, in one table: each kind, the function that does it and how often it is tried.

Jobs are recorded by `claims.core.jobs.enqueue` where their cause is written (a step issues a document, a
notice queues a text message) and run after that transaction commits: by an rq worker (`flask jobs work`)
when REDIS_URL is set, in the same process otherwise. claims/core/jobs.py explains the runner.
"""

from __future__ import annotations

from datetime import timedelta

from claims.api import webhooks
from claims.core.jobs import JobKind
from claims.documents.services import render_document
from claims.workflow.escalation import deadlines_job
from claims.workflow.sms import FIRST_WAIT, LONGEST_WAIT, MAX_ATTEMPTS, retry_message, send_queued

JOBS: dict[str, JobKind] = {
    # Render, hash and store an issued document's PDF from the data frozen on its row.
    "render_document": JobKind(render_document, max_attempts=5, first_wait=timedelta(minutes=1), longest_wait=timedelta(minutes=30)),
    # Send one outbox text message; the row keeps each attempt, tried as often and as late as `flask sms send` would.
    # An administrator's retry of the failed job gives the failed message a fresh set of attempts.
    "send_sms": JobKind(send_queued, max_attempts=MAX_ATTEMPTS, first_wait=FIRST_WAIT, longest_wait=LONGEST_WAIT, on_retry=retry_message),
    # The day's deadlines and digests (claims/workflow/escalation.py), keyed deadlines:<date>: once a day. A failure
    # rolls back every notice of the run, so a retry sends them all once.
    "deadlines": JobKind(deadlines_job, max_attempts=3, first_wait=timedelta(minutes=5), longest_wait=timedelta(minutes=30)),
    # Send one webhook delivery (claims/api/webhooks.py); the delivery row keeps each attempt's answer. Not run inline
    # without Redis: `flask jobs retry-due` (cron) sends it, so that no step waits for another organisation's server.
    # An administrator's retry of the failed job gives the delivery a fresh set of attempts; a replay is a new delivery.
    "deliver_webhook": JobKind(
        webhooks.deliver,
        max_attempts=webhooks.MAX_ATTEMPTS,
        first_wait=webhooks.FIRST_WAIT,
        longest_wait=webhooks.LONGEST_WAIT,
        on_retry=webhooks.retry_delivery,
        on_failed=webhooks.delivery_failed,
        inline=False,
    ),
}
