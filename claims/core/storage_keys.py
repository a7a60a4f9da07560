"""The rules of storage keys, shared by every backend (claims/core/storage.py, claims/core/storage_s3.py)."""

from __future__ import annotations

import secrets
from typing import IO, NamedTuple


class StoredFile(NamedTuple):
    """An open stored file, read in chunks (never whole), and its size in bytes."""

    stream: IO[bytes]
    size: int


def new_key(suffix: str = "") -> str:
    return check_key(secrets.token_hex(16) + suffix)


def check_key(key: str) -> str:
    """A key is one file name: no folder, no parent, no hidden name (keys come from our rows, never from input)."""
    if not key or "/" in key or "\\" in key or key.startswith(".") or len(key) < 3:
        raise ValueError("invalid storage key")
    return key


def shard_of(key: str) -> str:
    """The folder (or key prefix) a key is kept under: its first two characters."""
    return check_key(key)[:2]
