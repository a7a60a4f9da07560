"""The start page: what each role has to do now."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf
from sqlalchemy import text

from claims.accounts.models import Role
from claims.accounts.permissions import can_see_jobs
from claims.accounts.session import login_required
from claims.approval.budget import budget_county
from claims.core.jobs import queue_health
from claims.core.sync import answer as sync_answer
from claims.core.sync import draft_owner
from claims.extensions import db
from claims.intake import evidence, services
from claims.intake.permissions import can_see_evidence_flags
from claims.main import offline as app_shell
from claims.regions.services import place_tree

bp = Blueprint("main", __name__)


@bp.route("/")
def index():  # type: ignore[no-untyped-def]
    if g.user is None:
        return render_template("main/welcome.html")
    if g.user.must_declare_conflicts:
        flash(_("Please declare your conflicts of interest first: your relatives whose claims you must not handle, or that there are none."), "warning")
        return redirect(url_for("settings.conflicts"))
    claims = services.claims_for(g.user, size=10).rows
    flags = evidence.evidence_summaries(c.id for c in claims) if can_see_evidence_flags(g.user) else {}
    return render_template("main/home.html", claims=claims, evidence=flags)


@bp.route("/healthz")
def health():  # type: ignore[no-untyped-def]
    """The web app answers and reaches its database; and the background jobs: how many wait, how long the oldest due
    one has waited, and `late` when that is longer than JOBS_MAX_WAIT_SECONDS (no worker running?)."""
    db.session.execute(text("SELECT 1"))
    jobs = queue_health()
    late = jobs.oldest_due_seconds > current_app.config["JOBS_MAX_WAIT_SECONDS"]
    return {"status": "ok", "jobs": {"queued": jobs.queued, "failed": jobs.failed, "oldest_due_seconds": int(jobs.oldest_due_seconds), "late": late}}


@bp.route("/sw.js")
def service_worker():  # type: ignore[no-untyped-def]
    """The service worker, at the root so that its scope is the whole site; checked for a new version on every visit."""
    response = Response(app_shell.service_worker(), mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/places.js")
def places():  # type: ignore[no-untyped-def]
    """The filing form's townships and villages (claims.regions.services.place_tree): public names, the same for
    everyone; kept by the service worker for forms filled without a signal, asked again (If-None-Match) otherwise."""
    tree = place_tree()
    response = Response(tree.script, mimetype="text/javascript")
    response.set_etag(tree.etag)
    response.headers["Cache-Control"] = "no-cache"
    return response.make_conditional(request)


@bp.route("/offline")
def offline():  # type: ignore[no-untyped-def]
    """The page the service worker keeps for when there is no signal."""
    return app_shell.offline_page()


@bp.route("/sync/session")
@login_required
def sync_session():  # type: ignore[no-untyped-def]
    """For the phone's drafts (static/js/drafts.js), before it sends them: who is logged in (as the drafts' opaque
    owner: only that account's drafts are sent) and a fresh CSRF token (a page kept offline has an old one)."""
    return sync_answer("session", token=generate_csrf(), owner=draft_owner(g.user.id))


@bp.route("/home")
def home():  # type: ignore[no-untyped-def]
    return redirect(url_for("main.index"))


def shortcuts(user):  # type: ignore[no-untyped-def]
    """The pages each role uses, shown as buttons on the start page (the top bar stays short on phones)."""
    from flask_babel import lazy_gettext as _l

    common_staff = [("workflow.queue", _l("To do")), ("workflow.overdue", _l("Overdue")), ("settings.conflicts", _l("Conflicts of interest"))]
    incident_map = ("reports.incident_map", _l("Incident map"))
    table = {
        Role.VILLAGER: [],
        Role.CLERK: [
            ("intake.proxy_claim", _l("File for a villager")),
            ("approval.notices", _l("Public notice")),
            *common_staff,
            ("regions.species", _l("Species")),
            incident_map,
        ],
        Role.OFFICER: [*common_staff, ("regions.species", _l("Species")), ("schedules.index", _l("Compensation schedules")), incident_map],
        Role.APPROVER: [
            ("approval.approvals", _l("Approvals")),
            ("approval.payment_batches", _l("Payments")),
            ("insurance.policies", _l("Insurance policies")),
            ("schedules.index", _l("Compensation schedules")),
            ("reports.stages", _l("Stage times")),
            ("ledger.ledger", _l("Fund ledger")),
            incident_map,
            ("reports.statistics", _l("Annual statistics")),
            ("reports.bordereau_page", _l("Bordereau")),
            *common_staff,
        ],
        Role.INSURER: [("insurance.portal", _l("Referred claims")), ("reports.bordereau_page", _l("Bordereau"))],
        Role.ADMIN: [
            ("admin.users", _l("Users")),
            ("regions.regions", _l("Regions")),
            ("regions.species", _l("Species")),
            ("schedules.index", _l("Compensation schedules")),
            ("schedules.reference", _l("Reference prices")),
            ("insurance.policies", _l("Insurance policies")),
            ("insurance.insurers", _l("Insurers")),
            ("settings.calendar", _l("Calendar")),
            ("settings.time_limits", _l("Time limits")),
            ("settings.county_settings", _l("County settings")),
            ("workflow.overdue", _l("Overdue")),
            ("reports.stages", _l("Stage times")),
            ("ledger.ledger", _l("Fund ledger")),
            incident_map,
            ("reports.statistics", _l("Annual statistics")),
            ("reports.bordereau_page", _l("Bordereau")),
        ],
    }
    extra = [("budget.allocations", _l("Compensation fund budget"))] if budget_county(user) is not None else []
    if can_see_jobs(user):
        extra.append(("jobs.index", _l("Background jobs")))
    return [*table.get(user.role, []), *extra]


bp.add_app_template_global(shortcuts, "shortcuts")
