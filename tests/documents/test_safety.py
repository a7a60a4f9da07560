"""quality.md 16: the renderer reaches only static files and the document's own photos, whatever users typed."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from flask import Flask

from claims.accounts.services import find_user
from claims.core.storage import get_storage
from claims.documents import pdf
from claims.documents.models import DocumentKind
from claims.documents.pdf import RestrictedFetcher, render_pdf
from claims.extensions import db
from claims.survey.models import SurveyOutcome
from tests.documents.conftest import accepted, attachment, file_claim, flat, only_document, pdf_text, surveyed

HOSTILE = '<img src="file:///etc/passwd"> 详见 http://127.0.0.1:9/steal.png 和 <link rel="stylesheet" href="https://example.com/x.css">'


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[object]]:
    """Any attempt to open a network connection fails the test (and is recorded)."""
    attempts: list[object] = []

    def refuse(self: socket.socket, address: object) -> None:
        attempts.append(address)
        raise AssertionError(f"network access to {address}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    yield attempts
    assert not attempts


@pytest.fixture
def fetchers(monkeypatch: pytest.MonkeyPatch) -> list[RestrictedFetcher]:
    """Every fetcher the renderer makes, kept to look at what it was asked."""
    made: list[RestrictedFetcher] = []
    original = RestrictedFetcher.__init__

    def spy(self: RestrictedFetcher, *args: object, **kwargs: object) -> None:
        original(self, *args, **kwargs)  # type: ignore[arg-type]
        made.append(self)

    monkeypatch.setattr(RestrictedFetcher, "__init__", spy)
    return made


def test_hostile_description_is_printed_as_text_and_nothing_is_fetched(app: Flask, no_network: list[object], fetchers: list[RestrictedFetcher]) -> None:
    with app.app_context():
        claim = file_claim()
        claim.description = HOSTILE
        db.session.commit()
        surveyed(claim, SurveyOutcome.NOT_COMPENSATED)
        for kind in (DocumentKind.RECEIPT, DocumentKind.SURVEY_RECORD, DocumentKind.REFUSAL):
            _, body = only_document(claim, kind)
            text = flat(pdf_text(body))
            assert "root:x:0:0" not in text and "/bin/bash" not in text  # /etc/passwd did not leak
            assert 'src="file:///etc/passwd"' in text  # the user's text, shown as text
            assert len(attachment(body)) == 2  # only our own data attached
        photos = {f"photo:{p.id}" for p in claim.photos}
        db.session.remove()
    asked = [url for f in fetchers for url in f.asked]
    assert asked and set(asked) <= photos  # the survey thumbnails, and nothing else
    assert not [url for f in fetchers for url in f.refused]


HOSTILE_HTML = """<html><head>
<link rel="stylesheet" href="file:///etc/passwd">
<link rel="stylesheet" href="http://127.0.0.1:9/a.css">
<style>@import url("https://example.com/b.css"); body { background: url(file:///etc/hostname); }
@font-face { font-family: X; src: url(http://127.0.0.1:9/font.woff); } p { font-family: X; }</style>
</head><body>
<p>正文</p>
<img src="file:///etc/passwd"><img src="http://127.0.0.1:9/c.png"><img src="https://example.com/d.png">
<img src="ftp://example.com/e.png"><img src="data:image/svg+xml,%3Csvg%20xmlns='http://www.w3.org/2000/svg'/%3E">
<img src="photo:999999"><img src="photo:../../etc/passwd"><img src="static:../claims/config.py"><img src="static:/etc/passwd">
<img src="relative.png"><object data="file:///etc/passwd"></object><embed src="file:///etc/shadow">
<svg xmlns="http://www.w3.org/2000/svg"><image href="file:///etc/passwd" width="10" height="10"/></svg>
<a rel="attachment" href="file:///etc/passwd">x</a>
</body></html>"""


def test_fetcher_refuses_everything_but_static_files_and_listed_photos(app: Flask, no_network: list[object]) -> None:
    fetcher = RestrictedFetcher({})
    with app.app_context():
        body = render_pdf(HOSTILE_HTML, fetcher=fetcher).body
    refused = set(fetcher.refused)
    assert set(fetcher.asked) == refused  # nothing was served
    for url in ("file:///etc/passwd", "http://127.0.0.1:9/c.png", "https://example.com/d.png", "photo:999999", "static:../claims/config.py"):
        assert url in refused, url
    assert any(u.startswith("http://127.0.0.1:9/font") for u in refused) and any(u.startswith("https://example.com/b.css") for u in refused)
    text = pdf_text(body)
    assert "正文" in text and "root:" not in text


def test_fetcher_serves_static_files_and_listed_photos_only(app: Flask) -> None:
    with app.app_context():
        claim = accepted(file_claim())
        photo = claim.photos[0]
        fetcher = RestrictedFetcher({photo.id: photo.thumb_key}, get_storage())
        assert fetcher.fetch(f"photo:{photo.id}").read() == get_storage().get(photo.thumb_key)
        assert fetcher.fetch("static:img/icon.svg").content_type == "image/svg+xml"
        for url in (f"photo:{claim.photos[1].id}", "static:css/../../claims/config.py", "static:%2e%2e/claims/config.py", "static:", "file:///etc/passwd"):
            with pytest.raises(pdf.FetchRefused):
                fetcher.fetch(url)
        db.session.remove()


def test_a_document_may_not_list_another_claims_photo(app: Flask) -> None:
    from claims.documents.builders import survey_record_data
    from claims.documents.data import PhotoRef
    from claims.documents.services import issue_document
    from claims.survey.services import latest_survey

    with app.app_context():
        claim = surveyed(file_claim())
        other = file_claim("13800000002", seed=9)
        data = survey_record_data(claim, latest_survey(claim))  # type: ignore[arg-type]
        data.photos.append(PhotoRef(id=other.photos[0].id, sha256=other.photos[0].sha256))
        with pytest.raises(ValueError, match="not a photo of this claim"):
            issue_document(DocumentKind.SURVEY_RECORD, claim, data, actor=find_user("officer"))
        db.session.remove()
