"""Uploaded files are held in memory as Werkzeug's parser hands them over (claims.core.inputs.UploadBuffer)."""

from __future__ import annotations

import array
import io
import shutil

import pytest
from werkzeug.test import EnvironBuilder

from claims.core import inputs
from claims.core.inputs import CleanRequest, UploadBuffer


def test_the_pieces_read_back_whole_in_parts_and_from_anywhere() -> None:
    buffer = UploadBuffer()
    for piece in (b"abc", bytearray(b"defg"), memoryview(b"hij")):
        buffer.write(piece)
    assert buffer.seek(0) == 0 and buffer.read() == b"abcdefghij" and buffer.read() == b""
    buffer.seek(2)
    assert buffer.read(3) == b"cde" and buffer.tell() == 5 and buffer.read(100) == b"fghij"
    assert buffer.seek(-4, io.SEEK_END) == 6 and buffer.read(2) == b"gh"
    assert buffer.seek(1, io.SEEK_CUR) == 9 and buffer.read() == b"j"
    buffer.write(b"kl")  # written after a read: joined on the next read
    buffer.seek(0)
    target = bytearray(5)
    assert buffer.readinto(target) == 5 and bytes(target) == b"abcde"
    out = io.BytesIO()
    shutil.copyfileobj(buffer, out, 4)  # as FileStorage.save copies
    assert out.getvalue() == b"fghijkl"
    with pytest.raises(ValueError):
        buffer.seek(-1)
    with pytest.raises(ValueError):
        buffer.seek(0, 7)
    ints = array.array("i", [0, 0])  # any writable buffer, as BytesIO takes
    buffer.seek(0)
    assert buffer.readinto(ints) == 8 and ints.tobytes() == b"abcdefgh"
    buffer.close()
    assert buffer.closed
    for call in (buffer.read, buffer.tell, lambda: buffer.seek(0), lambda: buffer.write(b"x")):
        with pytest.raises(ValueError):
            call()


def test_a_multipart_upload_arrives_byte_for_byte_and_the_request_closes_its_buffers() -> None:
    photos = [bytes(range(256)) * 4000 + bytes([n]) for n in range(3)]  # about 1 MB each, past Werkzeug's 500 KB
    data = {"note": "一张照片", "photos": [(io.BytesIO(p), f"p{n}.jpg", "image/jpeg") for n, p in enumerate(photos)]}
    builder = EnvironBuilder(method="POST", data=data)
    environ = builder.get_environ()
    builder.close()
    request = CleanRequest(environ)
    files = request.files.getlist("photos")
    assert [f.read() for f in files] == photos and request.form["note"] == "一张照片"
    assert all(isinstance(f.stream, UploadBuffer) for f in files)
    request.close()
    environ["wsgi.input"].close()  # the test's copy of the body, in a temporary file
    assert all(f.stream.closed for f in files)


def test_a_request_larger_than_the_memory_allowance_spools_its_uploads_to_files(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inputs, "UPLOADS_IN_MEMORY", 1024 * 1024)
    photos = [bytes(range(256)) * 4000 + bytes([n]) for n in range(3)]  # 3 MB in all
    builder = EnvironBuilder(method="POST", data={"photos": [(io.BytesIO(p), f"p{n}.jpg", "image/jpeg") for n, p in enumerate(photos)]})
    environ = builder.get_environ()
    builder.close()
    request = CleanRequest(environ)
    files = request.files.getlist("photos")
    assert [f.read() for f in files] == photos and not any(isinstance(f.stream, UploadBuffer) for f in files)
    request.close()
    environ["wsgi.input"].close()
    assert all(f.stream.closed for f in files)
