"""The one input filter: what every request's text, numbers and JSON pass through before any form sees them.

Invisible characters that no keyboard types on purpose (NUL and the other C0/C1 controls, lone surrogates,
bidirectional overrides that make a name read backwards) are stripped from every query and form value and
every uploaded file name, by the request class itself; so a form added tomorrow is covered too. Tabs and
line breaks stay. JSON bodies are parsed with a nesting limit and the same stripping. Numbers that banks and
registries read (accounts, ID numbers, mobiles) are folded to ASCII here (full-width ６ becomes 6).
"""

from __future__ import annotations

import io
import json
import re
import unicodedata
from datetime import date
from typing import IO, Any

from flask import Request
from flask.json.provider import DefaultJSONProvider
from werkzeug.datastructures import FileStorage, Headers, ImmutableMultiDict
from werkzeug.formparser import FormDataParser, MultiPartParser
from werkzeug.http import parse_options_header
from werkzeug.routing import BaseConverter, IntegerConverter
from werkzeug.sansio.multipart import File

# C0 controls but tab, line feed and carriage return; DEL and the C1 controls; lone surrogates; the
# bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069).
_INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")

# Dates a person can mean here: the scheme did not exist before 2000, and nothing is planned past 2100.
EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2100, 12, 31)

# Database integer columns are 32-bit signed; an id or count beyond that is never valid.
MAX_INT = 2**31 - 1

# The longest field name a form of ours has is under 40 characters.
MAX_KEY = 100

# How deep a JSON body may nest: the app's own documents need 4 levels; 32 leaves room and stops a 1,000-level bomb.
MAX_JSON_DEPTH = 32


def clean_text(value: str) -> str:
    """The text without invisible control characters (tabs and line breaks are kept)."""
    return _INVISIBLE.sub("", value) if _INVISIBLE.search(value) else value


def clean_value(value: Any) -> Any:
    """`clean_text` applied to strings, to the names of uploaded files, and inside lists and dicts (JSON)."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, FileStorage):
        if value.filename:
            value.filename = clean_text(value.filename)
        return value
    if isinstance(value, list):
        return [clean_value(item) for item in value]
    if isinstance(value, dict):
        return {clean_text(str(key)): clean_value(item) for key, item in value.items()}
    return value


class CleanMultiDict(ImmutableMultiDict):  # type: ignore[type-arg]
    """Query and form values as parsed by Werkzeug, already cleaned (also the `files` of a multipart body)."""

    def __init__(self, mapping: Any = None) -> None:
        if mapping is None:
            super().__init__()
            return
        items = mapping.items(multi=True) if hasattr(mapping, "items") and hasattr(mapping, "getlist") else _pairs(mapping)
        # Field names are ours, short and ASCII: any other name is dropped (WTForms reads "losses-²-item" as
        # an index through str.isdigit and int() then fails).
        super().__init__([(key, clean_value(value)) for key, value in items if isinstance(key, str) and key.isascii() and len(key) <= MAX_KEY])


def _pairs(mapping: Any) -> Any:
    if isinstance(mapping, dict):
        for key, value in mapping.items():
            for item in value if isinstance(value, list | tuple) else [value]:
                yield key, item
        return
    yield from mapping


UPLOADS_IN_MEMORY = 32 * 1024 * 1024  # a filing with five phone photos; past it, uploads go to temporary files
# Werkzeug's parser reads 64 KB at a time and refuses a body whose unparsed rest outgrows max_form_memory_size: header
# lines within two reads of that limit, or any body under a limit this small, are left to it.
HEADER_ROOM = 2 * 64 * 1024


class UploadBuffer(io.BufferedIOBase):
    """An uploaded file held in memory as the parser hands it over: the pieces are kept as they come and joined once,
    when the file is first read (a BytesIO would copy the whole file again each time it outgrows its buffer). Closed,
    it refuses reads, writes and seeks as a file does (ValueError)."""

    def __init__(self) -> None:
        super().__init__()
        self._pieces: list[bytes] = []
        self._data = b""
        self._position = 0

    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def _open(self) -> None:
        if self.closed:
            raise ValueError("I/O operation on closed file.")

    def write(self, piece: Any) -> int:
        self._open()
        self._pieces.append(bytes(piece))
        return len(piece)

    def _joined(self) -> bytes:
        self._open()
        if len(self._pieces) == 1 and not self._data:
            self._data = self._pieces.pop()  # a file handed over whole (WholeBodyFormParser): kept as it came, no copy
        elif self._pieces:
            self._data = b"".join([self._data, *self._pieces])
            self._pieces = []
        return self._data

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        size = len(self._joined())
        if whence not in (io.SEEK_SET, io.SEEK_CUR, io.SEEK_END):
            raise ValueError(f"invalid whence ({whence})")
        position = (0, self._position, size)[whence] + offset
        if position < 0:
            raise ValueError(f"negative seek position {position}")
        self._position = position
        return position

    def tell(self) -> int:
        self._open()
        return self._position

    def read(self, size: int | None = -1) -> bytes:
        data = self._joined()
        if self._position == 0 and (size is None or size < 0 or size >= len(data)):
            self._position = len(data)
            return data  # the whole file, without a copy
        end = len(data) if size is None or size < 0 else self._position + size
        piece = data[self._position : end]
        self._position += len(piece)
        return piece

    read1 = read

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        piece = self.read(len(view))
        view[: len(piece)] = piece
        return len(piece)

    def close(self) -> None:
        self._pieces, self._data = [], b""
        super().close()


class WholeBodyFormParser(FormDataParser):
    """Werkzeug's form parser, with a fast path for the multipart bodies that browsers and phones send.

    A body of at most UPLOADS_IN_MEMORY (a filing with its photos) is read whole and cut at its boundaries with
    `bytes.find`, each file handed over in one piece: about 1.5 ms for a filing's 13 MB instead of some 8 ms through
    Werkzeug's parser, which copies every 64 KB chunk several times over (bench/intake.py). Only the plain shape is
    taken this way: the parts one after another from the body's start, each with its header lines ended by CRLF, and
    each boundary followed by CRLF or by the closing "--" (as browsers write them, and Werkzeug's test client).
    Anything else (a preamble, bare line feeds, folded headers, a part past the form's limits, the boundary anywhere but
    where it was found, text after the closing boundary) goes to Werkzeug's parser over the same bytes, which decides
    as it always did; the whole body is checked before any part is made, so such a body costs no buffers of its own. So
    both paths give the same form and files (tests/core/test_upload_buffer.py compares them on generated bodies), but
    where Werkzeug's 64 KB reads themselves err, and the fast path reads right: a read that ends inside the closing
    "--" adds a CR to the last part (pallets/werkzeug#3285), and one that ends just after the blank line of its test
    client's empty value loses the whole form. A body shorter than its Content-Length is refused as a client gone
    away (400) before any part is made, where Werkzeug's parser may first make parts or refuse a limit (413).
    The body and its parts are both held while it is cut: some 26 MB for a filing, within the twice UPLOADS_IN_MEMORY a
    worker may hold in uploads."""

    def _parse_multipart(self, stream: IO[bytes], mimetype: str, content_length: int | None, options: dict[str, str]) -> tuple[IO[bytes], Any, Any]:
        boundary = options.get("boundary", "").encode("ascii")
        limit = self.max_form_memory_size
        if not boundary or content_length is None or content_length > UPLOADS_IN_MEMORY or (limit is not None and limit <= HEADER_ROOM):
            return super()._parse_multipart(stream, mimetype, content_length, options)
        body = _read_body(stream, content_length)
        cuts = self._cuts(body, boundary)
        if cuts is None:  # nothing made yet: Werkzeug's parser reads the same bytes
            _read, form, files = super()._parse_multipart(io.BytesIO(body), mimetype, len(body), options)
            return stream, form, files
        parser = MultiPartParser(stream_factory=self.stream_factory, max_form_memory_size=limit, max_form_parts=self.max_form_parts, cls=self.cls)
        fields: list[tuple[Any, str]] = []
        files: list[tuple[Any, FileStorage]] = []
        for headers, name, filename, start, end in cuts:
            if filename is None:
                fields.append((name, body[start:end].decode(parser.get_part_charset(headers), "replace")))
                continue
            container = parser.start_file_streaming(File(name=name, filename=filename, headers=headers), len(body))  # type: ignore[arg-type]
            container.write(body[start:end])
            container.seek(0)
            files.append((name, FileStorage(container, filename, name, headers=headers)))
        return stream, self.cls(fields), self.cls(files)

    def _cuts(self, body: bytes, boundary: bytes) -> list[tuple[Headers, Any, str | None, int, int]] | None:
        """Each part's headers, name, filename and where its content lies in the body; None unless the whole body is
        of the plain shape (see the class) and within the form's limits, checked before anything is made of it."""
        opening = b"--" + boundary + b"\r\n"
        position = 2 if body.startswith(b"\r\n") else 0  # Werkzeug's own encoder (the test client) begins with a line break
        if not body.startswith(opening, position):
            return None
        position += len(opening)
        delimiter = b"\r\n--" + boundary
        limit = self.max_form_memory_size
        cuts: list[tuple[Headers, Any, str | None, int, int]] = []
        while True:
            end = body.find(delimiter, position)
            # The blank line after the headers; in Werkzeug's own encoding of an empty value it is also the boundary's
            # line break (headers, CRLF, CRLF, boundary), which its parser reads as empty.
            head_end = body.find(b"\r\n\r\n", position, end + 2) if end >= 0 else -1
            if head_end < 0 or (self.max_form_parts is not None and len(cuts) >= self.max_form_parts):
                return None
            if limit is not None and head_end - position > limit - HEADER_ROOM:
                return None  # header lines near the size Werkzeug refuses while it looks for their end
            headers = _part_headers(body[position:head_end])
            after = end + len(delimiter)
            closing = body[after : after + 2]
            if headers is None or "content-disposition" not in headers or closing not in (b"\r\n", b"--"):
                return None
            _disposition, extra = parse_options_header(headers["content-disposition"])
            name, filename = extra.get("name"), extra.get("filename")
            start = min(head_end + 4, end)
            if filename is None and limit is not None and end - start > limit:
                return None
            cuts.append((headers, name, filename, start, end))
            if closing == b"--":
                break
            position = after + 2
        # Werkzeug also takes a bare CR or LF before the boundary as its line break, so a part holding one would be two
        # parts to it; and it reads on past the closing boundary. So: the boundary nowhere but where it was found, and
        # nothing after the closing one but a line break.
        if body.count(b"--" + boundary) != len(cuts) + 1 or len(body) - after > 4 or body[after + 2 :] not in (b"", b"\r\n"):
            return None
        return cuts


def _read_body(stream: IO[bytes], length: int) -> bytes:
    """`length` bytes of the request's body, or what came before it ended (the stream says if the client went away)."""
    pieces: list[bytes] = []
    got = 0
    while got < length:
        piece = stream.read(length - got)
        if not piece:
            break
        pieces.append(piece)
        got += len(piece)
    return pieces[0] if len(pieces) == 1 else b"".join(pieces)


def _part_headers(block: bytes) -> Headers | None:
    """A part's header lines as Werkzeug reads them, when they are plain "Name: value" lines ended by CRLF (no folded
    line, no bare CR or LF, UTF-8); else None."""
    if block.count(b"\r") != block.count(b"\r\n") or block.count(b"\n") != block.count(b"\r\n"):
        return None
    headers: list[tuple[str, str]] = []
    for line in block.split(b"\r\n"):
        if line[:1] in (b" ", b"\t"):
            return None  # a folded line
        line = line.strip(b" \t")
        if line:
            try:
                name, _colon, value = line.decode().partition(":")
            except UnicodeDecodeError:
                return None
            headers.append((name.strip(" \t"), value.strip(" \t")))
    return Headers(headers)


class CleanRequest(Request):
    """Flask's request with every query and form value passed through `clean_text`."""

    parameter_storage_class = CleanMultiDict
    form_data_parser_class = WholeBodyFormParser

    def _get_file_stream(
        self, total_content_length: int | None, content_type: str | None, filename: str | None = None, content_length: int | None = None
    ) -> IO[bytes]:
        """Each uploaded file's buffer, remembered so that the end of the request closes it even when the upload was
        cut half-way (a phone losing its signal) and the parser gave up before handing the file over.

        In memory (UploadBuffer) for a request of at most UPLOADS_IN_MEMORY, not Werkzeug's temporary file past 500 KB:
        every upload is read whole right after (photos are hashed and decoded from bytes), so the file only added a
        write and a read of each photo (bench/intake.py). A larger request (up to MAX_CONTENT_LENGTH, 100 MB) goes to
        temporary files as before, so a worker never holds more than about twice this in uploads."""
        if total_content_length is None or total_content_length > UPLOADS_IN_MEMORY:
            stream = super()._get_file_stream(total_content_length, content_type, filename, content_length)
        else:
            stream = UploadBuffer()
        self.__dict__.setdefault("_upload_buffers", []).append(stream)
        return stream

    def close(self) -> None:
        super().close()
        for stream in self.__dict__.pop("_upload_buffers", []):
            stream.close()


def json_depth_exceeds(text: str | bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether the JSON text nests arrays or objects deeper than `limit` (strings are skipped, so a
    bracket inside one does not count). Linear time, no recursion: safe on any input."""
    if isinstance(text, bytes):
        text = text.decode(json.detect_encoding(text), "replace")  # as json.loads reads it (UTF-8, -16 or -32)
    depth = 0
    in_string = False
    escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


def loads_bounded(text: str | bytes, limit: int = MAX_JSON_DEPTH) -> Any:
    """`json.loads` that refuses deep nesting with ValueError (never RecursionError) and cleans strings."""
    if json_depth_exceeds(text, limit):
        raise ValueError(f"JSON nested deeper than {limit} levels")
    try:
        return clean_value(json.loads(text, parse_constant=_no_constant))
    except RecursionError as exc:  # the scan above should prevent it; never a 500 if it does not
        raise ValueError("JSON nested too deep") from exc


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


class BoundedJSONProvider(DefaultJSONProvider):
    """The app's JSON: bodies nested too deep, or with NaN or Infinity (which Python's parser accepts and
    JSON does not), are a 400 (Flask turns the ValueError into BadRequest); strings are cleaned."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        if json_depth_exceeds(s):
            raise ValueError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
        kwargs.setdefault("parse_constant", _no_constant)
        try:
            return clean_value(json.loads(s, **kwargs))
        except RecursionError as exc:
            raise ValueError("JSON nested too deep") from exc


def bearer_token(header: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header (the scheme in any case, RFC 7235), or None unless the
    header is one token without inner whitespace, at most 200 characters: the API's authentication and its rate limit
    read it alike, so padding a token never makes it another caller."""
    if not header or len(header) > 200:
        return None
    scheme, _space, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or any(c.isspace() for c in token):
        return None
    return token


def ascii_digits(value: str | None) -> str:
    """A number as banks and registries read it: NFKC-folded (full-width ６ is 6, ｘ is x), spaces,
    hyphens and dots between groups removed, upper case. The caller then requires [0-9] (and X)."""
    folded = unicodedata.normalize("NFKC", value or "")
    return re.sub(r"[\s\-.·]", "", folded).upper()


# A claim number: the county's 6-digit code, the year, and a sequence of at least 6 digits (430921-2026-000123).
_CLAIM_NUMBER = re.compile(r"([0-9]{6})([0-9]{4})([0-9]{6,7})")


def claim_number(value: str | None) -> str:
    """A claim number as someone typed it (with spaces, full-width digits or no hyphens) written as the app gives it,
    or "" when it cannot be one."""
    match = _CLAIM_NUMBER.fullmatch(ascii_digits(value))
    return "-".join(match.groups()) if match else ""


def bounded_int(value: Any, low: int = 0, high: int = MAX_INT) -> int | None:
    """An integer from a query or form value, or None when missing, malformed or outside [low, high]."""
    try:
        number = int(str(value).strip()) if value is not None and str(value).strip().lstrip("-").isascii() else None
    except ValueError:
        return None
    return number if number is not None and low <= number <= high else None


# A version no claim has: a form whose version field holds something else than a number (no page of ours sends that)
# is answered as a form made from another version of the claim, never taken without the compare-and-set.
NO_VERSION = -1


def form_version(value: str | None) -> int | None:
    """The claim version a form was rendered with (hidden field), for the compare-and-set; None if absent."""
    if value is None or not str(value).strip():
        return None
    version = bounded_int(value, 0)
    return NO_VERSION if version is None else version


class PathText(BaseConverter):
    """The default URL part (`<code>`): up to 100 characters, no slash and no control character, so a NUL
    or a line break in a path is a 404, never a database error or a forged log line."""

    regex = "[^/\x00-\x1f\x7f]{1,100}"


class PathId(IntegerConverter):
    """`<int:...>`: a record id that fits the database's integer columns (a larger one is a 404, not an overflow)."""

    def __init__(self, map: Any, fixed_digits: int = 0, min: int | None = None, max: int | None = None, signed: bool = False) -> None:
        super().__init__(map, fixed_digits, min, MAX_INT if max is None else max, signed)


def install_url_converters(app: Any) -> None:
    """Before any route is added: the bounded converters replace Werkzeug's defaults."""
    app.url_map.converters.update({"default": PathText, "string": PathText, "int": PathId})
