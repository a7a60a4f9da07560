"""Batch documents stay in their scope: a township's notice list for that township's clerks and the county's
staff; a county's payment list for the county's approvers and administrators above, never township clerks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from claims.accounts.services import find_user
from claims.approval import operations, payments
from claims.core import time as clock
from claims.documents.models import DocumentKind, IssuedDocument
from claims.extensions import db
from claims.insurance.models import InsurerDecision
from claims.insurance.operations import decide_as_insurer
from tests.approval.conftest import valued_claim
from tests.conftest import login


def _batch_document(kind: DocumentKind) -> int:
    return db.session.execute(select(IssuedDocument.id).where(IssuedDocument.kind == kind, IssuedDocument.claim_id.is_(None))).scalar_one()


@pytest.fixture
def batch_documents(app: Flask) -> dict[str, int]:
    """A notice list of 三仙湖镇 (南县) and a payment list of 茶陵县, issued through the real steps."""
    with app.app_context():
        nan = valued_claim(seed=31)
        decide_as_insurer(nan, InsurerDecision.ACCEPT, actor=find_user("insurer"))
        db.session.commit()
        operations.create_notice_batch(nan.township, [nan], clock.local_today(), actor=find_user("clerk"))
        db.session.commit()
        chaling = valued_claim("chaling", seed=32)
        operations.create_notice_batch(chaling.township, [chaling], clock.local_today(), actor=find_user("clerk_cl"))
        db.session.commit()
        clock.freeze(clock.utcnow() + timedelta(days=8))
        operations.approve(chaling, actor=find_user("approver_cl"))
        db.session.commit()
        batch = payments.create_batch(chaling.county, actor=find_user("approver_cl"))
        payments.export_csv(batch, actor=find_user("approver_cl"))
        db.session.commit()
        notice = db.session.execute(
            select(IssuedDocument.id).where(IssuedDocument.kind == DocumentKind.NOTICE_LIST, IssuedDocument.county_id == nan.county_id)
        ).scalar_one()
        ids = {"notice": notice, "payment": _batch_document(DocumentKind.PAYMENT_LIST)}
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
