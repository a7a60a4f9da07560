"""Numbers per county, year and kind: the prefix is a county setting; gap-free and unique under concurrency."""

from __future__ import annotations

import threading
from datetime import date

from flask import Flask
from sqlalchemy import select

from claims.accounts.services import find_user
from claims.core.time import local_today
from claims.documents.models import DocumentKind, DocumentSequence, IssuedDocument
from claims.documents.numbering import next_document_number, short_name
from claims.documents.services import issue_document
from claims.extensions import db
from claims.regions.models import CountySetting, Region
from tests.documents.conftest import nan_county, notice_list


def _county(code: str) -> Region:
    return db.session.execute(select(Region).where(Region.code == code)).scalar_one()


def test_format_defaults_and_separate_series(ctx: None) -> None:
    nan, chaling = nan_county(), _county("430224")
    assert (short_name(nan), short_name(chaling)) == ("南", "茶")
    numbers = [
        str(next_document_number(nan, 2026, DocumentKind.COMPENSATION)),
        str(next_document_number(nan, 2026, DocumentKind.COMPENSATION)),
        str(next_document_number(nan, 2026, DocumentKind.REFUSAL)),
        str(next_document_number(chaling, 2026, DocumentKind.COMPENSATION)),
        str(next_document_number(nan, 2027, DocumentKind.COMPENSATION)),
    ]
    assert numbers == ["南林补决〔2026〕1号", "南林补决〔2026〕2号", "南林不补决〔2026〕1号", "茶林补决〔2026〕1号", "南林补决〔2027〕1号"]


def test_prefix_is_a_county_setting(ctx: None) -> None:
    nan = nan_county()
    db.session.add(CountySetting(region=nan, key="doc_prefix_compensation", value="南林野补", effective_from=date(2000, 1, 1)))
    db.session.flush()
    assert str(next_document_number(nan, 2026, DocumentKind.COMPENSATION)) == "南林野补〔2026〕1号"
    assert str(next_document_number(nan, 2026, DocumentKind.RECEIPT)) == "南受〔2026〕1号"


def test_a_rolled_back_number_is_given_again(ctx: None) -> None:
    nan = nan_county()
    officer = find_user("officer")
    issue_document(DocumentKind.NOTICE_LIST, None, notice_list(), actor=officer, county=nan)
    db.session.commit()
    issue_document(DocumentKind.NOTICE_LIST, None, notice_list(), actor=officer, county=nan)
    db.session.rollback()
    document = issue_document(DocumentKind.NOTICE_LIST, None, notice_list(), actor=officer, county=nan)
    db.session.commit()
    assert document.seq == 2


def test_concurrent_issuing_is_gap_free_and_unique(app: Flask) -> None:
    """Threads released together each issue a document of the same county, year and kind."""
    threads_n = 10
    barrier = threading.Barrier(threads_n)
    errors: list[BaseException] = []

    def worker() -> None:
        with app.app_context():
            try:
                county, officer = nan_county(), find_user("officer")
                db.session.rollback()  # end the read transaction: all start writing at once
                barrier.wait(timeout=30)
                issue_document(DocumentKind.NOTICE_LIST, None, notice_list(1), actor=officer, county=county)
                db.session.commit()
            except BaseException as exc:  # reported below; a thread's exception would otherwise be lost
                errors.append(exc)
                db.session.rollback()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(threads_n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    with app.app_context():
        rows = db.session.execute(select(IssuedDocument).where(IssuedDocument.kind == DocumentKind.NOTICE_LIST)).scalars().all()
        assert sorted(r.seq for r in rows) == list(range(1, threads_n + 1))
        assert len({r.number for r in rows}) == threads_n
        assert len({r.verification_code for r in rows}) == threads_n
        sequence = db.session.get(DocumentSequence, (nan_county().id, local_today().year, DocumentKind.NOTICE_LIST))
        assert sequence is not None and sequence.last_value == threads_n
        db.session.remove()
