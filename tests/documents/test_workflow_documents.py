"""Each document of today's workflow is issued by the normal step, in its transaction, and reads right."""

from __future__ import annotations

import hashlib
import io

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from claims.accounts.services import find_user
from claims.core.jobs import Job, JobStatus
from claims.core.storage import get_storage
from claims.documents import pdf, services
from claims.documents.models import DocumentKind, IssuedDocument
from claims.extensions import db
from claims.intake import review
from claims.survey.models import SurveyOutcome
from claims.workflow.states import ClaimStatus
from tests.documents.conftest import accepted, attachment, documents_of, file_claim, flat, only_document, pdf_text, surveyed

REMEDY_PHRASES = ("六十日内向南县人民政府申请行政复议", "六个月内向南县人民法院提起行政诉讼")


def test_accepting_issues_the_receipt(ctx: None) -> None:
    claim = accepted(file_claim())
    document, body = only_document(claim, DocumentKind.RECEIPT)
    text = flat(pdf_text(body))
    assert document.number == "南受〔2026〕1号".replace("2026", str(document.year))
    for expected in (document.number, "受理回执", "三仙湖镇人民政府", claim.number, "张建国", "水稻", "2.5亩", "鸡", "野猪", "予以受理", "—1—"):
        assert expected in text, expected
    assert document.issuer_name == "三仙湖镇人民政府"
    assert "6217995500001234567" not in text and "430921196503151234" not in text  # no full account or ID number
    assert "4309**********" in text


def test_returning_issues_the_correction_notice(ctx: None) -> None:
    claim = file_claim()
    review.return_claim(claim, ["photos", "bank_account"], "照片看不清", actor=find_user("clerk"))
    db.session.commit()
    document, body = only_document(claim, DocumentKind.CORRECTION)
    text = flat(pdf_text(body))
    for expected in (document.number, "补正材料通知书", "张建国", claim.number, "（一）", "（二）", "照片看不清"):
        assert expected in text, expected
    assert documents_of(claim) == [document]


def test_not_accepting_issues_the_notice_of_non_acceptance_with_reasons_and_remedies(ctx: None) -> None:
    claim = file_claim()
    review.refuse_intake(claim, ["late_report", "duplicate"], "超过申请期限，且同一损失已经申请过。", actor=find_user("clerk"))
    db.session.commit()
    assert claim.status == ClaimStatus.NOT_ACCEPTED
    document, body = only_document(claim, DocumentKind.NOT_ACCEPTED)
    text = flat(pdf_text(body))
    for expected in (document.number, "不予受理通知书", "张建国", claim.number, "（一）", "（二）", "超过申请期限", "决定对该申请不予受理", *REMEDY_PHRASES):
        assert expected in text, expected
    assert "湖南省陆生野生动物致害补偿办法" in text and "野生动物保护法》第十九条" in text


def test_survey_refusal_issues_the_record_with_photos_and_the_decision_not_to_compensate(ctx: None) -> None:
    claim = surveyed(file_claim(), SurveyOutcome.NOT_COMPENSATED)
    assert claim.status == ClaimStatus.NOT_COMPENSATED
    record, record_pdf = only_document(claim, DocumentKind.SURVEY_RECORD)
    decision, decision_pdf = only_document(claim, DocumentKind.REFUSAL)
    record_text = flat(pdf_text(record_pdf))
    for expected in (record.number, "现场勘查记录", "陈志强、周伟", "足迹", "粪便", "水稻", "2.5亩", "80%", "不予补偿", "照片1", "照片2"):
        assert expected in record_text, expected
    images = {image.data for page in PdfReader(io.BytesIO(record_pdf)).pages for image in page.images}
    assert len(images) == 2  # the survey photos as thumbnails (WeasyPrint shares one image resource list between pages)
    text = flat(pdf_text(decision_pdf))
    assert decision.number.startswith("南林不补决〔")
    for expected in (
        decision.number,
        "不予补偿决定书",
        "南县林业局",
        "张建国",
        claim.number,
        "（一）",
        "（二）",
        "鸡未圈养",
        "决定对该申请不予补偿",
        *REMEDY_PHRASES,
    ):
        assert expected in text, expected


def test_an_eligible_survey_issues_the_record(ctx: None) -> None:
    claim = surveyed(file_claim(), photos=1)
    assert claim.status == ClaimStatus.SURVEYED
    record, body = only_document(claim, DocumentKind.SURVEY_RECORD)
    text = flat(pdf_text(body))
    assert "属于补偿范围" in text and record.number in text
    assert [d.kind for d in documents_of(claim)] == [DocumentKind.RECEIPT, DocumentKind.SURVEY_RECORD]
    data = attachment(body)["data"]
    assert data["claimant"]["name"] == "张建国" and len(data["photos"]) == 1 and data["lines"][0]["loss_rate"] == "80%"


def test_stored_file_matches_its_hash_and_the_attached_data(ctx: None) -> None:
    claim = accepted(file_claim())
    document, body = only_document(claim, DocumentKind.RECEIPT)
    assert hashlib.sha256(get_storage().get(document.storage_key)).hexdigest() == document.sha256 == hashlib.sha256(body).hexdigest()
    assert document.size_bytes == len(body)
    attached = attachment(body)
    assert attached["document"]["number"] == document.number and attached["data"]["incident"]["claim_number"] == claim.number
    assert attached == document.data


def test_a_failing_render_keeps_the_decision_and_retries_the_document(ctx: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """The PDF is made by a job after the step commits: a renderer that fails leaves the step taken and its
    numbered document "being prepared", and the job waits for its back-off to try again."""
    claim = file_claim()

    def broken(*args: object, **kwargs: object) -> bytes:
        raise RuntimeError("renderer down")

    monkeypatch.setattr(pdf, "render_pdf", broken)
    review.accept_claim(claim, actor=find_user("clerk"))
    db.session.commit()
    db.session.refresh(claim)
    assert claim.status == ClaimStatus.ACCEPTED
    (document,) = documents_of(claim, DocumentKind.RECEIPT)
    assert not document.ready and document.storage_key is None and document.number
    job = db.session.execute(select(Job).where(Job.key == f"render_document:{document.id}")).scalar_one()
    assert job.status == JobStatus.QUEUED and job.attempts == 1 and job.last_error == "RuntimeError" and job.next_attempt_at is not None


def test_a_document_that_cannot_be_filled_refuses_the_step(ctx: None, monkeypatch: pytest.MonkeyPatch) -> None:
    claim = file_claim()
    version, jobs = claim.version, db.session.query(Job).count()

    def broken(*args: object, **kwargs: object) -> str:
        raise RuntimeError("template broken")

    monkeypatch.setattr(services, "document_html", broken)
    with pytest.raises(RuntimeError):  # the template is filled in the step: a document it cannot write refuses it
        review.accept_claim(claim, actor=find_user("clerk"))
    db.session.rollback()
    db.session.refresh(claim)
    assert claim.status == ClaimStatus.SUBMITTED and claim.version == version
    assert db.session.query(IssuedDocument).count() == 0 and db.session.query(Job).count() == jobs


def test_a_rolled_back_decision_leaves_no_file_and_no_number(ctx: None) -> None:
    claim = file_claim()
    storage = get_storage()
    before = set(storage.keys_older_than(-10))
    review.accept_claim(claim, actor=find_user("clerk"))
    db.session.flush()
    db.session.rollback()  # the stored receipt is deleted with the step
    db.session.refresh(claim)
    assert set(storage.keys_older_than(-10)) == before
    accepted(claim)
    document, _ = only_document(claim, DocumentKind.RECEIPT)
    assert document.seq == 1
