"""Layout of the printed documents, read back from the PDF: where the text is drawn, on which page, with which fonts."""

from __future__ import annotations

import io
import re
from decimal import Decimal
from typing import Any

from pypdf import PdfReader
from pypdf.generic import StreamObject
from sqlalchemy import select

from claims.accounts.services import find_user
from claims.approval import payments
from claims.documents.capitals import amount_in_capitals
from claims.documents.data import PaymentEntry, PaymentListData
from claims.documents.models import DocumentKind, IssuedDocument
from claims.documents.services import document_bytes, issue_document
from claims.extensions import db
from claims.intake import review
from claims.intake.forms import ClaimForm
from claims.survey.models import SurveyOutcome
from tests.approval.conftest import approved_chaling_claims
from tests.documents.conftest import file_claim, flat, nan_county, surveyed
from tests.documents.geometry import runs_beyond_right_margin, text_runs

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
    assert f"{data.total:,.2f}" in amounts
    text = flat("".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages))
    assert "合计（70笔）" in text and amount_in_capitals(data.total) in text


def documents_of_every_kind() -> dict[DocumentKind, bytes]:
    """One PDF of each kind, each issued by its real step: intake (receipt, correction notice, non-acceptance),
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
    documents: dict[DocumentKind, bytes] = {}
    for row in db.session.execute(select(IssuedDocument).order_by(IssuedDocument.id)).scalars():
        if row.kind not in documents:  # the first of each kind (the survey record with the photos)
            documents[row.kind] = document_bytes(row)
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
