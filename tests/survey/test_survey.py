"""The field survey through the services: assigning surveyors, recording the survey, the claimant's confirmation
(and the whole way there from a submitted claim)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from claims.accounts.models import Role
from claims.accounts.services import find_user
from claims.core.time import utcnow
from claims.extensions import db
from claims.intake import review
from claims.survey.models import ConfirmationMethod, SurveyOutcome
from claims.survey.operations import assign_surveyors, record_confirmation, record_survey
from claims.survey.services import ConfirmationInput
from claims.workflow.audit import verify_chain
from claims.workflow.models import AuditEvent
from claims.workflow.services import WorkflowError
from claims.workflow.states import ClaimStatus
from tests.factories import advance, confirm_by_code, new_staff
from tests.factories import survey_input as any_survey


def survey_input(claim, outcome=SurveyOutcome.ELIGIBLE, **extra):  # type: ignore[no-untyped-def]
    """These tests' survey: an hour ago, by 陈志强 and 周伟, tracks found, every line 80 % lost."""
    fields = {"visited_at": utcnow() - timedelta(hours=1), "surveyors_present": "陈志强、周伟", "evidence": ["tracks"]}
    return any_survey(claim, outcome, rate=80, **(fields | extra))


def to_surveyed(claim):  # type: ignore[no-untyped-def]
    advance(claim, "surveyed", survey=survey_input(claim))
    db.session.commit()


def test_full_path_to_confirmation(make_claim):  # type: ignore[no-untyped-def]
    claim = make_claim()
    assert claim.status == ClaimStatus.SUBMITTED and claim.due_at is not None
    to_surveyed(claim)
    assert claim.status == ClaimStatus.SURVEYED
    confirm_by_code(claim, find_user("officer"))
    db.session.commit()
    assert claim.status == ClaimStatus.CONFIRMED
    actions = [e.action for e in db.session.query(AuditEvent).filter_by(claim_id=claim.id).order_by(AuditEvent.id)]
    assert actions[-5:] == ["submit", "accept", "assign_survey", "survey_eligible", "confirm"]
    assert verify_chain().ok


def test_surveyor_count_and_county(make_claim):  # type: ignore[no-untyped-def]
    claim = make_claim()
    review.accept_claim(claim, actor=find_user("clerk"))
    with pytest.raises(WorkflowError):
        assign_surveyors(claim, [find_user("officer")], actor=find_user("officer"))
    with pytest.raises(WorkflowError):
        assign_surveyors(claim, [find_user("officer"), find_user("officer_cl")], actor=find_user("officer"))


def test_only_assigned_surveyors_record(make_claim):  # type: ignore[no-untyped-def]
    claim = make_claim()
    advance(claim, "survey_assigned")
    db.session.commit()
    with pytest.raises(WorkflowError):
        record_survey(claim, survey_input(claim), [], actor=find_user("officer_cl"))


def test_dispute_needs_other_surveyors(make_claim):  # type: ignore[no-untyped-def]
    claim = make_claim()
    to_surveyed(claim)
    record_confirmation(claim, ConfirmationInput(False, ConfirmationMethod.ONLINE, statement="面积不止这么多"), actor=find_user("13800000001"))
    db.session.commit()
    assert claim.status == ClaimStatus.DISPUTED
    with pytest.raises(WorkflowError):
        assign_surveyors(claim, [find_user("officer"), find_user("officer2")], actor=find_user("officer"))
    db.session.rollback()
    nan = find_user("officer").region
    others = [new_staff(login=f"o{i}", name=f"第{i}勘查员", role=Role.OFFICER, region=nan) for i in (3, 4)]
    assign_surveyors(claim, others, actor=find_user("officer"))
    record_survey(claim, survey_input(claim), [], actor=others[0])
    db.session.commit()
    assert claim.status == ClaimStatus.SURVEYED and claim.survey_round == 2


def test_survey_refusal_needs_reasons(make_claim):  # type: ignore[no-untyped-def]
    claim = make_claim()
    advance(claim, "survey_assigned")
    db.session.commit()
    with pytest.raises(WorkflowError):
        record_survey(claim, survey_input(claim, SurveyOutcome.NOT_COMPENSATED), [], actor=find_user("officer"))
    db.session.rollback()
    record_survey(
        claim, survey_input(claim, SurveyOutcome.NOT_COMPENSATED, exclusions=["livestock_unpenned"], explanation="鸡未圈养"), [], actor=find_user("officer")
    )
    db.session.commit()
    assert claim.status == ClaimStatus.NOT_COMPENSATED and claim.decision_reasons == ["livestock_unpenned"]


def test_on_site_confirmation_needs_the_texted_code(make_claim):  # type: ignore[no-untyped-def]
    claim = make_claim()
    to_surveyed(claim)
    with pytest.raises(WorkflowError):
        record_confirmation(claim, ConfirmationInput(True, ConfirmationMethod.SMS_CODE, code="123456"), actor=find_user("officer"))


def test_filer_cannot_survey_own_claim(make_claim):  # type: ignore[no-untyped-def]
    from claims.survey.permissions import conflict_problem

    officer = find_user("officer")
    claim = make_claim()
    claim.filed_by_id = officer.id  # an officer who filed (for a relative, say) is a party to the claim
    assert conflict_problem(claim, officer) is not None
    assert conflict_problem(claim, find_user("officer2")) is None
