"""Claims brought to the valued step through the real services, in an insured and an uninsured county."""

from __future__ import annotations

from claims.extensions import db
from claims.intake.models import Claim
from tests.factories import COUNTIES, advance
from tests.workflow.conftest import file_claim


def valued_claim(county: str = "nan", *, seed: int = 1, filer: str = "13800000001") -> Claim:
    """File, accept, survey, confirm, value: the claim is then REFERRED (insured) or VALUED (uninsured)."""
    claim = file_claim(filer, village_code=COUNTIES[county].village, seed=seed)
    advance(claim, "valued", county=county)
    db.session.commit()
    return claim
