"""The background jobs for administrators: how many wait, which failed, and a retry for a failed one."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug import Response

from claims.accounts.models import Role
from claims.accounts.permissions import can_see_jobs
from claims.accounts.session import roles_required
from claims.core import jobs
from claims.core.inputs import bounded_int
from claims.core.jobs import Job, JobStatus
from claims.extensions import db
from claims.workflow.audit import record_event

bp = Blueprint("jobs", __name__, url_prefix="/admin/jobs")
PAGE = 50
LISTS = {"failed": (JobStatus.FAILED,), "waiting": (JobStatus.QUEUED, JobStatus.RUNNING)}


@bp.before_request
def province_administrators_only() -> None:
    """A county administrator is told nothing of the jobs (they serve every county): not found, as for other roles."""
    if g.get("user") is not None and not can_see_jobs(g.user):
        abort(404)


@bp.route("")
@roles_required(Role.ADMIN)
def index():  # type: ignore[no-untyped-def]
    show = request.args.get("show", "failed")
    if show not in LISTS:
        abort(404)
    before = bounded_int(request.args.get("before"), 1)  # a cursor out of range is the first page
    rows = jobs.jobs_page(LISTS[show], before_id=before, size=PAGE)
    more = rows[-1].id if len(rows) == PAGE else None
    return render_template("jobs/index.html", counts=jobs.counts_by_status(), health=jobs.queue_health(), rows=rows, show=show, more=more)


@bp.route("/<int:job_id>/retry", methods=["POST"])
@roles_required(Role.ADMIN)
def retry(job_id: int) -> Response:
    job = db.session.get(Job, job_id) or abort(404)
    if job.status != JobStatus.FAILED:
        flash(_("Only a failed job can be retried."), "warning")
        return redirect(url_for("jobs.index"))
    jobs.retry_failed(job)
    record_event(entity="job", action="job_retried", actor=g.user, entity_id=job.id, changes={"kind": job.kind, "key": job.key})
    flash(_("The job is queued again."), "success")
    return redirect(url_for("jobs.index"))
