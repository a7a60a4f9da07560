"""Command-line tasks for documents: `flask documents samples OUTDIR`, `fonts`, `keys create|list`, `verify FILE.pdf`."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from claims.documents import fonts, keys, signing
from claims.documents.samples import CERTIFICATES, LIST_ROWS, write_samples
from claims.documents.verification import verify_file

documents_cli = AppGroup("documents", help="Issued documents (docs/documents.md).")
keys_cli = AppGroup("keys", help="The counties' document signing keys (DOCUMENT_KEYS_DIR).")
documents_cli.add_command(keys_cli)


@documents_cli.command("fonts")
@click.option("--force", is_flag=True, help="Build it again even when it is up to date.")
def documents_fonts(force: bool) -> None:
    """Cut the print font's common characters from the installed Noto Serif CJK SC into a face of their own, which
    documents are set in first (about 40 % faster to render; claims/documents/fonts.py). Run once on every machine
    that renders documents, after scripts/system-deps.sh; again when the system's font changes (it says when not)."""
    click.echo(fonts.build(force=force))


@documents_cli.command("samples")
@click.argument("outdir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--rows", default=LIST_ROWS, show_default=True, type=click.IntRange(1, 500), help="Claims on the notice list and the payment list.")
def documents_samples(outdir: Path, rows: int) -> None:
    """Write one PDF of every document kind, from demo data, to OUTDIR as <kind>.pdf (for a county to review the layouts).

    The documents are issued in a throw-away instance (a temporary SQLite database migrated and loaded with the demo
    data, a temporary upload folder, jobs run here, trial signing keys): the app's own database, stored files and keys
    are not touched. Among them a payment list with a long bank branch name, a claimant whose name has a CJK Extension
    B character (𠀀) and a notice list and payment list of ROWS claims over several pages. Files of the same names in
    OUTDIR are overwritten.
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
    click.echo(f"Signed with trial keys made for the samples; their certificates are in {outdir / CERTIFICATES}.", err=True)


@keys_cli.command("create")
@click.argument("codes", nargs=-1, required=True)
@click.option("--days", default=signing.TRIAL_DAYS, show_default=True, type=click.IntRange(1, 3650), help="How long the certificate is valid.")
@click.option("--replace", is_flag=True, help="Replace a trial key the county has (its certificate is kept as <code>.<fingerprint>.trusted.pem).")
@click.option("--with-townships", is_flag=True, help="Also make each county's townships a key (they sign receipts and correction notices).")
def keys_create(codes: tuple[str, ...], days: int, replace: bool, with_townships: bool) -> None:
    """Make a self-signed key and certificate for each county or township CODE, for a trial (production installs the
    key its CA issued, as <code>.key.pem with <code>.cert.pem, or <code>.p12).

    Written to DOCUMENT_KEYS_DIR as <code>.key.pem (readable by its owner only) and <code>.cert.pem; the certificate
    names the issuing body: a county's issuing authority (its setting, or <county>林业局), a township's government.
    A township's key signs what the township issues (receipts, correction notices, non-acceptance), unless
    DOCUMENT_TOWNSHIP_SIGNER=county."""
    try:
        wanted = keys.with_townships(list(codes)) if with_townships else list(codes)
    except LookupError as exc:
        raise click.ClickException(str(exc)) from None
    for code in wanted:
        try:
            key = keys.create_county_trial_key(code, days=days, replace=replace)
        except (LookupError, signing.SigningError) as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"{code}\t{key.subject}\tSHA-256 {key.fingerprint}\tvalid until {key.not_after:%Y-%m-%d}")


@keys_cli.command("list")
@click.argument("codes", nargs=-1)
def keys_list(codes: tuple[str, ...]) -> None:
    """Each county (or the CODES given, with their townships) and its key: the certificate's name, fingerprint, expiry
    and kind; or that it has none, or why it does not load."""
    click.echo(f"Keys folder: {current_app.config['DOCUMENT_KEYS_DIR']}")
    try:
        rows = keys.county_key_rows(list(codes))
    except LookupError as exc:
        raise click.ClickException(str(exc)) from None
    for row in rows:
        click.echo("\t".join(row))


@documents_cli.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def documents_verify(file: Path) -> None:
    """Check FILE.pdf: its digital signature (made by a county key this instance trusts, intact, covering the whole
    file), that it is the file on record (its SHA-256), and whether it is the document's current version.
    Prints the verdict; exits with 0 only if all hold."""
    report = verify_file(file.read_bytes(), signing.trusted_certificates(signing.keys_dir()))
    for line in report.lines:
        click.echo(line)
    click.echo(f"VERDICT: {report.verdict}")
    sys.exit(0 if report.ok else 1)
