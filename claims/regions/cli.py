"""`flask regions load-national` (the shipped national division codes) and `flask regions import FILE` (a county's
townships and villages with their points; docs/regions.md)."""

from __future__ import annotations

import time
from pathlib import Path

import click
from flask.cli import AppGroup
from flask_babel import gettext as _

from claims.accounts.services import find_admin
from claims.extensions import db
from claims.regions.importer import RegionFileError, import_regions
from claims.regions.models import RegionLevel
from claims.regions.national import divisions, load_national

regions_cli = AppGroup("regions", help="Administrative divisions: the national list and each county's townships and villages (docs/regions.md).")


@regions_cli.command("load-national")
@click.option("--townships", "provinces", multiple=True, metavar="CODE", help="Also the townships of this province (e.g. 530000), or 'all'; repeatable.")
def regions_load_national(provinces: tuple[str, ...]) -> None:
    """Load or update every province, prefecture and county of China (GB/T 2260; idempotent)."""
    known = {row.code for row in divisions().values() if row.level == RegionLevel.PROVINCE}
    unknown = [code for code in provinces if code != "all" and code not in known]
    if unknown:
        raise click.ClickException(_("%(codes)s: not a province's code (six digits ending in 0000, e.g. 530000), nor 'all'", codes=", ".join(unknown)))
    started = time.perf_counter()
    result = load_national(provinces)
    db.session.commit()
    click.echo(f"regions: {result.created} added, {result.updated} updated, {result.unchanged} unchanged in {time.perf_counter() - started:.1f} s")


@regions_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--by", "login", help="The administrator doing this (recorded in the audit trail; only regions within theirs).")
def regions_import(file: Path, login: str | None) -> None:
    """Import a county's townships and villages with their points from a CSV file (all or nothing; idempotent)."""
    actor = find_admin(login) if login else None
    if login and actor is None:
        click.echo(f"{login}: no active administrator with this login", err=True)
        raise SystemExit(1)
    try:
        result = import_regions(file.read_bytes(), actor=actor)
    except RegionFileError as exc:
        db.session.rollback()
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        raise SystemExit(1) from None
    db.session.commit()
    click.echo(f"{file.name}: {result.created} added, {result.updated} updated, {result.unchanged} unchanged")
