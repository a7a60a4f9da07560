"""Paying the approved shares: bank transfer batches, results, failures, the insurer's own payment.

A share of a claim is paid once: `Settlement` has (claim, share) as its primary key, and every
confirmation goes through `settle`, which is idempotent for the same payment and refuses another.
"""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from claims.accounts.models import Role, User
from claims.approval.advances import PAYABLE_SOURCES, advance_of, net_of_advance
from claims.approval.documents import issue_payment_list
from claims.approval.models import Advance, Decision, Payment, PaymentBatch, PaymentStatus, Settlement, Share
from claims.approval.services import new_payment
from claims.approval.steps import record_advance_overpaid
from claims.core.crypto import lookup_hash, mask_account
from claims.core.spreadsheet import spreadsheet_text
from claims.core.time import local_today, utcnow
from claims.extensions import db
from claims.insurance.models import Referral
from claims.insurance.permissions import insurer_of
from claims.intake.models import Claim
from claims.lifecycle import apply_transition, notify_event
from claims.regions.models import Region
from claims.reports.figures import counted_once, refresh_claim
from claims.workflow.audit import record_event
from claims.workflow.services import WorkflowError
from claims.workflow.states import ClaimStatus

CSV_COLUMNS = ["reference", "payee_name", "bank_name", "account", "amount", "claim_number"]
PAYERS = frozenset({Role.APPROVER, Role.INSURER})
ADVANCE_BATCH = "A"  # the reference's first letter of a batch of advances (PaymentBatch.advances)


class PaymentError(WorkflowError):
    pass


def create_batch(county: Region, *, actor: User, advances: bool = False) -> PaymentBatch:
    """Every pending government payment of the county's approved claims, in one bank transfer file; with `advances`,
    every pending advance instead, in a batch of their own (reference A...: paid within the day, apart from awards);
    an advance of a claim refused since its approval is left out (docs/payments.md section 4)."""
    if actor.role != Role.APPROVER or actor.region_id != county.id:
        raise PaymentError(_("You may not take this step on this claim."))
    awards = (Payment.share == Share.GOVERNMENT) & (Claim.status == ClaimStatus.APPROVED)
    due = (Payment.share == Share.ADVANCE) & Claim.status.in_(PAYABLE_SOURCES) if advances else awards
    query = (
        select(Payment)
        .join(Claim, Claim.id == Payment.claim_id)
        .where(Claim.county_id == county.id, due, Payment.status == PaymentStatus.PENDING, Payment.batch_id.is_(None))
    )
    payments = list(db.session.execute(query.order_by(Payment.id)).scalars())
    if not payments:
        raise PaymentError(_("No approved advances are waiting.") if advances else _("No approved payments are waiting."))
    prefix = ADVANCE_BATCH if advances else "B"
    batch = PaymentBatch(
        county_id=county.id,
        reference=f"{prefix}{county.code}{local_today():%Y%m%d}{secrets.token_hex(2).upper()}",
        created_by_id=actor.id,
        payment_count=len(payments),
    )
    db.session.add(batch)
    db.session.flush()
    for payment in payments:
        payment.batch_id = batch.id
    record_event(entity="payment_batch", entity_id=batch.id, action="batch_created", actor=actor, changes={"payments": [p.reference for p in payments]})
    return batch


def export_csv(batch: PaymentBatch, *, actor: User) -> bytes:
    """The bank transfer file (layout: docs/payments.md). UTF-8 with BOM, so spreadsheets read the Chinese.

    Each line goes to the bank once: a batch exported before is refused unless it was reopened, with a reason
    (`reopen_batch`), since. The payee and account are the ones frozen in the decision at approval."""
    batch = _locked_batch(batch)
    if not batch.export_allowed:
        raise PaymentError(_("This batch was sent to the bank already. Reopen it, with the reason, to send it again."))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    lines = 0
    for payment in batch.payments:
        if payment.status not in (PaymentStatus.PENDING, PaymentStatus.EXPORTED):
            continue
        payee = payee_of(payment.claim, payment.share)
        if not payee.bank_account:
            raise PaymentError(_("Claim %(number)s has no approved bank account.", number=payment.claim.number))
        name, bank = spreadsheet_text(payee.payee_name), spreadsheet_text(payee.bank_name)
        writer.writerow([payment.reference, name, bank, payee.bank_account, f"{payment.amount:.2f}", payment.claim.number])
        payment.status = PaymentStatus.EXPORTED
        lines += 1
    issue_payment_list(batch, actor=actor)
    batch.exported_at, batch.reopened = utcnow(), False
    record_event(entity="payment_batch", entity_id=batch.id, action="batch_exported", actor=actor, changes={"lines": lines})
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def reopen_batch(batch: PaymentBatch, reason: str, *, actor: User) -> None:
    """Allow one more export of a batch sent before (the bank lost or refused the file), for a recorded reason."""
    batch = _locked_batch(batch)
    if actor.role != Role.APPROVER or actor.region_id != batch.county_id:
        raise PaymentError(_("You may not take this step on this claim."))
    if batch.export_allowed:
        raise PaymentError(_("This batch can be exported now; there is nothing to reopen."))
    if not (reason or "").strip():
        raise PaymentError(_("Say why the batch must be sent to the bank again."))
    batch.reopened, batch.reopened_at, batch.reopened_by_id, batch.reopen_reason = True, utcnow(), actor.id, reason.strip()
    record_event(entity="payment_batch", entity_id=batch.id, action="batch_reopened", actor=actor, reason=batch.reopen_reason)


def _locked_batch(batch: PaymentBatch) -> PaymentBatch:
    """The batch row, locked for this transaction and read fresh: two exports or imports at once take turns."""
    query = select(PaymentBatch).where(PaymentBatch.id == batch.id).with_for_update().execution_options(populate_existing=True)
    return db.session.execute(query).scalar_one()


@dataclass(frozen=True)
class Payee:
    payee_name: str
    bank_name: str
    bank_account: str


def payee_of(claim: Claim, share: Share = Share.GOVERNMENT) -> Payee:
    """Who is paid, and into which account: what was frozen at approval (or re-frozen after a failed payment); for an
    advance, what was frozen when the advance was approved."""
    frozen = advance_of(claim) if share == Share.ADVANCE else db.session.get(Decision, claim.id)
    if frozen is None:
        return Payee("", "", "")
    return Payee(frozen.payee_name, frozen.bank_name or "", frozen.bank_account or "")


def payees_of(claim_ids: Iterable[int], *, advances: bool = False) -> dict[int, Payee]:
    """`payee_of` of many claims in one query (a batch's page calls this once); of their advances for an advance batch."""
    ids = list(claim_ids)
    frozen: Any = Advance if advances else Decision
    decisions = db.session.execute(select(frozen).where(frozen.claim_id.in_(ids))).scalars() if ids else []
    found = {d.claim_id: Payee(d.payee_name, d.bank_name or "", d.bank_account or "") for d in decisions}
    return {i: found.get(i, Payee("", "", "")) for i in ids}


def settle(payment: Payment, bank_reference: str | None, *, actor: User) -> bool:
    """Record that the bank (or insurer) paid. Idempotent for this payment; a second payment of the share is refused."""
    if payment.status == PaymentStatus.PAID:
        return False
    if payment.status == PaymentStatus.FAILED:
        raise PaymentError(_("Payment %(ref)s failed earlier; a corrected payment replaces it.", ref=payment.reference))
    try:
        with db.session.begin_nested():
            db.session.add(Settlement(claim_id=payment.claim_id, share=payment.share, payment_id=payment.id, amount=payment.amount))
    except IntegrityError:
        raise PaymentError(_("This share of claim %(number)s is already paid.", number=payment.claim.number)) from None
    payment.status = PaymentStatus.PAID
    payment.bank_reference = bank_reference
    payment.settled_at = utcnow()
    payment.recorded_by_id = actor.id
    record_event(
        entity="claim",
        action="payment_settled",
        actor=actor,
        claim=payment.claim,
        changes={"share": payment.share.value, "amount": str(payment.amount), "reference": bank_reference},
    )
    if payment.share == Share.ADVANCE and payment.claim.status == ClaimStatus.NOT_COMPENSATED:
        record_advance_overpaid(payment.claim, payment.amount, actor=actor)  # sent to the bank before the refusal
    with counted_once():  # the claim's bucket counted once, after the steps the payment may cause
        refresh_claim(payment.claim)  # the dashboards' paid figures, when one share is paid and the other still due
        close_when_all_paid(payment.claim, actor)
    return True


def close_when_all_paid(claim: Claim, actor: User) -> None:
    """Paid and closed once every share the decision still pays is settled, the advance's payment included (an award
    the advance covered closes when the advance arrives, not before). A decision that pays nothing at all stays."""
    decision = db.session.get(Decision, claim.id)
    if decision is None or claim.status != ClaimStatus.APPROVED:
        return
    net = net_of_advance(decision.government_share, decision.insurer_share, decision.advance_paid)
    due = {share for share, amount in ((Share.GOVERNMENT, net.government), (Share.INSURER, net.insurer), (Share.ADVANCE, decision.advance_paid)) if amount > 0}
    paid = {Share(s) for s in db.session.execute(select(Settlement.share).where(Settlement.claim_id == claim.id)).scalars()}
    if due and due <= paid:
        apply_transition(claim, "pay", actor=actor)
        apply_transition(claim, "close", actor=actor)  # nothing is left to do on a paid claim


def fail(payment: Payment, reason: str, *, actor: User) -> bool:
    """The bank returned the transfer (wrong account is the common case): the clerk corrects the account."""
    if payment.status in (PaymentStatus.FAILED, PaymentStatus.PAID):
        return False
    payment.status = PaymentStatus.FAILED
    payment.failure_reason = reason[:200]
    payment.recorded_by_id = actor.id
    record_event(entity="claim", action="payment_failed", actor=actor, claim=payment.claim, reason=reason, changes={"reference": payment.reference})
    notify_event(payment.claim, "payment_failed", actor=actor)
    return True


def correct_account(claim: Claim, bank_name: str, account: str, *, actor: User, reason: str | None = None) -> Payment:
    """After a failed payment, the clerk (or the claimant) gives the right bank details: they are frozen again in the
    decision (the only change of the paid account after approval), audited and told to the claimant; a new payment
    of the failed share follows. A failed advance is corrected the same way from the advance's approval on (its own
    frozen account, `Advance`, changes too), while the claim is on its course or approved. Anyone but the claimant
    must say why."""
    failed = [p for p in db.session.execute(select(Payment).where(Payment.claim_id == claim.id, Payment.status == PaymentStatus.FAILED)).scalars()]
    open_shares = {
        p.share
        for p in db.session.execute(
            select(Payment).where(Payment.claim_id == claim.id, Payment.status.in_([PaymentStatus.PENDING, PaymentStatus.EXPORTED, PaymentStatus.PAID]))
        ).scalars()
    }
    retry = [p for p in failed if p.share not in open_shares]
    decision = db.session.get(Decision, claim.id)
    advance = advance_of(claim)
    if retry and retry[-1].share == Share.ADVANCE:
        allowed = advance is not None and advance.approved_at is not None and claim.status in PAYABLE_SOURCES
    else:
        allowed = claim.status == ClaimStatus.APPROVED and decision is not None
    if not retry or not allowed:
        raise PaymentError(_("There is no failed payment to correct."))
    reason = (reason or "").strip() or None
    if actor.id != claim.claimant_user_id and reason is None:
        raise PaymentError(_("Say why the bank account is changed: the claimant will be told."))
    claim.bank_name, claim.bank_account, claim.bank_account_hash = bank_name, account, lookup_hash(account)
    for frozen in (decision, advance if retry[-1].share == Share.ADVANCE else None):
        if frozen is not None:
            frozen.bank_name, frozen.bank_account, frozen.payee_name = bank_name, account, claim.claimant_name or frozen.payee_name
    masked = mask_account(account)
    record_event(entity="claim", action="bank_account_refrozen", actor=actor, claim=claim, reason=reason, changes={"account": masked, "bank_name": bank_name})
    notify_event(claim, "bank_account_changed", actor=actor, params={"account": masked})
    return new_payment(claim, retry[-1].share, retry[-1].amount)


@dataclass
class ImportReport:
    paid: int = 0
    failed: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)


def import_results(batch: PaymentBatch, data: bytes, *, actor: User) -> ImportReport:
    """The bank's result file: one line per reference and amount, SUCCESS or FAILED. Importing it twice changes nothing.

    Every line is checked first (its reference in this batch, its amount the one sent): one wrong line refuses
    the whole file, nothing applied. The batch's payments are then locked, so simultaneous imports take turns."""
    report = ImportReport()
    rows = _result_rows(data, report)
    checked = [_checked_row(batch, row, number, report) for number, row in rows]
    if report.errors:
        return report
    batch = _locked_batch(batch)
    locked = select(Payment).where(Payment.batch_id == batch.id).order_by(Payment.id).with_for_update().execution_options(populate_existing=True)
    by_id = {p.id: p for p in db.session.execute(locked).scalars()}
    try:
        with db.session.begin_nested():
            for (number, row), payment in zip(rows, checked, strict=True):
                _apply_row(by_id[payment.id], row, number, report, actor)
            if report.errors:
                raise _Refused()
    except _Refused:
        report.paid = report.failed = report.unchanged = 0
        return report
    record_event(
        entity="payment_batch",
        entity_id=batch.id,
        action="results_imported",
        actor=actor,
        changes={"paid": report.paid, "failed": report.failed, "unchanged": report.unchanged},
    )
    return report


class _Refused(Exception):
    """A line could not be applied: the whole file is rolled back."""


def _result_rows(data: bytes, report: ImportReport) -> list[tuple[int, dict[str, Any]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            report.errors.append(_("The file is neither UTF-8 nor GB18030 text."))
            return []
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in ("reference", "status", "amount") if c not in (reader.fieldnames or [])]
    if missing:
        report.errors.append(_("Line 1: the columns %(cols)s are missing.", cols=", ".join(missing)))
        return []
    return list(enumerate(reader, start=2))


def _checked_row(batch: PaymentBatch, row: dict[str, Any], number: int, report: ImportReport) -> Payment | None:
    """The payment a line is about, or None with the reason in the report (reference, status and amount checked)."""
    reference = (row.get("reference") or "").strip()
    payment = next((p for p in batch.payments if p.reference == reference), None)
    if payment is None:
        report.errors.append(_("Line %(n)d: reference %(ref)s is not in this batch.", n=number, ref=reference))
        return None
    if (row.get("status") or "").strip().upper() not in SUCCESS | FAILURE:
        report.errors.append(_("Line %(n)d: status must be SUCCESS or FAILED.", n=number))
        return None
    if parse_amount(row.get("amount")) != payment.amount:
        report.errors.append(
            _(
                "Line %(n)d: the amount %(got)s is not the %(sent)s yuan sent for %(ref)s. Nothing in the file was imported.",
                n=number,
                got=(row.get("amount") or "").strip() or "—",
                sent=f"{payment.amount:.2f}",
                ref=reference,
            )
        )
        return None
    return payment


SUCCESS = frozenset({"SUCCESS", "PAID", "成功"})
FAILURE = frozenset({"FAILED", "FAIL", "失败"})


def parse_amount(value: str | None) -> Decimal | None:
    """Yuan as the bank writes them (`3965.00`, `3,965.00`); None when it is no amount."""
    try:
        amount = Decimal((value or "").strip().replace(",", ""))
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None  # NaN and Infinity are no amounts


def _apply_row(payment: Payment, row: dict[str, Any], number: int, report: ImportReport, actor: User) -> None:
    try:
        if (row.get("status") or "").strip().upper() in SUCCESS:
            changed = settle(payment, (row.get("bank_reference") or "").strip() or None, actor=actor)
            report.paid += changed
        else:
            changed = fail(payment, (row.get("reason") or "").strip() or _("no reason given"), actor=actor)
            report.failed += changed
        report.unchanged += not changed
    except PaymentError as exc:
        report.errors.append(_("Line %(n)d: %(msg)s", n=number, msg=exc.message))


def record_insurer_payment(claim: Claim, amount: Decimal, reference: str, *, actor: User) -> Payment:
    """The insurer records its own payment of its share, with its reference."""
    referral = db.session.execute(select(Referral).where(Referral.claim_id == claim.id)).scalar_one_or_none()
    if referral is None or referral.policy.insurer_id != insurer_of(actor):
        raise PaymentError(_("This claim is not referred to your company."))
    payment = db.session.execute(
        select(Payment).where(
            Payment.claim_id == claim.id,
            Payment.share == Share.INSURER,
            Payment.status.in_([PaymentStatus.PENDING, PaymentStatus.EXPORTED, PaymentStatus.PAID]),
        )
    ).scalar_one_or_none()
    if payment is None:
        raise PaymentError(_("No insurer payment is due on this claim."))
    if payment.status == PaymentStatus.PAID:
        if payment.bank_reference == reference.strip():
            return payment  # the same record sent twice (a retried form): nothing to do
        raise PaymentError(_("This share of claim %(number)s is already paid.", number=claim.number))
    if amount != payment.amount:
        raise PaymentError(_("The approved insurer share is %(amount)s yuan; record exactly that amount.", amount=payment.amount))
    if not reference.strip():
        raise PaymentError(_("Give the payment reference."))
    settle(payment, reference.strip(), actor=actor)
    return payment
