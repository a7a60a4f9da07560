"""A claim as filed: claimant, incident, loss lines and photo evidence."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, BigInteger, Boolean, CheckConstraint, Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from claims.accounts.models import User
from claims.core.crypto import EncryptedString
from claims.core.db import Money, UTCDateTime, intpk, str_enum
from claims.core.time import utcnow
from claims.extensions import db
from claims.regions.models import Region, Species
from claims.workflow.states import NOTICE_SOURCES, OPEN_STATES, ClaimStatus


class Quantity(TypeDecorator[Decimal]):
    """A quantity (mu, heads, plants) as `Decimal`, stored exactly as integer thousandths."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Decimal | int | None, dialect: Any) -> int | None:
        return None if value is None else int(Decimal(value) * 1000)

    def process_result_value(self, value: int | None, dialect: Any) -> Decimal | None:
        return None if value is None else Decimal(value) / 1000  # exact; 20000 -> 20, never 2E+1 (no normalize)


class LossCategory(enum.StrEnum):
    CROP = "crop"
    ECONOMIC_TREE = "economic_tree"
    LIVESTOCK = "livestock"
    POULTRY = "poultry"
    PROPERTY = "property"
    INJURY = "injury"
    DEATH = "death"

    @property
    def title(self) -> str:
        return str(_CATEGORY_TITLES[self])


PERSONAL_CATEGORIES = frozenset({LossCategory.INJURY, LossCategory.DEATH})
"""The losses to a person (injury, death): valued, capped and insured apart from property. Defined once, here."""

_CATEGORY_TITLES = {
    LossCategory.CROP: _l("Crop"),
    LossCategory.ECONOMIC_TREE: _l("Economic tree"),
    LossCategory.LIVESTOCK: _l("Livestock"),
    LossCategory.POULTRY: _l("Poultry"),
    LossCategory.PROPERTY: _l("House or property"),
    LossCategory.INJURY: _l("Personal injury"),
    LossCategory.DEATH: _l("Death"),
}


# The condition of the open claims' partial index: the same list as the queries' `status IN (...)` (OPEN_STATES), so
# that both databases see that the query's rows are all in the index.
OPEN_CONDITION = text("status IN (" + ", ".join(f"'{state.value}'" for state in OPEN_STATES) + ")")
REFERRED_CONDITION = text(f"status = '{ClaimStatus.REFERRED.value}'")
NOTICE_CONDITION = text("status IN (" + ", ".join(f"'{state.value}'" for state in NOTICE_SOURCES) + ")")


class Claim(db.Model):
    __tablename__ = "claims"
    __table_args__ = (
        CheckConstraint(
            "status = 'draft' OR (status = 'withdrawn' AND number IS NULL)"  # a draft its filer withdrew
            " OR (number IS NOT NULL AND submitted_at IS NOT NULL AND claimant_name IS NOT NULL"
            " AND incident_at IS NOT NULL AND village_id IS NOT NULL AND declaration)",
            name="submitted_complete",
        ),
        Index("ix_claims_status_created", "status", "created_at", "id"),
        Index("ix_claims_township_status", "township_id", "status", "id"),
        Index("ix_claims_county_status", "county_id", "status", "id"),
        # The list pages' scopes in their sort order (migration 0011): newest first, and by deadline.
        Index("ix_claims_county_id", "county_id", "id"),
        Index("ix_claims_township_id", "township_id", "id"),
        Index("ix_claims_county_due", "county_id", "due_at", "id"),
        Index("ix_claims_township_due", "township_id", "due_at", "id"),
        # Claims by deadline and status, read alone, never the table (migration 0013: the deadline before the status,
        # so that a list by deadline is never tempted to read a few statuses' rows and sort them all). The overdue
        # counts of the pages read the aggregate since migration 0026; the daily escalation still reads the claims.
        Index("ix_claims_county_due_status", "county_id", "due_at", "status", "township_id"),
        Index("ix_claims_township_due_status", "township_id", "due_at", "status", "county_id"),
        # Province-wide lists by deadline (only open claims have one).
        Index("ix_claims_due", "due_at", "id"),
        # A township's claims filed in a month: the dashboards' bucket (claims/reports/figures.py, migration 0017).
        Index("ix_claims_township_submitted", "township_id", "submitted_at"),
        # The incident map's period (claims/reports/map.py): a county's (or a province's counties') claims by incident
        # time, newest first, without reading their other years. Its migration is to be added with the next number.
        Index("ix_claims_county_incident", "county_id", "incident_at"),
        # A township's overdue list after its first page (migration 0025): only open claims, by deadline. With the
        # whole-table (township_id, due_at, id) the planner guessed too few open rows after a cursor and sorted ten
        # thousand instead of reading fifty in order. The county's and province's lists did not need one, and such
        # indexes drew PostgreSQL into slower plans for the officer's to-do list.
        Index("ix_claims_open_township_due", "township_id", "due_at", "id", postgresql_where=OPEN_CONDITION, sqlite_where=OPEN_CONDITION),
        # The claims waiting for an insurer, by deadline, whatever the region: the insurer's to-do after its first page.
        # (Not (status, due_at, id) for every status: PostgreSQL then read a county's overdue list from it and sorted.)
        Index("ix_claims_referred_due", "due_at", "id", postgresql_where=REFERRED_CONDITION, sqlite_where=REFERRED_CONDITION),
        # A township's claims ready for its public notice, by deadline (migration 0027): the notices page after its first
        # page read them from the open claims' index and the status index together and sorted thousands (14 ms at 1M).
        Index("ix_claims_notice_ready", "township_id", "due_at", "id", postgresql_where=NOTICE_CONDITION, sqlite_where=NOTICE_CONDITION),
    )

    id: Mapped[intpk]
    number: Mapped[str | None] = mapped_column(String(30), unique=True, comment="county code-year-sequence, given on submission")
    status: Mapped[ClaimStatus] = mapped_column(str_enum(ClaimStatus), default=ClaimStatus.DRAFT)
    version: Mapped[int] = mapped_column(Integer, default=1, comment="compare-and-set on every update")
    submission_key: Mapped[str] = mapped_column(String(40), unique=True, comment="one per form, so a double click files one claim")

    filed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    claimant_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id"), index=True, comment="NULL when a clerk filed for a villager without an account"
    )

    claimant_name: Mapped[str | None] = mapped_column(String(50))
    claimant_id_number: Mapped[str | None] = mapped_column(EncryptedString())
    claimant_id_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    claimant_mobile: Mapped[str | None] = mapped_column(String(20))
    claimant_address: Mapped[str | None] = mapped_column(String(200))
    bank_name: Mapped[str | None] = mapped_column(String(100))
    bank_account: Mapped[str | None] = mapped_column(EncryptedString())
    bank_account_hash: Mapped[str | None] = mapped_column(String(64), index=True)

    county_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))
    township_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))
    village_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))
    incident_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    discovered_on: Mapped[date | None] = mapped_column(Date)
    species_id: Mapped[int | None] = mapped_column(ForeignKey("species.id"))
    species_unknown: Mapped[bool] = mapped_column(Boolean, default=False)
    species_description: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    gps_lat: Mapped[float | None] = mapped_column(Float)
    gps_lon: Mapped[float | None] = mapped_column(Float)
    gps_accuracy_m: Mapped[float | None] = mapped_column(Float)
    declaration: Mapped[bool] = mapped_column(Boolean, default=False)

    species_covered: Mapped[bool | None] = mapped_column(Boolean, comment="eligibility on the incident date, fixed at submission")
    late_report: Mapped[bool] = mapped_column(Boolean, default=False, comment="filed after the application time limit")
    accepted_by_filer: Mapped[bool] = mapped_column(
        Boolean, default=False, comment="the clerk who filed it also took intake, as the county's one-clerk setting allows"
    )
    due_at: Mapped[date | None] = mapped_column(Date, comment="when the party in charge must act (local date)")
    estimated_amount: Mapped[Decimal | None] = mapped_column(Money())
    decision_reasons: Mapped[list[str]] = mapped_column(JSON, default=list, comment="refusal reason codes of a not-accepted or not-compensated claim")
    decision_explanation: Mapped[str | None] = mapped_column(Text)
    correction_items: Mapped[list[str]] = mapped_column(JSON, default=list, comment="what the township asked to correct")
    correction_note: Mapped[str | None] = mapped_column(Text)
    survey_round: Mapped[int] = mapped_column(Integer, default=0, comment="1 for the first survey, 2 after a dispute, ...")

    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    submitted_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id"), comment="who submitted it last: its filer, or a clerk who rewrote and resubmitted it after its return"
    )

    filed_by: Mapped[User] = relationship(foreign_keys=[filed_by_id])
    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id])
    claimant_user: Mapped[User | None] = relationship(foreign_keys=[claimant_user_id])
    county: Mapped[Region | None] = relationship(foreign_keys=[county_id])
    township: Mapped[Region | None] = relationship(foreign_keys=[township_id])
    village: Mapped[Region | None] = relationship(foreign_keys=[village_id])
    species: Mapped[Species | None] = relationship()
    losses: Mapped[list[LossLine]] = relationship(back_populates="claim", order_by="LossLine.position", cascade="all, delete-orphan")
    photos: Mapped[list[Photo]] = relationship(back_populates="claim", order_by="Photo.id")

    __mapper_args__ = {"version_id_col": version}

    @property
    def filed_by_proxy(self) -> bool:
        return self.claimant_user_id != self.filed_by_id


class LossLine(db.Model):
    __tablename__ = "loss_lines"
    __table_args__ = (
        CheckConstraint("quantity IS NULL OR quantity > 0", name="quantity_positive"),
        CheckConstraint("medical_costs IS NULL OR medical_costs >= 0", name="medical_costs_nonnegative"),
    )

    id: Mapped[intpk]
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    category: Mapped[LossCategory] = mapped_column(str_enum(LossCategory))
    item: Mapped[str] = mapped_column(String(100))
    quantity: Mapped[Decimal | None] = mapped_column(Quantity())
    unit: Mapped[str | None] = mapped_column(String(20))
    hospital_days: Mapped[int | None] = mapped_column(Integer)
    medical_costs: Mapped[Decimal | None] = mapped_column(Money())
    note: Mapped[str | None] = mapped_column(String(200))

    claim: Mapped[Claim] = relationship(back_populates="losses")


class PhotoStage(enum.StrEnum):
    FILING = "filing"
    SURVEY = "survey"
    CONFIRMATION = "confirmation"
    INVOICE = "invoice"  # a medical invoice the survey saw (survey.models.MedicalInvoice): a paper, not the scene


# Photos of a paper (the signed confirmation, an invoice): neither their time, place nor look says anything about the
# scene, so they get no evidence flags and are not compared with other claims' photos.
PAPER_STAGES = (PhotoStage.CONFIRMATION, PhotoStage.INVOICE)


class Photo(db.Model):
    """One photo: the original byte-exact with its SHA-256, plus EXIF-free display copies."""

    __tablename__ = "photos"
    __table_args__ = (UniqueConstraint("claim_id", "sha256"),)

    id: Mapped[intpk]
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    stage: Mapped[PhotoStage] = mapped_column(str_enum(PhotoStage), default=PhotoStage.FILING)
    original_key: Mapped[str] = mapped_column(String(80))
    display_key: Mapped[str] = mapped_column(String(80))
    thumb_key: Mapped[str] = mapped_column(String(80))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    phash: Mapped[str] = mapped_column(String(16), comment="perceptual hash, 64 bits as hex")
    # The hash split in four 16-bit bands: two photos within Hamming distance 3 share a band
    # (pigeonhole), so near-duplicates are found through indexes instead of a scan of every photo.
    phash_b0: Mapped[str] = mapped_column(String(4), index=True)
    phash_b1: Mapped[str] = mapped_column(String(4), index=True)
    phash_b2: Mapped[str] = mapped_column(String(4), index=True)
    phash_b3: Mapped[str] = mapped_column(String(4), index=True)
    format: Mapped[str] = mapped_column(String(10))
    mime: Mapped[str] = mapped_column(String(30))
    size_bytes: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), comment="EXIF capture time")
    exif_lat: Mapped[float | None] = mapped_column(Float)
    exif_lon: Mapped[float | None] = mapped_column(Float)
    browser_lat: Mapped[float | None] = mapped_column(Float, comment="the phone's position when the photo was taken, from the browser")
    browser_lon: Mapped[float | None] = mapped_column(Float)
    browser_accuracy_m: Mapped[float | None] = mapped_column(Float)
    browser_time: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resized_on_phone: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false(), comment="downsized by the phone before upload (save data)")
    flags: Mapped[list[str]] = mapped_column(JSON, default=list, comment="evidence warnings: time, distance, duplicate")
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("photos.id"))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), comment="hidden from the claim; never deleted")

    claim: Mapped[Claim] = relationship(back_populates="photos")
    uploaded_by: Mapped[User] = relationship(foreign_keys=[uploaded_by_id])


class ClaimSequence(db.Model):
    """The last claim number given per county and year (gap-free under concurrent submissions)."""

    __tablename__ = "claim_sequences"

    county_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer, default=0)


class FormStash(db.Model):
    """What a user typed when the session expired mid-form, kept until they log in again."""

    __tablename__ = "form_stashes"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    endpoint: Mapped[str] = mapped_column(String(100))
    data: Mapped[str] = mapped_column(Text, comment="encrypted JSON of the form fields")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
