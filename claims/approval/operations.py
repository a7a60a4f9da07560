"""The approval operations the pages call: put claims on public notice, record an objection, approve, refuse."""

from __future__ import annotations

from datetime import date, timedelta

from flask_babel import gettext as _

from claims.accounts.models import Role, User
from claims.approval.documents import issue_notice_list
from claims.approval.models import Approval, NoticeBatch, ObjectionOutcome
from claims.approval.payments import close_when_all_paid
from claims.approval.services import approvals_this_round, award_total, claim_round, current_entry, party_problem
from claims.approval.steps import advance_not_failed, notice_over, second_approver
from claims.core.time import local_today
from claims.extensions import db
from claims.intake.models import Claim
from claims.lifecycle import apply_transition, lock_claim, notify_event
from claims.regions.models import Region
from claims.regions.settings import county_setting
from claims.workflow.audit import record_event
from claims.workflow.services import ClaimChanged, WorkflowError
from claims.workflow.states import ClaimStatus

# [design] A notice is prepared at most a month ahead (a batch waiting longer holds its claims back).
MAX_NOTICE_LEAD_DAYS = 30


def create_notice_batch(township: Region, claims: list[Claim], start: date, *, actor: User) -> NoticeBatch:
    if not claims:
        raise WorkflowError(_("Choose at least one claim for the notice."))
    if start < local_today():
        raise WorkflowError(_("A notice cannot start before today: the villagers need the whole period to object."))
    if start > local_today() + timedelta(days=MAX_NOTICE_LEAD_DAYS):
        raise WorkflowError(_("A notice can start at most %(days)d days from today.", days=MAX_NOTICE_LEAD_DAYS))
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


def record_objection(claim: Claim, objector: str, reason: str, *, actor: User, objector_mobile: str | None = None) -> None:
    """An objection raised in the village during the notice: it goes to the county's review queue."""
    lock_claim(claim)
    if claim.status == ClaimStatus.OBJECTION_REVIEW:
        raise WorkflowError(_("An objection to this claim is already under review."))
    entry = current_entry(claim)
    if entry is None or not (entry.batch.start_date <= local_today() <= entry.batch.end_date):
        raise WorkflowError(_("Objections can be recorded only during the notice period."))
    if not objector.strip() or not reason.strip():
        raise WorkflowError(_("Say who objected and why."))
    mobile = (objector_mobile or "").strip() or None
    data = {"objector": objector.strip(), "objector_mobile": mobile, "reason": reason.strip(), "changes": {"objector": objector.strip()}}
    apply_transition(claim, "objection", actor=actor, reason=reason, data=data)


REVIEW_STEPS = {
    ObjectionOutcome.RESURVEY: "uphold_objection_survey",
    ObjectionOutcome.REVALUE: "uphold_objection_value",
    ObjectionOutcome.NOT_UPHELD: "dismiss_objection",
}


def review_objection(claim: Claim, outcome: ObjectionOutcome, finding: str, *, actor: User, expected_version: int | None = None) -> None:
    """The county's finding on the objection under review, with its reasons."""
    data = {"outcome": outcome, "finding": finding, "changes": {"outcome": str(outcome)}}
    apply_transition(claim, REVIEW_STEPS[outcome], actor=actor, reason=finding.strip(), data=data, expected_version=expected_version)


def approve(claim: Claim, *, actor: User, reason: str | None = None, expected_version: int | None = None) -> bool:
    """Approve, or record the first of two approvals above the county's amount. True when approved."""
    lock_claim(claim)
    if expected_version is not None and claim.version != expected_version:
        raise ClaimChanged()
    if claim.status != ClaimStatus.IN_NOTICE:
        raise WorkflowError(_("This step is not possible while the claim is “%(status)s”.", status=claim.status.title))
    problem = notice_over(claim, actor, {}) or party_problem(claim, actor) or advance_not_failed(claim, actor, {})
    if problem:
        raise WorkflowError(problem)
    if actor.role != Role.APPROVER or actor.region_id != claim.county_id:
        raise WorkflowError(_("You may not take this step on this claim."))
    if any(a.approver_id == actor.id for a in approvals_this_round(claim)):
        raise WorkflowError(_("You have approved this claim already; a different approver must approve too."))
    if second_approver(claim, actor, {}) is not None:
        db.session.add(Approval(claim_id=claim.id, approver_id=actor.id, round=claim_round(claim), approved=True, amount=award_total(claim), reason=reason))
        record_event(entity="claim", action="first_approval", actor=actor, claim=claim, reason=reason, changes={"amount": str(award_total(claim))})
        notify_event(claim, "second_approval", actor=actor)
        return False
    apply_transition(claim, "approve", actor=actor, reason=reason, data={"reason": reason}, expected_version=expected_version)
    close_when_all_paid(claim, actor)  # an advance, paid already, covered the whole award: nothing is left to pay
    return True


def refuse(claim: Claim, reasons: list[str], explanation: str, *, actor: User, expected_version: int | None = None) -> None:
    data = {"reasons": reasons, "explanation": explanation, "changes": {"reasons": reasons}}
    if not reasons:
        raise WorkflowError(_("Choose at least one reason."))
    apply_transition(claim, "refuse_award", actor=actor, reason=explanation, data=data, expected_version=expected_version)


def request_advance(claim: Claim, *, actor: User, reason: str | None = None, expected_version: int | None = None) -> None:
    """The township clerk or a county officer asks for the advance on an injury or death the settings allow; a county
    approver decides within a working day."""
    apply_transition(claim, "request_advance", actor=actor, reason=reason, expected_version=expected_version)


def refuse_advance(claim: Claim, *, actor: User, reason: str, expected_version: int | None = None) -> None:
    """One approver refuses the requested advance, saying why; the claim goes on, and a new request may follow."""
    apply_transition(claim, "refuse_advance", actor=actor, reason=reason, data={"reason": reason.strip()}, expected_version=expected_version)


def approve_advance(claim: Claim, *, actor: User, expected_version: int | None = None) -> None:
    """One approver approves the advance: its decision is issued and its payment waits for the next advance batch."""
    apply_transition(claim, "approve_advance", actor=actor, expected_version=expected_version)
