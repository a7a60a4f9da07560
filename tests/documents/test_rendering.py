"""Documents of the later steps rendered from hand-built dataclasses; print quality; PDF/A; corrections."""

from __future__ import annotations

import io
import re
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader

from claims.accounts.services import find_user
from claims.documents.capitals import amount_in_capitals
from claims.documents.models import DocumentKind, IssuedDocument
from claims.documents.services import document_bytes, issue_document, reissue_document
from claims.extensions import db
from tests.documents.conftest import attachment, compensation, flat, nan_county, notice_list, pages, payment_list, pdf_text


def _issue(kind: DocumentKind, data: object) -> tuple[IssuedDocument, bytes]:
    document = issue_document(kind, None, data, actor=find_user("officer"), county=nan_county())
    db.session.commit()
    return document, document_bytes(document)


def test_compensation_decision(ctx: None) -> None:
    document, body = _issue(DocumentKind.COMPENSATION, compensation())
    text = flat(pdf_text(body))
    expected = (
        document.number,
        "补偿决定书",
        "南县林业局",
        "张建国",
        "4309**********1233",
        "430921-2026-000012",
        "野猪",
        "9,000.00",
        "3,345.67",
        "12,345.67",
        "人民币壹万贰仟叁佰肆拾伍元陆角柒分",
        "10,000.00元（大写：人民币壹万元整）",
        "2,345.67元（大写：人民币贰仟叁佰肆拾伍元陆角柒分）",
        "中华联合财产保险股份有限公司益阳中心支公司",
        "南林发〔2026〕3号",
        "《南县陆生野生动物致害补偿标准（2026年）》",
        "野生动物保护法》第十九条",
        "湖南省陆生野生动物致害补偿办法",
        "10个工作日内",
        "六十日内向南县人民政府申请行政复议",
        "六个月内向南县人民法院提起行政诉讼",
    )
    for phrase in expected:
        assert phrase in text, phrase
    assert document.number.startswith("南林补决〔") and document.claim_id is None


def test_amounts_that_do_not_add_up_are_never_issued(ctx: None) -> None:
    data = compensation()
    data.government_share += Decimal("0.01")
    with pytest.raises(ValueError, match="shares"):
        issue_document(DocumentKind.COMPENSATION, None, data, actor=find_user("officer"), county=nan_county())
    data = compensation()
    data.total += 1
    with pytest.raises(ValueError, match="lines"):
        issue_document(DocumentKind.COMPENSATION, None, data, actor=find_user("officer"), county=nan_county())


def test_notice_list_masks_names(ctx: None) -> None:
    data = notice_list(4)
    document, body = _issue(DocumentKind.NOTICE_LIST, data)
    text = flat(pdf_text(body))
    total = (f"{data.total:,.2f}", amount_in_capitals(data.total))
    for phrase in (document.number, "补偿公示名单", "张*国", "李*", "欧**月", "王*", "2026年4月1日至2026年4月7日", "0737-5551234", *total):
        assert phrase in text, phrase
    for name in ("张建国", "李秀英", "欧阳明月"):
        assert name not in text


def test_long_payment_list_repeats_its_header_and_numbers_its_pages(ctx: None) -> None:
    data = payment_list(70)
    document, body = _issue(DocumentKind.PAYMENT_LIST, data)
    total_pages = pages(body)
    assert total_pages >= 3
    for page in range(1, total_pages + 1):
        text = flat(pdf_text(body, first=page, last=page))
        assert f"—{page}—" in text  # GB/T 9704: "— 1 —"
        assert "收款人" in text and "开户银行及账号" in text  # the table header on every page
        if page > 1:
            assert document.number in text  # the running header
    rows = re.findall(r"430921-2026-0000\d\d", flat(pdf_text(body)))
    assert len(rows) == len(set(rows)) == 70  # no row lost or printed twice at a page break
    text = flat(pdf_text(body))
    assert f"{data.total:,.2f}" in text and amount_in_capitals(data.total) in text and "6217********4567" in text


def test_pdf_a3b_with_the_data_attached_and_fonts_embedded_as_subsets(ctx: None) -> None:
    document, body = _issue(DocumentKind.COMPENSATION, compensation())
    data = attachment(body)
    assert data["document"]["number"] == document.number
    assert data["data"]["total"] == "12345.67" and data["data"]["insurer_share"] == "10000.00"
    assert data["document"]["court"] == "南县人民法院"
    reader = PdfReader(io.BytesIO(body))
    xmp = reader.xmp_metadata
    assert xmp is not None
    raw = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert 'pdfaid:part="3"' in raw and 'pdfaid:conformance="B"' in raw
    assert reader.trailer["/Root"]["/OutputIntents"][0].get_object()["/S"] == "/GTS_PDFA1"
    assert len(reader.trailer["/ID"]) == 2  # PDF/A needs the file identifier (see pdf.deflate_streams_once)
    assert reader.trailer["/Root"]["/AF"][0].get_object()["/AFRelationship"] == "/Data"
    fonts = subprocess.run(["pdffonts", "-"], input=body, capture_output=True, check=True).stdout.decode()
    cjk = [line for line in fonts.splitlines() if "WenQuanYi" in line or "CJK" in line]
    assert cjk, fonts
    for line in cjk:
        name, *_, emb, sub, _uni, _obj, _gen = line.split()
        assert re.match(r"[A-Z]{6}\+", name) and emb == sub == "yes", line


def test_pages_render_as_images(ctx: None, tmp_path: Path) -> None:
    """The rendered pages as PNG (pdftoppm), as a person checks them; here only that it works."""
    _, body = _issue(DocumentKind.COMPENSATION, compensation())
    (tmp_path / "d.pdf").write_bytes(body)
    subprocess.run(["pdftoppm", "-r", "30", "-png", str(tmp_path / "d.pdf"), str(tmp_path / "page")], check=True, timeout=60)
    assert [p.read_bytes()[:4] for p in sorted(tmp_path.glob("page*.png"))] == [b"\x89PNG"] * pages(body)


def test_a_correction_is_a_new_version_naming_the_one_it_replaces(ctx: None) -> None:
    old, old_pdf = _issue(DocumentKind.COMPENSATION, compensation())
    data = compensation(("9000.00", "3345.68"))
    new = reissue_document(old, data, actor=find_user("officer"))
    db.session.commit()
    new_pdf = document_bytes(new)
    assert (new.version, new.replaces_id, new.number) == (2, old.id, f"南林补决〔{old.year}〕2号")
    assert f"替代{old.number}" in flat(pdf_text(new_pdf)) and "12,345.68" in flat(pdf_text(new_pdf))
    assert document_bytes(old) == old_pdf and old.storage_key != new.storage_key  # the old file is kept as it was
    with pytest.raises(ValueError, match="already replaced"):
        reissue_document(old, data, actor=find_user("officer"))
