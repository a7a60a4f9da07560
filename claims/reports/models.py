"""The dashboards' aggregate: the claims' figures counted per township and local month of filing (a *bucket*).

Each bucket is rebuilt whole from its claims whenever one of them changes (claims/reports/figures.py), so the
aggregate is always what a from-scratch count would give; the dashboards read only these rows. The open claims'
deadlines are counted the same way, so that the overdue page counts a province's overdue claims from a few hundred
rows rather than from every overdue claim (claims/workflow/queues.py).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from claims.core.db import Money, UTCDateTime, intpk, str_enum
from claims.extensions import db
from claims.intake.models import LossCategory
from claims.workflow.states import ClaimStatus


class ReportBucket(db.Model):
    """One township's month: the row whose lock serialises the rebuilds of its figures (claims/reports/figures.py)."""

    __tablename__ = "report_buckets"

    township_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True, comment="first day of the local month of filing")
    rebuilt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), comment="when its figures were last counted")


class ClaimFigure(db.Model):
    """Claims of one bucket with the same county, species, first loss category and status: how many, and their sums."""

    __tablename__ = "report_claim_figures"
    __table_args__ = (
        Index("ix_report_claim_figures_county_month", "county_id", "month"),  # a county's (or a province's counties') months
        Index("ix_report_claim_figures_township_month", "township_id", "month"),  # a bucket's rows; a township's months
    )

    id: Mapped[intpk]
    township_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    month: Mapped[date] = mapped_column(Date, comment="first day of the local month of filing")
    county_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))
    species_id: Mapped[int | None] = mapped_column(ForeignKey("species.id"), comment="NULL: the animal is unknown")
    category: Mapped[LossCategory | None] = mapped_column(str_enum(LossCategory), comment="the claim's first loss line's")
    status: Mapped[ClaimStatus] = mapped_column(str_enum(ClaimStatus))
    claims: Mapped[int] = mapped_column(Integer)
    claimed: Mapped[Decimal] = mapped_column(Money(), comment="the estimates given at filing")
    verified: Mapped[Decimal] = mapped_column(Money(), comment="the latest submitted (frozen) valuation of the verified losses")
    approved: Mapped[Decimal] = mapped_column(Money(), comment="the decisions' totals")
    approved_insurer: Mapped[Decimal] = mapped_column(Money())
    approved_government: Mapped[Decimal] = mapped_column(Money())
    paid: Mapped[Decimal] = mapped_column(Money(), comment="the settled payments")
    paid_insurer: Mapped[Decimal] = mapped_column(Money())
    paid_government: Mapped[Decimal] = mapped_column(Money())


class RefusalFigure(db.Model):
    """Refused claims of one bucket (not accepted, or not compensated) that gave one reason: a claim counts once per reason."""

    __tablename__ = "report_refusal_figures"
    __table_args__ = (
        Index("ix_report_refusal_figures_county_month", "county_id", "month"),
        Index("ix_report_refusal_figures_township_month", "township_id", "month"),
    )

    id: Mapped[intpk]
    township_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    month: Mapped[date] = mapped_column(Date)
    county_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))
    status: Mapped[ClaimStatus] = mapped_column(str_enum(ClaimStatus))
    reason: Mapped[str] = mapped_column(String(40), comment="a RefusalReason code, or a survey exclusion's")
    claims: Mapped[int] = mapped_column(Integer)


class DeadlineFigure(db.Model):
    """Open claims of one bucket with the same status and deadline: how many (the overdue page's counts per township
    and county, the dashboards' overdue claims by stage and holder)."""

    __tablename__ = "report_deadline_figures"
    __table_args__ = (
        Index("ix_report_deadline_figures_county_due", "county_id", "due_at"),
        Index("ix_report_deadline_figures_township_month", "township_id", "month"),  # a bucket's rows
    )

    id: Mapped[intpk]
    township_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    month: Mapped[date] = mapped_column(Date, comment="first day of the local month of filing")
    county_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))
    status: Mapped[ClaimStatus] = mapped_column(str_enum(ClaimStatus))
    due_at: Mapped[date] = mapped_column(Date, comment="the claims' deadline for their next step")
    claims: Mapped[int] = mapped_column(Integer)


class SurveyFigure(db.Model):
    """Claims of one bucket waiting for a survey with the same deadline, per surveyor of their current round: how many
    (the overdue counts per officer)."""

    __tablename__ = "report_survey_figures"
    __table_args__ = (
        Index("ix_report_survey_figures_county_due", "county_id", "due_at"),
        Index("ix_report_survey_figures_township_month", "township_id", "month"),  # a bucket's rows
    )

    id: Mapped[intpk]
    township_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    month: Mapped[date] = mapped_column(Date, comment="first day of the local month of filing")
    county_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))
    surveyor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    due_at: Mapped[date] = mapped_column(Date, comment="the claims' deadline for the survey")
    claims: Mapped[int] = mapped_column(Integer)
