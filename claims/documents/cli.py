"""Command-line tasks for documents: `flask documents samples OUTDIR`."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from claims.documents.samples import LIST_ROWS, write_samples

documents_cli = AppGroup("documents", help="Issued documents (docs/documents.md).")


@documents_cli.command("samples")
@click.argument("outdir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--rows", default=LIST_ROWS, show_default=True, type=click.IntRange(1, 500), help="Claims on the notice list and the payment list.")
def documents_samples(outdir: Path, rows: int) -> None:
    """Write one PDF of every document kind, from demo data, to OUTDIR as <kind>.pdf (for a county to review the layouts).

    The documents are issued in a throw-away instance (a temporary SQLite database migrated and loaded with the demo
    data, a temporary upload folder, jobs run here): the app's own database and stored files are not touched. Among them
    a payment list with a long bank branch name, a claimant whose name has a CJK Extension B character (𠀀) and a notice
    list and payment list of ROWS claims over several pages. Files of the same names in OUTDIR are overwritten.
    """
    try:
        outdir.mkdir(parents=True, exist_ok=True)
        probe = outdir / ".write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise click.ClickException(f"{outdir}: cannot write there ({exc.strerror or exc})") from None
    click.echo(f"Issuing the samples ({rows} claims on the lists); this takes a minute or two…", err=True)
    for sample in write_samples(outdir, rows=rows, public_base_url=current_app.config.get("PUBLIC_BASE_URL")):
        click.echo(f"{sample.kind.value}\t{sample.number}\t{sample.pages} pages\t{sample.size} bytes\t{sample.path}")
