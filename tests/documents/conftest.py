"""Helpers for the document tests: claims at each step (through the real services) and PDF inspection."""

from __future__ import annotations

import io
import json
import re
import subprocess
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from pypdf import PdfReader
from sqlalchemy import select

from claims.accounts.services import find_user
from claims.approval import operations, payments
from claims.approval.models import NoticeBatch, PaymentBatch
from claims.core import time as clock
from claims.core.time import utcnow
from claims.documents.data import (
    AwardLine,
    CompensationDecisionData,
    Incident,
    NoticeEntry,
    NoticeListData,
    Party,
    PaymentEntry,
    PaymentListData,
)
from claims.documents.models import DocumentKind, IssuedDocument
from claims.documents.services import document_bytes
from claims.extensions import db
from claims.insurance.models import InsurerDecision
from claims.insurance.operations import decide_as_insurer
from claims.intake import review
from claims.intake.models import Claim, LossCategory
from claims.intake.services import LossInput, PhotoUpload
from claims.regions.admin_services import set_county_setting
from claims.regions.models import Region
from claims.survey.models import SurveyOutcome
from tests.approval.conftest import valued_claim
from tests.factories import COUNTIES, advance, survey_input
from tests.intake.images import jpeg_bytes
from tests.workflow.conftest import file_claim

__all__ = ["file_claim"]


@pytest.fixture
def ctx(app: Flask) -> Iterator[None]:
    """An app context for service-level tests (each test still has its own fresh database)."""
    with app.app_context():
        yield
        db.session.remove()


# --- reading PDFs ----------------------------------------------------------------------------------


def pdf_text(body: bytes, *, first: int | None = None, last: int | None = None) -> str:
    """pdftotext's text (poppler), as a reader's PDF tool extracts it."""
    args = ["pdftotext", "-enc", "UTF-8"]
    if first:
        args += ["-f", str(first)]
    if last:
        args += ["-l", str(last)]
    done = subprocess.run([*args, "-", "-"], input=body, capture_output=True, check=True, timeout=60)
    return done.stdout.decode("utf-8")


def flat(text: str) -> str:
    """Without white space: a Chinese line may wrap anywhere, so phrases are compared without it."""
    return re.sub(r"\s+", "", text)


def pages(body: bytes) -> int:
    return len(PdfReader(io.BytesIO(body)).pages)


def attachment(body: bytes) -> dict[str, Any]:
    attachments = PdfReader(io.BytesIO(body)).attachments
    assert len(attachments) == 1, attachments.keys()
    (contents,) = attachments.values()
    return json.loads(contents[0])


def documents_of(claim: Claim, kind: DocumentKind | None = None) -> list[IssuedDocument]:
    query = select(IssuedDocument).where(IssuedDocument.claim_id == claim.id).order_by(IssuedDocument.id)
    if kind is not None:
        query = query.where(IssuedDocument.kind == kind)
    return list(db.session.execute(query).scalars())


def only_document(claim: Claim, kind: DocumentKind) -> tuple[IssuedDocument, bytes]:
    (document,) = documents_of(claim, kind)
    return document, document_bytes(document)


# --- claims at each step ---------------------------------------------------------------------------


def noticed_approved_and_exported(claim: Claim, clerk: str = "clerk_cl", approver: str = "approver_cl") -> tuple[NoticeBatch, PaymentBatch]:
    """A valued claim through its public notice, approval after the notice period, and a payment batch exported."""
    notice = operations.create_notice_batch(claim.township, [claim], clock.local_today(), actor=find_user(clerk))
    db.session.commit()
    clock.freeze(clock.utcnow() + timedelta(days=8))
    operations.approve(claim, actor=find_user(approver))
    db.session.commit()
    batch = payments.create_batch(claim.county, actor=find_user(approver))
    payments.export_csv(batch, actor=find_user(approver))
    db.session.commit()
    return notice, batch


def accepted(claim: Claim) -> Claim:
    advance(claim, "accepted")
    db.session.commit()
    return claim


def assigned(claim: Claim) -> Claim:
    accepted(claim)
    advance(claim, "survey_assigned")
    db.session.commit()
    return claim


def surveyed(claim: Claim, outcome: SurveyOutcome = SurveyOutcome.ELIGIBLE, *, photos: int = 2) -> Claim:
    assigned(claim)
    extra: dict[str, Any] = {}
    if outcome == SurveyOutcome.NOT_COMPENSATED:
        extra = {"exclusions": ["livestock_unpenned", "no_prevention"], "explanation": "鸡未圈养，田块未采取任何防护措施。"}
    survey = survey_input(
        claim,
        outcome,
        rate=80,
        stage="成熟期",
        surveyors_present="陈志强、周伟",
        evidence=["tracks", "droppings"],
        in_designated_area=True,
        gps_lat=29.36,
        gps_lon=112.41,
        gps_accuracy_m=8,
        **extra,
    )
    uploads = [PhotoUpload(jpeg_bytes(seed=500 + claim.id * 10 + i), f"survey{i}.jpg") for i in range(photos)]
    advance(claim, "surveyed", survey=survey, surveyor="officer", survey_photos=uploads)
    db.session.commit()
    return claim


def advanced_injury(seed: int) -> Claim:
    """An injury filed in 茶陵县, which advances a fixed 2,000 yuan: accepted, its advance requested and approved."""
    chaling = db.session.execute(select(Region).where(Region.code == "430224")).scalar_one()
    set_county_setting(chaling, "advance_fixed", "2000", clock.local_today(), "先行支付", actor=find_user("admin"))
    bite = LossInput(LossCategory.INJURY, "左小腿咬伤", hospital_days=12, medical_costs=Decimal("10000.00"))
    claim = file_claim("13800000001", village_code=COUNTIES["chaling"].village, seed=seed, losses=[bite])
    advance(claim, "accepted", county="chaling")
    operations.request_advance(claim, actor=find_user("officer_cl"))
    operations.approve_advance(claim, actor=find_user("approver_cl"))
    db.session.commit()
    return claim


# --- hand-built data for the documents of later steps ----------------------------------------------

CLAIMANT = Party(name="张建国", id_number="4309**********1233", address="南县三仙湖镇三仙湖村3组")


def incident() -> Incident:
    return Incident(
        claim_number="430921-2026-000012",
        place="南县三仙湖镇三仙湖村",
        occurred_at=utcnow() - timedelta(days=9),
        species="野猪",
        description="夜里野猪进田，水稻被拱倒吃掉一大片。",
        submitted_at=utcnow() - timedelta(days=8),
    )


def compensation(total_lines: tuple[str, ...] = ("9000.00", "3345.67"), insurer: str = "10000.00") -> CompensationDecisionData:
    amounts = [Decimal(a) for a in total_lines]
    total = sum(amounts, Decimal(0))
    return CompensationDecisionData(
        claimant=CLAIMANT,
        incident=incident(),
        bank="湖南农村信用社 6217 **** **** 4567",
        lines=[
            AwardLine("水稻", "15 亩，损失率 100%", "600.00 元/亩 × 15 亩 × 100%", amounts[0]),
            AwardLine("鸡", "31 只", "107.92 元/只 × 31 只", amounts[1]),
        ],
        total=total,
        insurer_share=Decimal(insurer),
        government_share=total - Decimal(insurer),
        payer="保险部分由中华联合财产保险股份有限公司益阳中心支公司支付，其余部分由南县林业局从野生动物致害补偿资金中支付，",
        payment_terms="自本决定作出之日起10个工作日内",
        schedule_title="《南县陆生野生动物致害补偿标准（2026年）》",
        schedule_number="南林发〔2026〕3号",
        insurer_name="中华联合财产保险股份有限公司益阳中心支公司",
        survey_date=date(2026, 3, 2),
    )


def notice_list(n: int = 3) -> NoticeListData:
    names = ["张建国", "李秀英", "欧阳明月", "王五"]
    entries = [NoticeEntry(names[i % 4], f"430921-2026-{i + 1:06d}", "三仙湖村", "野猪", "水稻2.5亩", Decimal("512.30") + i) for i in range(n)]
    return NoticeListData(
        place="南县三仙湖镇三仙湖村",
        period_from=date(2026, 4, 1),
        period_to=date(2026, 4, 7),
        objection_contact="三仙湖镇人民政府（电话0737-5551234）",
        entries=entries,
        total=sum((e.amount for e in entries), Decimal(0)),
    )


def payment_list(n: int = 3) -> PaymentListData:
    entries = [
        PaymentEntry(f"430921-2026-{i + 1:06d}", f"南林补决〔2026〕{i + 1}号", f"村民{i + 1}", "湖南农村信用社 6217 **** **** 4567", Decimal("1000.01") + i)
        for i in range(n)
    ]
    return PaymentListData(batch="2026年第1批", payer="南县林业局", entries=entries, total=sum((e.amount for e in entries), Decimal(0)))


def nan_county() -> Region:
    return db.session.execute(select(Region).where(Region.code == "430921")).scalar_one()


# --- one document of every kind, through the steps that issue it ------------------------------------


def _issue_every_kind() -> None:
    """Correction, non-acceptance, receipt, survey record and refusal (南县 claims of 张建国), a notice list (南县),
    a compensation decision and a payment list (茶陵县, the claim of 张建国 too)."""
    returned = file_claim(seed=41)
    review.return_claim(returned, ["photos", "bank_account"], "照片看不清", actor=find_user("clerk"))
    db.session.commit()
    refused = file_claim(seed=42)
    review.refuse_intake(refused, ["late_report"], "超过申请期限。", actor=find_user("clerk"))
    db.session.commit()
    surveyed(file_claim(seed=43), SurveyOutcome.NOT_COMPENSATED, photos=1)
    nan = valued_claim(seed=44)
    decide_as_insurer(nan, InsurerDecision.ACCEPT, actor=find_user("insurer"))
    db.session.commit()
    operations.create_notice_batch(nan.township, [nan], clock.local_today(), actor=find_user("clerk"))
    db.session.commit()
    noticed_approved_and_exported(valued_claim("chaling", seed=45))
    advanced_injury(46)


@pytest.fixture
def every_kind(app: Flask) -> dict[DocumentKind, int]:
    """The id of the latest document of each kind."""
    with app.app_context():
        _issue_every_kind()
        documents = {d.kind: d.id for d in db.session.execute(select(IssuedDocument).order_by(IssuedDocument.id)).scalars()}
        db.session.remove()
    assert set(documents) == set(DocumentKind)
    return documents
