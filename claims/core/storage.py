"""File storage behind a small interface; the local folder is the default backend.

This is the only module that touches file paths (claims/core/storage_s3.py is the S3-compatible backend,
chosen by STORAGE_URL=s3://bucket/prefix). Keys are random and never derived from user input.
Writes go to a temporary name and are renamed into place, so a crash never leaves half a file
under a real key. Folders are created owner-only (0700) and files 0600: photos show people, their
fields and their documents, and nobody else on the server needs to read them.

Stored files reach a browser only through a view that checked the user's scope first (`send_stored`):
streamed from the store, or, when STORAGE_PRESIGNED_SECONDS is set and the backend can sign URLs, by a
redirect to a URL that expires after that many seconds.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, Protocol

from flask import Response, current_app, redirect, request
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction
from werkzeug.wsgi import wrap_file

from claims.core.storage_keys import StoredFile, new_key, shard_of
from claims.core.storage_s3 import S3Storage

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
    def put_as(self, key: str, stream: IO[bytes]) -> None: ...
    def get(self, key: str) -> bytes: ...
    def open(self, key: str) -> StoredFile: ...
    def delete(self, key: str) -> None: ...
    def exists(self, key: str) -> bool: ...
    def keys(self) -> Iterator[str]: ...
    def keys_older_than(self, seconds: float) -> Iterator[str]: ...
    def presigned_url(self, key: str, seconds: int, filename: str | None, content_type: str, cache_control: str) -> str | None: ...
    def origin(self) -> str | None: ...


class LocalStorage:
    """Files under one folder outside the web root, sharded by the first two characters of the key."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / shard_of(key) / key

    def put(self, data: bytes, suffix: str = "") -> str:
        key = new_key(suffix)
        self._write(key, lambda fh: fh.write(data))
        return key

    def put_as(self, key: str, stream: IO[bytes]) -> None:
        """Write under a given key (a restore puts each file back under its recorded key)."""
        self._write(key, lambda fh: shutil.copyfileobj(stream, fh, 1 << 20))

    def _write(self, key: str, write: Any) -> None:
        path = self._path(key)
        private_dir(path.parent)
        tmp = path.with_name(f".{key}.tmp")
        with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE), "wb") as fh:
            write(fh)
        os.replace(tmp, path)

    def get(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def open(self, key: str) -> StoredFile:
        fh = self._path(key).open("rb")
        return StoredFile(fh, os.fstat(fh.fileno()).st_size)

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def keys(self) -> Iterator[str]:
        return (path.name for path in self._files())

    def keys_older_than(self, seconds: float) -> Iterator[str]:
        cutoff = time.time() - seconds
        return (path.name for path in self._files() if path.stat().st_mtime < cutoff)

    def _files(self) -> Iterator[Path]:
        if not self.root.is_dir():
            return
        for shard in sorted(self.root.iterdir()):
            if not shard.is_dir():
                continue
            for path in sorted(shard.iterdir()):
                if path.is_file() and not path.name.startswith(".") and path.name[:2] == shard.name:
                    yield path

    def presigned_url(self, key: str, seconds: int, filename: str | None, content_type: str, cache_control: str) -> str | None:
        return None  # a folder on the app's own server: its files are served through the app

    def origin(self) -> str | None:
        return None


def storage_from_config(config: Any) -> Storage:
    """The backend named by STORAGE_URL: s3://bucket/prefix, or (unset) the folder UPLOAD_FOLDER."""
    url = config.get("STORAGE_URL") or ""
    if not url:
        return LocalStorage(config["UPLOAD_FOLDER"])
    if not url.startswith("s3://"):
        raise ValueError("STORAGE_URL must be s3://bucket/prefix (or unset, for the folder UPLOAD_FOLDER)")
    return S3Storage.from_config(config)


def get_storage() -> Storage:
    storage = current_app.extensions.get("claims_storage")
    if storage is None:
        storage = storage_from_config(current_app.config)
        current_app.extensions["claims_storage"] = storage
    return storage


def signed_url_origin() -> str | None:
    """Where redirected photos load from (for the pages' Content-Security-Policy), or None when none are."""
    if int(current_app.config.get("STORAGE_PRESIGNED_SECONDS") or 0) <= 0:
        return None
    return get_storage().origin()


def send_stored(key: str, *, mimetype: str, cache_control: str, download_name: str | None = None, presign: bool = True) -> Response:
    """Send a stored file to a user the calling view has already checked (scope first, then this).

    Streamed in chunks from the store; or, when STORAGE_PRESIGNED_SECONDS is set, the backend signs URLs and
    `presign` allows it, a redirect to a URL that carries the same type, name and caching and stops working after
    those seconds (the token API always streams: a client following the redirect would send its bearer token on).
    """
    storage = get_storage()
    seconds = int(current_app.config.get("STORAGE_PRESIGNED_SECONDS") or 0) if presign else 0
    url = storage.presigned_url(key, seconds, download_name, mimetype, cache_control) if seconds > 0 else None
    if url is not None:
        response = redirect(url, 302)
        response.headers["Cache-Control"] = "no-store"  # the signed URL expires: nobody keeps the redirect
        return response
    stored = storage.open(key)
    response = Response(wrap_file(request.environ, stored.stream), mimetype=mimetype, direct_passthrough=True)
    response.content_length = stored.size
    response.headers["Cache-Control"] = cache_control
    if download_name:
        response.headers["Content-Disposition"] = f'attachment; filename="{download_name}"'
    return response


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
