"""What the documents cite and whom they name, read from the PDFs the real steps issue: the law and the measures in
force (county settings with effective dates), the township that takes a correction, the consequence of missing its
deadline, and the telephone for objections to a notice list."""

from __future__ import annotations

import io

from pypdf import PdfReader
from sqlalchemy import select

from claims.accounts.services import find_user
from claims.approval import operations
from claims.core.time import local_today
from claims.documents.models import DocumentKind, IssuedDocument
from claims.documents.services import document_bytes
from claims.extensions import db
from claims.intake import review
from claims.regions.admin_services import set_county_setting
from tests.approval.conftest import valued_claim
from tests.documents.conftest import accepted, documents_of, file_claim, flat
from tests.documents.test_layout import documents_of_every_kind
from tests.workflow.conftest import region

LAW = "《中华人民共和国野生动物保护法》第十九条"
MEASURES = "《湖南省陆生野生动物致害补偿办法》（湖南省人民政府令第315号）"


def _text(body: bytes) -> str:
    return flat("".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages))


def test_receipt_correction_survey_record_and_payment_list_cite_the_law_and_the_measures(ctx: None) -> None:
    documents = documents_of_every_kind()
    for kind in (DocumentKind.RECEIPT, DocumentKind.CORRECTION, DocumentKind.SURVEY_RECORD, DocumentKind.PAYMENT_LIST):
        text = _text(documents[kind])
        assert f"根据{LAW}和{MEASURES}的规定" in text, kind


def test_the_measures_cited_are_those_in_force_for_the_county(ctx: None) -> None:
    """The measures are a setting with a start date (province, prefecture or county): a new text applies from its day."""
    revised = "《湖南省陆生野生动物致害补偿办法（示例修订）》"
    set_county_setting(region("430000"), "doc_provincial_measures", revised, local_today(), "", actor=find_user("admin"))
    db.session.commit()
    claim = accepted(file_claim())
    (receipt,) = documents_of(claim, DocumentKind.RECEIPT)
    text = _text(document_bytes(receipt))
    assert f"根据{LAW}和{revised}的规定" in text and MEASURES not in text


def test_the_correction_notice_names_the_township_and_the_consequence_of_missing_its_deadline(ctx: None) -> None:
    claim = file_claim()
    review.return_claim(claim, ["photos", "bank_account"], "照片看不清", actor=find_user("clerk"))
    db.session.commit()
    (notice,) = documents_of(claim, DocumentKind.CORRECTION)
    text = _text(document_bytes(notice))
    assert claim.due_at is not None
    due = f"{claim.due_at.year}年{claim.due_at.month}月{claim.due_at.day}日"
    assert f"请于{due}前在“我的申请”中补正后重新提交，或者携带有关材料到三仙湖镇人民政府办理。" in text
    assert "逾期未补正的，视为申请材料不齐全，本机关对该申请不予受理。" in text
    assert "到乡镇人民政府" not in text


def test_the_notice_list_gives_the_county_telephone_for_objections(ctx: None) -> None:
    set_county_setting(region("430224"), "doc_contact_phone", "0731-5221234", local_today(), "", actor=find_user("admin"))
    db.session.commit()
    claim = valued_claim("chaling", seed=41)
    batch = operations.create_notice_batch(claim.township, [claim], local_today(), actor=find_user("clerk_cl"))
    db.session.commit()
    query = select(IssuedDocument).where(IssuedDocument.kind == DocumentKind.NOTICE_LIST, IssuedDocument.subject == f"notice_batch:{batch.id}")
    document = db.session.execute(query).scalar_one()
    text = _text(document_bytes(document))
    assert "对公示内容有异议的，请在公示期内向严塘镇人民政府或者茶陵县林业局（电话：0731-5221234）反映。" in text
