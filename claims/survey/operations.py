"""The survey operations the pages call: assign surveyors, record the survey, record the claimant's answer."""

from __future__ import annotations

from typing import Any

from claims.accounts.models import User
from claims.intake.models import Claim, PhotoStage
from claims.intake.services import PhotoProblem, PhotoUpload, add_photos
from claims.lifecycle import apply_transition, check_step
from claims.survey.models import SurveyOutcome
from claims.survey.services import ConfirmationInput, SurveyInput
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


def record_confirmation(claim: Claim, info: ConfirmationInput, *, actor: User, expected_version: int | None = None) -> None:
    data: dict[str, Any] = {"confirmation": info, "changes": {"method": str(info.method), "confirmed": info.confirmed}}
    if info.paper_scan is not None:
        added, problems = add_photos(claim, [info.paper_scan], actor=actor, stage=PhotoStage.CONFIRMATION)
        if problems:
            raise WorkflowError(problems[0].message)
        data["document_photo"] = added[0]
    apply_transition(claim, "confirm" if info.confirmed else "dispute", actor=actor, reason=info.statement, data=data, expected_version=expected_version)
