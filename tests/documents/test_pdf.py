"""claims.documents.pdf: the finisher that deflates each stream once. It leans on how pydyf writes a file with
an identifier (every object serialised twice), so a new WeasyPrint or pydyf could quietly stop it working."""

from __future__ import annotations

import io
import zlib
from typing import Any

import pydyf
import pytest
from pypdf import PdfReader

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
        finisher(document, pdf_file)
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
