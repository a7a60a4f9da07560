"""The survey operations the pages call: assign surveyors, record the survey, record the claimant's answer."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from claims.accounts.models import Role, User
from claims.intake.models import Claim, PhotoStage
from claims.intake.services import PhotoProblem, PhotoUpload, add_photos
from claims.lifecycle import apply_transition, available_actions, check_step
from claims.survey.models import ConfirmationMethod, SurveyOutcome
from claims.survey.services import ConfirmationInput, SurveyInput
from claims.workflow.codes import CodePurpose, send_sms_code, use_sms_code
from claims.workflow.services import WorkflowError


def assign_surveyors(claim: Claim, surveyors: list[User], *, actor: User, expected_version: int | None = None) -> None:
    data = {"surveyors": surveyors, "changes": {"surveyors": [u.login for u in surveyors]}}
    apply_transition(claim, "assign_survey", actor=actor, data=data, expected_version=expected_version)


def record_survey(claim: Claim, survey: SurveyInput, photos: list[PhotoUpload], *, actor: User, expected_version: int | None = None) -> list[PhotoProblem]:
    """Record the survey and its photos; a refused photo is reported and does not block the survey."""
    action = "survey_eligible" if survey.outcome == SurveyOutcome.ELIGIBLE else "survey_refused"
    changes = {"outcome": str(survey.outcome), "exclusions": survey.exclusions, "lines": [[v.loss_line_id, str(v.quantity), v.loss_rate] for v in survey.lines]}
    data = {"survey": survey, "changes": changes}
    # The photos are stored before the step so that the survey record issued with it shows them; the step is
    # checked first so that a refused survey stores no photo.
    check_step(claim, action, actor=actor, reason=survey.explanation, data=data, expected_version=expected_version)
    _, problems = add_photos(claim, photos, actor=actor, stage=PhotoStage.SURVEY)
    apply_transition(claim, action, actor=actor, reason=survey.explanation, data=data, expected_version=expected_version)
    return problems


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
