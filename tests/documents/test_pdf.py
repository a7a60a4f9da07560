"""claims.documents.pdf: the finisher that deflates each stream once. It leans on how pydyf writes a file with
an identifier (every object serialised twice), so a new WeasyPrint or pydyf could quietly stop it working."""

from __future__ import annotations

import io
import zlib
from typing import Any

import pydyf
import pytest
from pypdf import PdfReader
from pypdf.generic import IndirectObject, StreamObject

from claims.documents import pdf
from claims.documents.pdf import render_pdf
from tests.documents.conftest import flat, pdf_text

HTML = '<html lang="zh-CN"><body><h1>野生动物致害补偿决定书</h1><p>申请人张建国，水稻损失 1,234.56 元。</p></body></html>'


def _count_deflations(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every deflate started through Python's zlib module (pydyf's and the finisher's), from now on."""
    calls: list[str] = []
    compress, compressobj = zlib.compress, zlib.compressobj

    def counted_compress(*args: Any, **kwargs: Any) -> bytes:
        calls.append("compress")
        return compress(*args, **kwargs)

    def counted_compressobj(*args: Any, **kwargs: Any) -> Any:
        calls.append("compressobj")
        return compressobj(*args, **kwargs)

    monkeypatch.setattr(zlib, "compress", counted_compress)
    monkeypatch.setattr(zlib, "compressobj", counted_compressobj)
    return calls


def test_each_stream_is_deflated_once_and_the_file_is_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    render_pdf(HTML)  # the process's first rendering changes how the shared sRGB profile serialises (lcms)
    finisher = pdf.deflate_streams_once
    handed: list[int] = []

    def spy(document: Any, pdf_file: pydyf.PDF) -> None:
        handed.append(sum(isinstance(obj, pydyf.Stream) and obj.compress for obj in pdf_file.objects))
        finisher(document, pdf_file, 9)  # pydyf's own level, to compare bytes with what pydyf writes
        assert not [obj for obj in pdf_file.objects if isinstance(obj, pydyf.Stream) and obj.compress], "a stream was left to pydyf"

    deflations = _count_deflations(monkeypatch)
    monkeypatch.setattr(pdf, "deflate_streams_once", spy)
    finished = render_pdf(HTML).body
    once = len(deflations)
    monkeypatch.setattr(pdf, "deflate_streams_once", lambda document, pdf_file: None)
    deflations.clear()
    plain = render_pdf(HTML).body
    twice = len(deflations)

    assert len(handed) == 1 and handed[0] >= 3  # at least the sRGB profile, the embedded font and the page
    # Without the finisher pydyf deflates each of those streams twice (to hash the file, then to write it).
    assert twice - once == handed[0], "the finisher no longer saves one deflate per stream: check pydyf's PDF.write"
    assert finished == plain  # the same bytes as pydyf writes on its own
    reader = PdfReader(io.BytesIO(finished))
    assert len(reader.trailer["/ID"]) == 2 and len(reader.pages) == 1
    assert "水稻损失1,234.56元" in flat(pdf_text(finished))


def _plain(obj: Any) -> Any:
    """A pypdf object as plain values: a reference by its number, a stream as its dictionary and its decoded bytes
    (without /Length and /Filter, which say how it was deflated)."""
    if isinstance(obj, IndirectObject):
        return ("ref", obj.idnum, obj.generation)
    if isinstance(obj, StreamObject):
        head = {k: _plain(v) for k, v in obj.items() if k not in ("/Length", "/Filter")}
        return (head, obj.get_data())
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_plain(v) for v in obj]
    return obj


def _decoded_objects(body: bytes) -> dict[int, Any]:
    """Every indirect object of the file but the cross-reference stream, as plain values."""
    reader = PdfReader(io.BytesIO(body))
    objects = {}
    for number in range(1, int(reader.trailer["/Size"])):
        obj = reader.get_object(number)
        if obj is not None and not (isinstance(obj, dict) and obj.get("/Type") == "/XRef"):
            objects[number] = _plain(obj)
    return objects


def test_the_default_level_changes_only_how_tightly_streams_are_deflated(monkeypatch: pytest.MonkeyPatch) -> None:
    """DEFLATE_LEVEL (6, not pydyf's 9) makes other deflated bytes, and so another file identifier, but every object
    of the file decodes to the same as at pydyf's level."""
    render_pdf(HTML)
    ours = render_pdf(HTML).body
    monkeypatch.setattr(pdf, "DEFLATE_LEVEL", 9)
    nines = render_pdf(HTML).body
    assert ours != nines
    decoded, decoded_nines = _decoded_objects(ours), _decoded_objects(nines)
    assert len(decoded) > 10
    assert decoded == decoded_nines
