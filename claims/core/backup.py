"""Online, consistent backups of the database and the stored files, and their restore (quality.md 19).

A backup is a folder: the database (SQLite's online backup API, or pg_dump's plain SQL on PostgreSQL),
every stored file under files/, and manifest.json with the SHA-256 of each, so that a restore can
prove nothing was lost or changed. `flask backup create`, `flask backup verify`, `flask backup restore`.
A backup holds everything the live system does, so it is owner-only like the live files (0700/0600).

The files are read through the storage interface, from a folder or a bucket alike, and a restore writes
them back through it under their keys: a backup is whole by itself, whichever store the files live in.
Bucket versioning or replication protects against a deleted object, but not against a dropped bucket, a
leaked key that deletes every version, or a restore drill that must check each file's SHA-256 against
the database it belongs to; so the files go into the backup (claims are counted in thousands of photos
per county, not in terabytes). With an s3:// destination the folder is packed into one tar archive object
(`pack`/`unpack`; claims/core/storage_s3.py's ArchiveStore uploads it in parts and downloads it again).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy.engine import make_url

from claims.core.storage import DIR_MODE, FILE_MODE, Storage, get_storage, private_dir, private_file, shard_of
from claims.core.storage_s3 import ArchiveStore
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
    files = _copy_stored_files(get_storage(), dest / "files")
    manifest = {"created_at": utcnow().isoformat(), "database": {"file": target.name, "sha256": _sha256(target)}, "files": files}
    private_file(dest / MANIFEST)
    (dest / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True))
    return dest


def _copy_stored_files(storage: Storage, into: Path) -> dict[str, str]:
    """Each stored file, streamed to into/<shard>/<key>; returns {"<shard>/<key>": sha256}."""
    files = {}
    for key in sorted(storage.keys()):
        relative = f"{shard_of(key)}/{key}"
        target = into / relative
        private_dir(target.parent)
        private_file(target)
        stored = storage.open(key)
        with stored.stream, open(target, "wb") as out:
            shutil.copyfileobj(stored.stream, out, 1 << 20)
        files[relative] = _sha256(target)
    return files


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


def restore_backup(folder: Path, database_url: str, storage: Storage) -> None:
    """Restore into an empty database and an empty store (never over live data)."""
    check = verify_backup(folder)
    if not check.ok:
        raise ValueError("the backup does not verify: " + "; ".join(check.problems))
    manifest = json.loads((folder / MANIFEST).read_text())
    if next(iter(storage.keys()), None) is not None:
        raise ValueError("the file store is not empty")
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
    for relative in manifest["files"]:
        with open(folder / "files" / relative, "rb") as fh:
            storage.put_as(Path(relative).name, fh)


def pack(folder: Path, archive: Path) -> Path:
    """One tar of a backup folder (already verifiable by its manifest; compressing photos gains nothing)."""
    private_file(archive)
    with tarfile.open(archive, "w") as tar:
        tar.add(folder, arcname=folder.name)
    return archive


def unpack(archive: Path, into: Path) -> Path:
    """The backup folder inside a tar made by `pack`: only plain files and folders inside one top folder."""
    private_dir(into)
    with tarfile.open(archive) as tar:
        members = tar.getmembers()
        tops = {Path(m.name).parts[0] for m in members if Path(m.name).parts}
        for member in members:
            if not (member.isfile() or member.isdir()) or member.name.startswith("/") or ".." in Path(member.name).parts:
                raise ValueError(f"not a backup archive: {member.name[:100]}")
        if len(tops) != 1:
            raise ValueError("not a backup archive: it must hold one folder")
        if hasattr(tarfile, "data_filter"):  # Python 3.11.4+: the standard checks on top of ours
            tar.extractall(into, members=members, filter="data")
        else:  # Debian 12's Python 3.11.2: the members were checked above
            tar.extractall(into, members=members)  # noqa: S202
    folder = into / tops.pop()
    for path in [folder, *folder.rglob("*")]:
        os.chmod(path, DIR_MODE if path.is_dir() else FILE_MODE)
    return folder


# Destinations: a folder, or s3://bucket/prefix --------------------------------------------------------------


def default_destination(config: Any) -> str:
    """BACKUP_URL; else with S3 storage the prefix backups/ of its bucket (outside the files' keys); else ./backups."""
    if config.get("BACKUP_URL"):
        return str(config["BACKUP_URL"])
    storage_url = config.get("STORAGE_URL") or ""
    if storage_url.startswith("s3://"):
        return f"s3://{storage_url[5:].split('/', 1)[0]}/backups/"
    return "backups"


def create_backup_at(destination: str) -> str:
    """A backup in a folder under `destination`, or as one archive object under an s3:// URL; returns where."""
    if not destination.startswith("s3://"):
        return str(create_backup(Path(destination)))
    store = _archives(destination)
    with tempfile.TemporaryDirectory(prefix="claims-backup-") as tmp:  # 0700, under TMPDIR
        folder = create_backup(Path(tmp))
        return store.upload(pack(folder, Path(tmp) / f"{folder.name}.tar"), f"{folder.name}.tar")


@contextmanager
def opened_backup(source: str) -> Iterator[Path]:
    """The backup folder at `source`, or the archive s3://bucket/prefix/backup-....tar fetched and unpacked."""
    if not source.startswith("s3://"):
        yield Path(source)
        return
    location, _, name = source.rpartition("/")
    store = _archives(location + "/")
    with tempfile.TemporaryDirectory(prefix="claims-restore-") as tmp:
        archive = Path(tmp) / "backup.tar"
        store.download(name, archive)
        yield unpack(archive, Path(tmp) / "unpacked")


def _archives(url: str) -> ArchiveStore:
    return ArchiveStore.from_url(url, current_app.config)
