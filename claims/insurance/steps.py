"""The checks and effects of the insurer's steps (refer, decide) and what follows valuation, named by claims.lifecycle."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from claims.accounts.models import User
from claims.core.time import local_today, utcnow
from claims.extensions import db
from claims.insurance.models import InsurancePolicy, InsurerDecision, InsurerMember, Referral
from claims.insurance.permissions import insurer_of
from claims.insurance.services import (
    award_lines,
    draw_down,
    government_split,
    policy_for,
    referral_package,
    save_split,
    terms_of,
    used_amounts,
)
from claims.insurance.split import SplitResult, split_award
from claims.intake.models import Claim
from claims.regions.models import LimitKind
from claims.regions.services import add_working_days, due_date
from claims.regions.settings import county_setting
from claims.workflow.states import FollowOn


def is_insurers(claim: Claim, actor: User, data: dict[str, Any]) -> str | None:
    referral = db.session.execute(select(Referral).where(Referral.claim_id == claim.id)).scalar_one_or_none()
    if referral is None or referral.policy.insurer_id != insurer_of(actor):
        return _("This claim is not referred to your company.")
    return None


def on_refer(claim: Claim, actor: User, data: dict[str, Any]) -> None:
    """The referral, with the package the insurer reads. A claim valued again after an upheld objection is referred
    again: the one referral row takes the new package, and the earlier decision stays in the audit trail."""
    policy: InsurancePolicy = data["policy"]
    referral = db.session.execute(select(Referral).where(Referral.claim_id == claim.id)).scalar_one_or_none() or Referral(claim_id=claim.id)
    referral.policy_id = policy.id
    referral.automatic = data.get("automatic", True)
    referral.reason = data.get("reason")
    referral.package = referral_package(claim)
    referral.referred_at = utcnow()
    referral.referred_by_id = actor.id
    referral.due_at = due_date(claim.county, LimitKind.INSURER)
    referral.decision = referral.decided_by_id = referral.decided_at = referral.assessed_amount = None
    referral.adjustments, referral.decline_reason, referral.decision_note = {}, None, None
    db.session.add(referral)
    claim.due_at = referral.due_at


def on_insurer_decision(claim: Claim, actor: User, data: dict[str, Any]) -> None:
    referral: Referral = db.session.execute(select(Referral).where(Referral.claim_id == claim.id)).scalar_one()
    decision: InsurerDecision = data["decision"]
    lines = award_lines(claim)
    adjusted = data.get("adjustments", {})
    insurer_lines = (
        []
        if decision == InsurerDecision.DECLINE
        else [(line.category, Decimal(adjusted[line.index][0]) if line.index in adjusted else line.amount) for line in lines]
    )
    policy = referral.policy
    top_up = bool(county_setting(claim.county, "government_tops_up"))
    used = used_amounts(policy, claim.claimant_id_hash, exclude_claim=claim.id)
    insurer_part = split_award(insurer_lines, terms_of(policy), used=used, government_tops_up=False)
    entitlement = sum((line.amount for line in lines), Decimal("0.00"))
    insurer_share = min(insurer_part.insurer_share, entitlement)
    government = (entitlement - insurer_share) if top_up else Decimal("0.00")
    reasons = [*insurer_part.reasons, f"insurer:{decision.value}"] + ([] if top_up else ["no_top_up"])
    result = SplitResult(entitlement, insurer_share, government, insurer_part.draws, reasons)
    draw_down(policy, claim, insurer_part.draws)
    save_split(claim, result, policy)
    referral.decision = decision
    referral.decided_by_id = actor.id
    referral.decided_at = utcnow()
    referral.assessed_amount = sum((Decimal(a) for _, a in insurer_lines), Decimal("0.00"))
    referral.adjustments = {str(k): [str(v[0]), v[1]] for k, v in adjusted.items()}
    referral.decline_reason = data.get("decline_reason")
    referral.decision_note = data.get("note")
    claim.due_at = add_working_days(local_today(), county_setting(claim.county, "notice_within_working_days"))  # the township's public notice next


def policy_adjusters(claim: Claim, data: dict[str, Any]) -> list[User]:
    """The adjusters of the insurer whose policy the claim is referred to."""
    policy = data.get("policy")
    if policy is None:
        return []
    query = select(User).join(InsurerMember, InsurerMember.user_id == User.id).where(InsurerMember.insurer_id == policy.insurer_id, User.active)
    return list(db.session.execute(query).scalars())


def after_valuation(claim: Claim, actor: User) -> FollowOn | None:
    """After valuation: the claim goes to the insurer when a policy covers it, else the government pays all."""
    policy = policy_for(claim)
    if policy is None:
        government_split(claim)
        return None
    return FollowOn("refer", {"policy": policy, "automatic": True, "changes": {"policy": policy.number}})
