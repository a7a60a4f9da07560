"""The storage interface's contract, held by the local folder and by the S3-compatible backend alike.

The S3 backend runs against a real S3 HTTP API on loopback (moto's server, `s3_endpoint` in tests/conftest.py):
uploads, listings, errors and signed URLs go over HTTP through boto3 as they would to MinIO or Aliyun OSS.
"""

from __future__ import annotations

import io
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from claims.core.storage import LocalStorage, Storage, storage_from_config, written_in_transaction
from tests.conftest import S3_ENV, S3_REGION

BAD_KEYS = ["", "..", "../etc/passwd", "ab/cd", "a\\b", ".hidden", "x"]


@pytest.fixture(params=["local", "s3"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Storage:
    if request.param == "local":
        return LocalStorage(tmp_path / "files")
    return storage_from_config(request.getfixturevalue("s3_settings"))


def test_put_get_exists_delete(storage: Storage) -> None:
    key = storage.put(b"photo bytes", ".jpg")
    assert key.endswith(".jpg") and len(key) == 32 + 4
    assert storage.exists(key) and storage.get(key) == b"photo bytes"
    assert storage.put(b"photo bytes", ".jpg") != key  # random keys: the same bytes twice are two files
    storage.delete(key)
    assert not storage.exists(key)
    storage.delete(key)  # deleting what is gone is no error (a rollback may run after a sweep)
    with pytest.raises(FileNotFoundError):
        storage.get(key)


def test_open_streams_with_the_size(storage: Storage) -> None:
    body = bytes(range(256)) * 8192  # 2 MiB
    key = storage.put(body)
    stored = storage.open(key)
    with stored.stream:
        chunks = iter(lambda: stored.stream.read(65536), b"")
        assert stored.size == len(body) and b"".join(chunks) == body
    with pytest.raises(FileNotFoundError):
        storage.open("0" * 32)


def test_put_as_restores_under_the_given_key_and_keys_lists_every_file(storage: Storage) -> None:
    keys = {storage.put(b"a", ".jpg"), storage.put(b"b", ".pdf")}
    storage.put_as("ab" + "0" * 30 + ".orig", io.BytesIO(b"c" * 100_000))
    keys.add("ab" + "0" * 30 + ".orig")
    assert sorted(storage.keys()) == sorted(keys)
    assert storage.get("ab" + "0" * 30 + ".orig") == b"c" * 100_000


def test_keys_older_than(storage: Storage) -> None:
    key = storage.put(b"x")
    assert list(storage.keys_older_than(3600)) == []  # written just now
    assert list(storage.keys_older_than(-3600)) == [key]  # a cut-off an hour ahead: every file is older


@pytest.mark.parametrize("bad", BAD_KEYS)
def test_invalid_keys_are_refused(storage: Storage, bad: str) -> None:
    for attempt in (storage.get, storage.exists, storage.delete, storage.open, lambda k: storage.put_as(k, io.BytesIO(b"x"))):
        with pytest.raises(ValueError, match="invalid storage key"):
            attempt(bad)
    with pytest.raises(ValueError, match="invalid storage key"):
        storage.put(b"x", "/../../x")


def test_files_written_in_a_transaction_go_with_its_rollback_and_stay_with_its_commit(storage: Storage) -> None:
    engine = create_engine("sqlite://")
    with Session(engine) as session:
        session.begin()
        dropped = storage.put(b"rolled back")
        written_in_transaction(session, storage, dropped)
        session.rollback()
        session.begin()
        kept = storage.put(b"committed")
        written_in_transaction(session, storage, kept)
        session.commit()
    engine.dispose()
    assert not storage.exists(dropped)
    assert storage.exists(kept)


# --- the S3 backend's own behaviour ----------------------------------------------------------------------


@pytest.fixture
def s3(s3_settings: dict[str, Any]) -> Any:
    return storage_from_config(s3_settings)


def test_objects_are_sharded_under_the_prefix_and_foreign_objects_are_not_keys(s3: Any) -> None:
    key = s3.put(b"x", ".jpg")
    names = [o["Key"] for o in s3.client.list_objects_v2(Bucket=s3.bucket)["Contents"]]
    assert names == [f"files/{key[:2]}/{key}"]
    s3.client.put_object(Bucket=s3.bucket, Key="files/readme.txt", Body=b"not ours")
    s3.client.put_object(Bucket=s3.bucket, Key="backups/backup-20261201T000000Z.tar", Body=b"not a file of ours")
    s3.client.put_object(Bucket=s3.bucket, Key=f"files/zz/{key}", Body=b"in the wrong shard")
    assert list(s3.keys()) == [key]
    assert list(s3.keys_older_than(-3600)) == [key]  # so the orphan sweep can never delete them


def test_server_side_encryption_is_asked_for_when_configured(s3_settings: dict[str, Any]) -> None:
    s3 = storage_from_config({**s3_settings, "S3_SSE": "AES256"})
    key = s3.put(b"x")
    s3.put_as("cd" + "1" * 30, io.BytesIO(b"y"))
    for name in (f"files/{key[:2]}/{key}", "files/cd/cd" + "1" * 30):
        assert s3.client.head_object(Bucket=s3.bucket, Key=name)["ServerSideEncryption"] == "AES256"


def test_an_unreachable_store_is_an_os_error(s3_settings: dict[str, Any]) -> None:
    s3 = storage_from_config({**s3_settings, "S3_ENDPOINT_URL": "http://127.0.0.1:9"})  # discard port: nobody listens
    s3.client.meta.config.retries = {"max_attempts": 1}
    with pytest.raises(OSError, match="object store"):
        s3.put(b"x")


def signed_until(url: str) -> datetime:
    """Check a presigned URL as S3 does (SigV4 query signature over the request and its expiry, with the
    test credentials), and return the instant it stops working. moto serves presigned URLs without checking
    their expiry, so the expiry is checked here, by the same rules as AWS S3, MinIO and OSS."""
    from botocore.auth import S3SigV4QueryAuth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    plain = urlunsplit(parts._replace(query=urlencode({k: v for k, v in query.items() if not k.startswith("X-Amz-")})))
    request = AWSRequest(method="GET", url=plain, headers={})
    request.context["timestamp"] = query["X-Amz-Date"]
    auth = S3SigV4QueryAuth(Credentials(S3_ENV["AWS_ACCESS_KEY_ID"], S3_ENV["AWS_SECRET_ACCESS_KEY"]), "s3", S3_REGION, expires=int(query["X-Amz-Expires"]))
    auth._modify_request_before_signing(request)  # adds the X-Amz-* parameters, expiry included, to what is signed
    signature = auth.signature(auth.string_to_sign(request, auth.canonical_request(request)), request)
    assert signature == query["X-Amz-Signature"], "the URL's signature does not cover its parameters"
    return datetime.strptime(query["X-Amz-Date"], "%Y%m%dT%H%M%SZ") + timedelta(seconds=int(query["X-Amz-Expires"]))


def test_a_presigned_url_serves_the_object_with_our_headers_and_expires(s3: Any) -> None:
    key = s3.put(b"%PDF-1.7 body", ".pdf")
    url = s3.presigned_url(key, 60, "receipt-2026-1.pdf", "application/pdf", "no-store")
    with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310 (our loopback server)
        assert answer.read() == b"%PDF-1.7 body"
        assert answer.headers["Content-Type"] == "application/pdf"
        assert answer.headers["Content-Disposition"] == 'attachment; filename="receipt-2026-1.pdf"'
        assert answer.headers["Cache-Control"] == "no-store"
    left = signed_until(url) - datetime.now(UTC).replace(tzinfo=None)
    assert timedelta(0) < left <= timedelta(seconds=60)  # signed now, for 60 seconds and no more
    longer = url.replace("X-Amz-Expires=60", "X-Amz-Expires=3600")
    with pytest.raises(AssertionError, match="signature"):
        signed_until(longer)  # a URL whose expiry was pushed back is refused: the expiry is signed
    other = s3.put(b"another")
    with pytest.raises(AssertionError, match="signature"):
        signed_until(url.replace(key, other))  # nor does it open another object


def test_the_local_folder_signs_nothing(tmp_path: Path) -> None:
    local = LocalStorage(tmp_path)
    assert local.presigned_url(local.put(b"x"), 60, None, "image/jpeg", "no-store") is None


def test_storage_url_must_be_s3() -> None:
    with pytest.raises(ValueError, match="STORAGE_URL"):
        storage_from_config({"STORAGE_URL": "ftp://somewhere/x", "UPLOAD_FOLDER": "/nonexistent"})
