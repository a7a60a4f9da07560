"""Command-line tasks: demo data, reference data, audit verification, upload sweeping, text messages, background jobs,
the daily deadlines and the dashboards' aggregate."""

from __future__ import annotations

import time

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from rq import SimpleWorker

from claims.api.cli import api_cli
from claims.core import jobs
from claims.core.backup import create_backup_at, default_destination, opened_backup, restore_backup, verify_backup
from claims.core.storage import get_storage
from claims.core.time import local_today
from claims.demo import DEMO_PASSWORD, DEMO_SIGNING_COUNTIES, load_demo
from claims.documents.cli import documents_cli
from claims.documents.keys import ensure_trial_keys
from claims.extensions import db
from claims.intake.files import orphaned_keys
from claims.regions.cli import regions_cli
from claims.regions.loader import load_regions, load_species
from claims.regions.national import load_national
from claims.regions.services import is_workday
from claims.reports.figures import rebuild_all
from claims.valuation.cli import register as register_valuation_cli
from claims.workflow.audit import verify_chain
from claims.workflow.escalation import deadlines_key
from claims.workflow.sms import gateway_from_config, send_due


def register_cli(app: Flask) -> None:
    app.cli.add_command(backup_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(audit_cli)
    app.cli.add_command(reference_cli)
    app.cli.add_command(uploads_cli)
    app.cli.add_command(sms_cli)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(deadlines_cli)
    app.cli.add_command(reports_cli)
    app.cli.add_command(documents_cli)
    app.cli.add_command(regions_cli)
    app.cli.add_command(api_cli)
    register_valuation_cli(app, reference_cli)


@click.group("demo", help="Demo data for trying the app.")
def demo_cli() -> None: ...


@demo_cli.command("load")
def demo_load() -> None:
    """Load the demo region, species, users and claims (idempotent)."""

    users = load_demo()
    db.session.commit()
    made = ensure_trial_keys(DEMO_SIGNING_COUNTIES)  # the demo's documents are signed, as in production
    if made:
        names = "、".join(key.subject for key in made[:3]) + ("…" if len(made) > 3 else "")
        click.echo(f"Trial signing keys made for {len(made)} counties and townships ({names}) in {current_app.config['DOCUMENT_KEYS_DIR']}")
    click.echo(f"Demo data loaded. Logins (password for all: {DEMO_PASSWORD}):")
    for user in users:
        click.echo(f"  {user.login:<14} {user.role.value:<9} {user.name} {user.region.name if user.region else (user.organisation or '')}")


@click.group("audit", help="The audit trail.")
def audit_cli() -> None: ...


@audit_cli.command("verify")
def audit_verify() -> None:
    """Recompute the hash chain; exit 1 when an event was edited, inserted or deleted."""

    report = verify_chain()
    if report.ok:
        click.echo(f"audit chain OK: {report.checked} events")
        return
    where = f" at event {report.event_id}" if report.event_id else ""
    click.echo(f"audit chain BROKEN{where}: {report.problem} ({report.checked} events verified before it)", err=True)
    raise SystemExit(1)


@click.group("sms", help="Text messages (the outbox).")
def sms_cli() -> None: ...


@sms_cli.command("send")
@with_appcontext
@click.option("--batch", default=200, show_default=True, help="Messages sent per transaction.")
def sms_send(batch: int) -> None:
    """Send the queued text messages that are due, retrying failed ones after their back-off (run it every minute)."""

    gateway = gateway_from_config(current_app.config)
    sent = failed = given_up = 0
    while True:
        report = send_due(gateway, limit=batch)
        db.session.commit()
        sent, failed, given_up = sent + report.sent, failed + report.failed, given_up + report.given_up
        if report.sent + report.failed < batch:
            break
    click.echo(f"sms: {sent} sent, {failed} failed attempts (kept queued), {given_up} given up")


@click.group("jobs", help="Background jobs (documents, text messages): the rq worker, retries and health.")
def jobs_cli() -> None: ...


@jobs_cli.command("work")
@with_appcontext
@click.option("--burst", is_flag=True, help="Run the jobs waiting now, then stop (tests, one-off catch-up).")
def jobs_work(burst: bool) -> None:
    """Run an rq worker on the jobs queue (needs REDIS_URL); retries wait in rq's scheduler, run by this worker too.

    [design] rq's SimpleWorker runs each job in this process instead of a fork per job: WeasyPrint renders in a
    warm process (tech-notes: importing it costs 0.5-0.7 s), and the app context and database pool are this
    process's own. Run one worker per core under systemd, which restarts one that dies."""
    queue = jobs.rq_queue(current_app)
    if queue is None:
        raise click.ClickException("REDIS_URL is not set: jobs run in the web process right after each commit; no worker is needed.")
    SimpleWorker([queue], connection=queue.connection).work(burst=burst, with_scheduler=True)


@jobs_cli.command("retry-due")
@with_appcontext
def jobs_retry_due() -> None:
    """Dispatch the queued jobs that are due (retries after their back-off, pushes lost while Redis was down) and
    put back jobs a dead worker left running. Run it every minute (cron or a systemd timer)."""
    click.echo(f"jobs: {jobs.retry_due()} dispatched")


@jobs_cli.command("health")
@with_appcontext
def jobs_health() -> None:
    """Exit 1 when a due job has waited longer than JOBS_MAX_WAIT_SECONDS or Redis does not answer (monitoring)."""
    health = jobs.queue_health()
    click.echo(f"jobs: {health.queued} queued, {health.failed} failed, oldest due job waiting {health.oldest_due_seconds:.0f} s")
    problems = []
    if health.oldest_due_seconds > current_app.config["JOBS_MAX_WAIT_SECONDS"]:
        problems.append("a due job has waited too long: is a worker running?")
    queue = jobs.rq_queue(current_app)
    if queue is not None:
        try:
            queue.connection.ping()
        except Exception as exc:  # any failure to reach Redis is the answer
            problems.append(f"Redis does not answer: {type(exc).__name__}")
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        raise SystemExit(1)


@click.group("deadlines", help="Deadlines: overdue claims chased, escalated, and each one's digest of waiting work.")
def deadlines_cli() -> None: ...


@deadlines_cli.command("run")
@with_appcontext
def deadlines_run() -> None:
    """Tell the holders of overdue claims (and their supervisors after the county's working days) and send the
    digests: today, on working days only; run it every morning from cron. A second run of the day sends nothing, and
    a day missed is not sent later (the next day's run tells everyone of everything overdue then). With REDIS_URL set
    the run is queued for the worker as the job deadlines:<date>; otherwise it runs here."""
    when = local_today()
    if not is_workday(when):
        click.echo(f"deadlines {when}: not a working day, nothing sent")
        return
    key = deadlines_key(when)
    if jobs.rq_queue(current_app) is not None:
        job = jobs.enqueue("deadlines", key, day=when.isoformat())
        db.session.commit()
        click.echo(f"deadlines {when}: job {job.id} ({job.status})")
        return
    job, report = jobs.run_once("deadlines", key, day=when.isoformat())
    db.session.commit()
    click.echo(report.summary() if report is not None else f"deadlines {when}: already run (job {job.id}, {job.status}); nothing sent")


@click.group("reports", help="The reports' dashboards: their aggregate of the claims' figures.")
def reports_cli() -> None: ...


@reports_cli.command("rebuild")
@with_appcontext
def reports_rebuild() -> None:
    """Count every claim into the dashboards' aggregate again: once after upgrading to it, after a bulk load of claims
    and after a restore. One transaction, under the audit chain's lock: steps wait until it commits."""
    started = time.perf_counter()
    buckets = rebuild_all()
    db.session.commit()
    click.echo(f"reports: {buckets} buckets (township x month) rebuilt in {time.perf_counter() - started:.1f} s")


@click.group("reference", help="Reference data shipped with the app.")
def reference_cli() -> None: ...


@reference_cli.command("load")
def reference_load() -> None:
    """Load or update the shipped regions (every province, prefecture and county of China, and the demo's townships
    and villages) and species lists."""

    national = load_national()
    regions = load_regions()
    species = load_species()
    db.session.commit()
    click.echo(f"{national.created + national.updated + national.unchanged + regions} regions and {species} species loaded")


@click.group("uploads", help="Stored files.")
def uploads_cli() -> None: ...


@uploads_cli.command("sweep")
@with_appcontext
@click.option("--grace-hours", default=24, show_default=True, help="Only files older than this.")
@click.option("--delete", is_flag=True, help="Remove the orphans (without it: a dry run that lists them).")
def uploads_sweep(grace_hours: int, delete: bool) -> None:
    """Find stored files that no database row refers to (left by a crash between write and commit)."""

    storage_keys = orphaned_keys(grace_hours * 3600)

    for key in storage_keys:
        click.echo(("removed " if delete else "orphan ") + key)
        if delete:
            get_storage().delete(key)
    click.echo(f"{len(storage_keys)} orphaned file(s){'' if delete else ' (dry run: add --delete to remove)'}")


@click.group("backup", help="Backups of the database and the stored files.")
def backup_cli() -> None: ...


@backup_cli.command("create")
@with_appcontext
@click.argument("dest", required=False)
def backup_create(dest: str | None) -> None:
    """Write an online, consistent backup under DEST: a folder, or s3://bucket/prefix for one archive object.

    Without DEST: BACKUP_URL; else, with S3 storage, s3://<its bucket>/backups/; else the folder ./backups."""
    where = create_backup_at(dest or default_destination(current_app.config))
    click.echo(f"backup written to {where}")


@backup_cli.command("verify")
@with_appcontext
@click.argument("source")
def backup_verify(source: str) -> None:
    """Check every file of a backup (a folder or an s3:// archive) against its manifest (exit 1 when anything is wrong)."""
    with opened_backup(source) as folder:
        check = verify_backup(folder)
    for problem in check.problems:
        click.echo(problem, err=True)
    if not check.ok:
        raise SystemExit(1)
    click.echo(f"backup OK: database and {check.files} files")


@backup_cli.command("restore")
@with_appcontext
@click.argument("source")
def backup_restore(source: str) -> None:
    """Restore SOURCE (a folder or an s3:// archive) into this app's empty database and empty file store,
    then verify the audit chain."""
    with opened_backup(source) as folder:
        restore_backup(folder, current_app.config["SQLALCHEMY_DATABASE_URI"], get_storage())
    db.engine.dispose()
    report = verify_chain()
    click.echo(f"restored; audit chain {'OK' if report.ok else 'BROKEN'} ({report.checked} events)")
    if not report.ok:
        raise SystemExit(1)
