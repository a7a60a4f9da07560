"""Claims brought to the valued step through the real services, in an insured and an uninsured county."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from claims.accounts.services import find_user
from claims.approval import operations, payments
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


def pay_through_the_bank(claim: Claim) -> None:
    """The county's treasurer puts the claim's payment in a batch, exports the bank file, and imports the bank's
    result paying it (the other claims of the batch stay unpaid)."""
    treasurer = find_user("approver_cl" if claim.county.code == "430224" else "approver")
    batch = payments.create_batch(claim.county, actor=treasurer)
    lines = list(csv.DictReader(io.StringIO(payments.export_csv(batch, actor=treasurer).decode("utf-8-sig"))))
    paid = next(line for line in lines if line["claim_number"] == claim.number)
    result = f"reference,status,amount,bank_reference\r\n{paid['reference']},SUCCESS,{paid['amount']},CBS0001\r\n".encode()
    assert payments.import_results(batch, result, actor=treasurer).paid == 1
    db.session.commit()
