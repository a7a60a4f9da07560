"""Survey assignment, the field survey and the claimant's confirmation, as workflow actions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from claims.accounts.models import Role, User
from claims.extensions import db
from claims.intake.models import Claim, LossLine, PhotoStage
from claims.intake.services import PhotoProblem, PhotoUpload, add_photos
from claims.regions.models import LimitKind
from claims.regions.services import due_date
from claims.regions.settings import county_setting
from claims.survey.models import ClaimantConfirmation, ConfirmationMethod, FieldSurvey, SurveyAssignment, SurveyOutcome, VerifiedLoss
from claims.survey.permissions import conflict_problem, current_assignment, earlier_surveyor_ids, is_assigned_surveyor
from claims.workflow.notify import assigned_surveyors, both, claimant, county_officers, register_notice, township_clerks
from claims.workflow.reasons import RefusalReason
from claims.workflow.services import WorkflowError, apply_transition
from claims.workflow.states import ClaimStatus, Transition, register


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
    typed_name: str | None = None
    statement: str | None = None
    paper_scan: PhotoUpload | None = None


# Guards -----------------------------------------------------------------------------------------
def _surveyors_ok(claim: Claim, actor: User, data: dict[str, Any]) -> str | None:
    surveyors: list[User] = data.get("surveyors", [])
    required = county_setting(claim.county, "surveyors_required")
    if len({u.id for u in surveyors}) != required:
        return _("Choose exactly %(n)d surveyors.", n=required)
    earlier = earlier_surveyor_ids(claim)
    for user in surveyors:
        if user.role != Role.OFFICER or user.region_id != claim.county_id or not user.active:
            return _("%(name)s is not a forestry officer of this county.", name=user.name)
        if user.id in earlier:
            return _("%(name)s surveyed this claim before; a second survey needs other surveyors.", name=user.name)
        problem = conflict_problem(claim, user)
        if problem:
            return problem
    return None


def _actor_is_surveyor(claim: Claim, actor: User, data: dict[str, Any]) -> str | None:
    if not is_assigned_surveyor(claim, actor):
        return _("Only the surveyors assigned to this claim may record the survey.")
    return conflict_problem(claim, actor)


def _lines_complete(claim: Claim, actor: User, data: dict[str, Any]) -> str | None:
    survey: SurveyInput = data["survey"]
    known = {line.id for line in claim.losses}
    given = {line.loss_line_id for line in survey.lines}
    if not given <= known:
        return _("A verified line does not belong to this claim.")
    if known - given:
        return _("Record the verified quantity of every loss line.")
    return None


def _refusal_reasons(claim: Claim, actor: User, data: dict[str, Any]) -> str | None:
    survey: SurveyInput = data["survey"]
    if not survey.exclusions or not (survey.explanation or "").strip():
        return _("A survey that finds the claim not compensable needs at least one reason and a written explanation.")
    return None


def _confirmer_ok(claim: Claim, actor: User, data: dict[str, Any]) -> str | None:
    info: ConfirmationInput = data["confirmation"]
    if actor.role == Role.VILLAGER and info.method != ConfirmationMethod.ONLINE:
        return _("Please confirm online.")
    if actor.role == Role.OFFICER and info.method == ConfirmationMethod.ON_SITE and (info.typed_name or "").strip() != (claim.claimant_name or "").strip():
        return _("The claimant must type their own name exactly as on the claim.")
    if actor.role == Role.CLERK and (info.method != ConfirmationMethod.PAPER or info.paper_scan is None):
        return _("Upload the scan or photo of the signed paper form.")
    if not info.confirmed and not (info.statement or "").strip():
        return _("Say what the claimant disputes.")
    return None


# Effects ----------------------------------------------------------------------------------------
def _on_assign(claim: Claim, actor: User, data: dict[str, Any]) -> None:
    claim.survey_round += 1
    db.session.add(SurveyAssignment(claim=claim, round=claim.survey_round, assigned_by=actor, surveyors=list(data["surveyors"])))
    if claim.status == ClaimStatus.DISPUTED or claim.due_at is None:
        claim.due_at = due_date(claim.county, LimitKind.SURVEY)


def _store_survey(claim: Claim, actor: User, data: dict[str, Any]) -> FieldSurvey:
    info: SurveyInput = data["survey"]
    survey = FieldSurvey(
        claim=claim,
        assignment=current_assignment(claim),
        round=claim.survey_round,
        recorded_by=actor,
        visited_at=info.visited_at,
        gps_lat=info.gps_lat,
        gps_lon=info.gps_lon,
        gps_accuracy_m=info.gps_accuracy_m,
        surveyors_present=info.surveyors_present,
        claimant_present=info.claimant_present,
        witnesses=info.witnesses,
        evidence=list(info.evidence),
        in_designated_area=info.in_designated_area,
        prevention_measures=info.prevention_measures,
        exclusions=[str(RefusalReason(r)) for r in info.exclusions],
        outcome=info.outcome,
        explanation=info.explanation,
        lines=[
            VerifiedLoss(loss_line_id=v.loss_line_id, quantity=v.quantity, loss_rate=v.loss_rate, growth_stage=v.growth_stage, note=v.note) for v in info.lines
        ],
    )
    db.session.add(survey)
    return survey


def _on_surveyed(claim: Claim, actor: User, data: dict[str, Any]) -> None:
    _store_survey(claim, actor, data)
    claim.due_at = due_date(claim.county, LimitKind.CONFIRMATION)


def _on_survey_refused(claim: Claim, actor: User, data: dict[str, Any]) -> None:
    survey = _store_survey(claim, actor, data)
    claim.decision_reasons = list(survey.exclusions)
    claim.decision_explanation = survey.explanation
    claim.due_at = None


def _on_confirmation(claim: Claim, actor: User, data: dict[str, Any]) -> None:
    info: ConfirmationInput = data["confirmation"]
    survey = db.session.query(FieldSurvey).filter_by(claim_id=claim.id, round=claim.survey_round).one()
    document = data.get("document_photo")
    db.session.add(
        ClaimantConfirmation(
            claim_id=claim.id,
            survey=survey,
            confirmed=info.confirmed,
            method=info.method,
            typed_name=info.typed_name,
            statement=info.statement,
            document_photo=document,
            recorded_by=actor,
        )
    )
    claim.due_at = due_date(claim.county, LimitKind.VALUATION if info.confirmed else LimitKind.SURVEY)


OFFICER = frozenset({Role.OFFICER})
CONFIRMERS = frozenset({Role.OFFICER, Role.CLERK, Role.VILLAGER})
register(
    Transition(
        "assign_survey",
        _l("Assign surveyors"),
        frozenset({ClaimStatus.ACCEPTED, ClaimStatus.DISPUTED}),
        ClaimStatus.SURVEY_ASSIGNED,
        OFFICER,
        (_surveyors_ok,),
        _on_assign,
    )
)
register(
    Transition(
        "survey_eligible",
        _l("Record the survey"),
        frozenset({ClaimStatus.SURVEY_ASSIGNED}),
        ClaimStatus.SURVEYED,
        OFFICER,
        (_actor_is_surveyor, _lines_complete),
        _on_surveyed,
    )
)
register(
    Transition(
        "survey_refused",
        _l("Record the survey: not compensable"),
        frozenset({ClaimStatus.SURVEY_ASSIGNED}),
        ClaimStatus.NOT_COMPENSATED,
        OFFICER,
        (_actor_is_surveyor, _lines_complete, _refusal_reasons),
        _on_survey_refused,
    )
)
register(
    Transition(
        "confirm", _l("Confirm the verified loss"), frozenset({ClaimStatus.SURVEYED}), ClaimStatus.CONFIRMED, CONFIRMERS, (_confirmer_ok,), _on_confirmation
    )
)
register(
    Transition(
        "dispute", _l("Dispute the verified loss"), frozenset({ClaimStatus.SURVEYED}), ClaimStatus.DISPUTED, CONFIRMERS, (_confirmer_ok,), _on_confirmation
    )
)

register_notice("assign_survey", _l("Claim %(number)s: you are assigned to survey the damage on site."), both(assigned_surveyors, claimant))
register_notice(
    "survey_eligible", _l("Claim %(number)s was surveyed: please confirm or dispute the verified loss."), both(claimant, township_clerks), sms_claimant=True
)
register_notice(
    "survey_refused", _l("Claim %(number)s: the survey found that it cannot be compensated. The reasons are on the claim page."), claimant, sms_claimant=True
)
register_notice("confirm", _l("Claim %(number)s: the claimant confirmed the verified loss."), county_officers)
register_notice("dispute", _l("Claim %(number)s: the claimant disputes the verified loss; assign a second survey."), county_officers)


# Services -----------------------------------------------------------------------------------------
def assign_surveyors(claim: Claim, surveyors: list[User], *, actor: User, expected_version: int | None = None) -> None:
    data = {"surveyors": surveyors, "changes": {"surveyors": [u.login for u in surveyors]}}
    apply_transition(claim, "assign_survey", actor=actor, data=data, expected_version=expected_version)


def record_survey(claim: Claim, survey: SurveyInput, photos: list[PhotoUpload], *, actor: User, expected_version: int | None = None) -> list[PhotoProblem]:
    """Record the survey and its photos; a refused photo is reported and does not block the survey."""
    action = "survey_eligible" if survey.outcome == SurveyOutcome.ELIGIBLE else "survey_refused"
    changes = {"outcome": str(survey.outcome), "exclusions": survey.exclusions, "lines": [[v.loss_line_id, str(v.quantity), v.loss_rate] for v in survey.lines]}
    apply_transition(claim, action, actor=actor, reason=survey.explanation, data={"survey": survey, "changes": changes}, expected_version=expected_version)
    _, problems = add_photos(claim, photos, actor=actor, stage=PhotoStage.SURVEY)
    return problems


def record_confirmation(claim: Claim, info: ConfirmationInput, *, actor: User, expected_version: int | None = None) -> None:
    data: dict[str, Any] = {"confirmation": info, "changes": {"method": str(info.method), "confirmed": info.confirmed}}
    if info.paper_scan is not None:
        added, problems = add_photos(claim, [info.paper_scan], actor=actor, stage=PhotoStage.CONFIRMATION)
        if problems:
            raise WorkflowError(problems[0].message)
        data["document_photo"] = added[0]
    apply_transition(claim, "confirm" if info.confirmed else "dispute", actor=actor, reason=info.statement, data=data, expected_version=expected_version)


def latest_survey(claim: Claim) -> FieldSurvey | None:
    return db.session.query(FieldSurvey).filter_by(claim_id=claim.id).order_by(FieldSurvey.round.desc()).first()


def verified_lines(claim: Claim) -> dict[int, VerifiedLoss]:
    survey = latest_survey(claim)
    return {v.loss_line_id: v for v in survey.lines} if survey else {}


def loss_lines(claim: Claim) -> list[LossLine]:
    return list(claim.losses)


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
