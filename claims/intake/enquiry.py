"""The public status enquiry: a claim number and the last four characters of the claimant's ID number give the claim's
status, its next step and its dates, and nothing else (no login; limited per address and per number in
claims/core/throttle.py).

The ID number is stored encrypted (AES-GCM with a random nonce), with a keyed hash of the whole number beside it:
neither can be searched by its last four characters, and a keyed hash of those would need a column of its own. So the
claim is found by its number (unique), its ID number decrypted and its last four compared in constant time. When no
claim has the number, a stand-in is encrypted and decrypted instead: both refusals cost the same work and give the
same answer (None), so the enquiry never tells an unknown number from wrong digits.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from claims.core.crypto import decrypt, encrypt
from claims.extensions import db
from claims.intake.models import Claim
from claims.workflow.models import ClaimStage
from claims.workflow.states import ClaimStatus

DECISIONS = (ClaimStatus.APPROVED, ClaimStatus.NOT_ACCEPTED, ClaimStatus.NOT_COMPENSATED)  # none is ever left for another
STAND_IN_ID = "000000000000000000"


@dataclass(frozen=True)
class StatusAnswer:
    """What the enquiry shows: no name, amount, ID number or place."""

    number: str
    status: ClaimStatus
    filed_at: datetime | None
    decided_at: datetime | None
    paid_at: datetime | None


def enquire_status(number: str, id_last4: str) -> StatusAnswer | None:
    """The claim's answer when `number` is a filed claim's and `id_last4` ends its claimant's ID number, else None."""
    row = db.session.execute(select(Claim.id, Claim.status, Claim.submitted_at, Claim.claimant_id_number).where(Claim.number == number)).first()
    stored = row.claimant_id_number if row is not None else decrypt(encrypt(STAND_IN_ID))
    matches = hmac.compare_digest((stored or "")[-4:].upper().encode(), id_last4.upper().encode())
    if row is None or not matches:
        return None
    entered = dict(
        db.session.execute(
            select(ClaimStage.status, func.min(ClaimStage.entered_at))
            .where(ClaimStage.claim_id == row.id, ClaimStage.status.in_([*DECISIONS, ClaimStatus.PAID]))
            .group_by(ClaimStage.status)
        ).all()
    )
    decided = [entered[s] for s in DECISIONS if s in entered]
    return StatusAnswer(number, row.status, row.submitted_at, min(decided, default=None), entered.get(ClaimStatus.PAID))
