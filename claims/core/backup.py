"""Online, consistent backups of the database and the stored files, and their restore (quality.md 19).

A backup is a folder: the database (SQLite's online backup API, or pg_dump's plain SQL on PostgreSQL),
every stored file under files/, and manifest.json with the SHA-256 of each, so that a restore can
prove nothing was lost or changed. `flask backup create`, `flask backup verify`, `flask backup restore`.
A backup holds everything the live system does, so it is owner-only like the live files (0700/0600).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app
from sqlalchemy.engine import make_url

from claims.core.storage import DIR_MODE, FILE_MODE, private_dir, private_file
from claims.core.time import utcnow

MANIFEST = "manifest.json"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _pg_args(url: str) -> tuple[list[str], dict[str, str]]:
    parsed = make_url(url)
    args = ["-h", parsed.host or "127.0.0.1", "-p", str(parsed.port or 5432), "-U", parsed.username or "postgres", "-d", parsed.database or ""]
    env = {"PGPASSWORD": parsed.password} if parsed.password else {}
    return args, env


def create_backup(dest_root: Path) -> Path:
    """Write a new backup folder under dest_root; the database copy is consistent while the app runs."""
    stamp = utcnow().strftime("%Y%m%dT%H%M%SZ")
    dest = dest_root / f"backup-{stamp}"
    private_dir(dest_root)
    dest.mkdir(mode=DIR_MODE)
    os.chmod(dest, DIR_MODE)
    url = current_app.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("sqlite"):
        target = dest / "database.sqlite3"
        source = sqlite3.connect(make_url(url).database or "")
        private_file(target)
        copy = sqlite3.connect(target)
        with copy:
            source.backup(copy)  # the online backup API: a consistent snapshot, readers and writers go on
        copy.close()
        source.close()
    else:
        target = dest / "database.sql"
        args, env = _pg_args(url)
        private_file(target)
        with open(target, "wb") as out:
            subprocess.run(["pg_dump", "--no-owner", "--no-privileges", *args], stdout=out, check=True, env={**os.environ, **env}, timeout=3600)  # noqa: S603, S607
    files = {}
    uploads = Path(current_app.config["UPLOAD_FOLDER"])
    if uploads.is_dir():
        for path in sorted(uploads.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                relative = path.relative_to(uploads)
                private_dir((dest / "files" / relative).parent)
                shutil.copy2(path, dest / "files" / relative)
                os.chmod(dest / "files" / relative, FILE_MODE)
                files[str(relative)] = _sha256(path)
    manifest = {"created_at": utcnow().isoformat(), "database": {"file": target.name, "sha256": _sha256(target)}, "files": files}
    private_file(dest / MANIFEST)
    (dest / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True))
    return dest


@dataclass
class BackupCheck:
    ok: bool = True
    problems: list[str] = field(default_factory=list)
    files: int = 0

    def fail(self, problem: str) -> None:
        self.ok = False
        self.problems.append(problem)


def verify_backup(folder: Path) -> BackupCheck:
    """Every file present with its recorded SHA-256; an SQLite copy passes integrity_check."""
    check = BackupCheck()
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError):
        check.fail("manifest.json is missing or unreadable")
        return check
    database = folder / manifest["database"]["file"]
    if not database.is_file() or _sha256(database) != manifest["database"]["sha256"]:
        check.fail(f"{database.name}: missing or changed")
    elif database.suffix == ".sqlite3":
        conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
        result = conn.execute("PRAGMA integrity_check").fetchone()[0]
        conn.close()
        if result != "ok":
            check.fail(f"{database.name}: integrity_check says {result}")
    for relative, digest in manifest["files"].items():
        path = folder / "files" / relative
        if not path.is_file() or _sha256(path) != digest:
            check.fail(f"files/{relative}: missing or changed")
        check.files += 1
    return check


def restore_backup(folder: Path, database_url: str, upload_folder: Path) -> None:
    """Restore into an empty database and an empty upload folder (never over live data)."""
    check = verify_backup(folder)
    if not check.ok:
        raise ValueError("the backup does not verify: " + "; ".join(check.problems))
    manifest = json.loads((folder / MANIFEST).read_text())
    if upload_folder.exists() and any(upload_folder.iterdir()):
        raise ValueError(f"{upload_folder} is not empty")
    database = folder / manifest["database"]["file"]
    if database_url.startswith("sqlite"):
        target = Path(make_url(database_url).database or "")
        if target.exists():
            raise ValueError(f"{target} exists already")
        private_file(target)
        shutil.copyfile(database, target)  # into the 0600 file just made: copyfile keeps its mode
    else:
        args, env = _pg_args(database_url)
        with open(database, "rb") as dump:
            subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", *args], stdin=dump, check=True, env={**os.environ, **env}, capture_output=True, timeout=3600)  # noqa: S603, S607
    private_dir(upload_folder)
    if (folder / "files").is_dir():
        shutil.copytree(folder / "files", upload_folder, dirs_exist_ok=True)
        for path in upload_folder.rglob("*"):  # a backup made before files were owner-only may be wider
            os.chmod(path, DIR_MODE if path.is_dir() else FILE_MODE)
