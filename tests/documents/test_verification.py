"""The public verification page (the QR code's target) authenticates paper: kind, number, issuer, date, version,
the amounts and the payees masked (张*国, account ending 4567), and whether the document was replaced; no full name,
ID or account number, to an anonymous visitor as to anyone."""

from __future__ import annotations

from decimal import Decimal

import pytest
from flask import Flask
from sqlalchemy import select

from claims.accounts.services import find_user
from claims.core import formatting
from claims.documents.data import DATA_TYPES, from_jsonable
from claims.documents.models import DocumentKind, IssuedDocument
from claims.documents.services import document_bytes, reissue_document
from claims.extensions import db
from claims.intake.models import Claim
from tests.conftest import login
from tests.documents.conftest import flat, pdf_text


def _page(app: Flask, document_id: int, who: str | None = None) -> str:
    with app.app_context():
        code = db.session.get(IssuedDocument, document_id).verification_code  # type: ignore[union-attr]
    client = app.test_client()
    if who is not None:
        login(client, who)
    response = client.get(f"/verify/{code}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _personal(app: Flask) -> list[str]:
    """Every claim's full name, ID number, account, mobile and address."""
    with app.app_context():
        claims = db.session.execute(select(Claim)).scalars().all()
        values = [v for c in claims for v in (c.claimant_name, c.claimant_id_number, c.bank_account, c.claimant_mobile, c.claimant_address)]
    return sorted({v for v in values if v})


@pytest.mark.parametrize("who", [None, "officer_cl"])
def test_a_compensation_decision_shows_its_amounts_and_masked_payee(app: Flask, every_kind: dict[DocumentKind, int], who: str | None) -> None:
    html = _page(app, every_kind[DocumentKind.COMPENSATION], who)
    with app.app_context():
        document = db.session.get(IssuedDocument, every_kind[DocumentKind.COMPENSATION])
        assert document is not None
        data = document.data["data"]
        printed = flat(pdf_text(document_bytes(document)))
        facts = (document.title_zh, document.number, document.issuer_name, document.issued_at.strftime("%Y-"), document.sha256)
    total = Decimal(data["total"])
    assert total > 0 and formatting.amount(total) in printed  # the page shows what the paper must show
    for shown in (*facts, formatting.money(total), formatting.money(Decimal(data["insurer_share"])), formatting.money(Decimal(data["government_share"]))):
        assert shown in html, shown
    assert "张*国" in html and "账号尾号4567" in html
    assert "版本" in html and "本文书已更正" not in html
    for value in _personal(app):
        assert value not in html, value


def test_a_payment_list_shows_each_payment_masked(app: Flask, every_kind: dict[DocumentKind, int]) -> None:
    html = _page(app, every_kind[DocumentKind.PAYMENT_LIST])
    with app.app_context():
        data = db.session.get(IssuedDocument, every_kind[DocumentKind.PAYMENT_LIST]).data["data"]  # type: ignore[union-attr]
    (entry,) = data["entries"]
    for shown in ("收款人（1）", "张*国", "账号尾号4567", formatting.money(Decimal(entry["amount"])), formatting.money(Decimal(data["total"]))):
        assert shown in html, shown
    for value in _personal(app):
        assert value not in html, value


def test_a_notice_list_shows_its_proposed_amounts_and_masked_names(app: Flask, every_kind: dict[DocumentKind, int]) -> None:
    html = _page(app, every_kind[DocumentKind.NOTICE_LIST])
    with app.app_context():
        data = db.session.get(IssuedDocument, every_kind[DocumentKind.NOTICE_LIST]).data["data"]  # type: ignore[union-attr]
    for shown in ("拟补偿金额合计", "张*国", formatting.money(Decimal(data["total"]))):
        assert shown in html, shown
    assert "尾号" not in html  # a notice list names no account
    for value in _personal(app):
        assert value not in html, value


@pytest.mark.parametrize("kind", [DocumentKind.RECEIPT, DocumentKind.CORRECTION, DocumentKind.SURVEY_RECORD, DocumentKind.REFUSAL])
def test_a_document_without_amounts_names_nobody(app: Flask, every_kind: dict[DocumentKind, int], kind: DocumentKind) -> None:
    html = _page(app, every_kind[kind])
    assert "张*国" not in html and "尾号" not in html and "¥" not in html
    for value in _personal(app):
        assert value not in html, value


def test_a_replaced_decision_says_so_and_keeps_its_own_amounts(app: Flask, every_kind: dict[DocumentKind, int]) -> None:
    with app.app_context():
        old = db.session.get(IssuedDocument, every_kind[DocumentKind.COMPENSATION])
        assert old is not None
        data = from_jsonable(DATA_TYPES["CompensationDecisionData"], old.data["data"])
        new = reissue_document(old, data, actor=find_user("approver_cl"))
        db.session.commit()
        new_id, new_number, total = new.id, new.number, Decimal(old.data["data"]["total"])
    old_html = _page(app, every_kind[DocumentKind.COMPENSATION])
    assert new_number in old_html and "本文书已更正" in old_html and formatting.money(total) in old_html
    assert "本文书已更正" not in _page(app, new_id)


def test_a_document_issued_before_masking_is_still_shown_masked(app: Flask, every_kind: dict[DocumentKind, int]) -> None:
    """A notice list stored with full names (as before the masking step) shows them masked all the same."""
    with app.app_context():
        document = db.session.get(IssuedDocument, every_kind[DocumentKind.NOTICE_LIST])
        assert document is not None
        stored = document.data
        stored["data"]["entries"][0]["name"] = "张建国"
        document.data = {**stored}
        db.session.commit()
    html = _page(app, every_kind[DocumentKind.NOTICE_LIST])
    assert "张*国" in html and "张建国" not in html


def test_an_advance_decision_shows_its_amount_and_masked_payee(app: Flask, every_kind: dict[DocumentKind, int]) -> None:
    html = _page(app, every_kind[DocumentKind.ADVANCE])
    with app.app_context():
        data = db.session.get(IssuedDocument, every_kind[DocumentKind.ADVANCE]).data["data"]  # type: ignore[union-attr]
    for shown in ("张*国", "账号尾号4567", formatting.money(Decimal(data["amount"]))):
        assert shown in html, shown
    for value in _personal(app):
        assert value not in html, value
