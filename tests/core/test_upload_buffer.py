"""Uploaded files are held in memory as Werkzeug's parser hands them over (claims.core.inputs.UploadBuffer)."""

from __future__ import annotations

import array
import io
import shutil

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import FileStorage
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


# --- the whole-body fast path (claims.core.inputs.WholeBodyFormParser) against Werkzeug's own parser -------------------

BOUNDARY = "----WebKitFormBoundaryx7Lq2v9ZkP0aQ3mR"
FIELD_MEMORY = 500_000  # max_form_memory_size for these parsers, Flask's default: a longer text part is a 413
FORM_PARTS = 12  # max_form_parts


def _body(parts: list[tuple[str, str | None, bytes]], *, leading_break: bool = False, closing: bytes = b"--\r\n") -> bytes:
    """A multipart body as a browser writes it: (name, filename or None for a field, content) per part."""
    out = [b"\r\n"] if leading_break else []
    for name, filename, content in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename is not None else "")
        out.append(b"--" + BOUNDARY.encode() + b"\r\n")
        out.append(f"Content-Disposition: {disposition}\r\n".encode())
        if filename is not None:
            out.append(b"Content-Type: image/jpeg\r\n")
        out.append(b"\r\n" + content + b"\r\n")
    out.append(b"--" + BOUNDARY.encode() + closing)
    return b"".join(out)


def _padded_last(body: bytes) -> bytes:
    """The body with a space after its last boundary but the closing one (Werkzeug allows it; the fast path leaves it)."""
    at = body.rindex(b"--" + BOUNDARY.encode() + b"\r\n") + 2 + len(BOUNDARY)
    return body[:at] + b" " + body[at:]


def _parse(parser_class: type, body: bytes, boundary: str = BOUNDARY, **limits: int) -> object:
    """What the parser makes of the body: the fields, and each file's name, filename, type and bytes; or the error."""
    from werkzeug.datastructures import MultiDict
    from werkzeug.exceptions import HTTPException

    made: list[UploadBuffer] = []

    def buffer(**_kw: object) -> UploadBuffer:
        made.append(UploadBuffer())
        return made[-1]

    parser = parser_class(
        stream_factory=buffer,
        max_form_memory_size=limits.get("memory", FIELD_MEMORY),
        max_form_parts=limits.get("parts", FORM_PARTS),
        cls=MultiDict,
    )
    try:
        _stream, form, files = parser.parse(io.BytesIO(body), "multipart/form-data", len(body), {"boundary": boundary})
    except HTTPException as exc:
        return ("refused", exc.code)
    return (
        list(form.items(multi=True)),
        [(name, f.filename, f.content_type, f.read()) for name, f in files.items(multi=True)],
        len(made),  # the buffers made: a body the fast path leaves to Werkzeug makes none of its own
    )


def _both(body: bytes, boundary: str = BOUNDARY, **limits: int) -> object:
    from werkzeug.formparser import FormDataParser

    ours = _parse(inputs.WholeBodyFormParser, body, boundary, **limits)
    assert ours == _parse(FormDataParser, body, boundary, **limits)
    return ours


def test_a_filing_body_is_cut_whole_without_werkzeugs_chunked_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    from werkzeug import formparser

    photos = [bytes(range(256)) * 4000 + bytes([n]) + b"\r\n--" + BOUNDARY.encode()[:-1] for n in range(3)]  # a near-boundary inside
    parts = [("note", None, "一张照片".encode()), *((("photos", f"p{n}.jpg", p)) for n, p in enumerate(photos))]
    expected = _parse(formparser.FormDataParser, _body(parts))

    def chunked(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("Werkzeug's chunked parser ran")

    monkeypatch.setattr(formparser.MultiPartParser, "parse", chunked)
    for body in (_body(parts), _body(parts, leading_break=True)):  # a browser's, and with the test client's leading line break
        parsed = _parse(inputs.WholeBodyFormParser, body)
        assert parsed == expected
        assert parsed[0] == [("note", "一张照片")] and [f[3] for f in parsed[1]] == photos  # type: ignore[index]


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(_body([("a", None, b"1")]).replace(b"\r\n", b"\n"), id="bare line feeds"),
        pytest.param(b"a preamble\r\n" + _body([("a", None, b"1")]), id="a preamble"),
        pytest.param(_body([("a", None, b"1")]).replace(b"Content-Disposition:", b"X-Note: folded\r\n\tline\r\nContent-Disposition:"), id="folded"),
        pytest.param(_body([("a", None, b"1")]).replace(b"Content-Disposition", b"Content-Type"), id="no disposition"),
        pytest.param(_body([("a", None, b"1"), ("b", "b.jpg", b"x" * 3000)])[:-40], id="cut short"),
        pytest.param(_body([("a", None, b"1")], closing=b"  \r\n"), id="spaces after the boundary, no closing"),
        pytest.param(
            _body([("a", None, b"1"), ("b", None, b"2")]).replace(b"\r\n--" + BOUNDARY.encode() + b"\r\n", b"\r\n--" + BOUNDARY.encode() + b" \r\n", 1),
            id="padding",
        ),
        pytest.param(_body([("f", "f.bin", b"x\r\n--" + BOUNDARY.encode() + b"X tail")]), id="text like a boundary"),
        pytest.param(_body([("a", None, "名".encode("gb18030"))]), id="not utf-8 text"),
        pytest.param(_body([("é", None, b"1")]).replace("é".encode(), "é".encode("latin-1")), id="header not utf-8"),
        pytest.param(b"", id="empty"),
        pytest.param(b"--" + BOUNDARY.encode() + b"--\r\n", id="no parts"),
        pytest.param(_body([("a", None, b"")]), id="an empty field"),
        pytest.param(
            _body([("a", None, b"abc\n--" + BOUNDARY.encode() + b'\r\nContent-Disposition: form-data; name="b"\r\n\r\nevil')]), id="LF boundary in a field"
        ),
        pytest.param(_body([("f", "f.bin", b"abc\n--" + BOUNDARY.encode() + b"\r\n")]), id="LF boundary in a file"),
        pytest.param(_body([("a", None, b"abc\r--" + BOUNDARY.encode() + b"--\r\n"), ("b", None, b"2")]), id="CR closing in a field"),
        pytest.param(_body([("a", None, b"1")]) + b"x" * 600_000, id="text after the closing"),
        pytest.param(_body([("a", None, b"1")]) + b"\r\n", id="a line break after the closing"),
        pytest.param(
            _body([("a", None, b"1")]).replace(b"Content-Disposition:", b"X-Pad: " + b"p" * 459_000 + b"\r\nContent-Disposition:") + b"",
            id="headers near the limit",
        ),
        pytest.param(_body([("a", None, b"1"), ("b", None, b"2")])[:-1] + b" ", id="a space after the closing, cut"),
        pytest.param(
            _padded_last(_body([("f", "f.bin", b"z" * 200_000), ("g", "g.bin", b"y" * 200_000), ("a", None, b"1")])), id="files, then a padded boundary"
        ),
        pytest.param(_body([("big", None, b"x" * (FIELD_MEMORY + 1))]), id="a field past the memory limit"),
        pytest.param(_body([(f"f{n}", None, b"1") for n in range(FORM_PARTS + 1)]), id="too many parts"),
        pytest.param(_body([("f", "f.bin", b"y" * (FIELD_MEMORY * 3))]), id="a file past the field limit"),
        pytest.param(
            _body([("a", None, b"1")]).replace(b"Content-Disposition:", b"X-Pad: " + b"p" * FIELD_MEMORY + b"\r\nContent-Disposition:"), id="long headers"
        ),
    ],
)
def test_bodies_of_any_other_shape_are_parsed_as_werkzeug_parses_them(body: bytes) -> None:
    _both(body)


def test_the_limits_hold_on_the_fast_path_as_on_werkzeugs() -> None:
    assert _both(_body([("big", None, b"x" * (FIELD_MEMORY + 1))])) == ("refused", 413)
    assert _both(_body([(f"f{n}", None, b"1") for n in range(FORM_PARTS + 1)])) == ("refused", 413)
    assert _both(_body([(f"f{n}", None, b"1") for n in range(FORM_PARTS)]))[0][-1] == (f"f{FORM_PARTS - 1}", "1")  # type: ignore[index]


@settings(max_examples=150, deadline=None)
@given(
    parts=st.lists(
        st.tuples(
            st.text(st.sampled_from("abc_-0名"), min_size=1, max_size=6),
            st.one_of(st.none(), st.text(st.sampled_from("xyz.照 "), min_size=1, max_size=8)),
            st.binary(max_size=300)
            | st.sampled_from(
                [
                    b"\r\n",
                    b"--",
                    b"\r\n--",
                    b"\r\n--" + BOUNDARY.encode()[:10],
                    b"\r\n\r\n",
                    b"x\n--" + BOUNDARY.encode() + b"\r\n",
                    b"\r--" + BOUNDARY.encode() + b"--",
                ]
            ),
        ),
        min_size=1,
        max_size=FORM_PARTS + 2,
    ),
    leading_break=st.booleans(),
    cut=st.one_of(st.none(), st.integers(min_value=0, max_value=400)),
)
def test_generated_bodies_give_the_same_form_and_files_on_both_paths(parts: list[tuple[str, str | None, bytes]], leading_break: bool, cut: int | None) -> None:
    from werkzeug.datastructures import MultiDict
    from werkzeug.test import encode_multipart

    body = _body(parts, leading_break=leading_break)
    _both(body if cut is None else body[: len(body) - cut])
    # The same parts as Werkzeug's test client encodes them (an empty value's blank line doubles as the boundary's).
    values: MultiDict[str, object] = MultiDict()
    for name, filename, content in parts:
        values.add(name, content.decode("latin-1") if filename is None else FileStorage(io.BytesIO(content), filename, content_type="image/jpeg"))
    boundary, encoded = encode_multipart(values)
    _both(encoded if cut is None else encoded[: len(encoded) - cut], boundary)
