"""The S3-compatible backend of the storage interface (boto3): AWS S3, MinIO, Ceph RGW, Aliyun OSS, Huawei OBS.

Chosen by STORAGE_URL=s3://bucket/prefix. The keys and their rules are LocalStorage's (random, one name,
sharded by their first two characters): the object of key k is <prefix><k[:2]>/<k>, so a backup taken from
a folder restores into a bucket and back. A PUT of one object is atomic (the object appears whole or not
at all), which is what LocalStorage's temporary name and rename give a folder.

Credentials come from boto3's own chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, a profile, an instance
role), never from the app's settings. Errors of the store are raised as OSError (StorageError), as a full
disk would be from a folder, so that callers stay unaware of the backend.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from claims.core.storage_keys import StoredFile, check_key, new_key, shard_of

try:
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:  # the optional extra `s3` is not installed: the folder works, make_client says what is missing
    boto3 = None

MISSING = {"404", "NoSuchKey", "NotFound"}


class StorageError(OSError):
    """The object store refused or could not be reached."""


def parse_s3_url(url: str) -> tuple[str, str]:
    """s3://bucket/some/prefix -> ("bucket", "some/prefix/"); the prefix may be empty."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc:
        raise ValueError(f"not an s3://bucket/prefix URL: {url!r}")
    prefix = parts.path.strip("/")
    return parts.netloc, f"{prefix}/" if prefix else ""


def make_client(config: Any) -> Any:
    """A client for the configured endpoint. Checksums only where the API requires them: boto3 >= 1.36 adds
    CRC32 checksums to every upload by default, which several S3-compatible stores (older MinIO, OSS, OBS)
    refuse."""
    if boto3 is None:
        raise RuntimeError("STORAGE_URL and BACKUP_URL of the form s3://... need boto3: pip install '.[s3]'")
    settings = Config(
        signature_version="s3v4",
        s3={"addressing_style": config.get("S3_ADDRESSING_STYLE") or "auto"},
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        retries={"max_attempts": 4, "mode": "standard"},
        connect_timeout=10,
        read_timeout=60,
    )
    return boto3.session.Session().client(
        "s3", endpoint_url=config.get("S3_ENDPOINT_URL") or None, region_name=config.get("S3_REGION") or None, config=settings
    )


class S3Storage:
    """Objects in one bucket under an optional prefix, with optional server-side encryption (S3_SSE)."""

    def __init__(self, client: Any, bucket: str, prefix: str = "", *, sse: str | None = None) -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix
        self.sse = sse or None

    @classmethod
    def from_config(cls, config: Any) -> S3Storage:
        bucket, prefix = parse_s3_url(config["STORAGE_URL"])
        return cls(make_client(config), bucket, prefix, sse=config.get("S3_SSE"))

    def _name(self, key: str) -> str:
        return f"{self.prefix}{shard_of(key)}/{key}"

    def _extra(self) -> dict[str, str]:
        return {"ServerSideEncryption": self.sse} if self.sse else {}

    def put(self, data: bytes, suffix: str = "") -> str:
        key = new_key(suffix)
        with _translated(key):
            self.client.put_object(Bucket=self.bucket, Key=self._name(key), Body=data, **self._extra())
        return key

    def put_as(self, key: str, stream: IO[bytes]) -> None:
        """Write under a given key, in parts for a large file (a restore puts files back under their keys)."""
        with _translated(key):
            self.client.upload_fileobj(stream, self.bucket, self._name(key), ExtraArgs=self._extra() or None)

    def get(self, key: str) -> bytes:
        stored = self.open(key)
        with stored.stream:
            return stored.stream.read()

    def open(self, key: str) -> StoredFile:
        with _translated(key):
            answer = self.client.get_object(Bucket=self.bucket, Key=self._name(key))
        return StoredFile(answer["Body"], int(answer["ContentLength"]))

    def delete(self, key: str) -> None:
        with _translated(key):
            self.client.delete_object(Bucket=self.bucket, Key=self._name(key))  # no error when it is gone already

    def exists(self, key: str) -> bool:
        try:
            with _translated(key):
                self.client.head_object(Bucket=self.bucket, Key=self._name(key))
        except FileNotFoundError:
            return False
        return True

    def keys(self) -> Iterator[str]:
        return (key for key, _ in self._objects())

    def keys_older_than(self, seconds: float) -> Iterator[str]:
        cutoff = time.time() - seconds  # the store's clock, like a file's mtime: not the app's (frozen in tests) clock
        return (key for key, modified in self._objects() if modified < cutoff)

    def _objects(self) -> Iterator[tuple[str, float]]:
        """(key, last modified) of every object laid out as a key; anything else in the bucket is not ours."""
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix)
        with _translated(self.prefix):
            for page in pages:
                for item in page.get("Contents", ()):
                    shard, _, key = item["Key"][len(self.prefix) :].partition("/")
                    if _is_key(key) and key[:2] == shard:
                        yield key, item["LastModified"].timestamp()

    def presigned_url(self, key: str, seconds: int, filename: str | None, content_type: str, cache_control: str) -> str | None:
        """A GET URL for this object only, valid for `seconds`, that answers with our type, name and caching."""
        params = {"Bucket": self.bucket, "Key": self._name(key), "ResponseContentType": content_type, "ResponseCacheControl": cache_control}
        if filename:
            params["ResponseContentDisposition"] = f'attachment; filename="{filename}"'
        return str(self.client.generate_presigned_url("get_object", Params=params, ExpiresIn=int(seconds)))

    def origin(self) -> str:
        """scheme://host of the URLs this store signs (for the pages' Content-Security-Policy); no request made."""
        parts = urlsplit(self.presigned_url("00-origin", 1, None, "image/jpeg", "no-store") or "")
        return f"{parts.scheme}://{parts.netloc}"


def _is_key(key: str) -> bool:
    try:
        check_key(key)
    except ValueError:
        return False
    return True


@contextmanager
def _translated(key: str) -> Iterator[None]:
    """Turn the store's answers into the exceptions a folder gives: FileNotFoundError, or OSError."""
    try:
        yield
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in MISSING:
            raise FileNotFoundError(f"no stored object {key}") from None
        raise StorageError(f"object store: {code or 'error'} for {key}") from exc
    except BotoCoreError as exc:
        raise StorageError(f"object store unreachable: {type(exc).__name__}") from exc


class ArchiveStore:
    """Backup archives as objects <prefix><name> (names like backup-20261201T033000Z.tar): `flask backup`."""

    def __init__(self, client: Any, bucket: str, prefix: str, *, sse: str | None = None) -> None:
        self.client, self.bucket, self.prefix, self.sse = client, bucket, prefix, sse or None

    @classmethod
    def from_url(cls, url: str, config: Any) -> ArchiveStore:
        bucket, prefix = parse_s3_url(url)
        return cls(make_client(config), bucket, prefix, sse=config.get("S3_SSE"))

    def url(self, name: str) -> str:
        return f"s3://{self.bucket}/{self.prefix}{name}"

    def upload(self, path: Path, name: str) -> str:
        with _translated(name):  # upload_file sends a large archive in parts, never whole in memory
            self.client.upload_file(str(path), self.bucket, self.prefix + name, ExtraArgs=({"ServerSideEncryption": self.sse} if self.sse else None))
        return self.url(name)

    def download(self, name: str, path: Path) -> None:
        if not name or "/" in name or name.startswith("."):
            raise ValueError("an archive name is one file name")
        with _translated(name):
            self.client.download_file(self.bucket, self.prefix + name, str(path))
