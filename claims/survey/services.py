"""Survey records, their inputs and the queries on them: the latest survey, its summary for the claim page."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from claims.extensions import db
from claims.intake.models import Claim
from claims.intake.services import PhotoUpload
from claims.survey.models import ClaimantConfirmation, ConfirmationMethod, FieldSurvey, SurveyAssignment, SurveyOutcome, VerifiedLoss
from claims.survey.permissions import current_assignment


@dataclass
class VerifiedLineInput:
    loss_line_id: int
    quantity: Decimal | None = None
    loss_rate: int | None = None
    growth_stage: str | None = None
    note: str | None = None


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
    exclusions: list[str] = field(default_factory=list)
    explanation: str | None = None
    gps_lat: float | None = None
    gps_lon: float | None = None
    gps_accuracy_m: float | None = None
    lines: list[VerifiedLineInput] = field(default_factory=list)


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


def survey_summary(claim: Claim) -> SurveySummary:
    survey = latest_survey(claim)
    confirmations = list(db.session.query(ClaimantConfirmation).filter_by(claim_id=claim.id).order_by(ClaimantConfirmation.id))
    return SurveySummary(current_assignment(claim), survey, {v.loss_line_id: v for v in survey.lines} if survey else {}, confirmations)
