"""HTML to PDF/A-3b with WeasyPrint, in a warm process, through a URL fetcher that reaches almost nothing.

quality.md 16: the only resources a document may load are the app's own static files (`static:<path>`)
and the stored photos of the document's own claim (`photo:<id>`, listed by the caller). Everything
else is refused before any I/O, whatever the HTML holds: file://, http(s)://, data:, ftp:, relative
URLs (there is no base URL). User text is autoescaped by Jinja, so it never becomes markup at all;
the fetcher is the second wall.

The templates live in templates/pdf/ and are rendered by their own Jinja environment (no request,
no user, no url_for): a document depends on its data only. The print stylesheet is parsed once.
"""

from __future__ import annotations

import mimetypes
import threading
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any
from urllib import request

import jinja2
import pydyf
import segno
from markupsafe import Markup
from PIL import ImageFile
from weasyprint import CSS, HTML, Attachment
from weasyprint.css import ColorProfile
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from claims.core import ROOT, formatting
from claims.core.storage import Storage
from claims.documents.fonts import FAMILY as COMMON_FAMILY
from claims.documents.fonts import usable_face as common_face
from claims.documents.formats import FILTERS

# Importing WeasyPrint switches Pillow's LOAD_TRUNCATED_IMAGES on for the whole process; the upload
# validator (claims.intake.photos) must refuse truncated photos, and refuses to run while it is on.
# Our documents only embed our own re-encoded thumbnails, so we switch it back off.
ImageFile.LOAD_TRUNCATED_IMAGES = False

STATIC_ROOT = (ROOT / "static").resolve()
PRINT_CSS = STATIC_ROOT / "css" / "print.css"
PRINT_FACES = 'font-family: "Noto Serif CJK SC",'  # print.css's face list, which the common face goes in front of
PDF_VARIANT = "pdf/a-3b"
OUTPUT_INTENT = "icc-srgb"
QR_MASK = 3
# [design] zlib's default level, not pydyf's 9: the embedded font (Noto Serif CJK, glyph ids retained: about 800 KB before
# deflating) took 22-27 ms a document at 9 and takes 12 ms at 6, for 0.2 % more bytes (196,300 instead of 195,948).
DEFLATE_LEVEL = 6

# One rendering at a time per process: WeasyPrint is not documented as thread-safe (it drives Pango, HarfBuzz and
# fontconfig through cffi), and every rendering writes its own PDF object reference into the process-wide sRGB
# ColorProfile (srgb_profile(): `pdf_reference`, read back for the output intent). gunicorn's sync workers are
# processes and still render side by side; the lock serialises threads (`flask run`, the browser tests' server).
_RENDER_LOCK = threading.Lock()


class FetchRefused(ValueError):
    """A resource the document may not load."""


class RestrictedFetcher(URLFetcher):
    """Serves `static:<path>` from the static folder, `photo:<id>` for the listed photos and `font:common` (the common
    characters' face, claims.documents.fonts); refuses the rest.

    It records what it was asked and what it refused (`asked`, `refused`), for the tests and logs.
    """

    def __init__(self, photos: Mapping[int, str] | None = None, storage: Storage | None = None) -> None:
        request.OpenerDirector.__init__(self)  # an opener without handlers: it cannot open anything itself
        self._fail_on_errors = False
        self._photos = dict(photos or {})
        self._storage = storage
        self.asked: list[str] = []
        self.refused: list[str] = []

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        self.asked.append(url)
        scheme, _, rest = url.partition(":")
        try:
            if scheme == "photo":
                return self._photo(url, rest)
            if scheme == "static":
                return self._static(url, rest)
            if url == "font:common" and (face := common_face()) is not None:
                return URLFetcherResponse(url, face.read_bytes(), {"Content-Type": "font/otf"})
            raise FetchRefused(f"not an allowed resource: {url[:100]}")
        except FetchRefused:
            self.refused.append(url)
            raise

    def open(self, url: Any, data: Any = None, timeout: Any = None) -> URLFetcherResponse:
        return self.fetch(url.full_url if isinstance(url, request.Request) else str(url))

    def _photo(self, url: str, rest: str) -> URLFetcherResponse:
        key = self._photos.get(int(rest)) if rest.isdigit() else None
        if key is None or self._storage is None:
            raise FetchRefused(f"not a photo of this document: {url[:100]}")
        return URLFetcherResponse(url, self._storage.get(key), {"Content-Type": "image/jpeg"})

    def _static(self, url: str, rest: str) -> URLFetcherResponse:
        if not rest or rest.startswith("/") or "\\" in rest or "?" in rest or "#" in rest or "%" in rest:
            raise FetchRefused(f"not a static file: {url[:100]}")
        path = (STATIC_ROOT / rest).resolve()
        if not path.is_relative_to(STATIC_ROOT) or not path.is_file():
            raise FetchRefused(f"not a static file: {url[:100]}")
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": mime})


@cache
def font_config() -> FontConfiguration:
    """The faces print.css adds (@font-face), shared by the stylesheet and every render of the process."""
    return FontConfiguration()


@cache
def print_stylesheet() -> CSS:
    """The print CSS, parsed once per process (A4, fonts, page numbers, tables); with the common characters' face
    (claims.documents.fonts) first in its face list when it is built."""
    text = PRINT_CSS.read_text(encoding="utf-8")
    if common_face() is not None and PRINT_FACES in text:
        face = f'@font-face {{ font-family: "{COMMON_FAMILY}"; src: url("font:common"); }}\n'
        text = face + text.replace(PRINT_FACES, f'font-family: "{COMMON_FAMILY}", "Noto Serif CJK SC",')
    return CSS(string=text, url_fetcher=RestrictedFetcher(), font_config=font_config())


@cache
def srgb_profile() -> ColorProfile:
    """The sRGB output intent PDF/A needs, read once. WeasyPrint 70's own 'srgb' intent opens the ICC
    file on every render and never closes it (a ResourceWarning each time), so we hand it ours."""
    with (files("weasyprint.pdf") / "sRGB2014.icc").open("rb") as fh:
        return ColorProfile(fh, "sRGB2014.icc", "relative-colorimetric", (["r"], ["g"], ["b"]))


@cache
def template_env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(ROOT / "templates")),
        autoescape=True,
        undefined=jinja2.StrictUndefined,  # a missing field stops the document instead of printing a blank
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(formatting.FILTERS)  # numbers as on the pages
    env.filters.update(FILTERS)
    return env


def render_html(template: str, **context: Any) -> str:
    return template_env().get_template(template).render(**context)


def qr_svg(url: str) -> Markup:
    """The verification link as an inline SVG QR code (no image to fetch).

    [design] A fixed data mask: every mask decodes alike, and segno's pure-Python search for the one
    with the lowest penalty costs 6-7 ms per document (over 5% of a rendering). Error correction M
    (15%) keeps the printed code readable; the link is also printed as text beside it."""
    code = segno.make(url, error="m", micro=False, mask=QR_MASK)
    return Markup(code.svg_inline(scale=1, border=0, dark="#000", omitsize=True))  # noqa: S704 - segno's own SVG, the URL is ours


def deflate_streams_once(document: Any, pdf_file: pydyf.PDF, level: int | None = None) -> None:
    """WeasyPrint finisher (its documented hook for changing the `pydyf.PDF` before it is written).

    The file identifier PDF/A needs makes pydyf serialise every object twice, once to hash the file and
    once to write it, so each stream with `compress` set (fonts, the ICC profile, page contents) would be
    deflated twice. Here each is deflated once, at DEFLATE_LEVEL, and handed back already
    encoded through `pydyf.Stream`'s public attributes (the bytes as its only item, `/Filter /FlateDecode`
    in `extra`, `compress` off); pydyf then writes the same bytes as it would have had it deflated at that level.
    Nothing changes a stream after the finisher. tests/documents/test_pdf.py fails if a new pydyf or WeasyPrint
    stops this."""
    level = DEFLATE_LEVEL if level is None else level
    for obj in pdf_file.objects:
        if isinstance(obj, pydyf.Stream) and obj.compress:
            body = _stream_body(obj)
            if body is not None:
                obj.stream = [zlib.compress(body, level)]  # at 9, what pydyf's compressobj(level=9) writes
                obj.extra = {**obj.extra, "Filter": "/FlateDecode"}
                obj.compress = False


def finish_pdf(document: Any, pdf_file: pydyf.PDF) -> None:
    """WeasyPrint finisher: PDF/A's image rule enforced on every image (print.css already asks for it), then each
    stream deflated once. ISO 19005-3 §6.2.8: an image's /Interpolate, if present, is false; WeasyPrint writes true
    for any image drawn with `image-rendering: auto`, so a template or an SVG that set it would break PDF/A."""
    for obj in pdf_file.objects:
        if isinstance(obj, pydyf.Stream) and obj.extra.get("Subtype") == "/Image" and "Interpolate" in obj.extra:
            obj.extra["Interpolate"] = "false"
    deflate_streams_once(document, pdf_file)


def _stream_body(stream: pydyf.Stream) -> bytes | None:
    """The stream's content as pydyf serialises it, before deflating; None if pydyf's layout is not the one
    expected (`<</Length n>>`, "stream", n bytes, "endstream"): that stream is then left to pydyf."""
    head, _, rest = pydyf.Stream(stream.stream).data.partition(b"\nstream\n")
    body = rest.removesuffix(b"\nendstream")
    return body if head == pydyf.Dictionary({"Length": len(body)}).data else None


@dataclass(frozen=True)
class SealBox:
    """Where the digital signature's stamp goes: page index, and the rectangle in PDF points from the page's bottom left."""

    page: int
    left: float
    bottom: float
    right: float
    top: float


SEAL_ANCHOR = "seal"  # the element of templates/pdf/base.html that the seal covers
PT_PER_PX = 0.75  # CSS px to PDF points (WeasyPrint writes at zoom 1: 96 px = 72 pt)


@dataclass(frozen=True)
class RenderedPdf:
    body: bytes
    seal: SealBox | None  # None: the template has no #seal (the signature is then invisible)


def seal_box(document: Any) -> SealBox | None:
    """The `#seal` element's box on the last page that has it, from the laid-out document (an anchor's rectangle, in
    CSS px from the page's top left)."""
    for index in range(len(document.pages) - 1, -1, -1):
        page = document.pages[index]
        if SEAL_ANCHOR in page.anchors:
            x1, y1, x2, y2 = page.anchors[SEAL_ANCHOR]
            height_pt = page.height * PT_PER_PX
            return SealBox(index, x1 * PT_PER_PX, height_pt - y2 * PT_PER_PX, x2 * PT_PER_PX, height_pt - y1 * PT_PER_PX)
    return None


def render_pdf(
    html: str,
    *,
    photos: Mapping[int, str] | None = None,
    storage: Storage | None = None,
    attachment: tuple[str, str, str] | None = None,
    fetcher: RestrictedFetcher | None = None,
) -> RenderedPdf:
    """PDF/A-3b bytes of `html`, and where its seal is; `attachment` is (file name, JSON text, description), embedded
    as data. Laid out and written in two steps (what `HTML.write_pdf` does) to read the seal's place in between."""
    fetcher = fetcher or RestrictedFetcher(photos, storage)
    attachments = []
    if attachment is not None:
        name, text, description = attachment
        # An Attachment serves one render only (tech-notes): a new one each time.
        attachments.append(Attachment(string=text.encode(), name=name, description=description, relationship="Data", url_fetcher=fetcher))
    options: dict[str, Any] = {"pdf_variant": PDF_VARIANT, "attachments": attachments, "output_intent": OUTPUT_INTENT}
    with _RENDER_LOCK:
        document = HTML(string=html, url_fetcher=fetcher).render(
            font_config=font_config(), color_profiles={OUTPUT_INTENT: srgb_profile()}, stylesheets=[print_stylesheet()], **options
        )
        body = document.write_pdf(finisher=finish_pdf, **options)
    return RenderedPdf(body, seal_box(document))
