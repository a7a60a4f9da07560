"""Where a PDF's text is drawn: each text run's box from the content stream, read with pypdf.

Text is placed by the text matrix (Tm, Td, TD, T*) under the graphics matrix (cm, q/Q, form XObjects) and advances by
the glyph widths of its font (/W of the CID font, /Widths of a simple font), the character and word spacing, the
horizontal scaling and the TJ adjustments (PDF 32000-1 §9.4.4). That is enough to know whether a run ends beyond the
page's right margin, which the extracted text alone cannot tell.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any

from pypdf import PdfReader
from pypdf.generic import ContentStream, DictionaryObject

Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1, 0, 0, 1, 0, 0)
MM = 72 / 25.4


@dataclass(frozen=True)
class TextRun:
    page: int  # 1-based
    text: str
    x0: float  # points, from the page's left edge
    x1: float
    y: float  # baseline, points from the page's bottom edge
    font: str  # the BaseFont, subset tag included
    size: float = 0.0  # points on the page (the Tf size under the text and graphics matrices)
    color: tuple[float, ...] = (0.0, 0.0, 0.0)  # the fill colour (rg or g) it is drawn in


def multiply(m: Matrix, n: Matrix) -> Matrix:
    """m × n (m applied first)."""
    a, b, c, d, e, f = m
    a2, b2, c2, d2, e2, f2 = n
    return (a * a2 + b * c2, a * b2 + b * d2, c * a2 + d * c2, c * b2 + d * d2, e * a2 + f * c2 + e2, e * b2 + f * d2 + f2)


def apply(m: Matrix, x: float, y: float) -> tuple[float, float]:
    a, b, c, d, e, f = m
    return a * x + c * y + e, b * x + d * y + f


class Font:
    """The widths and the Unicode text of a font's codes."""

    def __init__(self, font: DictionaryObject) -> None:
        self.name = str(font.get("/BaseFont", ""))
        self.two_byte = font.get("/Subtype") == "/Type0"
        self.widths: dict[int, float] = {}
        if self.two_byte:
            descendant = font["/DescendantFonts"][0].get_object()
            self.default = float(descendant.get("/DW", 1000))
            self._cid_widths(descendant.get("/W", []))
        else:
            self.default = 0.0
            first = int(font.get("/FirstChar", 0))
            for i, w in enumerate(font.get("/Widths", [])):
                self.widths[first + i] = float(w)
        self.unicode = _to_unicode(font["/ToUnicode"].get_object().get_data().decode("latin-1")) if "/ToUnicode" in font else {}

    def _cid_widths(self, w: Any) -> None:
        items = list(w)
        i = 0
        while i < len(items):
            first = int(items[i])
            if isinstance(items[i + 1], list):
                for k, width in enumerate(items[i + 1]):
                    self.widths[first + k] = float(width)
                i += 2
            else:
                last, width = int(items[i + 1]), float(items[i + 2])
                for cid in range(first, last + 1):
                    self.widths[cid] = width
                i += 3

    def codes(self, raw: bytes) -> list[int]:
        if self.two_byte:
            return [int.from_bytes(raw[i : i + 2], "big") for i in range(0, len(raw) - 1, 2)]
        return list(raw)

    def width(self, code: int) -> float:
        return self.widths.get(code, self.default)


def _to_unicode(cmap: str) -> dict[int, str]:
    def text(hexes: str) -> str:
        data = bytes.fromhex(hexes)
        return data.decode("utf-16-be", errors="replace")

    table: dict[int, str] = {}
    for block in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.S):
        for src, dst in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
            table[int(src, 16)] = text(dst)
    for block in re.findall(r"beginbfrange(.*?)endbfrange", cmap, re.S):
        for lo, hi, dst in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
            start = ord(text(dst)[-1]) if dst else 0
            for k, code in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                table[code] = chr(start + k)
    return table


def _raw(value: Any) -> bytes:
    original = getattr(value, "original_bytes", None)
    return bytes(original) if original is not None else bytes(value)


class _Reader:
    def __init__(self, reader: PdfReader, page_number: int) -> None:
        self.reader = reader
        self.page_number = page_number
        self.runs: list[TextRun] = []
        self.fonts: dict[int, Font] = {}

    def font(self, resources: DictionaryObject, name: str) -> Font:
        ref = resources["/Font"].raw_get(name)
        key = ref.idnum if hasattr(ref, "idnum") else id(ref)
        if key not in self.fonts:
            self.fonts[key] = Font(ref.get_object())
        return self.fonts[key]

    def walk(self, content: Any, resources: DictionaryObject, ctm: Matrix) -> None:
        stack: list[tuple[Matrix, tuple[float, ...]]] = []
        color: tuple[float, ...] = (0.0, 0.0, 0.0)
        tm = lm = IDENTITY
        font: Font | None = None
        size = char_spacing = word_spacing = leading = 0.0
        scale = 1.0
        for operands, op in ContentStream(content, self.reader).operations:
            if op == b"q":
                stack.append((ctm, color))
            elif op == b"Q":
                ctm, color = stack.pop()
            elif op in (b"rg", b"g"):
                color = tuple(float(v) for v in operands) * (3 if op == b"g" else 1)
            elif op == b"cm":
                ctm = multiply(tuple(float(v) for v in operands), ctm)  # type: ignore[arg-type]
            elif op == b"BT":
                tm = lm = IDENTITY
            elif op == b"Tm":
                tm = lm = tuple(float(v) for v in operands)  # type: ignore[assignment]
            elif op in (b"Td", b"TD"):
                if op == b"TD":
                    leading = -float(operands[1])
                tm = lm = multiply((1, 0, 0, 1, float(operands[0]), float(operands[1])), lm)
            elif op == b"T*":
                tm = lm = multiply((1, 0, 0, 1, 0, -leading), lm)
            elif op == b"TL":
                leading = float(operands[0])
            elif op == b"Tf":
                font, size = self.font(resources, operands[0]), float(operands[1])
            elif op == b"Tc":
                char_spacing = float(operands[0])
            elif op == b"Tw":
                word_spacing = float(operands[0])
            elif op == b"Tz":
                scale = float(operands[0]) / 100
            elif op in (b"TJ", b"Tj", b"'", b'"') and font is not None:
                if op == b'"':
                    word_spacing, char_spacing = float(operands[0]), float(operands[1])
                if op in (b"'", b'"'):
                    tm = lm = multiply((1, 0, 0, 1, 0, -leading), lm)
                items = operands[0] if op == b"TJ" else [operands[-1]]
                start = tm
                text = []
                advance = 0.0
                for item in items:
                    if isinstance(item, int | float) or type(item).__name__ in ("NumberObject", "FloatObject"):
                        advance -= float(item) / 1000 * size * scale
                        continue
                    raw = _raw(item)
                    for code in font.codes(raw):
                        spacing = char_spacing + (word_spacing if not font.two_byte and code == 32 else 0)
                        advance += (font.width(code) / 1000 * size + spacing) * scale
                        text.append(font.unicode.get(code, ""))
                tm = multiply((1, 0, 0, 1, advance, 0), start)
                placed = multiply(start, ctm)
                x0, y0 = apply(placed, 0, 0)
                x1, _ = apply(multiply(tm, ctm), 0, 0)
                on_page = size * (placed[2] ** 2 + placed[3] ** 2) ** 0.5
                self.runs.append(TextRun(self.page_number, "".join(text), min(x0, x1), max(x0, x1), y0, font.name, on_page, color))
            elif op == b"Do":
                xobject = resources["/XObject"][operands[0]].get_object()
                if xobject.get("/Subtype") == "/Form":
                    matrix = tuple(float(v) for v in xobject.get("/Matrix", IDENTITY))
                    self.walk(xobject, xobject.get("/Resources", resources), multiply(matrix, ctm))  # type: ignore[arg-type]


def text_runs(body: bytes) -> tuple[list[TextRun], list[tuple[float, float]]]:
    """Every text run of the PDF, and each page's (width, height) in points."""
    reader = PdfReader(io.BytesIO(body))
    runs: list[TextRun] = []
    sizes = []
    for number, page in enumerate(reader.pages, start=1):
        box = page.mediabox
        sizes.append((float(box.width), float(box.height)))
        walker = _Reader(reader, number)
        walker.walk(page.get_contents(), page["/Resources"], IDENTITY)
        runs.extend(walker.runs)
    return runs, sizes


def runs_beyond_right_margin(body: bytes, margin_mm: float = 26, tolerance: float = 0.5) -> list[TextRun]:
    """The text runs that end right of the page's right margin (print.css after GB/T 9704: 210 - 28 - 156 = 26 mm)."""
    runs, sizes = text_runs(body)
    return [run for run in runs if run.x1 > sizes[run.page - 1][0] - margin_mm * MM + tolerance]
