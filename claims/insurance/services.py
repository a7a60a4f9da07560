"""Referral of valued claims to an insurer, the insurer's decision, the split and the policy ledger."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload

from claims.accounts.models import User
from claims.accounts.permissions import administers
from claims.core.money import FEN
from claims.core.pagination import PAGE_SIZE, Page, SortKey, paginate
from claims.core.time import local_today, to_local, utcnow
from claims.extensions import db
from claims.insurance.models import InsurancePolicy, LedgerEntry, PolicyLimit, Referral, Split
from claims.insurance.split import PolicyTerms, SplitResult, split_award
from claims.intake.models import Claim
from claims.intake.services import active_photos
from claims.regions.models import Region
from claims.survey.services import latest_survey
from claims.valuation.services import current_valuation, final_lines
from claims.workflow.audit import record_event
from claims.workflow.services import WorkflowError

PER_PERSON = {PolicyLimit.PER_PERSON_MEDICAL, PolicyLimit.PER_PERSON_DEATH_DISABILITY, PolicyLimit.PER_PERSON_PROPERTY}
AGGREGATE = {PolicyLimit.AGGREGATE_PERSONAL, PolicyLimit.AGGREGATE_PROPERTY}


class LimitExceeded(WorkflowError):
    pass


@dataclass(frozen=True)
class AwardLine:
    index: int
    category: str
    amount: Decimal
    label: str


def award_lines(claim: Claim) -> list[AwardLine]:
    """The valued lines of the claim (after officers' adjustments), numbered for the insurer's adjustments."""
    valuation = current_valuation(claim)
    if valuation is None:
        return []
    out = []
    for i, line in enumerate(final_lines(valuation)):
        label = getattr(line, "item", None) or getattr(line, "label", None) or str(line.category)
        out.append(AwardLine(i, str(line.category), Decimal(line.amount), str(label)))
    return out


def policy_for(claim: Claim) -> InsurancePolicy | None:
    """An active policy covering the claim's place, incident date, categories and species."""
    if claim.county is None or claim.incident_at is None:
        return None
    day = to_local(claim.incident_at).date()  # type: ignore[union-attr]
    categories = {str(line.category) for line in claim.losses}
    query = select(InsurancePolicy).where(InsurancePolicy.term_start <= day, InsurancePolicy.term_end >= day).order_by(InsurancePolicy.term_start.desc())
    for policy in db.session.execute(query).scalars():
        place = claim.township if policy.policyholder.level.value == "township" else claim.county
        if place is None or not place.is_within(policy.policyholder):
            continue
        if not categories & set(policy.categories):
            continue
        if policy.species and (claim.species is None or claim.species.code not in policy.species):
            continue
        return policy
    return None


def terms_of(policy: InsurancePolicy) -> PolicyTerms:
    limits = {kind: amount for kind in PolicyLimit if (amount := policy.limit(kind)) is not None}
    return PolicyTerms(frozenset(policy.categories), limits, policy.deductible_mode, policy.deductible_amount, policy.deductible_percent)


def used_amounts(policy: InsurancePolicy, person_hash: str | None, *, exclude_claim: int | None = None) -> dict[PolicyLimit, Decimal]:
    """What the policy's limits already carry: per-person limits for this person, aggregates for all."""
    query = select(LedgerEntry.limit_kind, LedgerEntry.person_hash, func.sum(LedgerEntry.amount)).where(LedgerEntry.policy_id == policy.id)
    if exclude_claim is not None:
        query = query.where(LedgerEntry.claim_id != exclude_claim)
    used: dict[PolicyLimit, Decimal] = {}
    for kind, person, total in db.session.execute(query.group_by(LedgerEntry.limit_kind, LedgerEntry.person_hash)):
        kind = PolicyLimit(kind)
        amount = Decimal(total).quantize(FEN)  # SUM keeps the Money type: yuan
        if kind in AGGREGATE or (kind in PER_PERSON and person == person_hash):
            used[kind] = used.get(kind, Decimal("0.00")) + amount
    return used


def ledger_view(policy: InsurancePolicy) -> list[tuple[PolicyLimit, Decimal | None, Decimal]]:
    """Per limit: the limit and what all claims drew on it (per-person limits: the largest person's use)."""
    rows = []
    for kind in PolicyLimit:
        query = select(LedgerEntry.person_hash, func.sum(LedgerEntry.amount)).where(LedgerEntry.policy_id == policy.id, LedgerEntry.limit_kind == kind)
        sums = [Decimal(total) for _, total in db.session.execute(query.group_by(LedgerEntry.person_hash))]
        used = (max(sums) if kind in PER_PERSON else sum(sums)) if sums else Decimal("0")
        rows.append((kind, policy.limit(kind), Decimal(used).quantize(FEN)))
    return rows


def save_split(claim: Claim, result: SplitResult, policy: InsurancePolicy | None) -> Split:
    split = db.session.get(Split, claim.id) or Split(claim_id=claim.id)
    split.entitlement, split.insurer_share, split.government_share = result.entitlement, result.insurer_share, result.government_share
    split.policy_id = policy.id if policy else None
    split.reasons = result.reasons
    split.computed_at = utcnow()
    db.session.add(split)
    return split


def draw_down(policy: InsurancePolicy, claim: Claim, draws: dict[PolicyLimit, Decimal]) -> None:
    """Record what this claim draws on each limit, refusing (with the reason) any draw past a limit."""
    used = used_amounts(policy, claim.claimant_id_hash, exclude_claim=claim.id)
    for kind, amount in draws.items():
        limit = policy.limit(kind)
        if (
            limit is not None
            and kind not in (PolicyLimit.PER_ACCIDENT_CROPS_TREES, PolicyLimit.PER_ACCIDENT_LIVESTOCK_POULTRY)
            and used.get(kind, Decimal(0)) + amount > limit
        ):
            raise LimitExceeded(
                _(
                    "This payment would pass the policy's limit “%(limit)s”: %(left)s yuan are left.",
                    limit=kind.title,
                    left=max(limit - used.get(kind, Decimal(0)), Decimal(0)),
                )
            )
        if limit is not None and amount > limit:
            raise LimitExceeded(_("This payment would pass the policy's limit “%(limit)s”: %(left)s yuan are left.", limit=kind.title, left=limit))
    db.session.execute(LedgerEntry.__table__.delete().where(LedgerEntry.claim_id == claim.id, LedgerEntry.policy_id == policy.id))
    for kind, amount in draws.items():
        db.session.add(
            LedgerEntry(
                policy_id=policy.id, claim_id=claim.id, limit_kind=kind, person_hash=claim.claimant_id_hash if kind in PER_PERSON else None, amount=amount
            )
        )


def release_award(claim: Claim) -> None:
    """Forget the claim's split and what it drew on any policy's limits (refused, or to be valued again)."""
    db.session.execute(LedgerEntry.__table__.delete().where(LedgerEntry.claim_id == claim.id))
    split = db.session.get(Split, claim.id)
    if split is not None:
        db.session.delete(split)
    db.session.flush()


def government_split(claim: Claim) -> Split:
    """A claim no policy covers: the government pays the whole entitlement."""
    lines = [(line.category, line.amount) for line in award_lines(claim)]
    return save_split(claim, split_award(lines, None), None)


def referral_package(claim: Claim) -> dict[str, Any]:
    """What the insurer receives: the claim, the survey, the photos and the valuation, frozen at referral."""
    survey = latest_survey(claim)
    return {
        "number": claim.number,
        "incident_at": claim.incident_at.isoformat() if claim.incident_at else None,
        "place": [r.name for r in (claim.county, claim.township, claim.village) if r is not None],
        "species": claim.species.name_zh if claim.species else claim.species_description,
        "losses": [{"category": str(line.category), "item": line.item, "quantity": str(line.quantity or ""), "unit": line.unit} for line in claim.losses],
        "survey": {"visited_at": survey.visited_at.isoformat(), "evidence": survey.evidence, "outcome": str(survey.outcome)} if survey else None,
        "photos": [p.id for p in active_photos(claim)],
        "valuation": [{"index": line.index, "category": line.category, "label": line.label, "amount": str(line.amount)} for line in award_lines(claim)],
        "referred_on": local_today().isoformat(),
    }


def _check_scope(region: Region | None, actor: User) -> None:
    """A province's administrator enters and changes only the policies of its own counties and townships."""
    if region is None or not administers(actor, region):
        raise WorkflowError(_("%(name)s is outside the region you administer", name=region.name if region else "—"))


def create_policy(form: Any, *, actor: User) -> InsurancePolicy:
    """A policy from the admin form; limits per kind, species as codes."""
    _check_scope(db.session.get(Region, form.policyholder_region_id.data), actor)
    if db.session.execute(select(InsurancePolicy).where(InsurancePolicy.number == form.number.data.strip())).first():
        raise WorkflowError(_("A policy with this number exists already."))
    limits = {kind.value: str(value) for kind in PolicyLimit if (value := getattr(form, f"limit_{kind.value}").data) is not None}
    policy = InsurancePolicy(
        number=form.number.data.strip(),
        insurer_id=form.insurer_id.data,
        policyholder_region_id=form.policyholder_region_id.data,
        term_start=form.term_start.data,
        term_end=form.term_end.data,
        categories=list(form.categories.data),
        species=[s.strip() for s in (form.species.data or "").split(",") if s.strip()],
        limits=limits,
        deductible_mode=form.deductible_mode.data,
        deductible_amount=form.deductible_amount.data,
        deductible_percent=form.deductible_percent.data,
        report_days=form.report_days.data,
        payment_days=form.payment_days.data,
        premium=form.premium.data,
    )
    db.session.add(policy)
    db.session.flush()
    changes = {"number": policy.number, "limits": limits, "premium": str(policy.premium) if policy.premium is not None else None}
    record_event(entity="policy", entity_id=policy.id, action="policy_created", actor=actor, changes=changes)
    return policy


def set_premium(policy: InsurancePolicy, premium: Decimal, *, actor: User) -> None:
    """Enter or correct the premium of a policy (it is often invoiced after the policy is entered), audited with the old figure."""
    _check_scope(policy.policyholder, actor)
    before = policy.premium
    policy.premium = premium
    changes = {"number": policy.number, "premium": [str(before) if before is not None else None, str(premium)]}
    record_event(entity="policy", entity_id=policy.id, action="policy_premium_set", actor=actor, changes=changes)


# The insurer's queue: waiting referrals first, the most urgent first (claims/core/pagination.py).
REFERRAL_KEYS = (
    # Waiting first (0), then decided (1): a number, since a boolean expression cannot be compared past a cursor.
    SortKey(
        case((Referral.decision.is_(None), 0), else_=1),
        int,
        value=lambda r: int(r.decision is not None),
        parts=((0, Referral.decision.is_(None)), (1, Referral.decision.is_not(None))),
    ),  # indexes: waiting (due_at, id), (due_at, id)
    SortKey(Referral.due_at, date, nulls_last=True),
    SortKey(Referral.id, int),
)


def referrals_of(insurer_id: int | None, after: str | None = None, size: int = PAGE_SIZE) -> Page[Referral]:
    """One page of the claims referred to the insurer's policies, with their claims and policies."""
    query = (
        select(Referral)
        .join(InsurancePolicy, InsurancePolicy.id == Referral.policy_id)
        .where(InsurancePolicy.insurer_id == insurer_id)
        .options(joinedload(Referral.claim), joinedload(Referral.policy))
    )
    return paginate(query, REFERRAL_KEYS, after, size=size, session=db.session)
