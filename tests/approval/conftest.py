"""Claims brought to the valued step through the real services, in an insured and an uninsured county."""

from __future__ import annotations

from datetime import timedelta

from claims.accounts.services import find_user
from claims.core.time import utcnow
from claims.extensions import db
from claims.intake import review
from claims.intake.models import Claim
from claims.survey.models import ConfirmationMethod, SurveyOutcome
from claims.survey.operations import assign_surveyors, record_confirmation, record_survey
from claims.survey.services import ConfirmationInput, SurveyInput, VerifiedLineInput
from claims.valuation.operations import value_claim_step
from claims.valuation.services import compute_valuation
from tests.workflow.conftest import file_claim

COUNTIES = {
    "nan": {"village": "430921128243", "clerk": "clerk", "officers": ("officer", "officer2"), "approvers": ("approver", "approver2")},
    "chaling": {"village": "430224113203", "clerk": "clerk_cl", "officers": ("officer_cl", "officer_cl2"), "approvers": ("approver_cl",)},
}


def valued_claim(county: str = "nan", *, seed: int = 1, filer: str = "13800000001") -> Claim:
    """File, accept, survey, confirm, value: the claim is then REFERRED (insured) or VALUED (uninsured)."""
    where = COUNTIES[county]
    claim = file_claim(filer, village_code=where["village"], seed=seed)
    review.accept_claim(claim, actor=find_user(where["clerk"]))
    first, second = (find_user(n) for n in where["officers"])
    assign_surveyors(claim, [first, second], actor=first)
    lines = [VerifiedLineInput(line.id, line.quantity, 100) for line in claim.losses]
    survey = SurveyInput(
        visited_at=utcnow() - timedelta(hours=2), surveyors_present="勘查员", claimant_present=True, outcome=SurveyOutcome.ELIGIBLE, lines=lines
    )
    record_survey(claim, survey, [], actor=second)
    record_confirmation(claim, ConfirmationInput(True, ConfirmationMethod.ON_SITE, typed_name=claim.claimant_name), actor=first)
    compute_valuation(claim, actor=first)
    value_claim_step(claim, actor=first)
    db.session.commit()
    return claim
