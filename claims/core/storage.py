"""File storage behind a small interface; the local folder is the default backend.

This is the only module that touches file paths. Keys are random and never derived from user input.
Writes go to a temporary name and are renamed into place, so a crash never leaves half a file
under a real key. Folders are created owner-only (0700) and files 0600: photos show people, their
fields and their documents, and nobody else on the server needs to read them.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path) -> None:
    """Create a folder (and its missing parents) readable by the app's own user only."""
    if path.is_dir():
        return
    private_dir(path.parent)
    path.mkdir(mode=DIR_MODE, exist_ok=True)
    os.chmod(path, DIR_MODE)  # mkdir's mode is filtered by the umask; the umask may not be 077


def private_file(path: Path) -> None:
    """Create an empty file readable and writable by the app's own user only, unless it exists."""
    private_dir(path.parent)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))


class Storage(Protocol):
    def put(self, data: bytes, suffix: str = "") -> str: ...
    def get(self, key: str) -> bytes: ...
    def delete(self, key: str) -> None: ...
    def exists(self, key: str) -> bool: ...
    def keys_older_than(self, seconds: float) -> Iterator[str]: ...


class LocalStorage:
    """Files under one folder outside the web root, sharded by the first two characters of the key."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        if not key or "/" in key or "\\" in key or key.startswith("."):
            raise ValueError("invalid storage key")
        return self.root / key[:2] / key

    def put(self, data: bytes, suffix: str = "") -> str:
        key = secrets.token_hex(16) + suffix
        path = self._path(key)
        private_dir(path.parent)
        tmp = path.with_name(f".{key}.tmp")
        with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE), "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
        return key

    def get(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def keys_older_than(self, seconds: float) -> Iterator[str]:
        cutoff = time.time() - seconds
        if not self.root.is_dir():
            return
        for shard in self.root.iterdir():
            if not shard.is_dir():
                continue
            for path in shard.iterdir():
                if path.is_file() and not path.name.startswith(".") and path.stat().st_mtime < cutoff:
                    yield path.name


def get_storage() -> Storage:
    storage = current_app.extensions.get("claims_storage")
    if storage is None:
        storage = LocalStorage(current_app.config["UPLOAD_FOLDER"])
        current_app.extensions["claims_storage"] = storage
    return storage


# Files written inside a database transaction --------------------------------------------------------
# A stored file (an issued document) belongs to the transaction that records it: it is kept when that
# transaction commits and deleted when it ends otherwise (rollback, close). This is bookkeeping of files
# only; no rendering or business rule runs here. A file written inside a savepoint that is rolled back while
# its transaction goes on is deleted with that transaction only if the transaction does not commit either:
# no step today stores a file in a savepoint it rolls back (a refused step refuses before rendering).
WRITTEN_KEYS = "claims.storage.written"


def written_in_transaction(session: Session, storage: Storage, key: str) -> None:
    session.info.setdefault(WRITTEN_KEYS, []).append((storage, key))


@event.listens_for(Session, "after_commit")
def _keep_written(session: Session) -> None:
    if not session.in_nested_transaction():
        session.info.pop(WRITTEN_KEYS, None)


@event.listens_for(Session, "after_transaction_end")
def _discard_uncommitted(session: Session, transaction: SessionTransaction) -> None:
    """The outermost transaction ended without a commit: delete the files it wrote."""
    if transaction.parent is not None or transaction.nested:
        return
    for storage, key in session.info.pop(WRITTEN_KEYS, ()):
        storage.delete(key)
