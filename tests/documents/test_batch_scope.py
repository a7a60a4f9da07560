"""Batch documents stay in their scope: a township's notice list for that township's clerks and the county's
staff; a county's payment list for the county's approvers and administrators above, never township clerks."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from claims.accounts.services import find_user
from claims.approval import operations
from claims.core import time as clock
from claims.documents import pdf
from claims.documents.models import DocumentKind, IssuedDocument
from claims.extensions import db
from claims.insurance.models import InsurerDecision
from claims.insurance.operations import decide_as_insurer
from tests.approval.conftest import valued_claim
from tests.conftest import login
from tests.documents.conftest import noticed_approved_and_exported


def _batch_document(kind: DocumentKind) -> int:
    return db.session.execute(select(IssuedDocument.id).where(IssuedDocument.kind == kind, IssuedDocument.claim_id.is_(None))).scalar_one()


@pytest.fixture
def batch_documents(app: Flask) -> dict[str, int]:
    """A notice list of 三仙湖镇 (南县) and a payment list of 茶陵县, issued through the real steps."""
    with app.app_context():
        nan = valued_claim(seed=31)
        decide_as_insurer(nan, InsurerDecision.ACCEPT, actor=find_user("insurer"))
        db.session.commit()
        nan_batch = operations.create_notice_batch(nan.township, [nan], clock.local_today(), actor=find_user("clerk"))
        db.session.commit()
        _notice, batch = noticed_approved_and_exported(valued_claim("chaling", seed=32))
        notice = db.session.execute(
            select(IssuedDocument.id).where(IssuedDocument.kind == DocumentKind.NOTICE_LIST, IssuedDocument.county_id == nan.county_id)
        ).scalar_one()
        ids = {"notice": notice, "payment": _batch_document(DocumentKind.PAYMENT_LIST), "notice_batch": nan_batch.id, "payment_batch": batch.id}
        db.session.remove()
    return ids


NOTICE_ACCESS = [("clerk", 200), ("officer", 200), ("approver", 200), ("admin", 200), ("clerk2", 404), ("clerk_cl", 404), ("approver_cl", 404)]
PAYMENT_ACCESS = [("approver_cl", 200), ("admin", 200), ("clerk_cl", 404), ("approver", 404), ("clerk", 404)]


def test_a_notice_list_is_for_its_township_and_county(app: Flask, batch_documents: dict[str, int]) -> None:
    seen = {}
    for user, _expected in NOTICE_ACCESS:
        client = app.test_client()
        login(client, user)
        seen[user] = client.get(f"/documents/{batch_documents['notice']}").status_code
    assert seen == dict(NOTICE_ACCESS)


def test_a_payment_list_is_for_the_county_approvers_not_township_clerks(app: Flask, batch_documents: dict[str, int]) -> None:
    seen = {}
    for user, _expected in PAYMENT_ACCESS:
        client = app.test_client()
        login(client, user)
        seen[user] = client.get(f"/documents/{batch_documents['payment']}").status_code
    assert seen == dict(PAYMENT_ACCESS)


def _page(app: Flask, user: str, url: str) -> tuple[int, str]:
    client = app.test_client()
    login(client, user)
    response = client.get(url)
    return response.status_code, response.get_data(as_text=True)


def _number(app: Flask, document_id: int) -> str:
    with app.app_context():
        return db.session.get(IssuedDocument, document_id).number  # type: ignore[union-attr]


def test_the_notice_batch_page_links_its_notice_list_for_whoever_may_download_it(app: Flask, batch_documents: dict[str, int]) -> None:
    """The page and the link follow the batch's scope: the township's clerk and the county's staff; a clerk of
    another township or another county's staff see neither the page nor the document."""
    link, number = f'href="/documents/{batch_documents["notice"]}"', _number(app, batch_documents["notice"])
    for user, expected in NOTICE_ACCESS:
        status, html = _page(app, user, f"/notices/{batch_documents['notice_batch']}")
        assert status == expected, user
        if status == 200:
            assert link in html and number in html and "公示名单" in html, user
            client = app.test_client()
            login(client, user)
            assert client.get(f"/documents/{batch_documents['notice']}").data.startswith(b"%PDF"), user


def test_the_payment_batch_page_links_its_payment_list_for_the_countys_approvers(app: Flask, batch_documents: dict[str, int]) -> None:
    link, number = f'href="/documents/{batch_documents["payment"]}"', _number(app, batch_documents["payment"])
    status, html = _page(app, "approver_cl", f"/payments/{batch_documents['payment_batch']}")
    assert status == 200 and link in html and number in html and "支付清单" in html
    for user in ("approver", "clerk_cl", "officer_cl"):  # another county's approver; the county's other staff
        status, html = _page(app, user, f"/payments/{batch_documents['payment_batch']}")
        assert status in (403, 404) and link not in html, user


def test_a_batch_document_not_stored_yet_is_said_so(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Until its job stores the PDF, the batch pages name the document "being prepared" and link nothing."""

    def down(*args: object, **kwargs: object) -> bytes:
        raise RuntimeError("renderer down")

    with app.app_context():
        claim = valued_claim("chaling", seed=33)
        monkeypatch.setattr(pdf, "render_pdf", down)
        notice, batch = noticed_approved_and_exported(claim)
        lists = db.session.execute(select(IssuedDocument).where(IssuedDocument.claim_id.is_(None))).scalars().all()
        assert {d.kind for d in lists} == {DocumentKind.NOTICE_LIST, DocumentKind.PAYMENT_LIST} and not any(d.ready for d in lists)
        ids = {d.kind: (d.id, d.number) for d in lists}
        pages = {DocumentKind.NOTICE_LIST: f"/notices/{notice.id}", DocumentKind.PAYMENT_LIST: f"/payments/{batch.id}"}
        db.session.remove()
    for kind, (document_id, number) in ids.items():
        status, html = _page(app, "approver_cl", pages[kind])
        assert status == 200 and "文件正在生成" in html and number in html, kind
        assert f"/documents/{document_id}" not in html, kind
