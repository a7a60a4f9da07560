"""Claims brought to the valued step through the real services, in an insured and an uninsured county."""

from __future__ import annotations

from datetime import timedelta

from claims.accounts.services import find_user
from claims.approval import operations
from claims.core import time as clock
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


def approved_chaling_claims(*seeds: int) -> list[Claim]:
    """Uninsured claims valued, put on one notice, past it (the clock jumps 8 days) and approved in 茶陵县."""
    claims = [valued_claim("chaling", seed=seed, filer=f"1380000000{n + 1}") for n, seed in enumerate(seeds)]
    operations.create_notice_batch(claims[0].township, claims, clock.local_today(), actor=find_user("clerk_cl"))
    db.session.commit()
    clock.freeze(clock.utcnow() + timedelta(days=8))
    for claim in claims:
        operations.approve(claim, actor=find_user("approver_cl"))
    db.session.commit()
    return claims
