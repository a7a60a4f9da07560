"""The layout after GB/T 9704-2012 (党政机关公文格式), read back from the PDF: the issuer in red over a red rule with the
number between them, the title, the body in 3号 at 28 characters a line and 22 lines a page, the page numbers "— 1 —",
and the seal area (#seal, 42 mm) on the last page over the issuer and the date. print.css says how each is made."""

from __future__ import annotations

import io
import itertools
import subprocess
from pathlib import Path

from flask import Flask
from PIL import Image
from pypdf import PdfReader
from weasyprint import HTML

from claims.core.storage import get_storage
from claims.documents.data import (
    AdvanceDecisionData,
    CompensationDecisionData,
    CorrectionData,
    NoticeListData,
    PaymentListData,
    ReceiptData,
    RefusalData,
    SurveyRecordData,
    from_jsonable,
)
from claims.documents.formats import cn_date
from claims.documents.models import DocumentKind, IssuedDocument
from claims.documents.pdf import RestrictedFetcher, print_stylesheet
from claims.extensions import db
from tests.documents.conftest import compensation, flat
from tests.documents.geometry import MM, TextRun, text_runs
from tests.documents.test_layout import _issue, _refusal, html_of

# The text area (版心), in points from the page's left and bottom edges: 28 mm from the left, 37 mm from the top,
# 156 mm × 225 mm on A4.
LEFT, RIGHT = 28 * MM, (28 + 156) * MM
TOP, BOTTOM = (297 - 37) * MM, (297 - 37 - 225) * MM
CENTRE = (LEFT + RIGHT) / 2
SEAL = 42 * MM  # a government seal: a 42 mm circle
BODY_SIZE, LINE = 15.75, 225 * MM / 22  # 3号, 22 lines a page
TOLERANCE = 0.5
DATA_OF = {
    DocumentKind.RECEIPT: ReceiptData,
    DocumentKind.CORRECTION: CorrectionData,
    DocumentKind.NOT_ACCEPTED: RefusalData,
    DocumentKind.SURVEY_RECORD: SurveyRecordData,
    DocumentKind.REFUSAL: RefusalData,
    DocumentKind.COMPENSATION: CompensationDecisionData,
    DocumentKind.NOTICE_LIST: NoticeListData,
    DocumentKind.PAYMENT_LIST: PaymentListData,
    DocumentKind.ADVANCE: AdvanceDecisionData,
}


def _red(run: TextRun) -> bool:
    r, g, b = run.color
    return r > 0.7 and g < 0.2 and b < 0.2


def _centred(run: TextRun) -> bool:
    return abs((run.x0 + run.x1) / 2 - CENTRE) < 1


def _seal_in_pdf(body: bytes) -> tuple[int, int, float, float]:
    """The page (0-based) of the PDF's named destination `seal` (WeasyPrint writes one for each id), the number of
    pages, and the seal box's top left corner in points from the page's left and bottom edges."""
    reader = PdfReader(io.BytesIO(body))
    seal = reader.named_destinations["seal"]
    return reader.get_destination_page_number(seal), len(reader.pages), float(seal.left), float(seal.top)


def _anchors_rendered(document: IssuedDocument) -> tuple[list[set[str]], tuple[float, float, float, float]]:
    """Each page's anchors when the document's HTML is laid out again (as a stamp drawn into the box finds it), and
    the seal's box on the last page: WeasyPrint 70 gives (x1, y1, x2, y2), CSS px from the page's top left corner."""
    data = from_jsonable(DATA_OF[document.kind], document.data["data"])
    photos = {p.id: p.thumb_key for p in document.claim.photos} if document.claim is not None else {}
    rendered = HTML(string=html_of(document, data), url_fetcher=RestrictedFetcher(photos, get_storage())).render(stylesheets=[print_stylesheet()])
    return [set(page.anchors) for page in rendered.pages], rendered.pages[-1].anchors["seal"]


def test_the_seal_area_is_on_the_last_page_inside_the_text_area_over_the_issuer_and_the_date(app: Flask, every_kind: dict[DocumentKind, int]) -> None:
    """For a stamp to be drawn into it: an empty 42 mm box on the last page, wholly inside the text area, centred on the
    issuer and the date, which lie below its centre (GB/T 9704 7.3.5.1: 居印章中心偏下)."""
    with app.app_context():
        for kind, document_id in every_kind.items():
            document = db.session.get(IssuedDocument, document_id)
            assert document is not None
            body = get_storage().get(document.storage_key or "")
            page, pages, left, top = _seal_in_pdf(body)
            assert page == pages - 1, kind
            assert left >= LEFT - TOLERANCE and left + SEAL <= RIGHT + TOLERANCE, (kind, left / MM)
            assert top <= TOP + TOLERANCE and top - SEAL >= BOTTOM - TOLERANCE, (kind, top / MM)
            runs = [run for run in text_runs(body)[0] if run.page == pages]
            for text in (document.issuer_name, cn_date(document.issued_at)):
                (run,) = [run for run in runs if run.text == text and top - SEAL < run.y < top]  # a long name is wider
                assert abs((run.x0 + run.x1) / 2 - (left + SEAL / 2)) < 1, (kind, text)
                assert top - SEAL < run.y < top - SEAL / 2, (kind, text)
            data = from_jsonable(DATA_OF[kind], document.data["data"])
            assert '<div class="seal" id="seal"></div>' in html_of(document, data)  # empty: nothing drawn in the box
            anchors, (x1, y1, x2, y2) = _anchors_rendered(document)
            assert [("seal" in names) for names in anchors] == [False] * (pages - 1) + [True], kind
            assert abs(x1 * 0.75 - left) < TOLERANCE and abs((297 * MM - y1 * 0.75) - top) < TOLERANCE, kind  # px: 1/96 in
            assert abs((x2 - x1) * 0.75 - SEAL) < 0.01 and abs((y2 - y1) * 0.75 - SEAL) < 0.01, kind
        db.session.remove()


def _red_rule_rows(body: bytes, tmp_path: Path) -> list[float]:
    """The heights (points from the page's bottom edge) of the pixel rows in the top 60 mm of page 1's text area that
    are red from its left edge to its right edge."""
    subprocess.run(["pdftoppm", "-r", "144", "-f", "1", "-l", "1", "-png", "-", str(tmp_path / "p")], input=body, check=True)
    (png,) = tmp_path.glob("p*.png")
    image = Image.open(png).convert("RGB")
    scale = image.width / (210 * MM)  # pixels a point
    rows = []
    for row in range(int((297 * MM - TOP) * scale), int((297 * MM - TOP + 60 * MM) * scale)):
        pixels = [image.getpixel((col, row)) for col in range(int(LEFT * scale) + 2, int(RIGHT * scale) - 2, 3)]
        if all(r > 150 and g < 110 and b < 110 for r, g, b in pixels):  # type: ignore[misc]
            rows.append((image.height - row) / scale)
    return rows


def test_the_masthead_the_title_and_the_body(ctx: None, tmp_path: Path) -> None:
    """发文机关标志 in red, large, centred; 发文字号 centred under it; a red rule across the text area between them and the
    title (2号, centred); the body in 3号 Noto Serif CJK SC, 22 lines a page; one face for all (print.css: a second
    costs a quarter of the throughput): the face of its common characters (claims.documents.fonts)."""
    document, body = _issue(DocumentKind.COMPENSATION, compensation())
    first = [run for run in text_runs(body)[0] if run.page == 1]
    issuer = [run for run in first if _red(run)]
    assert flat("".join(run.text for run in issuer)) == document.issuer_name
    assert all(run.size >= 22 and _centred(run) and run.y > TOP - 20 * MM for run in issuer), issuer
    (number,) = [run for run in first if run.text == document.number]
    assert _centred(number) and abs(number.size - BODY_SIZE) < 0.01 and number.y < issuer[0].y
    (title,) = [run for run in first if run.text == "补偿决定书"]
    assert _centred(title) and abs(title.size - 22) < 0.01
    rule = _red_rule_rows(body, tmp_path)
    assert rule and all(title.y < y < number.y for y in rule), (rule, title.y, number.y)
    paragraph = [run for run in first if run.text.startswith("申请人于")]
    assert paragraph and all(abs(run.size - BODY_SIZE) < 0.01 for run in paragraph)
    assert {run.font.partition("+")[2] for run in first} == {"Noto-Serif-CJK-SC-Common"}  # its common characters, `make fonts`
    lines = sorted({round(run.y, 2) for run in first if abs(run.size - BODY_SIZE) < 0.01 and run.y < title.y}, reverse=True)
    pitches = [a - b for a, b in itertools.pairwise(lines)]
    assert min(pitches) > LINE - 0.05 and sum(abs(p - LINE) < 0.05 for p in pitches) >= 3, pitches
    outside = [run for run in first if run.x0 < LEFT - TOLERANCE or run.x1 > RIGHT + TOLERANCE]
    assert not outside, outside


def test_a_body_line_holds_28_characters(ctx: None) -> None:
    """GB/T 9704 5.2.2: 28 characters a line (3号 at 15.75 pt in the 156 mm line)."""
    data = _refusal(1)
    data.explanation = "野" * 80
    _document, body = _issue(DocumentKind.REFUSAL, data)
    lines: dict[tuple[int, float], str] = {}
    for run in text_runs(body)[0]:
        if "野野" in run.text:
            lines[run.page, round(run.y, 1)] = lines.get((run.page, round(run.y, 1)), "") + run.text
    counts = [text.count("野") for _key, text in sorted(lines.items(), key=lambda item: (item[0][0], -item[0][1]))]
    assert counts[1] == 28 and max(counts) == 28, counts  # the first line starts after 具体情况： and the indent


def test_page_numbers_between_dashes_right_on_odd_pages_left_on_even(ctx: None) -> None:
    """GB/T 9704 7.5: 4号 figures between 一字线, 7 mm under the text area, one character in from its right edge on
    odd pages and from its left edge on even pages."""
    data = compensation()
    data.objections = ["经复核，异议不成立。" * 6] * 12
    _document, body = _issue(DocumentKind.COMPENSATION, data)
    runs, _sizes = text_runs(body)
    pages = max(run.page for run in runs)
    assert pages >= 2
    for page in range(1, pages + 1):
        number = [run for run in runs if run.page == page and abs(run.size - 14) < 0.01]
        assert flat("".join(run.text for run in number)) == f"—{page}—", number
        assert all(BOTTOM - 7 * MM - 14 < run.y < BOTTOM - 7 * MM for run in number)
        if page % 2:
            assert abs(max(run.x1 for run in number) - (RIGHT - 14)) < 1
        else:
            assert abs(min(run.x0 for run in number) - (LEFT + 14)) < 1
