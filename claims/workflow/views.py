"""Notifications (the bell), the to-do queue and the overdue lists."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select, update

from claims.accounts.models import Role, User
from claims.accounts.session import login_required, roles_required
from claims.core.pagecache import kept_page
from claims.core.pagination import SortKey, paginate
from claims.core.time import local_today, utcnow
from claims.extensions import db
from claims.intake.evidence import evidence_summaries
from claims.intake.models import Claim
from claims.intake.permissions import can_see_evidence_flags, can_view_claim
from claims.lifecycle import notice_text
from claims.workflow import queues
from claims.workflow.models import Notification
from claims.workflow.notify import read_claim_notices

bp = Blueprint("workflow", __name__)

# The newest first. Index: (user_id, id).
NOTIFICATION_KEYS = (SortKey(Notification.id, int, descending=True),)


@bp.route("/notifications")
@login_required
def notifications():  # type: ignore[no-untyped-def]
    page = paginate(select(Notification).where(Notification.user_id == g.user.id), NOTIFICATION_KEYS, request.args.get("after"), session=db.session)
    return render_template("workflow/notifications.html", page=page, items=[(n, notice_text(n)) for n in page], target=notice_target)


@bp.route("/notifications/read", methods=["POST"])
@login_required
def mark_read():  # type: ignore[no-untyped-def]
    db.session.execute(update(Notification).where(Notification.user_id == g.user.id, Notification.read_at.is_(None)).values(read_at=utcnow()))
    return redirect(url_for("workflow.notifications"))


def notice_target(notice: Notification) -> str:
    """Where a notice about a claim leads: the insurer's work is on the referral's page, everyone else's on the claim's."""
    endpoint = "insurance.referral" if g.user.role == Role.INSURER else "intake.detail"
    return url_for(endpoint, claim_id=notice.claim_id)


@bp.route("/notifications/<int:notice_id>/open", methods=["POST"])
@login_required
def open_notice(notice_id: int):  # type: ignore[no-untyped-def]
    """Follow a notice: it is read (with the user's other notices about the same claim), and its claim opens."""
    notice = db.session.get(Notification, notice_id)
    if notice is None or notice.user_id != g.user.id:
        abort(404)
    if notice.claim_id is not None:
        read_claim_notices(g.user, notice.claim_id)
        claim = db.session.get(Claim, notice.claim_id)
        if claim is None or not can_view_claim(g.user, claim):
            # The claim left the user's scope since (a township or county changed, a referral was withdrawn).
            flash(_("The claim this notice was about is no longer yours to see: your area or role changed since."), "warning")
            return redirect(url_for("workflow.notifications"))
        return redirect(notice_target(notice))
    notice.read_at = notice.read_at or utcnow()
    return redirect(url_for("workflow.queue") if notice.kind == "deadline_digest" else url_for("workflow.notifications"))


@bp.route("/queue")
@roles_required(Role.CLERK, Role.OFFICER, Role.APPROVER, Role.INSURER, Role.ADMIN)
def queue():  # type: ignore[no-untyped-def]
    """The to-do list, kept for the viewer until the data changes or the day turns (claims/core/pagecache.py)."""
    user = g.user
    viewer = (user.id, user.role, user.region_id, local_today())
    return kept_page("queue", viewer, lambda: _draw_queue(user, request.args.get("after")))


def _draw_queue(user: User, after: str | None) -> str:
    page = queues.todo_queue(user, after)
    flags = evidence_summaries(c.id for c in page) if can_see_evidence_flags(user) else {}
    others = queues.waiting_for_another_clerk(user, page)
    return render_template("workflow/queue.html", page=page, evidence=flags, is_overdue=queues.is_overdue, others=others)


@bp.route("/overdue")
@roles_required(*queues.OVERDUE_ROLES)
def overdue():  # type: ignore[no-untyped-def]
    return render_template("workflow/overdue.html", report=queues.overdue(g.user, request.args.get("after")))
