"""Compensation schedules (versioned data), reference prices and incomes, and each claim's stored valuation."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from claims.accounts.models import User
from claims.core.db import Money, UTCDateTime, intpk, str_enum
from claims.core.time import utcnow
from claims.extensions import db
from claims.intake.models import Claim
from claims.regions.models import Region
from claims.survey.models import FieldSurvey


class ScheduleStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    RETIRED = "retired"

    @property
    def title(self) -> str:
        return str(_SCHEDULE_STATUS_TITLES[self])


_SCHEDULE_STATUS_TITLES = {
    ScheduleStatus.DRAFT: _l("Draft"),
    ScheduleStatus.PUBLISHED: _l("Published"),
    ScheduleStatus.RETIRED: _l("Retired"),
}


class IncomeKind(enum.StrEnum):
    """Whose per-capita disposable income a reference figure is (the `kind` of a reference file's incomes)."""

    URBAN = "urban"
    RURAL = "rural"
    ALL = "all"

    @classmethod
    def title_of(cls, code: str) -> str:
        return str(_INCOME_TITLES[cls(code)]) if code in cls._value2member_map_ else code


_INCOME_TITLES = {IncomeKind.URBAN: _l("Urban residents"), IncomeKind.RURAL: _l("Rural residents"), IncomeKind.ALL: _l("All residents")}


class ValuationMethod(enum.StrEnum):
    """How a schedule item values a loss (the `method` of a schedule file; spec.METHODS lists the same codes)."""

    FIXED_RATE = "fixed_rate"
    MARKET_VALUE = "market_value"
    ASSESSED_VALUE = "assessed_value"

    @property
    def title(self) -> str:
        return str(_METHOD_TITLES[self])


_METHOD_TITLES = {
    ValuationMethod.FIXED_RATE: _l("Fixed rate per unit"),
    ValuationMethod.MARKET_VALUE: _l("Market value"),
    ValuationMethod.ASSESSED_VALUE: _l("Assessed value"),
}


class CompensationSchedule(db.Model):
    """One published (or draft) compensation schedule of a province, prefecture or county.

    A published schedule is never edited: a new one with a later `effective_from` supersedes it, and
    claims keep the schedule they were valued with (ClaimValuation.schedule_ids).
    """

    __tablename__ = "compensation_schedules"
    __table_args__ = (
        CheckConstraint("effective_to IS NULL OR effective_to >= effective_from", name="dates"),
        CheckConstraint("status = 'draft' OR (published_at IS NOT NULL AND published_by_id IS NOT NULL)", name="published_signed"),
        Index("ix_compensation_schedules_region_status", "region_id", "status", "effective_from"),
    )

    id: Mapped[intpk]
    code: Mapped[str] = mapped_column(String(60), unique=True, comment="stable name used in files and in valuation lines")
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), comment="province, prefecture or county the schedule covers")
    title: Mapped[str] = mapped_column(String(200))
    document_title: Mapped[str] = mapped_column(String(200), comment="the published source document")
    document_number: Mapped[str] = mapped_column(String(100), default="")
    effective_from: Mapped[date] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date, comment="last day in force; NULL while in force")
    status: Mapped[ScheduleStatus] = mapped_column(str_enum(ScheduleStatus), default=ScheduleStatus.DRAFT)
    body: Mapped[dict[str, Any]] = mapped_column(JSON, comment="the rules as parsed from the schedule file (docs/schedules.md)")
    source_note: Mapped[str] = mapped_column(Text, default="", comment="where the figures come from")
    source_text: Mapped[str] = mapped_column(Text, comment="the file as imported; export gives it back unchanged")
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("compensation_schedules.id"))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    region: Mapped[Region] = relationship()
    supersedes: Mapped[CompensationSchedule | None] = relationship(remote_side="CompensationSchedule.id")
    published_by: Mapped[User | None] = relationship(foreign_keys=[published_by_id])

    def __str__(self) -> str:
        return f"{self.title} ({self.code})"


class ReferencePrice(db.Model):
    """A reference market price of an item in a region and year (e.g. last year's local average price)."""

    __tablename__ = "reference_prices"
    __table_args__ = (UniqueConstraint("item", "region_id", "year"),)

    id: Mapped[intpk]
    item: Mapped[str] = mapped_column(String(60), comment="price key named by schedule items, e.g. rice")
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    price: Mapped[Decimal] = mapped_column(Money(), comment="yuan per unit")
    unit: Mapped[str] = mapped_column(String(20), comment="the loss-line unit the price is per (mu, head, bird, ...)")
    source: Mapped[str] = mapped_column(String(300))

    region: Mapped[Region] = relationship()


class BaseIncome(db.Model):
    """Per-capita disposable income (or another base) of a region and year, for injury and death amounts."""

    __tablename__ = "base_incomes"
    __table_args__ = (UniqueConstraint("region_id", "year", "kind"),)

    id: Mapped[intpk]
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(30), comment="urban, rural or all: per-capita disposable income")
    amount: Mapped[Decimal] = mapped_column(Money(), comment="yuan per year")
    source: Mapped[str] = mapped_column(String(300))

    region: Mapped[Region] = relationship()


class ClaimValuation(db.Model):
    """The engine's result for a claim, stored with its input and the schedules used.

    A new row (version + 1) is written only by an explicit, audited recompute; the "value" step freezes
    the current one. `total` is kept equal to the engine's total plus the officers' adjustments.
    """

    __tablename__ = "claim_valuations"
    __table_args__ = (UniqueConstraint("claim_id", "version"),)

    id: Mapped[intpk]
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    survey_id: Mapped[int | None] = mapped_column(ForeignKey("field_surveys.id"), comment="the survey whose verified losses were valued")
    version: Mapped[int] = mapped_column(Integer)
    current: Mapped[bool] = mapped_column(Boolean, default=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("compensation_schedules.id"), comment="the most specific schedule used")
    schedule_ids: Mapped[list[int]] = mapped_column(JSON, comment="every schedule used, most specific first")
    input_snapshot: Mapped[dict[str, Any]] = mapped_column(JSON, comment="the engine input: verified losses, dates, household history")
    result: Mapped[dict[str, Any]] = mapped_column(JSON, comment="the engine output: lines with rule text, reasons")
    computed_total: Mapped[Decimal] = mapped_column(Money())
    total: Mapped[Decimal] = mapped_column(Money(), comment="after the officers' adjustments")
    adjusted_result: Mapped[dict[str, Any] | None] = mapped_column(
        JSON, comment="the engine output with the adjusted line amounts and the caps applied again; NULL: no adjustment"
    )
    reason: Mapped[str | None] = mapped_column(Text, comment="why it was recomputed")
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    computed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    frozen_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), comment="set by the value step; no change after it")

    claim: Mapped[Claim] = relationship()
    survey: Mapped[FieldSurvey | None] = relationship()
    schedule: Mapped[CompensationSchedule] = relationship()
    computed_by: Mapped[User] = relationship()
    adjustments: Mapped[list[ValuationAdjustment]] = relationship(back_populates="valuation", order_by="ValuationAdjustment.id")


class ValuationAdjustment(db.Model):
    """An officer's change to one valuation line, with the reason; the original figure stays on record."""

    __tablename__ = "valuation_adjustments"
    __table_args__ = (CheckConstraint("adjusted_amount >= 0", name="adjusted_nonnegative"),)

    id: Mapped[intpk]
    valuation_id: Mapped[int] = mapped_column(ForeignKey("claim_valuations.id"), index=True)
    line_id: Mapped[str] = mapped_column(String(40))
    original_amount: Mapped[Decimal] = mapped_column(Money(), comment="the line's amount before this adjustment")
    adjusted_amount: Mapped[Decimal] = mapped_column(Money())
    reason: Mapped[str] = mapped_column(Text)
    adjusted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    adjusted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    countersigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), comment="the second officer, for an amount above the engine's")
    countersigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    valuation: Mapped[ClaimValuation] = relationship(back_populates="adjustments")
    adjusted_by: Mapped[User] = relationship(foreign_keys=[adjusted_by_id])
    countersigned_by: Mapped[User | None] = relationship(foreign_keys=[countersigned_by_id])

    @property
    def raises(self) -> bool:
        """Above what the schedule's rule gives (the engine's figure, every cap within it): a second officer countersigns."""
        return self.adjusted_amount > self.engine_amount

    @property
    def engine_amount(self) -> Decimal:
        line = next((x for x in self.valuation.result["lines"] if x["id"] == self.line_id), None)
        return Decimal(line["amount"]) if line is not None else Decimal(0)
