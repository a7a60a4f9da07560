"""Insurers, their adjusters, policies with limits, the policy ledger and referrals of claims."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from claims.accounts.models import User
from claims.core.db import Money, UTCDateTime, intpk, str_enum
from claims.core.time import utcnow
from claims.extensions import db
from claims.intake.models import Claim
from claims.regions.models import Region


class Insurer(db.Model):
    __tablename__ = "insurers"

    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(String(100), unique=True)
    short_name: Mapped[str] = mapped_column(String(30))


class InsurerMember(db.Model):
    """An adjuster's account belongs to one insurer; it sees claims referred to that insurer's policies."""

    __tablename__ = "insurer_members"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    insurer_id: Mapped[int] = mapped_column(ForeignKey("insurers.id"), index=True)

    user: Mapped[User] = relationship()
    insurer: Mapped[Insurer] = relationship()


class PolicyLimit(enum.StrEnum):
    """The limits seen in real contracts (Nan county 2025, domain brief section 7)."""

    PER_PERSON_DEATH_DISABILITY = "per_person_death_disability"
    PER_PERSON_MEDICAL = "per_person_medical"
    PER_ACCIDENT_CROPS_TREES = "per_accident_crops_trees"
    PER_ACCIDENT_LIVESTOCK_POULTRY = "per_accident_livestock_poultry"
    PER_PERSON_PROPERTY = "per_person_property"
    AGGREGATE_PERSONAL = "aggregate_personal"
    AGGREGATE_PROPERTY = "aggregate_property"

    @property
    def title(self) -> str:
        return str(_LIMIT_TITLES[self])

    @property
    def label(self) -> Any:
        """The title, translated when shown: for form labels made once, at import."""
        return _LIMIT_TITLES[self]


_LIMIT_TITLES = {
    PolicyLimit.PER_PERSON_DEATH_DISABILITY: _l("Per person, death and disability"),
    PolicyLimit.PER_PERSON_MEDICAL: _l("Per person, medical costs"),
    PolicyLimit.PER_ACCIDENT_CROPS_TREES: _l("Per accident, crops and trees"),
    PolicyLimit.PER_ACCIDENT_LIVESTOCK_POULTRY: _l("Per accident, livestock and poultry"),
    PolicyLimit.PER_PERSON_PROPERTY: _l("Per person, property"),
    PolicyLimit.AGGREGATE_PERSONAL: _l("Aggregate, personal injury and death"),
    PolicyLimit.AGGREGATE_PROPERTY: _l("Aggregate, property"),
}


class DeductibleMode(enum.StrEnum):
    NONE = "none"
    THRESHOLD = "threshold"
    DEDUCTIBLE = "deductible"


class InsurancePolicy(db.Model):
    __tablename__ = "insurance_policies"
    __table_args__ = (CheckConstraint("term_end >= term_start", name="term"),)

    id: Mapped[intpk]
    number: Mapped[str] = mapped_column(String(60), unique=True)
    insurer_id: Mapped[int] = mapped_column(ForeignKey("insurers.id"), index=True)
    policyholder_region_id: Mapped[int] = mapped_column(
        ForeignKey("regions.id"), comment="the county or township government that bought it; also the insured area"
    )
    term_start: Mapped[date] = mapped_column(Date)
    term_end: Mapped[date] = mapped_column(Date)
    categories: Mapped[list[str]] = mapped_column(JSON, default=list, comment="covered loss categories")
    species: Mapped[list[str]] = mapped_column(JSON, default=list, comment="covered species codes; empty: every species the county compensates")
    limits: Mapped[dict[str, str]] = mapped_column(JSON, default=dict, comment="limit kind -> yuan as a decimal string")
    deductible_mode: Mapped[DeductibleMode] = mapped_column(str_enum(DeductibleMode), default=DeductibleMode.NONE)
    deductible_amount: Mapped[Decimal | None] = mapped_column(Money())
    deductible_percent: Mapped[Decimal | None] = mapped_column(Numeric(5, 2), comment="percent of the covered loss, for a percentage deductible")
    report_days: Mapped[int] = mapped_column(Integer, default=10, comment="working days for the insurer to assess")
    payment_days: Mapped[int] = mapped_column(Integer, default=30, comment="days for the insurer to pay after accepting")
    note: Mapped[str] = mapped_column(Text, default="")
    premium: Mapped[Decimal | None] = mapped_column(Money(), comment="what the policyholder paid for the term; the loss ratio's denominator")

    insurer: Mapped[Insurer] = relationship()
    policyholder: Mapped[Region] = relationship()

    def limit(self, kind: PolicyLimit) -> Decimal | None:
        raw = self.limits.get(str(kind))
        return Decimal(raw) if raw not in (None, "") else None


class LedgerEntry(db.Model):
    """What one claim drew on one limit of a policy; the sum per limit is what is used."""

    __tablename__ = "policy_ledger"
    __table_args__ = (UniqueConstraint("policy_id", "claim_id", "limit_kind"), CheckConstraint("amount >= 0", name="amount_nonnegative"))

    id: Mapped[intpk]
    policy_id: Mapped[int] = mapped_column(ForeignKey("insurance_policies.id"), index=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    limit_kind: Mapped[PolicyLimit] = mapped_column(str_enum(PolicyLimit, 40))
    person_hash: Mapped[str | None] = mapped_column(String(64), index=True, comment="claimant's ID hash, for per-person limits")
    amount: Mapped[Decimal] = mapped_column(Money())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class InsurerDecision(enum.StrEnum):
    ACCEPT = "accept"
    ADJUST = "adjust"
    DECLINE = "decline"

    @property
    def title(self) -> str:
        return str(_DECISION_TITLES[self])


_DECISION_TITLES = {InsurerDecision.ACCEPT: _l("Accepted"), InsurerDecision.ADJUST: _l("Adjusted"), InsurerDecision.DECLINE: _l("Declined")}


class Referral(db.Model):
    """A claim referred to an insurer's policy, with the package sent and the insurer's decision."""

    __tablename__ = "referrals"
    __table_args__ = (
        # The insurer's list (migration 0013): waiting referrals by deadline, from an index of the waiting
        # ones only (few beside the decided), then the decided by deadline.
        Index("ix_referrals_waiting", "due_at", "id", postgresql_where=text("decision IS NULL"), sqlite_where=text("decision IS NULL")),
        Index("ix_referrals_due", "due_at", "id"),
    )

    id: Mapped[intpk]
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), unique=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("insurance_policies.id"), index=True)
    automatic: Mapped[bool] = mapped_column(default=True)
    reason: Mapped[str | None] = mapped_column(Text, comment="why a county referred it by hand")
    package: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    referred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    referred_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    due_at: Mapped[date | None] = mapped_column(Date)
    decision: Mapped[InsurerDecision | None] = mapped_column(str_enum(InsurerDecision))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    assessed_amount: Mapped[Decimal | None] = mapped_column(Money(), comment="the insurer's assessment beside the government's valuation")
    adjustments: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, comment="line id -> [amount, reason]")
    decline_reason: Mapped[str | None] = mapped_column(String(40))
    decision_note: Mapped[str | None] = mapped_column(Text)

    claim: Mapped[Claim] = relationship()
    policy: Mapped[InsurancePolicy] = relationship()


class Split(db.Model):
    """The award split between the insurer and the government, with the reasons of each figure."""

    __tablename__ = "award_splits"

    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), primary_key=True)
    entitlement: Mapped[Decimal] = mapped_column(Money(), comment="what the schedule allows in all")
    insurer_share: Mapped[Decimal] = mapped_column(Money())
    government_share: Mapped[Decimal] = mapped_column(Money())
    policy_id: Mapped[int | None] = mapped_column(ForeignKey("insurance_policies.id"))
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (CheckConstraint("insurer_share + government_share <= entitlement", name="never_more_than_entitled"),)
