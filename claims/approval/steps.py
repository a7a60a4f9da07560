"""The checks and effects of public notice, objection, approval, refusal, payment and closing, named by claims.lifecycle."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_babel import gettext as _

from claims.accounts.models import User
from claims.approval.advances import advance_of, advance_payment_failed, net_of_advance, quote_advance
from claims.approval.models import Advance, Approval, Decision, NoticeBatch, NoticeEntry, Objection, ObjectionOutcome, PaymentStatus, Share
from claims.approval.services import (
    approvals_this_round,
    award_total,
    claim_round,
    current_entry,
    new_payment,
    open_objection,
    party_problem,
    payments_of,
)
from claims.core.time import local_today, utcnow
from claims.extensions import db
from claims.insurance.models import Split
from claims.insurance.services import award_lines, release_award
from claims.intake.models import Claim
from claims.regions.models import LimitKind
from claims.regions.services import add_working_days, due_date
from claims.regions.settings import county_setting
from claims.workflow.audit import record_event
from claims.workflow.reasons import RefusalReason


def has_split(claim: Claim, actor: User, data: dict[str, Any]) -> str | None:
    return None if db.session.get(Split, claim.id) is not None else _("The award has not been split between insurer and government yet.")


def notice_over(claim: Claim, actor: User, data: dict[str, Any]) -> str | None:
    entry = current_entry(claim)
    if entry is None:
        return _("The claim is not on a public notice.")
    if local_today() <= entry.batch.end_date:
        return _("The public notice runs until %(day)s; approval is possible after it.", day=entry.batch.end_date.isoformat())
    return None


def not_a_party(claim: Claim, actor: User, data: dict[str, Any]) -> str | None:
    return party_problem(claim, actor)


def second_approver(claim: Claim, actor: User, data: dict[str, Any]) -> str | None:
    if award_total(claim) <= county_setting(claim.county, "second_approval_above"):
        return None
    others = [a for a in approvals_this_round(claim) if a.approved and a.approver_id != actor.id]
    return None if others else _("Above %(limit)s yuan a second approver must approve too.", limit=county_setting(claim.county, "second_approval_above"))


def on_notice(claim: Claim, actor: User, data: dict[str, Any]) -> None:
    batch: NoticeBatch = data["batch"]
    db.session.add(NoticeEntry(batch=batch, claim_id=claim.id, amount=award_total(claim)))
    claim.due_at = batch.end_date


def on_objection(claim: Claim, actor: User, data: dict[str, Any]) -> None:
    """The objection goes on record and to the county's review queue; the claim stays on its notice meanwhile."""
    entry = current_entry(claim)
    assert entry is not None, "an objection outside a notice"
    objection = Objection(
        batch_id=entry.batch_id,
        claim_id=claim.id,
        objector=data["objector"],
        objector_mobile=data.get("objector_mobile"),
        reason=data["reason"],
        recorded_by_id=actor.id,
    )
    db.session.add(objection)
    data["objection"] = objection
    claim.due_at = due_date(claim.county, LimitKind.OBJECTION)


def may_review(claim: Claim, actor: User, data: dict[str, Any]) -> str | None:
    """A county officer or approver who did not file, survey or value the claim reviews the objection to it."""
    return party_problem(claim, actor, _("You filed, surveyed or valued this claim, so you may not review the objection to it."))


def _record_finding(claim: Claim, actor: User, data: dict[str, Any]) -> Objection:
    objection = open_objection(claim)
    assert objection is not None, "a review without an objection"
    objection.outcome = data["outcome"]
    objection.finding = data["finding"].strip()
    objection.reviewed_by_id = actor.id
    objection.reviewed_at = utcnow()
    data["objection"] = objection
    return objection


def on_objection_upheld(claim: Claim, actor: User, data: dict[str, Any]) -> None:
    """Upheld: the notice no longer stands; the claim is surveyed or valued again, then goes on a new notice."""
    _record_finding(claim, actor, data)
    entry = current_entry(claim)
    if entry is not None:
        entry.withdrawn = True
    release_award(claim)  # the insurer's draws and the split of the old figures go; the new ones replace them
    kind = LimitKind.SURVEY if data["outcome"] == ObjectionOutcome.RESURVEY else LimitKind.VALUATION
    claim.due_at = due_date(claim.county, kind)


def on_objection_dismissed(claim: Claim, actor: User, data: dict[str, Any]) -> None:
    """Not upheld: back on the notice, which runs to its end; approval follows once it has."""
    _record_finding(claim, actor, data)
    entry = current_entry(claim)
    assert entry is not None, "an objection outside a notice"
    claim.due_at = entry.batch.end_date if local_today() <= entry.batch.end_date else due_date(claim.county, LimitKind.APPROVAL)


def advance_not_failed(claim: Claim, actor: User, data: dict[str, Any]) -> str | None:
    """[design] The final decision deducts the advance, so it waits while the advance's payment has failed: the account
    is corrected and the advance paid again first (docs/payments.md section 4)."""
    if advance_payment_failed(claim):
        return _("The advance's payment failed: correct the bank account and pay the advance again before the final approval.")
    return None


def on_approve(claim: Claim, actor: User, data: dict[str, Any]) -> None:
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
    decision.bank_name, decision.bank_account = claim.bank_name, claim.bank_account  # payments go here (approval.payments.payee_of)
    decision.approvers = sorted(set(approvers))
    db.session.add(decision)
    _pay_net_of_advance(claim, actor, decision)
    claim.due_at = due_date(claim.county, LimitKind.PAYMENT)


def _pay_net_of_advance(claim: Claim, actor: User, decision: Decision) -> None:
    """The shares' payments, less an approved advance (claims/approval/advances.py); an advance larger than the award
    pays nothing more and its overpayment goes on record."""
    advance = advance_of(claim)
    decision.advance_paid = advance.amount if advance is not None and advance.approved_at is not None else Decimal("0.00")
    net = net_of_advance(decision.government_share, decision.insurer_share, decision.advance_paid)
    for share, amount in ((Share.GOVERNMENT, net.government), (Share.INSURER, net.insurer)):
        if amount > 0:
            new_payment(claim, share, amount)
    if net.overpaid:
        changes = {"advance": str(decision.advance_paid), "award": str(decision.total), "overpaid": str(net.overpaid)}
        record_event(entity="claim", action="advance_overpaid", actor=actor, claim=claim, changes=changes)


def on_refused_advance(claim: Claim, actor: User, data: dict[str, Any]) -> None:
    """A claim refused (by the survey or the final decision) with an advance: a request not approved lapses; an
    approved advance not sent to the bank is no longer paid (advance batches leave it out); one paid already was paid
    too much (advance_overpaid; one still at the bank is recorded so when it is paid, approval.payments.settle)."""
    advance = advance_of(claim)
    if advance is None:
        return
    if advance.approved_at is None:
        record_event(entity="claim", action="advance_lapsed", actor=actor, claim=claim, changes={"amount": str(advance.amount)})
        return
    payments = [p for p in payments_of(claim) if p.share == Share.ADVANCE]
    if any(p.status == PaymentStatus.PAID for p in payments):
        record_advance_overpaid(claim, advance.amount, actor=actor)
    elif all(p.status in (PaymentStatus.PENDING, PaymentStatus.FAILED) and p.batch_id is None for p in payments):
        record_event(entity="claim", action="advance_withheld", actor=actor, claim=claim, changes={"amount": str(advance.amount)})


def record_advance_overpaid(claim: Claim, amount: Decimal, *, actor: User) -> None:
    """An advance paid on a claim then refused: all of it was paid too much (to be recovered, outside the app)."""
    changes = {"advance": str(amount), "award": "0.00", "overpaid": str(amount)}
    record_event(entity="claim", action="advance_overpaid", actor=actor, claim=claim, changes=changes)


def on_refuse(claim: Claim, actor: User, data: dict[str, Any]) -> None:
    db.session.add(
        Approval(claim_id=claim.id, approver_id=actor.id, round=claim_round(claim), approved=False, amount=award_total(claim), reason=data.get("explanation"))
    )
    release_award(claim)  # nothing is paid: the policy's limits get back what the claim drew
    claim.decision_reasons = [str(RefusalReason(r)) for r in data["reasons"]]
    claim.decision_explanation = data.get("explanation")
    claim.due_at = None
    on_refused_advance(claim, actor, data)


def not_approved_yet(claim: Claim, actor: User, data: dict[str, Any]) -> str | None:
    """An approver who approved in this round waits for a second one: approving again is refused."""
    if any(a.approver_id == actor.id for a in approvals_this_round(claim)):
        return _("You have approved this claim already; a different approver must approve too.")
    return None


def on_close(claim: Claim, actor: User, data: dict[str, Any]) -> None:
    claim.due_at = None


# The advance on injury and death (claims/approval/advances.py): the status stays as it is --------------------
def advance_possible(claim: Claim, actor: User, data: dict[str, Any]) -> str | None:
    """One advance per claim, of an injury or death, where the county's settings give an amount."""
    if advance_of(claim) is not None:
        return _("An advance was already requested for this claim.")
    return quote_advance(claim).problem


def on_request_advance(claim: Claim, actor: User, data: dict[str, Any]) -> None:
    """The advance as the settings give it today, to be approved by one approver within a working day."""
    quote = quote_advance(claim)
    due = add_working_days(local_today(), 1)
    db.session.add(
        Advance(
            claim_id=claim.id,
            county_id=claim.county_id,
            amount=quote.amount,
            basis=quote.basis,
            requested_by_id=actor.id,
            due_on=due,
            payee_name=claim.claimant_name or "",
        )
    )
    data["params"] = {"amount": f"{quote.amount:,.2f}", "due": due.isoformat()}
    data["changes"] = {"amount": str(quote.amount), "basis": quote.basis}


def advance_waiting(claim: Claim, actor: User, data: dict[str, Any]) -> str | None:
    advance = advance_of(claim)
    if advance is None:
        return _("No advance was requested for this claim.")
    return _("The advance was approved already.") if advance.approved_at is not None else None


def on_refuse_advance(claim: Claim, actor: User, data: dict[str, Any]) -> None:
    """[design] The approver refuses the request, with a reason (the audit keeps it and the amount): the request is
    removed, so the claim goes on as before and a new request may follow if the facts change (a valuation, a death)."""
    advance = advance_of(claim)
    assert advance is not None
    data["params"] = {"amount": f"{advance.amount:,.2f}", "reason": data.get("reason", "")}
    data["changes"] = {"amount": str(advance.amount), "basis": advance.basis}
    data["advance_requested_by"] = advance.requested_by  # told too (claims.lifecycle.advance_requester)
    db.session.delete(advance)


def has_bank_account(claim: Claim, actor: User, data: dict[str, Any]) -> str | None:
    return None if claim.bank_account else _("The claim has no bank account to pay the advance into.")


def on_approve_advance(claim: Claim, actor: User, data: dict[str, Any]) -> None:
    """One approver decides (no public notice, no second approver); the account is frozen and the advance's payment
    waits for the county's next advance batch."""
    advance = advance_of(claim)
    assert advance is not None
    advance.approved_by_id, advance.approved_at = actor.id, utcnow()
    advance.payee_name, advance.bank_name, advance.bank_account = claim.claimant_name or "", claim.bank_name, claim.bank_account
    new_payment(claim, Share.ADVANCE, advance.amount)
    data["advance_requested_by"] = advance.requested_by
    data["params"] = {"amount": f"{advance.amount:,.2f}"}
    data["changes"] = {"amount": str(advance.amount)}
