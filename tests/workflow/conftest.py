"""Claims at given steps of the workflow, built through the real services."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from stdnum.cn import ric

from claims.accounts.services import find_user
from claims.core.time import to_local, utcnow
from claims.extensions import db
from claims.intake.models import Claim, LossCategory
from claims.intake.operations import save_filing
from claims.intake.services import ClaimInput, LossInput, PhotoUpload, start_draft
from claims.regions.models import Region, Species
from tests.intake.images import jpeg_bytes


def resident_id(body17: str = "43092119650315123") -> str:
    return body17 + ric.calc_check_digit(body17 + "0")  # the function ignores the last character


def region(code: str) -> Region:
    return db.session.execute(select(Region).where(Region.code == code)).scalar_one()


def file_claim(
    login: str = "13800000001",
    *,
    village_code: str = "430921128243",
    species: str = "wild_boar",
    seed: int = 1,
    incident: datetime | None = None,
    losses: list[LossInput] | None = None,
) -> Claim:
    """A submitted claim: villager files for themself; a clerk files for a villager without an account."""
    actor = find_user(login)
    village = region(village_code)
    township = village.parent
    incident = incident or utcnow() - timedelta(days=1)
    data = ClaimInput(
        claimant_name=actor.name if actor.role.value == "villager" else "王老汉",
        claimant_id_number=resident_id(),
        claimant_mobile=actor.mobile if actor.role.value == "villager" else "13700000009",
        claimant_address="三仙湖村3组",
        bank_name="湖南农村信用社",
        bank_account="6217995500001234567",
        county_id=township.parent_id,
        township_id=township.id,
        village_id=village.id,
        incident_at=incident,
        discovered_on=to_local(incident).date(),  # the local day: 16:00-24:00 UTC is already tomorrow in China
        species_id=db.session.execute(select(Species.id).where(Species.code == species)).scalar_one(),
        description="夜里野猪进田，水稻被拱倒吃掉一大片。",
        declaration=True,
        losses=losses or [LossInput(LossCategory.CROP, "水稻", Decimal("2.5"), "mu"), LossInput(LossCategory.POULTRY, "鸡", Decimal("3"), "bird")],
    )
    claim = start_draft(actor=actor, submission_key=f"k-{login}-{seed}-{utcnow().timestamp()}", for_self=actor.role.value == "villager")
    outcome = save_filing(claim, data, [PhotoUpload(jpeg_bytes(seed=seed * 10 + i), f"p{i}.jpg") for i in range(2)], actor=actor, submit=True, form_ok=True)
    assert outcome.submitted, outcome
    db.session.commit()
    return claim


@pytest.fixture
def make_claim(ctx: Any) -> Callable[..., Claim]:
    return file_claim
