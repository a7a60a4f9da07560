"""The survey operations the pages call: assign surveyors, record the survey, record the claimant's answer."""

from __future__ import annotations

import hashlib
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from claims.accounts.models import Role, User
from claims.extensions import db
from claims.intake.models import Claim, Photo, PhotoStage
from claims.intake.services import PhotoProblem, PhotoUpload, active_photos, add_photos
from claims.lifecycle import apply_transition, available_actions, check_step
from claims.survey.models import ConfirmationMethod, FieldSurvey, SurveyOutcome
from claims.survey.services import ConfirmationInput, SurveyInput, VerifiedLineInput, line_fields
from claims.workflow.codes import CodePurpose, send_sms_code, use_sms_code
from claims.workflow.services import WorkflowError


def assign_surveyors(claim: Claim, surveyors: list[User], *, actor: User, expected_version: int | None = None) -> None:
    data = {"surveyors": surveyors, "changes": {"surveyors": [u.login for u in surveyors]}}
    apply_transition(claim, "assign_survey", actor=actor, data=data, expected_version=expected_version)


def record_survey(claim: Claim, survey: SurveyInput, photos: list[PhotoUpload], *, actor: User, expected_version: int | None = None) -> list[PhotoProblem]:
    """Record the survey and its photos; a refused photo is reported and does not block the survey."""
    action = "survey_eligible" if survey.outcome == SurveyOutcome.ELIGIBLE else "survey_refused"
    changes = {
        "outcome": str(survey.outcome),
        "exclusions": survey.exclusions,
        "lines": [_line_changes(claim, v) for v in survey.lines],
        "prevention": survey.prevention_in_place,
        "protection_zone": survey.in_protection_zone,
    }
    data = {"survey": survey, "changes": changes}
    # The photos are stored before the step so that the survey record issued with it shows them; the step is
    # checked first so that a refused survey stores no photo.
    check_step(claim, action, actor=actor, reason=survey.explanation, data=data, expected_version=expected_version)
    data["invoice_photos"] = _invoice_photos(claim, survey, actor=actor)
    _, problems = add_photos(claim, photos, actor=actor, stage=PhotoStage.SURVEY)
    apply_transition(claim, action, actor=actor, reason=survey.explanation, data=data, expected_version=expected_version)
    return problems


def recorded_survey(claim: Claim, key: str | None) -> FieldSurvey | None:
    """The survey this claim already has from the form with this key: the same draft sent again from the phone."""
    if not key:
        return None
    return db.session.execute(select(FieldSurvey).where(FieldSurvey.claim_id == claim.id, FieldSurvey.submission_key == key)).scalar_one_or_none()


def _invoice_photos(claim: Claim, survey: SurveyInput, *, actor: User) -> dict[int, Photo]:
    """Store each medical invoice's photo (a photo already on the claim is reused); a refused one refuses the survey,
    since an invoice counts only with its photo. Keyed by id() of the invoice input."""
    stored: dict[int, Photo] = {}
    for line in survey.lines:
        if "invoices" not in line_fields(_category(claim, line)):
            continue  # invoices posted on a line whose category has none are not kept (nor is their photo)
        for invoice in line.invoices:
            digest = hashlib.sha256(invoice.upload.data).hexdigest()
            known = next((p for p in active_photos(claim) if p.sha256 == digest), None)
            if known is None:
                added, problems = add_photos(claim, [invoice.upload], actor=actor, stage=PhotoStage.INVOICE)
                if problems:
                    raise WorkflowError(_("Invoice photo %(name)s: %(problem)s", name=problems[0].filename, problem=problems[0].message))
                known = added[0]
            stored[id(invoice)] = known
    return stored


def _category(claim: Claim, line: VerifiedLineInput) -> str:
    return next((str(loss.category) for loss in claim.losses if loss.id == line.loss_line_id), "")


def _line_changes(claim: Claim, line: VerifiedLineInput) -> list[Any]:
    """What the audit keeps of a verified line: id, quantity, loss rate, then the fields of its category by name."""
    category = _category(claim, line)
    keep = set(line_fields(category)) if category else set()
    extra: dict[str, Any] = {}
    for name in ("growth_stage", "condition", "grade", "hospital_days", "lost_work_days", "nursing_days", "disability_grade"):
        if name in keep and getattr(line, name) is not None:
            extra[name] = getattr(line, name)
    for name in ("disability_amount", "nutrition_costs"):
        if name in keep and getattr(line, name) is not None:
            extra[name] = str(getattr(line, name))
    if "invoices" in keep and line.invoices:
        extra["invoices"] = [str(i.amount) for i in line.invoices]
    return [line.loss_line_id, str(line.quantity), line.loss_rate, *([extra] if extra else [])]


def send_confirmation_code(claim: Claim, *, actor: User) -> None:
    """Text a code to the claimant's mobile number: the officer types it back on their phone with the answer."""
    if "confirm" not in available_actions(claim, actor) or actor.role != Role.OFFICER:
        raise WorkflowError(_("You may not take this step on this claim."))
    if not claim.claimant_mobile:
        raise WorkflowError(_("The claim has no mobile number: the claimant confirms on the signed paper form."))
    send_sms_code(CodePurpose.CONFIRM, claim.claimant_mobile, user=actor, claim_id=claim.id, number=claim.number)


def record_confirmation(claim: Claim, info: ConfirmationInput, *, actor: User, expected_version: int | None = None) -> None:
    """Record the claimant's answer. A code is checked first, before anything is written: a wrong code is counted
    and refused (CodeRejected), and the caller commits that count (claims.workflow.codes)."""
    data: dict[str, Any] = {"confirmation": info, "changes": {"method": str(info.method), "confirmed": info.confirmed}}
    if info.method == ConfirmationMethod.SMS_CODE and actor.role == Role.OFFICER and claim.claimant_mobile:
        data["proof_code"] = use_sms_code(CodePurpose.CONFIRM, claim.claimant_mobile, info.code or "", claim_id=claim.id)
    if info.paper_scan is not None:
        added, problems = add_photos(claim, [info.paper_scan], actor=actor, stage=PhotoStage.CONFIRMATION)
        if problems:
            raise WorkflowError(problems[0].message)
        data["document_photo"] = added[0]
    apply_transition(claim, "confirm" if info.confirmed else "dispute", actor=actor, reason=info.statement, data=data, expected_version=expected_version)
