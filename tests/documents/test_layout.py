"""Layout of the printed documents, read back from the PDF: where the text is drawn, on which page, with which fonts."""

from __future__ import annotations

import html
import io
import json
import re
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from pypdf import PdfReader
from pypdf.generic import StreamObject
from sqlalchemy import select

from claims.accounts.services import find_user
from claims.approval import payments
from claims.core.time import utcnow
from claims.documents.capitals import amount_in_capitals
from claims.documents.data import (
    AdvanceDecisionData,
    CorrectionData,
    LossItem,
    Party,
    PaymentEntry,
    PaymentListData,
    Reason,
    ReceiptData,
    RefusalData,
    SurveyRecordData,
    VerifiedLine,
)
from claims.documents.models import DocumentKind, IssuedDocument
from claims.documents.services import DocumentContext, document_bytes, document_html, issue_document
from claims.extensions import db
from claims.intake import review
from claims.intake.forms import ClaimForm
from claims.survey.models import SurveyOutcome
from tests.approval.conftest import approved_chaling_claims
from tests.documents.conftest import CLAIMANT, advanced_injury, compensation, file_claim, flat, incident, nan_county, notice_list, payment_list, surveyed
from tests.documents.geometry import Font, runs_beyond_right_margin, text_runs

BRANCH = "中国农业银行股份有限公司南县三仙湖支行"


def _issue(kind: DocumentKind, data: object) -> tuple[IssuedDocument, bytes]:
    document = issue_document(kind, None, data, actor=find_user("officer"), county=nan_county())
    db.session.commit()
    return document, document_bytes(document)


def _max_length(field: str) -> int:
    (length,) = [v.max for v in getattr(ClaimForm, field).kwargs["validators"] if hasattr(v, "max")]
    return length


def longest_payment_list(rows: int) -> PaymentListData:
    """`rows` payments, each with the longest bank name and payee name the claim form takes, a masked account."""
    bank = (BRANCH * 10)[: _max_length("bank_name")]
    name = ("阿卜杜热合曼·买买提" * 10)[: _max_length("claimant_name")]
    entries = [
        PaymentEntry(f"430921-2026-{i + 1:06d}", f"南林补决〔2026〕{i + 1}号", name, f"{bank} 6217 **** **** 4567", Decimal("123456.78") + i)
        for i in range(rows)
    ]
    return PaymentListData(batch="2026年第1批", payer="南县财政", entries=entries, total=sum((e.amount for e in entries), Decimal(0)))


def test_a_payment_list_of_long_bank_names_stays_inside_the_page(ctx: None) -> None:
    data = longest_payment_list(70)
    assert len(data.entries[0].bank) > 100  # the longest name the form allows, and the account
    _document, body = _issue(DocumentKind.PAYMENT_LIST, data)
    outside = runs_beyond_right_margin(body)
    assert not outside, [(r.page, round(r.x1), r.text) for r in outside[:5]]
    runs, _sizes = text_runs(body)
    numbers = [m for run in runs for m in re.findall(r"430921-2026-0000\d\d", run.text)]
    assert sorted(numbers) == [f"430921-2026-{i:06d}" for i in range(1, 71)]  # every row, once
    amounts = {run.text for run in runs}
    assert all(f"{e.amount:,.2f}" in amounts for e in data.entries)
    assert all(e.decision_number in amounts for e in data.entries)  # each on one line, as the claim numbers
    assert f"{data.total:,.2f}" in amounts
    text = flat("".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages))
    assert "合计（70笔）" in text and amount_in_capitals(data.total) in text


def documents_of_every_kind() -> dict[DocumentKind, bytes]:
    """One PDF of each kind, each issued by its real step (issued_of_every_kind)."""
    return {kind: document_bytes(row) for kind, row in issued_of_every_kind().items()}


def issued_of_every_kind() -> dict[DocumentKind, IssuedDocument]:
    """One document of each kind, each issued by its real step: intake (receipt, correction notice, non-acceptance),
    survey (record with photos, decision not to compensate), approval (notice list, compensation decision) and payment."""
    clerk, approver = find_user("clerk"), find_user("approver_cl")
    returned = file_claim()
    review.return_claim(returned, ["photos", "bank_account"], "照片看不清", actor=clerk)
    refused = file_claim(seed=2)
    review.refuse_intake(refused, ["late_report", "duplicate"], "超过申请期限，且同一损失已经申请过。", actor=clerk)
    db.session.commit()
    surveyed(file_claim(seed=3), SurveyOutcome.NOT_COMPENSATED, photos=3)
    (approved,) = approved_chaling_claims(4)
    batch = payments.create_batch(approved.county, actor=approver)
    payments.export_csv(batch, actor=approver)
    db.session.commit()
    advanced_injury(5)
    documents: dict[DocumentKind, IssuedDocument] = {}
    for row in db.session.execute(select(IssuedDocument).order_by(IssuedDocument.id)).scalars():
        documents.setdefault(row.kind, row)  # the first of each kind (the survey record with the photos)
    assert set(documents) == set(DocumentKind)
    return documents


def pdf_objects(body: bytes) -> list[Any]:
    """Every indirect object of the file, whether a page uses it or not."""
    reader = PdfReader(io.BytesIO(body))
    objects = (reader.get_object(number) for number in range(1, int(reader.trailer["/Size"])))
    return [obj for obj in objects if obj is not None]


def test_no_image_of_any_document_asks_to_be_interpolated(ctx: None) -> None:
    """ISO 19005-3 §6.2.8 (PDF/A-3): an image dictionary's /Interpolate, where present, is false."""
    documents = documents_of_every_kind()
    images = 0
    for kind, body in documents.items():
        for obj in pdf_objects(body):
            if isinstance(obj, StreamObject) and obj.get("/Subtype") == "/Image":
                images += 1
                assert obj.get("/Interpolate") in (None, False), kind  # a pypdf BooleanObject compares equal to its bool
    assert images >= 3  # the survey record's photos were among them


def html_of(document: IssuedDocument, data: object) -> str:
    """The HTML the document was rendered from (as the rendering job makes it, from the row and its data)."""
    meta = document.data["document"]
    doc = DocumentContext(**{**meta, "issued_at": datetime.fromisoformat(meta["issued_at"]), "code": document.verification_code})
    return document_html(document.kind, doc, data)


def footer_text(document: IssuedDocument, data: object) -> str:
    """The text of the document's footer (templates/pdf/base.html), from its HTML, without white space."""
    footer = re.search(r'<footer class="verify">(.*?)</footer>', html_of(document, data), re.S)
    assert footer is not None
    return flat(html.unescape(re.sub(r"<[^>]+>", "", footer.group(1))))


def last_page_content(document: IssuedDocument, data: object, body: bytes) -> str:
    """The last page's text less what every page may print besides the document: running number, page number, footer."""
    reader = PdfReader(io.BytesIO(body))
    total = len(reader.pages)
    text = flat(reader.pages[-1].extract_text())
    for chrome in (footer_text(document, data), f"—{total}—", document.number):
        assert chrome in text or chrome == document.number, chrome
        text = text.replace(chrome, "", 1)
    return text


OBJECTION = "2026年4月3日公示期间有异议提出（邻居称损失面积不实）。经复核，异议不成立，理由：现场勘查记录、照片与邻居的陈述一致。"


def _receipt(n: int) -> ReceiptData:
    losses = [LossItem("农作物", f"水稻（第{i + 1}块田）", "2.5 亩", "靠近山脚") for i in range(n)]
    return ReceiptData(CLAIMANT, incident(), losses, utcnow(), "县级林业主管部门将组织人员进行现场勘查。", estimated_amount=Decimal("1500.00"))


def _advance(n: int) -> AdvanceDecisionData:
    losses = [LossItem("人身伤害", f"第{i + 1}处咬伤", "", "住院12天；医疗费用10,000.00元") for i in range(n)]
    return AdvanceDecisionData(
        CLAIMANT,
        incident(),
        "湖南农村信用社 6217 **** **** 4567",
        losses,
        Decimal("2000.00"),
        "县级设定的先行支付定额2,000.00元",
        "南县财政",
        "自本决定作出之日起1个工作日内",
    )


def _correction(n: int) -> CorrectionData:
    return CorrectionData(CLAIMANT, incident(), [f"第{i + 1}张现场照片看不清受损作物，请重新拍摄" for i in range(n)], "照片看不清")


def _refusal(n: int) -> RefusalData:
    reasons = [Reason(f"r{i}", f"第{i + 1}项：畜禽未圈养或者未按规定放牧，且未采取合理的防范措施") for i in range(n)]
    return RefusalData(CLAIMANT, incident(), reasons, "鸡未圈养，田块未采取任何防护措施。", "经对申请材料进行审查，")


def _survey_record(n: int) -> SurveyRecordData:
    lines = [VerifiedLine(f"水稻（第{i + 1}块田）", "2.5 亩", "2.0 亩", "80%", "成熟期", "靠近山脚") for i in range(n)]
    return SurveyRecordData(CLAIMANT, incident(), 1, utcnow(), "陈志强、周伟", True, "", "", ["足迹"], True, "", lines, True, explanation="田块靠近山林。")


def _compensation(n: int) -> object:
    data = compensation()
    data.objections = [OBJECTION] * n
    return data


# Each kind with a count of repeated parts (rows, items, paragraphs) that makes it longer, part by part, and a count a
# little short of its first page break (from where the test grows it until it has taken two more pages' worth).
GROWING: dict[DocumentKind, tuple[Callable[[int], object], int]] = {
    DocumentKind.RECEIPT: (_receipt, 7),
    DocumentKind.CORRECTION: (_correction, 16),
    DocumentKind.NOT_ACCEPTED: (_refusal, 6),
    DocumentKind.REFUSAL: (_refusal, 6),
    DocumentKind.SURVEY_RECORD: (_survey_record, 24),
    DocumentKind.COMPENSATION: (_compensation, 5),
    DocumentKind.NOTICE_LIST: (notice_list, 28),
    DocumentKind.PAYMENT_LIST: (payment_list, 18),
    DocumentKind.ADVANCE: (_advance, 4),
}


@pytest.mark.parametrize("kind", list(DocumentKind), ids=str)
def test_no_document_ends_with_a_page_of_footer_alone(ctx: None, kind: DocumentKind) -> None:
    """Each kind grown one part at a time across its first page break: whatever its length, the last page holds some
    of the document besides the footer (a part is shorter than the footer, so one of the lengths ends where the
    footer no longer fits). And no text of any of them lies beyond the right margin."""
    make, n = GROWING[kind]
    first_pages = longer = 0
    while longer < 2:
        assert n < GROWING[kind][1] + 10, "the document did not break onto another page: start nearer its page break"
        data = make(n)
        document, body = _issue(kind, data)
        pages = len(PdfReader(io.BytesIO(body)).pages)
        assert last_page_content(document, data, body), f"{kind} of {n} parts: page {pages} holds only the footer"
        assert not runs_beyond_right_margin(body), f"{kind} of {n} parts"
        first_pages = first_pages or pages
        longer += pages > first_pages
        n += 1


RARE = "𠀀"  # U+20000, the first character of CJK Extension B: in no font of the body's stack but the fallback's


def test_a_rare_character_is_drawn_with_an_embedded_font_that_has_it(ctx: None) -> None:
    """A name and an address with a CJK Extension B character (print.css falls back to HanaMin, fonts-hanazono)."""
    data = compensation()
    data.claimant = Party(name=f"张{RARE}国", id_number=CLAIMANT.id_number, address=f"南县三仙湖镇{RARE}家村3组")
    _document, body = _issue(DocumentKind.COMPENSATION, data)
    text = flat(PdfReader(io.BytesIO(body)).pages[0].extract_text())
    assert f"张{RARE}国" in text and f"南县三仙湖镇{RARE}家村3组" in text
    runs, _sizes = text_runs(body)
    rare = [run for run in runs if RARE in run.text]
    assert len(rare) == 2 and all("HanaMin" in run.font for run in rare), rare
    fonts = {
        font["/BaseFont"]: font for page in PdfReader(io.BytesIO(body)).pages for font in (ref.get_object() for ref in page["/Resources"]["/Font"].values())
    }
    (name,) = [name for name in fonts if "HanaMin" in name]
    descendant = fonts[name]["/DescendantFonts"][0].get_object()
    assert "/FontFile2" in descendant["/FontDescriptor"] or "/FontFile3" in descendant["/FontDescriptor"]  # embedded
    glyphs = Font(fonts[name])
    (code,) = [code for code, char in glyphs.unicode.items() if char == RARE]
    assert code != 0 and glyphs.width(code) > 0  # a real glyph (identity CID to glyph map), not .notdef


BEYOND_COMMON = "喆"  # in GBK and in Noto Serif CJK SC, not in GB 2312: outside the common face (claims.documents.fonts)


def test_a_character_beyond_the_common_face_comes_from_the_whole_noto_face(ctx: None) -> None:
    """The body is set in the common characters' face (cut from Noto Serif CJK SC by `make fonts`); a name's
    character beyond it is drawn by the whole Noto face, which the document then embeds beside it, and nothing else."""
    from claims.documents.fonts import FONT_PATH, common_characters

    assert FONT_PATH.is_file(), "the common face is built by `make fonts`"
    assert BEYOND_COMMON not in common_characters()
    data = compensation()
    data.claimant = Party(name=f"李{BEYOND_COMMON}", id_number=CLAIMANT.id_number, address="南县三仙湖镇利群村3组")
    _document, body = _issue(DocumentKind.COMPENSATION, data)
    assert f"李{BEYOND_COMMON}" in flat(PdfReader(io.BytesIO(body)).pages[0].extract_text())
    runs, _sizes = text_runs(body)
    faces = {run.font.partition("+")[2] for run in runs}
    assert faces == {"Noto-Serif-CJK-SC-Common", "Noto-Serif-CJK-SC"}, faces
    whole = [run for run in runs if run.font.endswith("+Noto-Serif-CJK-SC")]
    assert whole and all(set(run.text) <= {BEYOND_COMMON} for run in whole), whole
    common = [run for run in runs if run.font.endswith("+Noto-Serif-CJK-SC-Common")]
    assert any("李" in run.text for run in common)


def test_the_fonts_command_builds_the_common_face_once(app: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """`flask documents fonts` cuts the face into its place; run again, it leaves it; --force cuts it again."""
    from claims.documents import fonts

    monkeypatch.setattr(fonts, "FONT_PATH", tmp_path / "common.otf")
    monkeypatch.setattr(fonts, "STAMP_PATH", tmp_path / "common.json")
    monkeypatch.setattr(fonts, "common_characters", lambda: "补偿决定书申请人0123456789")  # a small face: seconds less
    run = app.test_cli_runner().invoke
    first = run(args=["documents", "fonts"])
    assert first.exit_code == 0 and "18 characters from NotoSerifCJK-Regular.ttc" in first.output, first.output
    built = (tmp_path / "common.otf").read_bytes()
    from fontTools.ttLib import TTFont

    cmap = TTFont(io.BytesIO(built)).getBestCmap()
    assert {chr(code) for code in cmap} >= set("补偿决定书申请人0123456789") and len(cmap) < 40
    assert "up to date" in run(args=["documents", "fonts"]).output and fonts.usable_face() == tmp_path / "common.otf"
    assert "18 characters" in run(args=["documents", "fonts", "--force"]).output

    (tmp_path / "common.otf").write_bytes(built[: len(built) // 2])  # cut short: not used, and built again
    assert fonts.usable_face() is None
    assert "18 characters" in run(args=["documents", "fonts"]).output and fonts.usable_face() is not None
    (tmp_path / "common.json").write_text("{not json")  # a stamp that cannot be read: built again
    assert fonts.usable_face() is None and "18 characters" in run(args=["documents", "fonts"]).output
    stamp = json.loads((tmp_path / "common.json").read_text())
    (tmp_path / "common.json").write_text(json.dumps({**stamp, "mtime": stamp["mtime"] - 86400}))  # the system font changed since
    assert fonts.usable_face() is None and "18 characters" in run(args=["documents", "fonts"]).output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["common.json", "common.lock", "common.otf"]  # no temporary file left


def test_a_notice_list_of_the_longest_names_stays_inside_the_page(ctx: None) -> None:
    data = notice_list(12)
    for entry in data.entries:
        entry.name = ("阿卜杜热合曼·买买提" * 10)[: _max_length("claimant_name")]
        entry.loss = "、".join(["水稻2.5亩", "玉米1.2亩", "鸡3只", "电动三轮车1件"] * 3)
    _document, body = _issue(DocumentKind.NOTICE_LIST, data)
    outside = runs_beyond_right_margin(body)
    assert not outside, [(r.page, round(r.x1), r.text) for r in outside[:5]]
