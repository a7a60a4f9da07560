"""The compensation decision, the notice list and the payment list come from the normal workflow."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from claims.accounts.services import find_user
from claims.approval import operations, payments
from claims.core import time as clock
from claims.core.storage import get_storage
from claims.documents.capitals import amount_in_capitals
from claims.documents.models import DocumentKind, IssuedDocument
from claims.extensions import db
from claims.insurance.models import InsurerDecision, Split
from claims.insurance.operations import decide_as_insurer
from tests.approval.conftest import valued_claim
from tests.documents.conftest import pdf_text


def _doc(kind: DocumentKind, **where: object) -> IssuedDocument:
    query = select(IssuedDocument).where(IssuedDocument.kind == kind)
    for name, value in where.items():
        query = query.where(getattr(IssuedDocument, name) == value)
    return db.session.execute(query.order_by(IssuedDocument.id.desc())).scalars().first()


def test_approval_issues_the_compensation_decision_with_both_shares(ctx):  # type: ignore[no-untyped-def]
    claim = valued_claim(seed=31)
    decide_as_insurer(claim, InsurerDecision.ACCEPT, actor=find_user("insurer"))
    db.session.commit()
    batch = operations.create_notice_batch(claim.township, [claim], clock.local_today(), actor=find_user("clerk"))
    db.session.commit()
    notice = _doc(DocumentKind.NOTICE_LIST, subject=f"notice_batch:{batch.id}")
    notice_text = pdf_text(get_storage().get(notice.storage_key))
    assert claim.number in notice_text and claim.claimant_name not in notice_text  # names masked on the posted list
    clock.freeze(clock.utcnow() + timedelta(days=8))
    assert operations.approve(claim, actor=find_user("approver"))
    db.session.commit()
    document = _doc(DocumentKind.COMPENSATION, claim_id=claim.id)
    assert document is not None
    text = pdf_text(get_storage().get(document.storage_key))
    split = db.session.get(Split, claim.id)
    total = split.insurer_share + split.government_share
    assert document.number in text.replace("\n", "")
    flat = text.replace("\n", "").replace(" ", "")
    assert claim.claimant_name in text
    assert f"{total:,.2f}" in flat or f"{total:.2f}" in flat
    assert amount_in_capitals(total) in flat
    assert "六十日内" in flat and "六个月内" in flat and "行政复议" in flat
    assert "中华联合" in text


def test_payment_batch_export_issues_the_payment_list(ctx):  # type: ignore[no-untyped-def]
    claim = valued_claim("chaling", seed=32)
    operations.create_notice_batch(claim.township, [claim], clock.local_today(), actor=find_user("clerk_cl"))
    db.session.commit()
    clock.freeze(clock.utcnow() + timedelta(days=8))
    operations.approve(claim, actor=find_user("approver_cl"))
    db.session.commit()
    treasurer = find_user("approver_cl")
    batch = payments.create_batch(claim.county, actor=treasurer)
    payments.export_csv(batch, actor=treasurer)
    payments.reopen_batch(batch, "银行未收到文件", actor=treasurer)
    payments.export_csv(batch, actor=treasurer)  # a second export issues no second list
    db.session.commit()
    lists = db.session.execute(select(IssuedDocument).where(IssuedDocument.subject == f"payment_batch:{batch.id}")).scalars().all()
    assert len(lists) == 1
    text = pdf_text(get_storage().get(lists[0].storage_key))
    decision = _doc(DocumentKind.COMPENSATION, claim_id=claim.id)
    assert claim.number in text and decision.number in text.replace("\n", "")
    assert claim.bank_account not in text
