"""Command-line tasks: schedules import/export/publish, reference data import, and quotes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import NoReturn

import click
from flask import Flask

from claims.accounts.services import find_admin
from claims.extensions import db
from claims.valuation.fileformat import FileError
from claims.valuation.models import CompensationSchedule
from claims.valuation.quote import load_json, quote
from claims.valuation.reference import import_reference
from claims.valuation.schedules import ScheduleError, export_schedule, find_schedule, import_schedule, publish_schedule


def register(app: Flask, reference_cli: click.Group) -> None:
    """Add the schedule and valuation commands, and `reference import` to the app's reference group."""
    app.cli.add_command(schedules_cli)
    app.cli.add_command(valuation_cli)
    reference_cli.add_command(reference_import)


def _fail(exc: Exception) -> NoReturn:

    db.session.rollback()
    problems = exc.problems if isinstance(exc, FileError) else [getattr(exc, "message", str(exc))]
    for problem in problems:
        click.echo(str(problem), err=True)
    raise SystemExit(1)


def _user(login: str | None):  # type: ignore[no-untyped-def]

    if login is None:
        return None
    user = find_admin(login)
    if user is None:
        click.echo(f"{login}: no active administrator with this login", err=True)
        raise SystemExit(1)
    return user


@click.group("schedules", help="Compensation schedules (docs/schedules.md).")
def schedules_cli() -> None: ...


@schedules_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--publish", is_flag=True, help="Publish it at once (needs --by).")
@click.option("--by", "login", help="The administrator doing this (recorded in the audit trail).")
def schedules_import(file: Path, publish: bool, login: str | None) -> None:
    """Import a schedule file as a draft (or replace a draft of the same code)."""

    actor = _user(login)
    if publish and actor is None:
        raise click.UsageError("--publish needs --by LOGIN")
    try:
        schedule = import_schedule(file.read_text(encoding="utf-8"), actor=actor)
        if publish:
            publish_schedule(schedule, actor=actor)
    except (FileError, ScheduleError) as exc:
        _fail(exc)
    db.session.commit()
    click.echo(f"{schedule.code}: {schedule.status.value} ({schedule.region.name}, from {schedule.effective_from.isoformat()})")


@schedules_cli.command("export")
@click.argument("code")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file instead of standard output.")
def schedules_export(code: str, output: Path | None) -> None:
    """Print a schedule file exactly as it was imported."""

    schedule = find_schedule(code)
    if schedule is None:
        click.echo(f"{code}: no such schedule", err=True)
        raise SystemExit(1)
    text = export_schedule(schedule)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")


@schedules_cli.command("publish")
@click.argument("code")
@click.option("--by", "login", required=True, help="The administrator publishing it (recorded in the audit trail).")
def schedules_publish(code: str, login: str) -> None:
    """Publish a draft schedule (audited); a published schedule is never edited."""

    schedule = find_schedule(code)
    if schedule is None:
        click.echo(f"{code}: no such schedule", err=True)
        raise SystemExit(1)
    try:
        publish_schedule(schedule, actor=_user(login))
    except ScheduleError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(f"{code}: published")


@schedules_cli.command("list")
def schedules_list() -> None:
    """List every schedule with its status, region and dates."""
    from sqlalchemy import select

    for s in db.session.execute(select(CompensationSchedule).order_by(CompensationSchedule.code)).scalars():
        end = s.effective_to.isoformat() if s.effective_to else "…"
        click.echo(f"{s.code:<28} {s.status.value:<10} {s.region.code} {s.effective_from.isoformat()}–{end} {s.title}")


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--by", "login", help="The administrator doing this (recorded in the audit trail).")
def reference_import(file: Path, login: str | None) -> None:
    """Import reference prices and base incomes for valuations (docs/schedules.md)."""

    try:
        prices, incomes = import_reference(file.read_text(encoding="utf-8"), actor=_user(login))
    except FileError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(f"{prices} prices and {incomes} base incomes imported")


@click.group("valuation", help="Valuations (docs/valuation.md).")
def valuation_cli() -> None: ...


@valuation_cli.command("quote")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def valuation_quote(file: Path) -> None:
    """Value the losses in a quote file (JSON, as the API takes) and print the valuation as JSON."""

    try:
        payload = load_json(file.read_text(encoding="utf-8"))
    except ValueError as exc:
        click.echo(f"{file}: not valid JSON: {exc}", err=True)
        raise SystemExit(1) from exc
    result = quote(payload)
    db.session.rollback()
    click.echo(json.dumps(result, ensure_ascii=False, indent=2))
    if "errors" in result:
        raise SystemExit(1)
