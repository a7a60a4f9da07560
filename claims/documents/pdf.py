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
from collections.abc import Mapping
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
from weasyprint.urls import URLFetcher, URLFetcherResponse

from claims import ROOT
from claims.core import formatting
from claims.core.crypto import mask_id_number, mask_name
from claims.core.storage import Storage
from claims.documents.formats import FILTERS

# Importing WeasyPrint switches Pillow's LOAD_TRUNCATED_IMAGES on for the whole process; the upload
# validator (claims.intake.photos) must refuse truncated photos, and refuses to run while it is on.
# Our documents only embed our own re-encoded thumbnails, so we switch it back off.
ImageFile.LOAD_TRUNCATED_IMAGES = False

STATIC_ROOT = (ROOT / "static").resolve()
PRINT_CSS = STATIC_ROOT / "css" / "print.css"
PDF_VARIANT = "pdf/a-3b"
OUTPUT_INTENT = "icc-srgb"
QR_MASK = 3

# WeasyPrint and Pango are not documented as thread-safe; a process renders one document at a time
# (gunicorn workers are processes: two of them render two documents at once).
_RENDER_LOCK = threading.Lock()


class FetchRefused(ValueError):
    """A resource the document may not load."""


class RestrictedFetcher(URLFetcher):
    """Serves `static:<path>` from the static folder and `photo:<id>` for the listed photos; refuses the rest.

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
def print_stylesheet() -> CSS:
    """The print CSS, parsed once per process (A4, fonts, page numbers, tables)."""
    return CSS(string=PRINT_CSS.read_text(encoding="utf-8"), url_fetcher=RestrictedFetcher())


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
    env.filters["mask_name"] = mask_name
    env.filters["mask_id"] = mask_id_number
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


_SERIALISED_ONCE: dict[type, type] = {}


def _serialised_once(cls: type) -> type:
    """A subclass of a pydyf stream class whose `data` (its serialised, deflated bytes) is computed once."""
    if cls not in _SERIALISED_ONCE:

        def data(self: Any) -> bytes:
            cached = self.__dict__.get("_serialised")
            if cached is None:
                cached = self.__dict__["_serialised"] = super(once, self).data
            return cached

        once = type(f"SerialisedOnce{cls.__name__}", (cls,), {"data": property(data)})
        _SERIALISED_ONCE[cls] = once
    return _SERIALISED_ONCE[cls]


def serialise_streams_once(document: Any, pdf_file: pydyf.PDF) -> None:
    """WeasyPrint finisher, called just before the file is written: the file identifier PDF/A needs makes
    pydyf serialise and deflate every stream twice (once to hash it, once to write it), which costs about
    a tenth of a rendering; this keeps the first result. Nothing changes a stream after this point."""
    for obj in pdf_file.objects:
        if isinstance(obj, pydyf.Stream):
            obj.__class__ = _serialised_once(type(obj))


def render_pdf(
    html: str,
    *,
    photos: Mapping[int, str] | None = None,
    storage: Storage | None = None,
    attachment: tuple[str, str, str] | None = None,
    fetcher: RestrictedFetcher | None = None,
) -> bytes:
    """PDF/A-3b bytes of `html`; `attachment` is (file name, JSON text, description), embedded as data."""
    fetcher = fetcher or RestrictedFetcher(photos, storage)
    attachments = []
    if attachment is not None:
        name, text, description = attachment
        # An Attachment serves one render only (tech-notes): a new one each time.
        attachments.append(Attachment(string=text.encode(), name=name, description=description, relationship="Data", url_fetcher=fetcher))
    with _RENDER_LOCK:
        return HTML(string=html, url_fetcher=fetcher).write_pdf(
            stylesheets=[print_stylesheet()],
            pdf_variant=PDF_VARIANT,
            attachments=attachments,
            color_profiles={OUTPUT_INTENT: srgb_profile()},
            output_intent=OUTPUT_INTENT,
            finisher=serialise_streams_once,
        )
