"""Survey records, their inputs and the queries on them: the latest survey, its summary for the claim page."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from flask_babel import gettext as _

from claims.core import formatting
from claims.extensions import db
from claims.intake.models import Claim, LossCategory
from claims.intake.services import PhotoUpload
from claims.survey.models import (
    AnimalCondition,
    ClaimantConfirmation,
    ConfirmationMethod,
    FieldSurvey,
    GrowthStage,
    PreventionMeasure,
    SurveyAssignment,
    SurveyOutcome,
    VerifiedLoss,
)
from claims.survey.permissions import current_assignment

ANIMAL_FIELDS = ("condition", "grade")
CROP_FIELDS = ("loss_rate", "growth_stage")
PERSON_FIELDS = ("hospital_days", "lost_work_days", "nursing_days", "disability_grade", "disability_amount", "nutrition_costs", "invoices")
_FIELDS = {
    LossCategory.CROP: CROP_FIELDS,
    LossCategory.ECONOMIC_TREE: CROP_FIELDS,
    LossCategory.LIVESTOCK: ANIMAL_FIELDS,
    LossCategory.POULTRY: ANIMAL_FIELDS,
    LossCategory.PROPERTY: ("loss_rate",),
    LossCategory.INJURY: PERSON_FIELDS,
    LossCategory.DEATH: (),
}


def line_fields(category: LossCategory | str) -> tuple[str, ...]:
    """The verified fields that apply to a line of the category (besides quantity and note, which every line has):
    the survey form shows these only, and a survey stores these only."""
    return _FIELDS.get(LossCategory(category), ())


@dataclass
class InvoiceInput:
    """A medical invoice seen on site: its amount in yuan and its photo (stored by record_survey)."""

    amount: Decimal
    upload: PhotoUpload


@dataclass
class VerifiedLineInput:
    loss_line_id: int
    quantity: Decimal | None = None
    loss_rate: int | None = None
    growth_stage: str | None = None
    note: str | None = None
    condition: str | None = None  # animals: AnimalCondition
    grade: str | None = None  # animals: the schedule's price grade
    hospital_days: int | None = None  # injury lines from here on
    lost_work_days: int | None = None
    nursing_days: int | None = None
    disability_grade: int | None = None
    disability_amount: Decimal | None = None
    nutrition_costs: Decimal | None = None
    invoices: list[InvoiceInput] = field(default_factory=list)


@dataclass
class SurveyInput:
    visited_at: datetime
    surveyors_present: str
    claimant_present: bool
    outcome: SurveyOutcome
    witnesses: str | None = None
    evidence: list[str] = field(default_factory=list)
    in_designated_area: bool | None = None
    prevention_measures: str | None = None
    prevention_in_place: list[str] | None = None  # PreventionMeasure codes; None: not recorded
    in_protection_zone: bool | None = None
    exclusions: list[str] = field(default_factory=list)
    explanation: str | None = None
    gps_lat: float | None = None
    gps_lon: float | None = None
    gps_accuracy_m: float | None = None
    lines: list[VerifiedLineInput] = field(default_factory=list)
    submission_key: str | None = None  # the form's key: a repeated send of the same form records one survey


@dataclass
class ConfirmationInput:
    confirmed: bool
    method: ConfirmationMethod
    typed_name: str | None = None  # before 0008 (on_site): no longer accepted as proof
    statement: str | None = None
    paper_scan: PhotoUpload | None = None
    code: str | None = None  # sms_code: the code texted to the claimant's mobile, typed on the officer's phone
    attested: bool = False  # paper: the clerk attests that the claimant signed the uploaded form


def latest_survey(claim: Claim) -> FieldSurvey | None:
    return db.session.query(FieldSurvey).filter_by(claim_id=claim.id).order_by(FieldSurvey.round.desc()).first()


@dataclass
class SurveySummary:
    assignment: SurveyAssignment | None
    survey: FieldSurvey | None
    verified: dict[int, VerifiedLoss]
    confirmations: list[ClaimantConfirmation]
    details: dict[int, list[str]] = field(default_factory=dict)  # loss line id -> verified_details
    prevention: list[str] | None = None  # the measures in place by title (None: no checklist recorded)


def verified_details(verified: VerifiedLoss, *, with_stage: bool = True) -> list[str]:
    """What the survey verified beyond quantity and loss rate, one phrase each, in the current language: the one
    wording the claim page, the claimant's confirmation and the survey record (PDF) share. The record has a column of
    its own for the growth stage (`with_stage=False`)."""
    parts = []
    if verified.growth_stage and with_stage:
        parts.append(_("growth stage: %(stage)s", stage=GrowthStage.title_of(verified.growth_stage)))
    if verified.condition in AnimalCondition._value2member_map_:
        parts.append(AnimalCondition(verified.condition).title)
    if verified.grade:
        parts.append(_("price grade %(grade)s", grade=verified.grade))
    if verified.hospital_days is not None:
        parts.append(_("%(n)d days in hospital", n=verified.hospital_days))
    if verified.lost_work_days is not None:
        parts.append(_("%(n)d lost-work days", n=verified.lost_work_days))
    if verified.nursing_days is not None:
        parts.append(_("%(n)d nursing days", n=verified.nursing_days))
    if verified.disability_grade:
        parts.append(_("disability grade %(n)d", n=verified.disability_grade))
    if verified.disability_amount is not None:
        parts.append(_("assessed disability amount %(amount)s yuan", amount=formatting.amount(verified.disability_amount)))
    if verified.invoices:
        parts.append(_("%(n)d medical invoices, %(amount)s yuan in all", n=len(verified.invoices), amount=formatting.amount(verified.medical_costs)))
    if verified.nutrition_costs is not None:
        parts.append(_("nutrition costs %(amount)s yuan", amount=formatting.amount(verified.nutrition_costs)))
    return parts


def prevention_titles(survey: FieldSurvey) -> list[str]:
    """The prevention measures found in place, by title (none ticked: an empty list; before 0021: None)."""
    return [PreventionMeasure(m).title for m in survey.prevention_in_place or [] if m in PreventionMeasure._value2member_map_]


def survey_summary(claim: Claim) -> SurveySummary:
    survey = latest_survey(claim)
    confirmations = list(db.session.query(ClaimantConfirmation).filter_by(claim_id=claim.id).order_by(ClaimantConfirmation.id))
    verified = {v.loss_line_id: v for v in survey.lines} if survey else {}
    details = {line_id: verified_details(v) for line_id, v in verified.items()}
    prevention = prevention_titles(survey) if survey is not None and survey.prevention_in_place is not None else None
    return SurveySummary(current_assignment(claim), survey, verified, confirmations, details, prevention)
