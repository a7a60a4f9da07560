"""From the data on record to each document's dataclass (the documents of the steps that exist today).

Builders run in Chinese whatever the actor's language (force_locale): the documents are Chinese by law,
and the reason, item and category titles come from the same catalog as the pages.
"""

from __future__ import annotations

from decimal import Decimal

from flask_babel import force_locale

from claims.core import formatting
from claims.core.time import to_local, utcnow
from claims.documents.data import (
    AwardLine,
    CompensationDecisionData,
    CorrectionData,
    Incident,
    LossItem,
    Party,
    PhotoRef,
    Reason,
    ReceiptData,
    RefusalData,
    SurveyRecordData,
    VerifiedLine,
)
from claims.documents.formats import cn_date
from claims.intake.models import Claim, LossLine, PhotoStage
from claims.survey.models import Evidence, FieldSurvey, GrowthStage, VerifiedLoss
from claims.survey.services import latest_survey, prevention_titles, verified_details
from claims.workflow.reasons import CorrectionItem, RefusalReason

ZH = "zh_CN"


def party_of(claim: Claim) -> Party:
    """The record's values: issuing the document masks them (claims.documents.masking)."""
    return Party(name=claim.claimant_name or "", id_number=claim.claimant_id_number or "", address=claim.claimant_address or "")


def place_of(claim: Claim) -> str:
    return "".join(r.name for r in (claim.county, claim.township, claim.village) if r is not None)


def incident_of(claim: Claim, *, statement: bool = True) -> Incident:
    """The incident; `statement=False` leaves out the claimant's own account, for a document that does not print it."""
    species = claim.species.name_zh if claim.species else (claim.species_description or "不明")
    return Incident(
        claim_number=claim.number or "",
        place=place_of(claim),
        occurred_at=claim.incident_at,
        species=species,
        description=(claim.description or "") if statement else "",
        submitted_at=claim.submitted_at,
    )


def bank_of(claim: Claim) -> str:
    return f"{claim.bank_name or ''} {claim.bank_account or ''}".strip()


def _quantity(value: Decimal | None, unit: str | None) -> str:
    return formatting.measure(value, unit)


def loss_item(line: LossLine) -> LossItem:
    notes = []
    if line.hospital_days:
        notes.append(f"住院{line.hospital_days}天")
    if line.medical_costs:
        notes.append(f"医疗费用{formatting.amount(line.medical_costs)}元")
    if line.note:
        notes.append(line.note)
    return LossItem(category=line.category.title, item=line.item, quantity=_quantity(line.quantity, line.unit), note="；".join(notes))


def receipt_data(claim: Claim) -> ReceiptData:
    with force_locale(ZH):
        return ReceiptData(
            claimant=party_of(claim),
            incident=incident_of(claim),
            losses=[loss_item(line) for line in claim.losses],
            accepted_at=utcnow(),
            next_step="县级林业主管部门将组织人员进行现场勘查，请保持联系电话畅通并保护好受损现场。",
            survey_due=claim.due_at,
            estimated_amount=claim.estimated_amount,
        )


def correction_data(claim: Claim) -> CorrectionData:
    with force_locale(ZH):
        items = [CorrectionItem(i).title for i in claim.correction_items]
    addressee = Party(name=claim.claimant_name or "", id_number="")  # the notice is addressed by name and prints no more
    return CorrectionData(claimant=addressee, incident=incident_of(claim, statement=False), items=items, note=claim.correction_note or "", due=claim.due_at)


def _reasons(codes: list[str]) -> list[Reason]:
    return [Reason(code=c, title=RefusalReason(c).title) for c in codes]


def refusal_data(claim: Claim, survey: FieldSurvey | None = None) -> RefusalData:
    """Non-acceptance at intake (no survey) or a decision not to compensate after the survey."""
    findings = "经对申请材料进行审查，" if survey is None else f"经{cn_date(survey.visited_at)}现场勘查（勘查人员：{survey.surveyors_present}），"
    with force_locale(ZH):
        return RefusalData(
            claimant=party_of(claim),
            incident=incident_of(claim),
            reasons=_reasons(claim.decision_reasons),
            explanation=claim.decision_explanation or "",
            findings=findings,
        )


def _verified_line(line: LossLine, verified: VerifiedLoss | None) -> VerifiedLine:
    if verified is None:
        return VerifiedLine(item=line.item, claimed=_quantity(line.quantity, line.unit), verified="")
    return VerifiedLine(
        item=line.item,
        claimed=_quantity(line.quantity, line.unit),
        verified=_quantity(verified.quantity, line.unit),
        loss_rate=formatting.percent(verified.loss_rate),
        growth_stage=GrowthStage.title_of(verified.growth_stage),
        note=verified.note or "",
        details="；".join(verified_details(verified, with_stage=False)),
    )


def _position(survey: FieldSurvey) -> str:
    if survey.gps_lat is None or survey.gps_lon is None:
        return ""
    accuracy = f"（精度约{survey.gps_accuracy_m:.0f}米）" if survey.gps_accuracy_m else ""
    return f"北纬{survey.gps_lat:.5f}°，东经{survey.gps_lon:.5f}°{accuracy}"


def survey_record_data(claim: Claim, survey: FieldSurvey) -> SurveyRecordData:
    verified = {v.loss_line_id: v for v in survey.lines}
    photos = [p for p in claim.photos if p.removed_at is None and p.stage == PhotoStage.SURVEY]
    with force_locale(ZH):
        return SurveyRecordData(
            claimant=party_of(claim),
            incident=incident_of(claim),
            round=survey.round,
            visited_at=survey.visited_at,
            surveyors=survey.surveyors_present,
            claimant_present=survey.claimant_present,
            witnesses=survey.witnesses or "",
            position=_position(survey),
            evidence=[Evidence(e).title for e in survey.evidence],
            in_designated_area=survey.in_designated_area,
            prevention_measures=survey.prevention_measures or "",
            lines=[_verified_line(line, verified.get(line.id)) for line in claim.losses],
            compensable=survey.outcome.value == "eligible",
            exclusions=_reasons(survey.exclusions),
            explanation=survey.explanation or "",
            photos=[PhotoRef(id=p.id, sha256=p.sha256, taken_at=p.taken_at) for p in photos],
            prevention_in_place=prevention_titles(survey) if survey.prevention_in_place is not None else None,
            in_protection_zone=survey.in_protection_zone,
        )


def compensation_data(
    claim: Claim,
    lines: list[AwardLine],
    *,
    insurer_share: Decimal,
    payer: str,
    payment_terms: str,
    schedule_title: str,
    schedule_number: str,
    insurer_name: str = "",
    objections: list[str] | None = None,
    shared_cap: str = "",
) -> CompensationDecisionData:
    """For the approval step: the claim's parties and incident with the valued lines and the split."""
    total = sum((line.amount for line in lines), Decimal(0))
    survey = claim_survey(claim)
    data = CompensationDecisionData(
        claimant=party_of(claim),
        incident=incident_of(claim, statement=False),  # the decision states the facts found, not the application
        bank=bank_of(claim),
        lines=lines,
        total=total,
        insurer_share=insurer_share,
        government_share=total - insurer_share,
        payer=payer,
        payment_terms=payment_terms,
        schedule_title=schedule_title,
        schedule_number=schedule_number,
        insurer_name=insurer_name,
        survey_date=to_local(survey.visited_at).date() if survey else None,  # type: ignore[union-attr]
        objections=objections or [],
        shared_cap=shared_cap,
    )
    data.check()
    return data


def claim_survey(claim: Claim) -> FieldSurvey | None:
    return latest_survey(claim)


def survey_record_of(claim: Claim) -> SurveyRecordData:
    """The survey record of the claim's latest survey (issued by the survey steps)."""
    survey = latest_survey(claim)
    assert survey is not None, "a survey step without a survey"
    return survey_record_data(claim, survey)


def survey_refusal_of(claim: Claim) -> RefusalData:
    return refusal_data(claim, latest_survey(claim))
