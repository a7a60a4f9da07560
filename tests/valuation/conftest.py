"""Claims brought to CONFIRMED through the real services, on a fixed date (the shipped prices are for 2025)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from claims.core import time as clock
from claims.extensions import db
from claims.intake.models import Claim
from claims.survey.services import VerifiedLineInput
from tests.factories import COUNTIES, advance, survey_input
from tests.workflow.conftest import file_claim

TODAY = datetime(2026, 6, 15, 2, 0, tzinfo=UTC)  # incidents on 2026-06-14: 2025 reference prices


def confirmed_claim(county: str = "nan", *, seed: int = 1, stage: str | None = "mature", rate: int = 80, filer: str = "13800000001") -> Claim:
    """File (rice 2.5 mu and 3 chickens), accept, survey (rice at `rate`% in `stage`), confirm."""
    claim = file_claim(filer, village_code=COUNTIES[county].village, seed=seed)
    lines = [
        VerifiedLineInput(line.id, line.quantity, rate if line.category == "crop" else None, stage if line.category == "crop" else None)
        for line in claim.losses
    ]
    advance(claim, "confirmed", county=county, survey=survey_input(claim, lines=lines))
    db.session.commit()
    return claim


@pytest.fixture
def on_a_fixed_day(app: Any) -> None:
    clock.freeze(TODAY)


@pytest.fixture
def confirmed(ctx: Any, on_a_fixed_day: None) -> Callable[..., Claim]:
    return confirmed_claim
