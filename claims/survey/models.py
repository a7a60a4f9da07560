"""Survey assignments, field surveys with verified losses, and the claimant's confirmation."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Boolean, CheckConstraint, Column, Float, ForeignKey, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from claims.accounts.models import User
from claims.core.db import Base, Money, UTCDateTime, intpk, str_enum
from claims.core.time import utcnow
from claims.extensions import db
from claims.intake.models import Claim, LossLine, Photo, Quantity

assignment_surveyors = Table(
    "assignment_surveyors",
    Base.metadata,
    Column("assignment_id", ForeignKey("survey_assignments.id"), primary_key=True),
    Column("user_id", ForeignKey("users.id"), primary_key=True),
)


class SurveyAssignment(db.Model):
    """The county assigns a claim's on-site survey (round 1, or another round after a dispute)."""

    __tablename__ = "survey_assignments"
    __table_args__ = (UniqueConstraint("claim_id", "round"),)

    id: Mapped[intpk]
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    assigned_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    claim: Mapped[Claim] = relationship()
    assigned_by: Mapped[User] = relationship()
    surveyors: Mapped[list[User]] = relationship(secondary=assignment_surveyors, order_by="User.id")


class Evidence(enum.StrEnum):
    TRACKS = "tracks"
    DROPPINGS = "droppings"
    BITE_MARKS = "bite_marks"
    CAMERA_TRAP = "camera_trap"
    CCTV = "cctv"
    WITNESS = "witness"
    CARCASS = "carcass"

    @property
    def title(self) -> str:
        return str(_EVIDENCE_TITLES[self])


_EVIDENCE_TITLES = {
    Evidence.TRACKS: _l("Tracks"),
    Evidence.DROPPINGS: _l("Droppings"),
    Evidence.BITE_MARKS: _l("Bite or claw marks"),
    Evidence.CAMERA_TRAP: _l("Camera-trap images"),
    Evidence.CCTV: _l("CCTV images"),
    Evidence.WITNESS: _l("Eyewitness"),
    Evidence.CARCASS: _l("Carcass or hair of the animal"),
}


class GrowthStage(enum.StrEnum):
    """A crop's growth stage when the survey found it damaged (schedules may rate each stage)."""

    SEEDLING = "seedling"
    GROWING = "growing"
    HEADING = "heading"
    MATURE = "mature"
    HARVEST = "harvest"

    @property
    def label(self) -> Any:
        """The title, translated when shown: for form choices made once, at import."""
        return _STAGE_TITLES[self]

    @property
    def title(self) -> str:
        return str(_STAGE_TITLES[self])

    @classmethod
    def title_of(cls, code: str | None) -> str:
        """A stored stage's title; a stage typed elsewhere (the quote API takes free text) as it was typed."""
        return cls(code).title if code in cls._value2member_map_ else (code or "")


_STAGE_TITLES = {
    GrowthStage.SEEDLING: _l("Seedling"),
    GrowthStage.GROWING: _l("Growing"),
    GrowthStage.HEADING: _l("Heading or flowering"),
    GrowthStage.MATURE: _l("Mature"),
    GrowthStage.HARVEST: _l("Ready for harvest"),
}


class AnimalCondition(enum.StrEnum):
    """What the survey found of an animal: schedules pay killed and injured animals at their own ratios, and a
    missing one only when they say so (`missing:` in docs/schedules.md)."""

    KILLED = "killed"
    INJURED = "injured"
    MISSING = "missing"

    @property
    def title(self) -> str:
        return str(_CONDITION_TITLES[self])


_CONDITION_TITLES = {
    AnimalCondition.KILLED: _l("Killed"),
    AnimalCondition.INJURED: _l("Injured"),
    AnimalCondition.MISSING: _l("Missing"),
}


class PreventionMeasure(enum.StrEnum):
    """Prevention measures the survey found in place (schedules may reduce or refuse without them: `prevention:`).

    The refusal "no reasonable prevention measures taken" (Shennongjia insurance; Kenya 2025; Wisconsin) and
    "livestock not penned or herded" (domain brief, section 5) are judged against this list."""

    FENCE = "fence"
    ELECTRIC_FENCE = "electric_fence"
    GUARDING = "guarding"
    SCARING = "scaring"
    PENNED = "penned"
    HERDED = "herded"
    HIVE_PROTECTION = "hive_protection"

    @property
    def title(self) -> str:
        return str(_MEASURE_TITLES[self])


_MEASURE_TITLES = {
    PreventionMeasure.FENCE: _l("Fence or net around the field"),
    PreventionMeasure.ELECTRIC_FENCE: _l("Electric fence"),
    PreventionMeasure.GUARDING: _l("Guarding or night watch"),
    PreventionMeasure.SCARING: _l("Scaring devices (sound, light, scarecrows)"),
    PreventionMeasure.PENNED: _l("Livestock penned or in sheds at night"),
    PreventionMeasure.HERDED: _l("Livestock herded while grazing"),
    PreventionMeasure.HIVE_PROTECTION: _l("Bee hives raised or caged"),
}


class SurveyOutcome(enum.StrEnum):
    ELIGIBLE = "eligible"
    NOT_COMPENSATED = "not_compensated"


class FieldSurvey(db.Model):
    """What the surveyors verified on site (现场勘查)."""

    __tablename__ = "field_surveys"
    __table_args__ = (UniqueConstraint("claim_id", "round"), UniqueConstraint("claim_id", "submission_key"))

    id: Mapped[intpk]
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("survey_assignments.id"))
    round: Mapped[int] = mapped_column(Integer)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    visited_at: Mapped[datetime] = mapped_column(UTCDateTime())
    gps_lat: Mapped[float | None] = mapped_column(Float)
    gps_lon: Mapped[float | None] = mapped_column(Float)
    gps_accuracy_m: Mapped[float | None] = mapped_column(Float)
    surveyors_present: Mapped[str] = mapped_column(String(200))
    claimant_present: Mapped[bool] = mapped_column(Boolean)
    witnesses: Mapped[str | None] = mapped_column(String(200))
    evidence: Mapped[list[str]] = mapped_column(JSON, default=list)
    in_designated_area: Mapped[bool | None] = mapped_column(Boolean, comment="land or herd in the designated area; NULL when not applicable")
    prevention_measures: Mapped[str | None] = mapped_column(Text, comment="free-text note on the prevention measures")
    prevention_in_place: Mapped[list[str] | None] = mapped_column(
        JSON, comment="PreventionMeasure codes found in place; NULL: surveyed before the checklist (0021), no prevention rule applies"
    )
    invoices_checked: Mapped[bool | None] = mapped_column(
        Boolean, default=True, comment="medical costs are the invoices the survey saw (0 with none); NULL: surveyed before 0021, the filed costs stand"
    )
    in_protection_zone: Mapped[bool | None] = mapped_column(
        Boolean, comment="site inside a designated protection zone (nature reserve etc.); NULL when not applicable. Shown, not valued"
    )
    exclusions: Mapped[list[str]] = mapped_column(JSON, default=list, comment="exclusion checklist: refusal reason codes that apply")
    outcome: Mapped[SurveyOutcome] = mapped_column(str_enum(SurveyOutcome))
    explanation: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    submission_key: Mapped[str | None] = mapped_column(String(40), comment="one per survey form, so a draft sent twice records one survey")

    claim: Mapped[Claim] = relationship()
    assignment: Mapped[SurveyAssignment] = relationship()
    recorded_by: Mapped[User] = relationship()
    lines: Mapped[list[VerifiedLoss]] = relationship(back_populates="survey", cascade="all, delete-orphan", order_by="VerifiedLoss.id")


class VerifiedLoss(db.Model):
    """The surveyed quantity of one loss line, and what valuation needs by its category: an animal's condition and
    price grade; a crop's stage and loss rate; a person's days, disability and medical invoices."""

    __tablename__ = "verified_losses"
    __table_args__ = (
        CheckConstraint("disability_grade IS NULL OR disability_grade BETWEEN 1 AND 10", name="disability_grade_range"),
        CheckConstraint("disability_grade IS NULL OR disability_amount IS NULL", name="disability_grade_or_amount"),
    )

    id: Mapped[intpk]
    survey_id: Mapped[int] = mapped_column(ForeignKey("field_surveys.id"), index=True)
    loss_line_id: Mapped[int] = mapped_column(ForeignKey("loss_lines.id"))
    quantity: Mapped[Decimal | None] = mapped_column(Quantity(), comment="verified area, head count or plants")
    loss_rate: Mapped[int | None] = mapped_column(Integer, comment="percent of the crop lost, 0-100")
    growth_stage: Mapped[str | None] = mapped_column(String(50))
    note: Mapped[str | None] = mapped_column(String(200))
    condition: Mapped[str | None] = mapped_column(String(10), comment="animals: AnimalCondition (killed, injured, missing)")
    grade: Mapped[str | None] = mapped_column(String(60), comment="animals: the price grade as the schedule lists it (e.g. 成年母牛)")
    hospital_days: Mapped[int | None] = mapped_column(Integer, comment="injury: verified days in hospital")
    lost_work_days: Mapped[int | None] = mapped_column(Integer, comment="injury: lost-work days claimed")
    nursing_days: Mapped[int | None] = mapped_column(Integer, comment="injury: nursing days claimed")
    disability_grade: Mapped[int | None] = mapped_column(Integer, comment="injury: assessed disability grade, 1 (worst) to 10")
    disability_amount: Mapped[Decimal | None] = mapped_column(Money(), comment="injury: disability compensation assessed in money")
    nutrition_costs: Mapped[Decimal | None] = mapped_column(Money(), comment="injury: nutrition costs, paid only where the schedule pays them")

    survey: Mapped[FieldSurvey] = relationship(back_populates="lines")
    loss_line: Mapped[LossLine] = relationship()
    invoices: Mapped[list[MedicalInvoice]] = relationship(back_populates="verified", cascade="all, delete-orphan", order_by="MedicalInvoice.id")

    @property
    def medical_costs(self) -> Decimal | None:
        """The sum of the medical invoices: the medical cost valuation uses (None: the survey recorded none)."""
        return sum((i.amount for i in self.invoices), Decimal(0)) if self.invoices else None


class MedicalInvoice(db.Model):
    """A medical invoice the survey saw for an injured person: its photo and amount."""

    __tablename__ = "medical_invoices"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[intpk]
    verified_loss_id: Mapped[int] = mapped_column(ForeignKey("verified_losses.id"), index=True)
    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id"), comment="the invoice photo (stage survey), stored and shown like every photo")
    amount: Mapped[Decimal] = mapped_column(Money(), comment="the invoice total")

    verified: Mapped[VerifiedLoss] = relationship(back_populates="invoices")
    photo: Mapped[Photo] = relationship()


class ConfirmationMethod(enum.StrEnum):
    ON_SITE = "on_site"  # before 0008: the officer's phone, the claimant typing their name; no longer accepted
    SMS_CODE = "sms_code"  # on the officer's phone, with the code sent to the claimant's mobile
    PAPER = "paper"  # the signed form, scanned and attested by the clerk
    ONLINE = "online"  # in the claimant's own account

    @property
    def title(self) -> str:
        return str(_METHOD_TITLES[self])


_METHOD_TITLES = {
    ConfirmationMethod.ON_SITE: _l("on the officer's phone, name typed"),
    ConfirmationMethod.SMS_CODE: _l("on the officer's phone, with the code texted to the claimant"),
    ConfirmationMethod.PAPER: _l("signed paper form, attested by the clerk"),
    ConfirmationMethod.ONLINE: _l("in the claimant's own account"),
}


class ClaimantConfirmation(db.Model):
    """The claimant confirms or disputes the verified loss (Tengchong: the claimant signs)."""

    __tablename__ = "claimant_confirmations"

    id: Mapped[intpk]
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("field_surveys.id"))
    confirmed: Mapped[bool] = mapped_column(Boolean, comment="false: disputed")
    method: Mapped[ConfirmationMethod] = mapped_column(str_enum(ConfirmationMethod))
    typed_name: Mapped[str | None] = mapped_column(String(50))
    statement: Mapped[str | None] = mapped_column(Text)
    document_photo_id: Mapped[int | None] = mapped_column(ForeignKey("photos.id"), comment="scan of the signed paper form")
    code_id: Mapped[int | None] = mapped_column(ForeignKey("one_time_codes.id"), comment="the code sent to the claimant's mobile (sms_code)")
    attested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), comment="the clerk who attests the signed paper form")
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    survey: Mapped[FieldSurvey] = relationship()
    document_photo: Mapped[Photo | None] = relationship()
    recorded_by: Mapped[User] = relationship(foreign_keys=[recorded_by_id])


class ConflictDeclaration(db.Model):
    """A staff member declares a relative (by resident ID) whose claims they must not survey or decide."""

    __tablename__ = "conflict_declarations"
    __table_args__ = (UniqueConstraint("user_id", "relative_id_hash"),)

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    relative_id_hash: Mapped[str] = mapped_column(String(64), index=True)
    relation: Mapped[str] = mapped_column(String(50))
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Incident(db.Model):
    """One event (place, time, species, herd size) whose damage several households claim; the schedule's
    per-accident cap applies across its claims (claims/valuation/accident.py)."""

    __tablename__ = "incidents"

    id: Mapped[intpk]
    number: Mapped[str] = mapped_column(String(40), unique=True, comment="SG-<county code>-<year>-<serial>, shown on the decisions")
    county_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    village_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"), comment="where it happened, when one village")
    place: Mapped[str] = mapped_column(String(200), comment="where it happened, as the officer describes it")
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    species_id: Mapped[int | None] = mapped_column(ForeignKey("species.id"))
    herd_size: Mapped[int | None] = mapped_column(Integer, comment="how many animals, when known")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    claims: Mapped[list[IncidentClaim]] = relationship(back_populates="incident", order_by="IncidentClaim.claim_id")


class IncidentClaim(db.Model):
    """A claim belongs to at most one incident; it joins when an officer links it (from its survey or in bulk)."""

    __tablename__ = "incident_claims"

    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    joined_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    incident: Mapped[Incident] = relationship(back_populates="claims")
    claim: Mapped[Claim] = relationship()
