"""A survey that records what valuation needs (medical invoices, days, an assessed disability, a missing animal, no
prevention measures) gives the valuation the schedules call for, with no officer adjusting a line."""

from __future__ import annotations

from decimal import Decimal

from claims.accounts.services import find_user
from claims.documents.builders import survey_record_data
from claims.extensions import db
from claims.intake import services as intake
from claims.intake.models import Claim, LossCategory
from claims.survey.models import MedicalInvoice
from claims.survey.services import InvoiceInput, VerifiedLineInput, latest_survey
from claims.valuation.schedules import import_schedule, publish_schedule
from claims.valuation.services import claim_input, compute_valuation, final_lines
from tests.factories import advance, file_claim, survey_input
from tests.intake.images import jpeg_bytes

D = Decimal

# Yiyang prefecture (430900), between Nan county's rice schedule and Hunan's default: its sections apply where
# the county sets none (the province's threshold of 200 still holds).
SCHEDULE = """format: 1
code: t-yiyang-survey
title: 测试勘查字段
region: "430900"
document: {title: 测试文件, number: 测〔2026〕2号}
effective_from: 2026-01-01
missing: killed
prevention:
  - {categories: [crop], measures: [fence, electric_fence], ratio: 0.50}
personal:
  medical: {ratio: 0.80}
  lost_work: {rate: 100, days: claimed_up_to_hospital}
  nursing: {rate: 120, days: claimed_up_to_hospital}
  nutrition: {rate: 30, days: hospital}
  disability: {method: assessed, ratio: 1}
"""

LOSSES = [
    intake.LossInput(LossCategory.CROP, "水稻", D("2.5"), "mu"),
    intake.LossInput(LossCategory.LIVESTOCK, "山羊", D("2"), "head"),
    intake.LossInput(LossCategory.POULTRY, "鸡", D("3"), "bird"),
    intake.LossInput(LossCategory.INJURY, "张建国", D("1"), "person", hospital_days=4, medical_costs=D("9999.00")),
]


def verified(claim: Claim) -> list[VerifiedLineInput]:
    rice, goats, chickens, person = claim.losses
    invoices = [
        InvoiceInput(D("1200.50"), intake.PhotoUpload(jpeg_bytes(seed=4201), "invoice-1.jpg")),
        InvoiceInput(D("799.50"), intake.PhotoUpload(jpeg_bytes(seed=4202), "invoice-2.jpg")),
    ]
    return [
        VerifiedLineInput(rice.id, D("2.5"), 80, "mature", disability_grade=3),  # a stray field: a crop line keeps no disability grade
        VerifiedLineInput(goats.id, D("2"), condition="missing"),
        VerifiedLineInput(chickens.id, D("3"), condition="killed"),
        VerifiedLineInput(
            person.id, D("1"), hospital_days=10, lost_work_days=30, nursing_days=10, disability_amount=D("5000.00"), nutrition_costs=D("400"), invoices=invoices
        ),
    ]


def test_the_survey_alone_values_the_claim(confirmed) -> None:  # type: ignore[no-untyped-def]
    publish_schedule(import_schedule(SCHEDULE, actor=find_user("admin")), actor=find_user("admin"))
    db.session.commit()
    claim = file_claim(losses=LOSSES)
    db.session.commit()
    advance(claim, "confirmed", survey=survey_input(claim, lines=verified(claim), prevention_in_place=["scaring"], in_protection_zone=False))
    db.session.commit()

    survey = latest_survey(claim)
    assert survey is not None and survey.prevention_in_place == ["scaring"]
    stored = {v.loss_line_id: v for v in survey.lines}
    rice, _, _, person = claim.losses
    assert stored[rice.id].disability_grade is None
    assert stored[person.id].medical_costs == D("2000.00")  # 1200.50 + 799.50
    assert db.session.query(MedicalInvoice).count() == 2
    record = survey_record_data(claim, survey)  # the survey record (PDF) shows what was verified
    assert record.lines[1].details == "失踪" and record.lines[3].details.endswith("医疗发票2张，合计2,000.00元；营养费400.00元")
    assert (record.prevention_in_place, record.in_protection_zone) == (["驱赶装置（声、光、稻草人）"], False)

    inp = claim_input(claim)
    assert inp.prevention == ("scaring",) and inp.in_protection_zone is False
    line = inp.losses[3]
    assert (line.medical_costs, line.hospital_days, line.lost_work_days, line.nursing_days, line.disability_amount) == (D("2000.00"), 10, 30, 10, D("5000.00"))

    valuation = compute_valuation(claim, actor=find_user("officer"))
    db.session.commit()
    amounts = {line.id: line.amount for line in final_lines(valuation)}
    assert amounts == {
        "L1": D("600.00"),  # rice 2.5 mu x 600 (Nan, mature) x 80% lost x 50% (no fence or electric fence) = 600
        "L2": D("1500.00"),  # 2 missing goats valued as killed: 2 x 1,250 (2025 price) x 60% = 1,500
        "L3": D("108.00"),  # 3 chickens killed: 3 x 60 x 60% = 108
        "L4.medical": D("1600.00"),  # invoices 2,000 x 80% = 1,600 (not the 9,999 filed)
        "L4.lost_work": D("1000.00"),  # 30 days claimed, up to the 10 hospital days: 10 x 100
        "L4.lost_work_over": D("0.00"),  # the 20 days left out, saying so
        "L4.nursing": D("1200.00"),  # 10 x 120
        "L4.nutrition": D("300.00"),  # 10 hospital days x 30
        "L4.disability": D("5000.00"),  # assessed 5,000 x 100%
    }
    assert valuation.total == D("11308.00")  # 600 + 1500 + 108 + 1600 + 1000 + 1200 + 300 + 5000
    assert not valuation.adjustments


def test_no_invoice_seen_pays_no_medical_costs_and_an_old_survey_keeps_the_filed_costs(confirmed) -> None:  # type: ignore[no-untyped-def]
    publish_schedule(import_schedule(SCHEDULE, actor=find_user("admin")), actor=find_user("admin"))
    db.session.commit()
    claim = file_claim(losses=[intake.LossInput(LossCategory.INJURY, "张建国", D("1"), "person", hospital_days=4, medical_costs=D("50000.00"))])
    db.session.commit()
    (person,) = claim.losses
    advance(claim, "confirmed", survey=survey_input(claim, lines=[VerifiedLineInput(person.id, D("1"), hospital_days=4)]))
    db.session.commit()
    # filed 50,000 of medical costs, the survey saw no invoice: 0 paid, the medical line says why (not 50,000 x 80%)
    assert claim_input(claim).losses[0].medical_costs == D("0")
    lines = {line.id: line for line in final_lines(compute_valuation(claim, actor=find_user("officer")))}
    assert (lines["L1.medical"].payable, lines["L1.medical"].amount, lines["L1.medical"].reason) == (False, D("0.00"), "勘查未见医疗费发票")
    # a survey recorded before 0021 (no invoices then) leaves the filed costs: 50,000 x 80% = 40,000
    survey = latest_survey(claim)
    assert survey is not None
    survey.invoices_checked = None
    db.session.flush()
    assert claim_input(claim).losses[0].medical_costs == D("50000.00")
