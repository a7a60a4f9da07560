"""The checks and effects of the survey steps (assign, survey, confirm or dispute), named by claims.lifecycle."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import gettext as _

from claims.accounts.models import Role, User
from claims.extensions import db
from claims.intake.models import Claim, LossLine
from claims.regions.models import LimitKind
from claims.regions.services import due_date
from claims.regions.settings import county_setting
from claims.survey.models import ClaimantConfirmation, ConfirmationMethod, FieldSurvey, MedicalInvoice, SurveyAssignment, VerifiedLoss
from claims.survey.permissions import conflict_problem, current_assignment, earlier_surveyor_ids, is_assigned_surveyor, kin_problem
from claims.survey.services import ConfirmationInput, SurveyInput, VerifiedLineInput, line_fields
from claims.valuation.schedules import price_grades
from claims.workflow.reasons import RefusalReason
from claims.workflow.states import ClaimStatus


# Checks -----------------------------------------------------------------------------------------
def surveyors_ok(claim: Claim, actor: User, data: dict[str, Any]) -> str | None:
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


def assigned_surveyor(claim: Claim, actor: User, data: dict[str, Any]) -> str | None:
    if not is_assigned_surveyor(claim, actor):
        return _("Only the surveyors assigned to this claim may record the survey.")
    return None


def no_conflict(claim: Claim, actor: User, data: dict[str, Any]) -> str | None:
    """A surveyor who declared a conflict of interest on the claim may not record its survey."""
    return conflict_problem(claim, actor)


def lines_complete(claim: Claim, actor: User, data: dict[str, Any]) -> str | None:
    survey: SurveyInput = data["survey"]
    known = {line.id for line in claim.losses}
    given = {line.loss_line_id for line in survey.lines}
    if not given <= known:
        return _("A verified line does not belong to this claim.")
    if known - given:
        return _("Record the verified quantity of every loss line.")
    return _unlisted_grade(claim, survey)


def _unlisted_grade(claim: Claim, survey: SurveyInput) -> str | None:
    """A price grade must be one the schedule in force lists for the item (the form offers them): else valuation
    would refuse the line later, when the officer has left the site."""
    losses = {line.id: line for line in claim.losses}
    for verified in survey.lines:
        problem = grade_problem(losses[verified.loss_line_id], verified.grade, lambda line: price_grades(claim, line))
        if problem:
            return problem
    return None


def grade_problem(line: LossLine, grade: str | None, grades: Callable[[LossLine], list[str]]) -> str | None:
    """Why `grade` cannot be the line's price grade (`grades` gives those the schedule lists), or None."""
    if not grade or "grade" not in line_fields(line.category):
        return None
    listed = grades(line)
    if grade in listed:
        return None
    return _(
        "%(item)s: the compensation schedule lists no price grade “%(grade)s” (it lists: %(listed)s).",
        item=line.item,
        grade=grade,
        listed="、".join(listed) or _("none"),
    )


def refusal_reasons(claim: Claim, actor: User, data: dict[str, Any]) -> str | None:
    survey: SurveyInput = data["survey"]
    if not survey.exclusions or not (survey.explanation or "").strip():
        return _("A survey that finds the claim not compensable needs at least one reason and a written explanation.")
    return None


def confirmer_ok(claim: Claim, actor: User, data: dict[str, Any]) -> str | None:
    """The answer comes from the claimant: in their own account; by the code texted to their mobile, typed on the
    officer's phone (the operation checks the code and passes it as `proof_code`); or on the signed paper form,
    scanned and attested by the clerk. An officer typing the claimant's name proves nothing."""
    info: ConfirmationInput = data["confirmation"]
    if actor.role == Role.VILLAGER and (info.method != ConfirmationMethod.ONLINE or claim.claimant_user_id != actor.id):
        return _("Only the claimant may confirm online, in their own account.")
    if actor.role == Role.OFFICER and (info.method != ConfirmationMethod.SMS_CODE or data.get("proof_code") is None):
        return _("Enter the code texted to the claimant's mobile number.")
    if actor.role == Role.CLERK and (info.method != ConfirmationMethod.PAPER or info.paper_scan is None):
        return _("Upload the scan or photo of the signed paper form.")
    if actor.role == Role.CLERK and not info.attested:
        return _("Attest that the claimant signed the uploaded form.")
    if actor.role == Role.CLERK:  # the clerk who attests is no relative of the claimant
        problem = kin_problem(claim, actor)
        if problem:
            return problem
    if not info.confirmed and not (info.statement or "").strip():
        return _("Say what the claimant disputes.")
    return None


# Effects ----------------------------------------------------------------------------------------
def on_assign(claim: Claim, actor: User, data: dict[str, Any]) -> None:
    claim.survey_round += 1
    db.session.add(SurveyAssignment(claim=claim, round=claim.survey_round, assigned_by=actor, surveyors=list(data["surveyors"])))
    if claim.status == ClaimStatus.DISPUTED or claim.due_at is None:
        claim.due_at = due_date(claim.county, LimitKind.SURVEY)


def _verified_loss(claim: Claim, v: VerifiedLineInput, photos: dict[int, Any]) -> VerifiedLoss:
    """A verified line with the fields its category takes (a crop line keeps no disability grade, whatever was sent)."""
    category = next(line.category for line in claim.losses if line.id == v.loss_line_id)
    keep = set(line_fields(category))
    extra = {name: getattr(v, name) for name in sorted(keep - {"invoices"})}
    invoices = [MedicalInvoice(amount=i.amount, photo=photos[id(i)]) for i in v.invoices] if "invoices" in keep else []
    return VerifiedLoss(
        loss_line_id=v.loss_line_id,
        quantity=v.quantity,
        note=v.note,
        invoices=invoices,
        **extra,
    )


def _store_survey(claim: Claim, actor: User, data: dict[str, Any]) -> FieldSurvey:
    info: SurveyInput = data["survey"]
    photos = data.get("invoice_photos", {})
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
        prevention_in_place=list(info.prevention_in_place) if info.prevention_in_place is not None else None,
        in_protection_zone=info.in_protection_zone,
        exclusions=[str(RefusalReason(r)) for r in info.exclusions],
        outcome=info.outcome,
        explanation=info.explanation,
        lines=[_verified_loss(claim, v, photos) for v in info.lines],
        submission_key=info.submission_key,
    )
    db.session.add(survey)
    return survey


def on_surveyed(claim: Claim, actor: User, data: dict[str, Any]) -> None:
    _store_survey(claim, actor, data)
    claim.due_at = due_date(claim.county, LimitKind.CONFIRMATION)


def on_survey_refused(claim: Claim, actor: User, data: dict[str, Any]) -> None:
    survey = _store_survey(claim, actor, data)
    claim.decision_reasons = list(survey.exclusions)
    claim.decision_explanation = survey.explanation
    claim.due_at = None


def on_confirmation(claim: Claim, actor: User, data: dict[str, Any]) -> None:
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
            code_id=proof.id if (proof := data.get("proof_code")) is not None else None,
            attested_by_id=actor.id if info.method == ConfirmationMethod.PAPER and info.attested else None,
            recorded_by=actor,
        )
    )
    claim.due_at = due_date(claim.county, LimitKind.VALUATION if info.confirmed else LimitKind.SURVEY)
