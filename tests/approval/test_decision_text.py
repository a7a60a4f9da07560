"""The compensation decision as the real approval path writes it, read back from its PDF: the verified loss of each line,
the legal basis cited once each with its title in 《》, who pays (no zero part, one payment clause), and a loss that is
not compensated named in the body with its reason."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from decimal import Decimal

from pypdf import PdfReader

from claims.accounts.services import find_user
from claims.approval import operations
from claims.core import time as clock
from claims.documents.models import DocumentKind
from claims.documents.services import document_bytes
from claims.extensions import db
from claims.insurance.models import InsurerDecision
from claims.insurance.operations import decide_as_insurer
from claims.intake import operations as filing
from claims.intake import services as intake
from claims.intake.models import Claim, LossCategory
from tests.approval.conftest import valued_claim
from tests.documents.conftest import documents_of, flat
from tests.factories import VILLAGER, YANTANG_VILLAGE, advance, claim_input
from tests.intake.images import jpeg_bytes

MEASURES = "《湖南省陆生野生动物致害补偿办法》（湖南省人民政府令第315号）"


def _decision_text(claim: Claim) -> str:
    (document,) = documents_of(claim, DocumentKind.COMPENSATION)
    reader = PdfReader(io.BytesIO(document_bytes(document)))
    return flat("".join(page.extract_text() for page in reader.pages))


def _section(text: str, start: str, end: str) -> str:
    found = re.search(re.escape(start) + "(.*?)" + re.escape(end), text)
    assert found is not None, start
    return found.group(1)


def _approve(claim: Claim, clerk: str, approver: str) -> None:
    operations.create_notice_batch(claim.township, [claim], clock.local_today(), actor=find_user(clerk))
    db.session.commit()
    clock.freeze(clock.utcnow() + timedelta(days=8))
    assert operations.approve(claim, actor=find_user(approver))
    db.session.commit()


def _chaling_claim_with_a_loss_the_schedule_does_not_list() -> Claim:
    """Rice, which Chaling's schedule pays for, and a tricycle, which it does not list: a partial refusal."""
    actor = find_user(VILLAGER)
    data = claim_input(village=YANTANG_VILLAGE, incident_utc=clock.utcnow() - timedelta(days=1), name=actor.name, mobile=actor.mobile)
    tricycle = intake.LossInput(LossCategory.PROPERTY, "电动三轮车", Decimal("1"), "item")
    data.losses = [intake.LossInput(LossCategory.CROP, "水稻", Decimal("2.5"), "mu"), tricycle]
    claim = intake.start_draft(actor=actor, submission_key="decision-text-1", for_self=True)
    outcome = filing.save_filing(claim, data, [intake.PhotoUpload(jpeg_bytes(seed=77), "damage.jpg")], actor=actor, submit=True, form_ok=True)
    assert outcome.submitted, outcome.problems
    advance(claim, "valued", county="chaling")
    db.session.commit()
    return claim


def test_a_partial_refusal_is_stated_with_its_reason_and_the_measures_cited_once(ctx: None) -> None:
    claim = _chaling_claim_with_a_loss_the_schedule_does_not_list()
    _approve(claim, "clerk_cl", "approver_cl")
    text = _decision_text(claim)
    table = _section(text, "一、核定损失和补偿金额", "合计")
    assert "水稻2.5亩，损失率100%" in table and "电动三轮车1件" in table  # the verified loss of each line
    assert "0.00" in table
    intro = _section(text, "经受理、", "现决定如下")
    assert "除本决定第一项所列不予补偿的部分外属于补偿范围" in intro  # not "the loss is covered" for the whole
    assert "下列损失不予补偿：（一）电动三轮车（核定损失：1件）：本标准未列此项损失。" in text
    basis = _section(text, "二、依据", "三、支付方式和期限")
    assert basis == f"《中华人民共和国野生动物保护法》第十九条；{MEASURES}。"  # the provincial measures once, titles in 《》
    payment = _section(text, "三、支付方式和期限", "救济途径")
    assert payment.startswith("补偿款2,120.00元由茶陵县财政支付，自本决定作出之日起10个工作日内支付至申请人账户（湖南南县农村商业银行6217****")
    assert payment.count("支付至申请人") == 1 and "其余" not in payment
    assert "（）" not in text


def test_a_decision_the_insurer_pays_in_full_names_no_zero_part(ctx: None) -> None:
    claim = valued_claim(seed=31)
    decide_as_insurer(claim, InsurerDecision.ACCEPT, actor=find_user("insurer"))
    db.session.commit()
    _approve(claim, "clerk", "approver")
    text = _decision_text(claim)
    assert "水稻2.5亩，损失率100%" in _section(text, "一、核定损失和补偿金额", "合计")
    assert "不予补偿" not in text and "属于补偿范围，现决定如下" in text
    assert "人民币0.00元" not in text and "零元整" not in text and "其余" not in text  # no zero share, no zero remainder
    assert "以上补偿金额全部由中华联合财产保险股份有限公司益阳中心支公司按保险合同承担。" in text
    basis = _section(text, "二、依据", "三、支付方式和期限")
    assert basis == f"《中华人民共和国野生动物保护法》第十九条；{MEASURES}；《南县野生动物致害政府救助责任保险方案（2025年，中华联合财产保险）》。"
    payment = _section(text, "三、支付方式和期限", "救济途径")
    assert payment.startswith("补偿款1,608.00元由中华联合财产保险股份有限公司益阳中心支公司支付，自本决定作出之日起10个工作日内支付至申请人账户（")
    assert payment.count("支付至申请人") == 1
    assert "（）" not in text
