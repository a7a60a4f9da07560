"""Referral of valued claims to an insurer, the insurer's decision, the split and the policy ledger."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from claims.accounts.models import Role, User
from claims.core.time import local_today, to_local, utcnow
from claims.extensions import db
from claims.insurance.models import InsurancePolicy, InsurerDecision, LedgerEntry, LimitKind, Referral, Split
from claims.insurance.permissions import insurer_of
from claims.insurance.split import PERSONAL, PolicyTerms, SplitResult, split_award
from claims.intake.models import Claim
from claims.regions.models import LimitKind as DeadlineKind
from claims.regions.services import due_date
from claims.regions.settings import county_setting
from claims.workflow.audit import record_event
from claims.workflow.notify import county_officers, register_notice
from claims.workflow.services import WorkflowError, after_transition, apply_transition
from claims.workflow.states import ClaimStatus, Transition, register

PER_PERSON = {LimitKind.PER_PERSON_MEDICAL, LimitKind.PER_PERSON_DEATH_DISABILITY, LimitKind.PER_PERSON_PROPERTY}
AGGREGATE = {LimitKind.AGGREGATE_PERSONAL, LimitKind.AGGREGATE_PROPERTY}


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
    from claims.valuation.services import current_valuation

    valuation = current_valuation(claim)
    if valuation is None:
        return []
    out = []
    for i, line in enumerate(valuation.final_lines()):
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
    limits = {kind: amount for kind in LimitKind if (amount := policy.limit(kind)) is not None}
    return PolicyTerms(frozenset(policy.categories), limits, policy.deductible_mode, policy.deductible_amount, policy.deductible_percent)


def used_amounts(policy: InsurancePolicy, person_hash: str | None, *, exclude_claim: int | None = None) -> dict[LimitKind, Decimal]:
    """What the policy's limits already carry: per-person limits for this person, aggregates for all."""
    query = select(LedgerEntry.limit_kind, LedgerEntry.person_hash, func.sum(LedgerEntry.amount)).where(LedgerEntry.policy_id == policy.id)
    if exclude_claim is not None:
        query = query.where(LedgerEntry.claim_id != exclude_claim)
    used: dict[LimitKind, Decimal] = {}
    for kind, person, total in db.session.execute(query.group_by(LedgerEntry.limit_kind, LedgerEntry.person_hash)):
        kind = LimitKind(kind)
        amount = Decimal(total).quantize(Decimal("0.01"))  # SUM keeps the Money type: yuan
        if kind in AGGREGATE or (kind in PER_PERSON and person == person_hash):
            used[kind] = used.get(kind, Decimal("0.00")) + amount
    return used


def ledger_view(policy: InsurancePolicy) -> list[tuple[LimitKind, Decimal | None, Decimal]]:
    """Per limit: the limit and what all claims drew on it (per-person limits: the largest person's use)."""
    rows = []
    for kind in LimitKind:
        query = select(LedgerEntry.person_hash, func.sum(LedgerEntry.amount)).where(LedgerEntry.policy_id == policy.id, LedgerEntry.limit_kind == kind)
        sums = [Decimal(total) for _, total in db.session.execute(query.group_by(LedgerEntry.person_hash))]
        used = (max(sums) if kind in PER_PERSON else sum(sums)) if sums else Decimal("0")
        rows.append((kind, policy.limit(kind), Decimal(used).quantize(Decimal("0.01"))))
    return rows


def save_split(claim: Claim, result: SplitResult, policy: InsurancePolicy | None) -> Split:
    split = db.session.get(Split, claim.id) or Split(claim_id=claim.id)
    split.entitlement, split.insurer_share, split.government_share = result.entitlement, result.insurer_share, result.government_share
    split.policy_id = policy.id if policy else None
    split.reasons = result.reasons
    split.computed_at = utcnow()
    db.session.add(split)
    return split


def draw_down(policy: InsurancePolicy, claim: Claim, draws: dict[LimitKind, Decimal]) -> None:
    """Record what this claim draws on each limit, refusing (with the reason) any draw past a limit."""
    used = used_amounts(policy, claim.claimant_id_hash, exclude_claim=claim.id)
    for kind, amount in draws.items():
        limit = policy.limit(kind)
        if (
            limit is not None
            and kind not in (LimitKind.PER_ACCIDENT_CROPS_TREES, LimitKind.PER_ACCIDENT_LIVESTOCK_POULTRY)
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


def government_split(claim: Claim) -> Split:
    """A claim no policy covers: the government pays the whole entitlement."""
    lines = [(line.category, line.amount) for line in award_lines(claim)]
    return save_split(claim, split_award(lines, None), None)


# Transitions --------------------------------------------------------------------------------------
def _is_insurers(claim: Claim, actor: User, data: dict[str, Any]) -> str | None:
    referral = db.session.execute(select(Referral).where(Referral.claim_id == claim.id)).scalar_one_or_none()
    if referral is None or referral.policy.insurer_id != insurer_of(actor):
        return _("This claim is not referred to your company.")
    return None


def _on_refer(claim: Claim, actor: User, data: dict[str, Any]) -> None:
    policy: InsurancePolicy = data["policy"]
    db.session.add(
        Referral(
            claim_id=claim.id,
            policy_id=policy.id,
            automatic=data.get("automatic", True),
            reason=data.get("reason"),
            package=referral_package(claim),
            referred_by_id=actor.id,
            due_at=due_date(claim.county, DeadlineKind.INSURER),
        )
    )
    claim.due_at = due_date(claim.county, DeadlineKind.INSURER)


def _on_insurer_decision(claim: Claim, actor: User, data: dict[str, Any]) -> None:
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
    claim.due_at = None


register(Transition("refer", _l("Refer to the insurer"), frozenset({ClaimStatus.VALUED}), ClaimStatus.REFERRED, frozenset({Role.OFFICER}), (), _on_refer))
register(
    Transition(
        "insurer_decide",
        _l("Insurer's decision"),
        frozenset({ClaimStatus.REFERRED}),
        ClaimStatus.INSURER_DECIDED,
        frozenset({Role.INSURER}),
        (_is_insurers,),
        _on_insurer_decision,
    )
)


def _insurer_adjusters(claim: Claim, data: dict[str, Any]) -> list[User]:
    from claims.insurance.models import InsurerMember

    policy = data.get("policy")
    if policy is None:
        return []
    query = select(User).join(InsurerMember, InsurerMember.user_id == User.id).where(InsurerMember.insurer_id == policy.insurer_id, User.active)
    return list(db.session.execute(query).scalars())


register_notice("refer", _l("Claim %(number)s was referred to your company for assessment."), _insurer_adjusters)
register_notice("insurer_decide", _l("Claim %(number)s: the insurer has decided; the claim goes to public notice."), county_officers)


@after_transition
def refer_when_covered(claim: Claim, action: str, actor: User, data: dict[str, Any]) -> None:
    """After valuation: refer automatically when a policy covers the claim, else the government pays all."""
    if action != "value":
        return
    policy = policy_for(claim)
    if policy is None:
        government_split(claim)
        return
    apply_transition(claim, "refer", actor=actor, reason=None, data={"policy": policy, "automatic": True, "changes": {"policy": policy.number}})


def refer_manually(claim: Claim, policy: InsurancePolicy, reason: str, *, actor: User) -> None:
    data = {"policy": policy, "automatic": False, "reason": reason, "changes": {"policy": policy.number}}
    apply_transition(claim, "refer", actor=actor, reason=reason, data=data)


def decide_as_insurer(
    claim: Claim,
    decision: InsurerDecision,
    *,
    actor: User,
    adjustments: dict[int, tuple[Decimal, str]] | None = None,
    decline_reason: str | None = None,
    note: str | None = None,
    expected_version: int | None = None,
) -> None:
    adjustments = adjustments or {}
    if decision == InsurerDecision.ADJUST and (not adjustments or any(not reason.strip() for _, reason in adjustments.values())):
        raise WorkflowError(_("Each adjusted line needs its amount and a reason."))
    if decision == InsurerDecision.DECLINE and not decline_reason:
        raise WorkflowError(_("Choose the reason for declining."))
    data = {
        "decision": decision,
        "adjustments": adjustments,
        "decline_reason": decline_reason,
        "note": note,
        "changes": {"decision": decision.value, "adjustments": {str(k): [str(a), r] for k, (a, r) in adjustments.items()}, "decline_reason": decline_reason},
    }
    apply_transition(claim, "insurer_decide", actor=actor, reason=note, data=data, expected_version=expected_version)


def referral_package(claim: Claim) -> dict[str, Any]:
    """What the insurer receives: the claim, the survey, the photos and the valuation, frozen at referral."""
    from claims.intake.services import active_photos
    from claims.survey.services import latest_survey

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


def record_ledger_check(policy: InsurancePolicy) -> None:
    record_event(entity="policy", entity_id=policy.id, action="policy_checked", changes={})


def personal(category: str) -> bool:
    return category in PERSONAL


def create_policy(form: Any, *, actor: User) -> InsurancePolicy:
    """A policy from the admin form; limits per kind, species as codes."""
    if db.session.execute(select(InsurancePolicy).where(InsurancePolicy.number == form.number.data.strip())).first():
        raise WorkflowError(_("A policy with this number exists already."))
    limits = {kind.value: str(value) for kind in LimitKind if (value := getattr(form, f"limit_{kind.value}").data) is not None}
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
    )
    db.session.add(policy)
    db.session.flush()
    record_event(entity="policy", entity_id=policy.id, action="policy_created", actor=actor, changes={"number": policy.number, "limits": limits})
    return policy
