"""The app with its files in an S3-compatible bucket (moto's server on loopback): filing, serving, backups."""

from __future__ import annotations

import hashlib
import re
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from claims import create_app
from claims.core.backup import opened_backup, restore_backup
from claims.core.storage import get_storage
from claims.documents.models import DocumentKind, IssuedDocument
from claims.documents.services import document_bytes
from claims.extensions import db
from claims.intake.models import Claim, Photo
from claims.workflow.audit import verify_chain
from tests.conftest import IS_PG, TEST_DB, _pg_url, base_config, login, worker_name
from tests.core.test_storage_s3 import signed_until
from tests.factories import VILLAGER, advance, file_claim_http, photo
from tests.intake.images import jpeg_bytes
from tests.workflow.conftest import file_claim

CLAIMS_RESTORE_S3 = worker_name("claims_restore_s3")

OTHER_VILLAGER = "13800000002"


def _accepted_claim_with_photo(app: Flask, client: FlaskClient) -> tuple[int, Photo, IssuedDocument]:
    login(client, VILLAGER)
    claim_id = file_claim_http(app, client, files=[photo(jpeg_bytes(seed=71), "IMG_1.jpg")])
    with app.app_context():
        claim = db.session.get(Claim, claim_id)
        assert claim is not None
        advance(claim, "accepted")  # the township clerk accepts it: the receipt is issued and stored
        db.session.commit()
        (item,) = claim.photos
        receipt = db.session.execute(
            select(IssuedDocument).where(IssuedDocument.claim_id == claim_id, IssuedDocument.kind == DocumentKind.RECEIPT)
        ).scalar_one()
        db.session.expunge_all()
    return claim_id, item, receipt


def _bucket_keys(app: Flask) -> set[str]:
    with app.app_context():
        storage = get_storage()
        assert type(storage).__name__ == "S3Storage"  # (not imported: boto3 is optional, and these tests skip without it)
        return set(storage.keys())


def test_photos_and_documents_live_in_the_bucket_and_are_served_after_the_scope_check(s3_app: Flask) -> None:
    client = s3_app.test_client()
    claim_id, item, receipt = _accepted_claim_with_photo(s3_app, client)
    assert {item.original_key, item.display_key, item.thumb_key, receipt.storage_key} <= _bucket_keys(s3_app)
    assert not Path(s3_app.config["UPLOAD_FOLDER"]).exists()  # nothing in the local folder

    original = client.get(f"/claims/{claim_id}/photos/{item.id}/original")
    assert original.status_code == 200 and hashlib.sha256(original.data).hexdigest() == item.sha256
    assert original.headers["Cache-Control"] == "no-store" and original.headers["Content-Disposition"].startswith("attachment")
    assert original.content_length == item.size_bytes
    display = client.get(f"/claims/{claim_id}/photos/{item.id}/display")
    assert display.status_code == 200 and display.mimetype == "image/jpeg" and display.data[:2] == b"\xff\xd8"
    pdf = client.get(f"/claims/{claim_id}/documents/{receipt.id}")
    assert pdf.status_code == 200 and hashlib.sha256(pdf.data).hexdigest() == receipt.sha256

    other = s3_app.test_client()
    login(other, OTHER_VILLAGER)
    for url in (f"/claims/{claim_id}/photos/{item.id}/display", f"/claims/{claim_id}/documents/{receipt.id}"):
        assert other.get(url).status_code == 404  # outside the scope: as if it did not exist


def test_with_presigned_urls_a_photo_is_a_short_lived_redirect_given_after_the_scope_check(s3_app: Flask) -> None:
    s3_app.config["STORAGE_PRESIGNED_SECONDS"] = 60
    client = s3_app.test_client()
    claim_id, item, receipt = _accepted_claim_with_photo(s3_app, client)
    endpoint = s3_app.config["S3_ENDPOINT_URL"]

    thumb = client.get(f"/claims/{claim_id}/photos/{item.id}/thumb")
    assert thumb.status_code == 302 and thumb.location.startswith(endpoint + "/")
    assert thumb.headers["Cache-Control"] == "no-store"
    assert timedelta(0) < signed_until(thumb.location) - datetime.now(UTC).replace(tzinfo=None) <= timedelta(seconds=60)
    with urllib.request.urlopen(thumb.location, timeout=10) as answer:  # noqa: S310 (our loopback server)
        assert answer.headers["Content-Type"] == "image/jpeg" and answer.read()[:2] == b"\xff\xd8"

    original = client.get(f"/claims/{claim_id}/photos/{item.id}/original")
    with urllib.request.urlopen(original.location, timeout=10) as answer:  # noqa: S310
        assert hashlib.sha256(answer.read()).hexdigest() == item.sha256
        assert answer.headers["Cache-Control"] == "no-store"  # the original's EXIF is kept from caches there too
        assert answer.headers["Content-Disposition"] == f'attachment; filename="photo-{item.id}.jpeg"'

    page = client.get(f"/claims/{claim_id}")
    assert re.search(r"img-src 'self' " + re.escape(endpoint) + r"[ ;]", page.headers["Content-Security-Policy"])
    # Documents still go through the app, which checks their SHA-256 before sending a byte.
    pdf = client.get(f"/claims/{claim_id}/documents/{receipt.id}")
    assert pdf.status_code == 200 and hashlib.sha256(pdf.data).hexdigest() == receipt.sha256

    other = s3_app.test_client()
    login(other, OTHER_VILLAGER)
    assert other.get(f"/claims/{claim_id}/photos/{item.id}/thumb").status_code == 404  # no URL for a foreign photo


@pytest.fixture
def restore_database(tmp_path: Path) -> Iterator[str]:
    """An empty database to restore into: a new SQLite file, or a new PostgreSQL database (dropped after)."""
    if not IS_PG:
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    admin = create_engine(_pg_url(make_url(TEST_DB).database or "postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{CLAIMS_RESTORE_S3}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{CLAIMS_RESTORE_S3}"'))
    yield _pg_url(CLAIMS_RESTORE_S3)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{CLAIMS_RESTORE_S3}" WITH (FORCE)'))
    admin.dispose()


def test_backup_create_and_restore_through_the_bucket(s3_app: Flask, s3_settings: dict[str, Any], restore_database: str, tmp_path: Path) -> None:
    with s3_app.app_context():
        claim = file_claim(seed=51)
        advance(claim, "accepted")
        db.session.commit()
        numbers = db.session.execute(select(Claim.number).order_by(Claim.id)).scalars().all()
        db.session.remove()
    runner = s3_app.test_cli_runner()
    created = runner.invoke(args=["backup", "create"])
    assert created.exit_code == 0, created.output
    bucket = str(s3_settings["STORAGE_URL"])[5:].split("/")[0]
    (archive,) = re.findall(rf"s3://{bucket}/backups/backup-\d{{8}}T\d{{6}}Z\.tar", created.output)  # beside the files, not among them
    assert "backup-" not in " ".join(_bucket_keys(s3_app))
    verified = runner.invoke(args=["backup", "verify", archive])
    assert verified.exit_code == 0 and "database and 7 files" in verified.output  # 2 photos x 3 copies, 1 receipt

    with s3_app.app_context(), opened_backup(archive) as folder, pytest.raises(ValueError, match="not empty"):
        restore_backup(folder, restore_database, get_storage())  # never over live files

    fresh = f"claims-restored-{bucket[-8:]}"
    with s3_app.app_context():
        get_storage().client.create_bucket(Bucket=fresh)  # type: ignore[attr-defined]
    restored = create_app({**base_config(restore_database, tmp_path), **s3_settings, "STORAGE_URL": f"s3://{fresh}/files"})
    done = restored.test_cli_runner().invoke(args=["backup", "restore", archive])
    assert done.exit_code == 0 and "audit chain OK" in done.output, done.output
    try:
        with restored.app_context():
            assert verify_chain().ok
            assert db.session.execute(select(Claim.number).order_by(Claim.id)).scalars().all() == numbers
            for item in db.session.execute(select(Photo)).scalars():
                assert hashlib.sha256(get_storage().get(item.original_key)).hexdigest() == item.sha256
                assert get_storage().exists(item.display_key) and get_storage().exists(item.thumb_key)
            for document in db.session.execute(select(IssuedDocument)).scalars():
                document_bytes(document)  # present, with its recorded SHA-256
    finally:
        with restored.app_context():
            db.session.remove()
            db.engine.dispose()
