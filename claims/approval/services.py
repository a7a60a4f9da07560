"""Public notice of payees, objections, and approval by the county (one or two approvers)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from claims.accounts.models import Role, User
from claims.approval.models import Approval, Decision, NoticeBatch, NoticeEntry, Objection, Payment, Share
from claims.core.time import local_today
from claims.extensions import db
from claims.insurance.models import Split
from claims.intake.models import Claim
from claims.regions.models import LimitKind, Region
from claims.regions.services import due_date
from claims.regions.settings import county_setting
from claims.survey.models import FieldSurvey, SurveyAssignment
from claims.survey.permissions import conflict_problem
from claims.workflow.audit import record_event
from claims.workflow.models import AuditEvent
from claims.workflow.notify import claimant, county_approvers, register_notice, township_clerks
from claims.workflow.reasons import RefusalReason
from claims.workflow.services import WorkflowError, apply_transition
from claims.workflow.states import ClaimStatus, Transition, register

NOTICE_SOURCES = frozenset({ClaimStatus.VALUED, ClaimStatus.INSURER_DECIDED})
# Actions that make a person the filer, surveyor or valuer of a claim (separation of duties).
PARTY_ACTIONS = frozenset(
    {"draft_started", "submit", "resubmit", "survey_eligible", "survey_refused", "value", "valuation_computed", "valuation_recomputed", "valuation_adjusted"}
)


def award_total(claim: Claim) -> Decimal:
    split = db.session.get(Split, claim.id)
    return (split.insurer_share + split.government_share) if split else Decimal("0.00")


def ready_for_notice(township: Region) -> list[Claim]:
    query = select(Claim).where(Claim.township_id == township.id, Claim.status.in_(NOTICE_SOURCES)).order_by(Claim.id)
    return [c for c in db.session.execute(query).scalars() if db.session.get(Split, c.id) is not None]


def current_entry(claim: Claim) -> NoticeEntry | None:
    query = select(NoticeEntry).where(NoticeEntry.claim_id == claim.id, NoticeEntry.withdrawn.is_(False)).order_by(NoticeEntry.id.desc())
    return db.session.execute(query.limit(1)).scalar_one_or_none()


# Guards and effects ---------------------------------------------------------------------------------
def _has_split(claim: Claim, actor: User, data: dict[str, Any]) -> str | None:
    return None if db.session.get(Split, claim.id) is not None else _("The award has not been split between insurer and government yet.")


def _notice_over(claim: Claim, actor: User, data: dict[str, Any]) -> str | None:
    entry = current_entry(claim)
    if entry is None:
        return _("The claim is not on a public notice.")
    if local_today() <= entry.batch.end_date:
        return _("The public notice runs until %(day)s; approval is possible after it.", day=entry.batch.end_date.isoformat())
    return None


def party_problem(claim: Claim, user: User) -> str | None:
    """Whoever filed, surveyed or valued a claim may not approve it (quality.md 7)."""
    events = select(AuditEvent.id).where(AuditEvent.claim_id == claim.id, AuditEvent.actor_id == user.id, AuditEvent.action.in_(PARTY_ACTIONS))
    surveyed = select(SurveyAssignment.id).where(SurveyAssignment.claim_id == claim.id, SurveyAssignment.surveyors.any(User.id == user.id))
    recorded = select(FieldSurvey.id).where(FieldSurvey.claim_id == claim.id, FieldSurvey.recorded_by_id == user.id)
    if any(db.session.execute(q.limit(1)).first() for q in (events, surveyed, recorded)):
        return _("You filed, surveyed or valued this claim, so you may not approve it.")
    return conflict_problem(claim, user)


def _not_a_party(claim: Claim, actor: User, data: dict[str, Any]) -> str | None:
    return party_problem(claim, actor)


def _second_approver(claim: Claim, actor: User, data: dict[str, Any]) -> str | None:
    if award_total(claim) <= county_setting(claim.county, "second_approval_above"):
        return None
    others = [a for a in approvals_this_round(claim) if a.approved and a.approver_id != actor.id]
    return None if others else _("Above %(limit)s yuan a second approver must approve too.", limit=county_setting(claim.county, "second_approval_above"))


def _on_notice(claim: Claim, actor: User, data: dict[str, Any]) -> None:
    batch: NoticeBatch = data["batch"]
    db.session.add(NoticeEntry(batch=batch, claim_id=claim.id, amount=award_total(claim)))
    claim.due_at = batch.end_date


def _on_objection(claim: Claim, actor: User, data: dict[str, Any]) -> None:
    entry = current_entry(claim)
    if entry is not None:
        entry.withdrawn = True
        db.session.add(Objection(batch_id=entry.batch_id, claim_id=claim.id, objector=data["objector"], reason=data["reason"], recorded_by_id=actor.id))
    claim.due_at = due_date(claim.county, LimitKind.VALUATION)


def _on_approve(claim: Claim, actor: User, data: dict[str, Any]) -> None:
    from claims.insurance.services import award_lines

    split = db.session.get(Split, claim.id)
    assert split is not None
    approvers = [a.approver_id for a in approvals_this_round(claim) if a.approved] + [actor.id]
    db.session.add(
        Approval(claim_id=claim.id, approver_id=actor.id, round=claim_round(claim), approved=True, amount=award_total(claim), reason=data.get("reason"))
    )
    decision = db.session.get(Decision, claim.id) or Decision(claim_id=claim.id)
    decision.total = split.insurer_share + split.government_share
    decision.insurer_share, decision.government_share, decision.policy_id = split.insurer_share, split.government_share, split.policy_id
    decision.lines = [{"category": line.category, "label": line.label, "amount": str(line.amount)} for line in award_lines(claim)]
    decision.payee_name = claim.claimant_name or ""
    decision.approvers = sorted(set(approvers))
    db.session.add(decision)
    for share, amount in ((Share.GOVERNMENT, split.government_share), (Share.INSURER, split.insurer_share)):
        if amount > 0:
            from claims.approval.payments import new_payment

            new_payment(claim, share, amount)
    claim.due_at = due_date(claim.county, LimitKind.PAYMENT)


def _on_refuse(claim: Claim, actor: User, data: dict[str, Any]) -> None:
    db.session.add(
        Approval(claim_id=claim.id, approver_id=actor.id, round=claim_round(claim), approved=False, amount=award_total(claim), reason=data.get("explanation"))
    )
    claim.decision_reasons = [str(RefusalReason(r)) for r in data["reasons"]]
    claim.decision_explanation = data.get("explanation")
    claim.due_at = None


APPROVER = frozenset({Role.APPROVER})
register(Transition("start_notice", _l("Put on public notice"), NOTICE_SOURCES, ClaimStatus.IN_NOTICE, frozenset({Role.CLERK}), (_has_split,), _on_notice))
register(
    Transition(
        "objection",
        _l("Record an objection"),
        frozenset({ClaimStatus.IN_NOTICE}),
        ClaimStatus.VALUED,
        frozenset({Role.CLERK}),
        (),
        _on_objection,
        reason_required=True,
    )
)
register(
    Transition(
        "approve",
        _l("Approve"),
        frozenset({ClaimStatus.IN_NOTICE}),
        ClaimStatus.APPROVED,
        APPROVER,
        (_notice_over, _not_a_party, _second_approver),
        _on_approve,
    )
)
register(
    Transition(
        "refuse_award",
        _l("Refuse"),
        frozenset({ClaimStatus.IN_NOTICE}),
        ClaimStatus.NOT_COMPENSATED,
        APPROVER,
        (_notice_over, _not_a_party),
        _on_refuse,
        reason_required=True,
    )
)

register_notice("start_notice", _l("Claim %(number)s is on public notice in the village."), claimant)
register_notice(
    "objection",
    _l("Claim %(number)s: an objection was raised during the public notice; the county reviews it."),
    lambda c, d: claimant(c, d) + county_approvers(c, d),
)
register_notice("approve", _l("Claim %(number)s was approved; payment follows."), lambda c, d: claimant(c, d) + township_clerks(c, d), sms_claimant=True)
register_notice("refuse_award", _l("Claim %(number)s: the county decided not to compensate. The reasons are on the claim page."), claimant, sms_claimant=True)


def claim_round(claim: Claim) -> int:
    """Approval round: one more than the number of objections, so approvals before an objection do not count."""
    query = select(Objection.id).where(Objection.claim_id == claim.id)
    return len(db.session.execute(query).all()) + 1


def approvals_this_round(claim: Claim) -> list[Approval]:
    query = select(Approval).where(Approval.claim_id == claim.id, Approval.round == claim_round(claim)).order_by(Approval.id)
    return list(db.session.execute(query).scalars())


# Services -------------------------------------------------------------------------------------------
def create_notice_batch(township: Region, claims: list[Claim], start: date, *, actor: User) -> NoticeBatch:
    if not claims:
        raise WorkflowError(_("Choose at least one claim for the notice."))
    if actor.role != Role.CLERK or actor.region_id != township.id:
        raise WorkflowError(_("You may not take this step on this claim."))
    days = county_setting(township.parent, "notice_days", start)
    batch = NoticeBatch(township_id=township.id, start_date=start, end_date=start + timedelta(days=days - 1), created_by_id=actor.id)
    db.session.add(batch)
    db.session.flush()
    for claim in claims:
        if claim.township_id != township.id:
            raise WorkflowError(_("Claim %(number)s is not in this township.", number=claim.number))
        apply_transition(claim, "start_notice", actor=actor, data={"batch": batch, "changes": {"batch": batch.id, "until": batch.end_date.isoformat()}})
    from claims.approval.documents import issue_notice_list

    db.session.flush()
    db.session.refresh(batch, ["entries"])
    issue_notice_list(batch, actor=actor)
    record_event(
        entity="notice_batch",
        entity_id=batch.id,
        action="notice_created",
        actor=actor,
        changes={"claims": [c.number for c in claims], "start": start.isoformat(), "days": days},
    )
    return batch


def record_objection(claim: Claim, objector: str, reason: str, *, actor: User) -> None:
    entry = current_entry(claim)
    if entry is None or not (entry.batch.start_date <= local_today() <= entry.batch.end_date):
        raise WorkflowError(_("Objections can be recorded only during the notice period."))
    if not objector.strip() or not reason.strip():
        raise WorkflowError(_("Say who objected and why."))
    apply_transition(
        claim, "objection", actor=actor, reason=reason, data={"objector": objector.strip(), "reason": reason.strip(), "changes": {"objector": objector.strip()}}
    )


def approve(claim: Claim, *, actor: User, reason: str | None = None, expected_version: int | None = None) -> bool:
    """Approve, or record the first of two approvals above the county's amount. True when approved."""
    if claim.status != ClaimStatus.IN_NOTICE:
        raise WorkflowError(_("This step is not possible while the claim is “%(status)s”.", status=claim.status.title))
    problem = _notice_over(claim, actor, {}) or party_problem(claim, actor)
    if problem:
        raise WorkflowError(problem)
    if actor.role != Role.APPROVER or actor.region_id != claim.county_id:
        raise WorkflowError(_("You may not take this step on this claim."))
    if any(a.approver_id == actor.id for a in approvals_this_round(claim)):
        raise WorkflowError(_("You have approved this claim already; a different approver must approve too."))
    if _second_approver(claim, actor, {}) is not None:
        db.session.add(Approval(claim_id=claim.id, approver_id=actor.id, round=claim_round(claim), approved=True, amount=award_total(claim), reason=reason))
        record_event(entity="claim", action="first_approval", actor=actor, claim=claim, reason=reason, changes={"amount": str(award_total(claim))})
        return False
    apply_transition(claim, "approve", actor=actor, reason=reason, data={"reason": reason}, expected_version=expected_version)
    return True


def refuse(claim: Claim, reasons: list[str], explanation: str, *, actor: User, expected_version: int | None = None) -> None:
    data = {"reasons": reasons, "explanation": explanation, "changes": {"reasons": reasons}}
    if not reasons:
        raise WorkflowError(_("Choose at least one reason."))
    apply_transition(claim, "refuse_award", actor=actor, reason=explanation, data=data, expected_version=expected_version)


def approval_queue(county_id: int) -> list[Claim]:
    query = select(Claim).where(Claim.county_id == county_id, Claim.status == ClaimStatus.IN_NOTICE).order_by(Claim.due_at, Claim.id)
    return list(db.session.execute(query).scalars())


def payments_of(claim: Claim) -> list[Payment]:
    return list(db.session.execute(select(Payment).where(Payment.claim_id == claim.id).order_by(Payment.id)).scalars())
