"""Insurers see only the claims referred to their own policies."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from claims.accounts.models import Role, User
from claims.extensions import db
from claims.insurance.models import InsurancePolicy, InsurerMember, Referral
from claims.intake.models import Claim


def insurer_of(user: User) -> int | None:
    if user.role != Role.INSURER:
        return None
    member = db.session.get(InsurerMember, user.id)
    return member.insurer_id if member else None


def referred_claim_ids(user: User) -> Any:
    """A sub-select of the claim ids referred to the user's insurer."""
    return select(Referral.claim_id).join(InsurancePolicy, InsurancePolicy.id == Referral.policy_id).where(InsurancePolicy.insurer_id == insurer_of(user))


def referred_to_insurer(user: User) -> Any:
    """The claim of the enclosing query is referred to the user's insurer: checked claim by claim (a referral per
    claim, by its unique claim_id). For a few claims (a to-do list's status) this beats `referred_claim_ids`,
    which SQLite reads whole, every referral of the insurer, before it looks at a claim."""
    return (
        select(Referral.id)
        .join(InsurancePolicy, InsurancePolicy.id == Referral.policy_id)
        .where(Referral.claim_id == Claim.id, InsurancePolicy.insurer_id == insurer_of(user))
        .exists()
    )


def is_referred_to(user: User, claim_id: int) -> bool:
    insurer = insurer_of(user)
    if insurer is None:
        return False
    query = (
        select(Referral.id)
        .join(InsurancePolicy, InsurancePolicy.id == Referral.policy_id)
        .where(Referral.claim_id == claim_id, InsurancePolicy.insurer_id == insurer)
    )
    return db.session.execute(query).first() is not None
