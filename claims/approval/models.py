"""Public notice batches and objections, approvals, the approved decision, and payments."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from claims.accounts.models import User
from claims.core.crypto import EncryptedString
from claims.core.db import Money, UTCDateTime, intpk, str_enum
from claims.core.time import utcnow
from claims.extensions import db
from claims.intake.models import Claim
from claims.regions.models import Region


class NoticeBatch(db.Model):
    """A public notice (公示) of a township's payees, posted in the villages for a period."""

    __tablename__ = "notice_batches"
    __table_args__ = (CheckConstraint("end_date >= start_date", name="period"),)

    id: Mapped[intpk]
    township_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date, comment="last day of the notice period")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    township: Mapped[Region] = relationship()
    created_by: Mapped[User] = relationship()
    entries: Mapped[list[NoticeEntry]] = relationship(back_populates="batch", order_by="NoticeEntry.id")


class NoticeEntry(db.Model):
    __tablename__ = "notice_entries"
    __table_args__ = (UniqueConstraint("batch_id", "claim_id"),)

    id: Mapped[intpk]
    batch_id: Mapped[int] = mapped_column(ForeignKey("notice_batches.id"), index=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money())
    withdrawn: Mapped[bool] = mapped_column(default=False, comment="taken off the notice after an objection")

    batch: Mapped[NoticeBatch] = relationship(back_populates="entries")
    claim: Mapped[Claim] = relationship()


class ObjectionOutcome(enum.StrEnum):
    """The county's finding on an objection: upheld (a new survey or a new valuation, then a new notice) or not."""

    RESURVEY = "resurvey"
    REVALUE = "revalue"
    NOT_UPHELD = "not_upheld"

    @property
    def title(self) -> str:
        return str(_OUTCOME_TITLES[self])


_OUTCOME_TITLES = {
    ObjectionOutcome.RESURVEY: _l("Upheld: the damage is surveyed again"),
    ObjectionOutcome.REVALUE: _l("Upheld: the loss is valued again"),
    ObjectionOutcome.NOT_UPHELD: _l("Not upheld"),
}


class Objection(db.Model):
    __tablename__ = "objections"

    id: Mapped[intpk]
    batch_id: Mapped[int] = mapped_column(ForeignKey("notice_batches.id"), index=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    objector: Mapped[str] = mapped_column(String(100), comment="who objected (name, village)")
    objector_mobile: Mapped[str | None] = mapped_column(String(11), comment="told the outcome by text message")
    reason: Mapped[str] = mapped_column(Text)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    outcome: Mapped[ObjectionOutcome | None] = mapped_column(str_enum(ObjectionOutcome), comment="the county's finding; empty while under review")
    finding: Mapped[str | None] = mapped_column(Text, comment="the reasons of the finding")
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    recorded_by: Mapped[User] = relationship(foreign_keys=[recorded_by_id])
    reviewed_by: Mapped[User | None] = relationship(foreign_keys=[reviewed_by_id])

    @property
    def upheld(self) -> bool:
        return self.outcome in (ObjectionOutcome.RESURVEY, ObjectionOutcome.REVALUE)


class Approval(db.Model):
    """One approver's decision; above the county's amount a second, different approver must agree."""

    __tablename__ = "approvals"
    __table_args__ = (UniqueConstraint("claim_id", "approver_id", "round"),)

    id: Mapped[intpk]
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    approver_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    round: Mapped[int] = mapped_column(Integer, default=1, comment="increases when the claim comes back after an objection")
    approved: Mapped[bool] = mapped_column()
    amount: Mapped[Decimal] = mapped_column(Money())
    reason: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    approver: Mapped[User] = relationship()


class Decision(db.Model):
    """What was approved, frozen: documents and payments use exactly these figures."""

    __tablename__ = "decisions"
    __table_args__ = (Index("ix_decisions_approved_at", "approved_at"),)  # the fund ledger's year (migration 0016)

    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), primary_key=True)
    total: Mapped[Decimal] = mapped_column(Money())
    insurer_share: Mapped[Decimal] = mapped_column(Money())
    government_share: Mapped[Decimal] = mapped_column(Money())
    policy_id: Mapped[int | None] = mapped_column(ForeignKey("insurance_policies.id"))
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    payee_name: Mapped[str] = mapped_column(String(50))
    bank_name: Mapped[str | None] = mapped_column(String(100))
    bank_account: Mapped[str | None] = mapped_column(EncryptedString(), comment="encrypted; the account payments go to")
    approved_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    approvers: Mapped[list[int]] = mapped_column(JSON, default=list)
    advance_paid: Mapped[Decimal] = mapped_column(
        Money(), default=Decimal("0.00"), server_default="0", comment="the advance paid before, deducted from this decision's payments (migration 0022)"
    )


class Share(enum.StrEnum):
    GOVERNMENT = "government"
    INSURER = "insurer"
    ADVANCE = "advance"  # the advance for injury or death, paid from county funds before the final decision

    @property
    def title(self) -> str:
        return str(_SHARE_TITLES[self])


class PaymentStatus(enum.StrEnum):
    PENDING = "pending"
    EXPORTED = "exported"
    PAID = "paid"
    FAILED = "failed"

    @property
    def title(self) -> str:
        return str(_PAYMENT_STATUS_TITLES[self])


_SHARE_TITLES = {Share.GOVERNMENT: _l("Government share"), Share.INSURER: _l("Insurer share"), Share.ADVANCE: _l("Advance payment")}
_PAYMENT_STATUS_TITLES = {
    PaymentStatus.PENDING: _l("waiting"),
    PaymentStatus.EXPORTED: _l("sent to the bank"),
    PaymentStatus.PAID: _l("paid"),
    PaymentStatus.FAILED: _l("failed"),
}


class PaymentBatch(db.Model):
    __tablename__ = "payment_batches"

    id: Mapped[intpk]
    county_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    exported_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reopened: Mapped[bool] = mapped_column(default=False, comment="exported before and reopened: one more export is allowed")
    reopened_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), comment="the last reopening")
    reopened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reopen_reason: Mapped[str | None] = mapped_column(Text)
    payment_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0", comment="its payments, fixed when the batch is made")

    county: Mapped[Region] = relationship()
    reopened_by: Mapped[User | None] = relationship(foreign_keys=[reopened_by_id])
    payments: Mapped[list[Payment]] = relationship(back_populates="batch", order_by="Payment.id")

    @property
    def advances(self) -> bool:
        """A batch of advances on injury and death (claims.approval.payments.create_batch), apart from awards."""
        return self.reference.startswith("A")

    @property
    def export_allowed(self) -> bool:
        """Sent to the bank once; again only after an explicit reopening (once per reopening)."""
        return self.exported_at is None or self.reopened


class Payment(db.Model):
    """One attempt to pay one share of a claim (a failed attempt stays; a new one follows the correction)."""

    __tablename__ = "payments"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"), Index("ix_payments_status_id", "status", "id"))  # waiting for a batch

    id: Mapped[intpk]
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    share: Mapped[Share] = mapped_column(str_enum(Share))
    amount: Mapped[Decimal] = mapped_column(Money())
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("payment_batches.id"), index=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True, comment="our line reference, echoed by the bank")
    status: Mapped[PaymentStatus] = mapped_column(str_enum(PaymentStatus), default=PaymentStatus.PENDING)
    bank_reference: Mapped[str | None] = mapped_column(String(100))
    failure_reason: Mapped[str | None] = mapped_column(String(200))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    batch: Mapped[PaymentBatch | None] = relationship(back_populates="payments")
    claim: Mapped[Claim] = relationship()


class BudgetAllocation(db.Model):
    """Money the finance bureau allocated to a county's compensation fund for a fiscal year, with its source document.

    Append-only, as a finance ledger is kept: an entry is never edited or deleted. A mistaken entry is corrected by a
    reversing entry (红字冲销: the same amount, negative, pointing at the entry it reverses, with the reason), then the
    right figure is entered anew; a supplementary allocation (追加) is simply one more entry for the same year.
    """

    __tablename__ = "budget_allocations"
    __table_args__ = (
        CheckConstraint("(reverses_id IS NULL AND amount > 0) OR (reverses_id IS NOT NULL AND amount < 0)", name="sign"),
        CheckConstraint("fiscal_year BETWEEN 2000 AND 2100", name="fiscal_year"),
        Index("ix_budget_allocations_county_year", "county_id", "fiscal_year"),
    )

    id: Mapped[intpk]
    county_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    fiscal_year: Mapped[int] = mapped_column(Integer, comment="the calendar year of the budget (China's fiscal year)")
    amount: Mapped[Decimal] = mapped_column(Money(), comment="positive: allocated; negative: the reversal of an earlier entry")
    document_title: Mapped[str] = mapped_column(String(200), comment="the finance bureau's document that allocated it")
    document_number: Mapped[str] = mapped_column(String(60), comment="文号, e.g. 南财农〔2026〕12号")
    document_date: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text, comment="for a reversal: why the reversed entry was wrong")
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("budget_allocations.id"), unique=True, comment="the entry this one reverses (once)")
    entered_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    county: Mapped[Region] = relationship()
    entered_by: Mapped[User] = relationship()


class Settlement(db.Model):
    """One row per paid share of a claim: the primary key makes a second payment of it impossible."""

    __tablename__ = "settlements"
    __table_args__ = (Index("ix_settlements_share_settled", "share", "settled_at"),)  # the fund ledger's paid in a year (migration 0016)

    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), primary_key=True)
    share: Mapped[Share] = mapped_column(str_enum(Share), primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), unique=True)
    amount: Mapped[Decimal] = mapped_column(Money())
    settled_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Advance(db.Model):
    """An advance (先行支付) on the compensation for an injury or a death: requested by the township clerk or a county
    officer, approved by one county approver within a working day, paid in its own batch from county funds and deducted
    from the final decision. One per claim (the primary key); its payment is the claim's `Share.ADVANCE` (paid once)."""

    __tablename__ = "advances"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("(approved_at IS NULL) = (approved_by_id IS NULL)", name="approved_together"),
        Index("ix_advances_county_approved", "county_id", "approved_at"),  # the approvers' queue and the fund ledger's year
    )

    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), primary_key=True)
    county_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    amount: Mapped[Decimal] = mapped_column(Money())
    basis: Mapped[str] = mapped_column(Text, comment="how the amount was computed, in Chinese, as the advance decision prints it")
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    due_on: Mapped[date] = mapped_column(Date, comment="the working day by which an approver decides (local date)")
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    payee_name: Mapped[str] = mapped_column(String(50))
    bank_name: Mapped[str | None] = mapped_column(String(100))
    bank_account: Mapped[str | None] = mapped_column(EncryptedString(), comment="encrypted; frozen at approval, the account the advance goes to")

    claim: Mapped[Claim] = relationship()
    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])
