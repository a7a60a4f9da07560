"""Claims brought to CONFIRMED through the real services, on a fixed date (the shipped prices are for 2025)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from claims.accounts.services import find_user
from claims.core import time as clock
from claims.core.time import utcnow
from claims.extensions import db
from claims.intake import review
from claims.intake.models import Claim
from claims.survey.models import ConfirmationMethod, SurveyOutcome
from claims.survey.operations import assign_surveyors, record_confirmation, record_survey
from claims.survey.services import ConfirmationInput, SurveyInput, VerifiedLineInput
from tests.workflow.conftest import file_claim

TODAY = datetime(2026, 6, 15, 2, 0, tzinfo=UTC)  # incidents on 2026-06-14: 2025 reference prices
PLACES = {
    "nan": {"village": "430921128243", "clerk": "clerk", "officers": ("officer", "officer2")},
    "chaling": {"village": "430224113203", "clerk": "clerk_cl", "officers": ("officer_cl", "officer_cl2")},
}


def confirmed_claim(county: str = "nan", *, seed: int = 1, stage: str | None = "mature", rate: int = 80, filer: str = "13800000001") -> Claim:
    """File (rice 2.5 mu and 3 chickens), accept, survey (rice at `rate`% in `stage`), confirm."""
    where = PLACES[county]
    claim = file_claim(filer, village_code=where["village"], seed=seed)
    review.accept_claim(claim, actor=find_user(where["clerk"]))
    first, second = (find_user(n) for n in where["officers"])
    assign_surveyors(claim, [first, second], actor=first)
    lines = [
        VerifiedLineInput(line.id, line.quantity, rate if line.category == "crop" else None, stage if line.category == "crop" else None)
        for line in claim.losses
    ]
    survey = SurveyInput(
        visited_at=utcnow() - timedelta(hours=2), surveyors_present="勘查员", claimant_present=True, outcome=SurveyOutcome.ELIGIBLE, lines=lines
    )
    record_survey(claim, survey, [], actor=second)
    record_confirmation(claim, ConfirmationInput(True, ConfirmationMethod.ON_SITE, typed_name=claim.claimant_name), actor=first)
    db.session.commit()
    return claim


@pytest.fixture
def on_a_fixed_day(app: Any) -> None:
    clock.freeze(TODAY)


@pytest.fixture
def confirmed(ctx: Any, on_a_fixed_day: None) -> Callable[..., Claim]:
    return confirmed_claim
