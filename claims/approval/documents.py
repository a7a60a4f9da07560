"""The documents of the award: the compensation decision or refusal on approval, the notice list and the
payment list of a batch. The decision documents are issued by the deciding step (claims.lifecycle), the lists by the operations."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import force_locale
from sqlalchemy import select

from claims.accounts.models import User
from claims.approval.advances import advance_of, net_of_advance
from claims.approval.models import Decision, NoticeBatch, Objection, ObjectionOutcome, PaymentBatch, PaymentStatus, Share
from claims.approval.services import objections_of, payments_of
from claims.core import formatting
from claims.core.time import to_local
from claims.documents import builders
from claims.documents.data import (
    AdvanceDecisionData,
    AdvanceDeduction,
    AwardLine,
    CompensationDecisionData,
    NoticeEntry,
    NoticeListData,
    PaymentEntry,
    PaymentListData,
    RefusalData,
)
from claims.documents.formats import yuan, yuan_in_full
from claims.documents.models import DocumentKind, IssuedDocument
from claims.documents.services import batch_documents, issue_document, issuer_name
from claims.extensions import db
from claims.insurance.models import InsurancePolicy
from claims.intake.models import PERSONAL_CATEGORIES, Claim
from claims.regions.models import LimitKind, Region
from claims.regions.services import time_limit
from claims.regions.settings import county_settings
from claims.valuation.incidents import shared_cap_text
from claims.valuation.models import ClaimValuation, CompensationSchedule
from claims.valuation.services import FinalLine, current_valuation, final_lines, result_of
from claims.valuation.spec import Line


def _schedule(claim: Claim) -> tuple[str, str]:
    valuation = current_valuation(claim)
    schedule = db.session.get(CompensationSchedule, valuation.schedule_id) if valuation else None
    return (schedule.document_title, schedule.document_number) if schedule else ("", "")


def compensation_decision(claim: Claim) -> object:
    """The approved figures, line by line with the verified loss and the rule that produced each (and why a loss is not
    compensated), and who pays what by when."""
    decision = db.session.get(Decision, claim.id)
    assert decision is not None, "approval without a decision"
    valuation = current_valuation(claim)
    lines = award_lines(valuation) if valuation else []
    entitled = sum((line.amount for line in lines), Decimal("0.00"))
    if entitled != decision.total:  # the county does not pay what the insurer does not
        lines.append(AwardLine("保险未赔付且本县不予补足部分", "—", "县级设定：政府不补足", decision.total - entitled, NOT_TOPPED_UP))
    policy = db.session.get(InsurancePolicy, decision.policy_id) if decision.policy_id else None
    insurer = policy.insurer.name if policy and decision.insurer_share > 0 else ""
    days = time_limit(claim.county, LimitKind.PAYMENT, decision.approved_at.date())
    title, number = _schedule(claim)
    data = builders.compensation_data(
        claim,
        lines,
        insurer_share=decision.insurer_share,
        payer=payers(insurer, decision.insurer_share, claim.county.name if claim.county else "", decision.government_share),
        payment_terms=f"自本决定作出之日起{days}个工作日内",
        schedule_title=title,
        schedule_number=number,
        insurer_name=insurer,
        objections=[_objection_text(o) for o in objections_of(claim) if o.outcome is not None],
        shared_cap=shared_cap_text(valuation) if valuation else "",
    )
    return _net_of_advance(claim, decision, data, insurer)


def _net_of_advance(claim: Claim, decision: Decision, data: CompensationDecisionData, insurer: str) -> CompensationDecisionData:
    """The advance paid before, deducted: "先行支付X，现应支付Y", and the payers of what is left (nothing: no terms)."""
    if not decision.advance_paid:
        return data
    net = net_of_advance(decision.government_share, decision.insurer_share, decision.advance_paid)
    data.advance = AdvanceDeduction(_advance_number(claim), decision.advance_paid, net.payable, net.overpaid or None)
    if net.payable:
        data.payer = payers(insurer, net.insurer, claim.county.name if claim.county else "", net.government)
    else:
        data.payer, data.payment_terms, data.bank = "先行支付款已抵扣全部补偿金额，本决定不再支付款项", "", ""
    return data


def _advance_number(claim: Claim) -> str:
    query = select(IssuedDocument.number).where(IssuedDocument.claim_id == claim.id, IssuedDocument.kind == DocumentKind.ADVANCE)
    return db.session.execute(query.order_by(IssuedDocument.id.desc()).limit(1)).scalar_one_or_none() or "先行支付决定书"


def advance_decision(claim: Claim) -> AdvanceDecisionData:
    """The advance approved: the injuries and deaths recorded, the amount and its basis, paid by the county's finance
    within a working day of the decision, into the account frozen at approval."""
    advance = advance_of(claim)
    assert advance is not None and advance.approved_at is not None, "an advance decision without an approved advance"
    with force_locale(builders.ZH):
        losses = [builders.loss_item(line) for line in claim.losses if line.category in PERSONAL_CATEGORIES]
    data = AdvanceDecisionData(
        claimant=builders.party_of(claim),
        incident=builders.incident_of(claim, statement=False),
        bank=f"{advance.bank_name or ''} {advance.bank_account or ''}".strip(),
        losses=losses,
        amount=advance.amount,
        basis=advance.basis,
        payer=f"{claim.county.name if claim.county else ''}财政",
        payment_terms="自本决定作出之日起1个工作日内",
    )
    data.check()
    return data


NOT_TOPPED_UP = "保险公司未赔付的部分，按本县规定不由财政资金补足"


def payers(insurer: str, insurer_share: Decimal, county: str, government_share: Decimal) -> str:
    """Who pays which part, naming only a part that is not zero: "保险部分1,500.00元由…支付，其余108.00元由南县财政支付",
    "补偿款2,228.00元由茶陵县财政支付"."""
    insured, funded = bool(insurer) and insurer_share > 0, government_share > 0
    parts = [f"{'保险部分' if funded else '补偿款'}{yuan(insurer_share)}由{insurer}支付"] if insured else []
    if funded:
        parts.append(f"{'其余' if insured else '补偿款'}{yuan(government_share)}由{county}财政支付")
    return "，".join(parts)


def award_lines(valuation: ClaimValuation) -> list[AwardLine]:
    """The valuation's final lines as the decision prints them."""
    engine = {line.id: line for line in result_of(valuation).lines}
    return [AwardLine(line.item, _verified(engine.get(line.id)), line.rule, line.amount, _not_compensated(line)) for line in final_lines(valuation)]


def _verified(line: Line | None) -> str:
    """The verified loss the amount was computed from: quantity and loss rate, or the value assessed."""
    if line is None or line.kind in ("deduction", "rounding"):
        return "—"
    if line.quantity is not None:
        rate = f"，损失率{formatting.percent(line.loss_rate)}" if line.loss_rate is not None else ""
        return formatting.measure(line.quantity, line.unit) + rate
    if line.loss_value is not None:
        return f"损失价值{yuan(line.loss_value)}"
    return "见计算依据"


def _not_compensated(line: FinalLine) -> str:
    """Why a loss line pays nothing: the engine's reason, else the officer's adjustment's; "" for a paid line."""
    if line.kind in ("deduction", "rounding") or line.amount > 0:
        return ""
    return line.reason or (line.adjustment.reason if line.adjustment is not None else "") or "核定补偿金额为零"


_FINDINGS = {
    ObjectionOutcome.NOT_UPHELD: "异议不成立",
    ObjectionOutcome.RESURVEY: "异议成立，本机关已重新组织现场勘查并重新公示",
    ObjectionOutcome.REVALUE: "异议成立，本机关已重新核定损失并重新公示",
}


def _objection_text(objection: Objection) -> str:
    """One sentence per objection; the objector is not named in the claimant's decision."""
    day = to_local(objection.recorded_at).date()
    return f"{day.year}年{day.month}月{day.day}日公示期间有异议提出（{objection.reason}）。经复核，{_FINDINGS[objection.outcome]}，理由：{objection.finding}。"  # type: ignore[index]


def award_refusal(claim: Claim) -> RefusalData:
    return _with_advance(claim, builders.refusal_data(claim, builders.claim_survey(claim)))


def survey_refusal(claim: Claim) -> RefusalData:
    return _with_advance(claim, builders.survey_refusal_of(claim))


def _with_advance(claim: Claim, data: RefusalData) -> RefusalData:
    """A refusal of a claim whose advance was approved says what becomes of it (approval.steps.on_refused_advance):
    not paid when it had not gone to the bank; else, paid (or on its way) and dealt with apart, as the ledger
    records it overpaid. A request never approved lapses unsaid (the claimant was not told of it as a decision)."""
    advance = advance_of(claim)
    if advance is None or advance.approved_at is None:
        return data
    number, amount = _advance_number(claim), yuan_in_full(advance.amount)
    sent = any(p.share == Share.ADVANCE and (p.status == PaymentStatus.PAID or p.batch_id is not None) for p in payments_of(claim))
    if sent:
        data.advance = f"本机关已以{number}决定先行支付{amount}。因本申请不予补偿，该先行支付款项由本机关依照有关规定另行处理。"
    else:
        data.advance = f"本机关以{number}决定的先行支付{amount}尚未支付，因本申请不予补偿，不再支付。"
    return data


def notice_subject(batch: NoticeBatch) -> str:
    """What a notice list is about (claims.documents.permissions.batch_id reads it back)."""
    return f"notice_batch:{batch.id}"


def payment_subject(batch: PaymentBatch) -> str:
    return f"payment_batch:{batch.id}"


def notice_list_documents(batch: NoticeBatch) -> list[IssuedDocument]:
    return batch_documents(DocumentKind.NOTICE_LIST, notice_subject(batch))


def payment_list_documents(batch: PaymentBatch) -> list[IssuedDocument]:
    """Empty until the batch's first export issues its payment list."""
    return batch_documents(DocumentKind.PAYMENT_LIST, payment_subject(batch))


def issue_notice_list(batch: NoticeBatch, *, actor: User) -> IssuedDocument:
    entries = [
        NoticeEntry(
            name=e.claim.claimant_name or "",
            claim_number=e.claim.number or "",
            village=e.claim.village.name if e.claim.village else "",
            species=e.claim.species.name_zh if e.claim.species else (e.claim.species_description or ""),
            loss="、".join(line.item for line in e.claim.losses),
            amount=e.amount,
        )
        for e in batch.entries
        if not e.withdrawn
    ]
    data = NoticeListData(
        place=batch.township.name,
        period_from=batch.start_date,
        period_to=batch.end_date,
        objection_contact=objection_contact(batch.township),
        entries=entries,
        total=sum((e.amount for e in entries), Decimal("0.00")),
    )
    data.check()
    return issue_document(DocumentKind.NOTICE_LIST, None, data, actor=actor, county=batch.township.parent, subject=notice_subject(batch))


def objection_contact(township: Region) -> str:
    """Where to raise an objection to the notice: the township that posts it, or the county's issuing authority at the
    telephone the county configured (the setting `doc_contact_phone`)."""
    county = township.parent
    assert county is not None, "a township without its county"
    settings = county_settings(county, ["doc_issuing_authority", "doc_contact_phone"])
    authority = issuer_name(DocumentKind.NOTICE_LIST, county, None, settings["doc_issuing_authority"])
    phone = settings["doc_contact_phone"].strip()
    return f"{township.name}人民政府或者{authority}" + (f"（电话：{phone}）" if phone else "")


def issue_payment_list(batch: PaymentBatch, *, actor: User) -> IssuedDocument | None:
    """Once per batch, at its first export. An advance's line names its advance decision and the account frozen with it."""
    if payment_list_documents(batch):
        return None
    entries = []
    for p in batch.payments:
        kind = DocumentKind.ADVANCE if p.share == Share.ADVANCE else DocumentKind.COMPENSATION
        row = db.session.execute(
            select(IssuedDocument.number).where(IssuedDocument.claim_id == p.claim_id, IssuedDocument.kind == kind).order_by(IssuedDocument.id.desc())
        ).first()
        frozen = advance_of(p.claim) if p.share == Share.ADVANCE else db.session.get(Decision, p.claim_id)  # the payee and account approved
        assert frozen is not None, "a payment without its decision"
        entries.append(
            PaymentEntry(
                claim_number=p.claim.number or "",
                decision_number=row[0] if row else "",
                name=frozen.payee_name,
                bank=f"{frozen.bank_name or ''} {frozen.bank_account or ''}".strip(),  # masked when issued
                amount=p.amount,
            )
        )
    data = PaymentListData(batch=batch.reference, payer=f"{batch.county.name}财政", entries=entries, total=sum((e.amount for e in entries), Decimal("0.00")))
    data.check()
    return issue_document(DocumentKind.PAYMENT_LIST, None, data, actor=actor, county=batch.county, subject=payment_subject(batch))
