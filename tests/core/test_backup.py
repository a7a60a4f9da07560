"""The restore drill: back up while the app runs, restore elsewhere, check integrity, the audit chain and every file."""

from __future__ import annotations

import hashlib
import io
import tarfile
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from claims import create_app
from claims.core.backup import create_backup, restore_backup, unpack, verify_backup
from claims.core.storage import LocalStorage, get_storage
from claims.extensions import db
from claims.intake.models import Claim, Photo
from claims.workflow.audit import verify_chain
from tests.conftest import IS_PG, TEST_DB, _pg_url, base_config, worker_name
from tests.workflow.conftest import file_claim

CLAIMS_RESTORE_DRILL = worker_name("claims_restore_drill")


def test_backup_restores_with_every_file_and_an_intact_audit_chain(app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        file_claim(seed=41)
        file_claim("13800000002", seed=42)
        db.session.commit()
        claims_before = db.session.execute(select(Claim.number).order_by(Claim.id)).scalars().all()
        folder = create_backup(tmp_path / "backups")
    check = verify_backup(folder)
    assert check.ok and check.files >= 12  # 4 photos x 3 stored copies

    if IS_PG:
        admin = create_engine(_pg_url(make_url(TEST_DB).database or "postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{CLAIMS_RESTORE_DRILL}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{CLAIMS_RESTORE_DRILL}"'))
        url = _pg_url(CLAIMS_RESTORE_DRILL)
    else:
        url = f"sqlite:///{tmp_path / 'restored.db'}"
    uploads = tmp_path / "restored-uploads"
    restore_backup(folder, url, LocalStorage(uploads))
    restored_files = [*folder.rglob("*"), uploads, *uploads.rglob("*"), *([] if IS_PG else [tmp_path / "restored.db"])]
    wrong = [f"{p}: {oct(p.stat().st_mode & 0o777)}" for p in [folder, *restored_files] if p.stat().st_mode & 0o777 != (0o700 if p.is_dir() else 0o600)]
    assert not wrong, f"backups and restored files are owner-only: {wrong}"
    config = base_config(url, tmp_path)
    config["UPLOAD_FOLDER"] = str(uploads)
    restored = create_app(config)
    try:
        with restored.app_context():
            assert verify_chain().ok
            assert db.session.execute(select(Claim.number).order_by(Claim.id)).scalars().all() == claims_before
            photos = db.session.execute(select(Photo)).scalars().all()
            assert len(photos) == 4
            for photo in photos:
                assert hashlib.sha256(get_storage().get(photo.original_key)).hexdigest() == photo.sha256
                assert get_storage().exists(photo.display_key) and get_storage().exists(photo.thumb_key)
            db.session.remove()
            db.engine.dispose()
    finally:
        if IS_PG:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{CLAIMS_RESTORE_DRILL}" WITH (FORCE)'))
            admin.dispose()


def test_a_changed_or_missing_file_fails_verification(app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        file_claim(seed=43)
        db.session.commit()
        folder = create_backup(tmp_path / "b")
    victim = next(p for p in (folder / "files").rglob("*") if p.is_file())
    victim.write_bytes(victim.read_bytes()[:-1] + b"x")
    check = verify_backup(folder)
    assert not check.ok and any(victim.name in p for p in check.problems)
    result = app.test_cli_runner().invoke(args=["backup", "verify", str(folder)])
    assert result.exit_code == 1


def test_an_archive_that_would_write_outside_its_folder_is_refused(tmp_path: Path) -> None:
    for name in ("../outside", "/etc/cron.d/x"):
        archive = tmp_path / "evil.tar"
        with tarfile.open(archive, "w") as tar:
            info = tarfile.TarInfo(name)
            info.size = 1
            tar.addfile(info, io.BytesIO(b"x"))
        with pytest.raises(ValueError, match="not a backup archive"):
            unpack(archive, tmp_path / "into")
    assert not (tmp_path / "outside").exists()
