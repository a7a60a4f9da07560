"""The region tree, species lists with effective dates, county designations, calendar and time limits."""

from __future__ import annotations

import enum
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Boolean, CheckConstraint, Date, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from claims.core.db import intpk, str_enum
from claims.extensions import db


class RegionLevel(enum.StrEnum):
    PROVINCE = "province"
    PREFECTURE = "prefecture"
    COUNTY = "county"
    TOWNSHIP = "township"
    VILLAGE = "village"

    @property
    def title(self) -> str:
        return str(_LEVEL_TITLES[self])


_LEVEL_TITLES = {
    RegionLevel.PROVINCE: _l("Province"),
    RegionLevel.PREFECTURE: _l("Prefecture"),
    RegionLevel.COUNTY: _l("County"),
    RegionLevel.TOWNSHIP: _l("Township"),
    RegionLevel.VILLAGE: _l("Village"),
}


class Region(db.Model):
    """An administrative division keyed by its official code (GB/T 2260 and the NBS statistical codes)."""

    __tablename__ = "regions"

    id: Mapped[intpk]
    code: Mapped[str] = mapped_column(String(12), unique=True, comment="official division code")
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[RegionLevel] = mapped_column(str_enum(RegionLevel))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"), index=True)
    path: Mapped[str] = mapped_column(String(80), index=True, comment="codes from the root, '/'-separated, for subtree scope")
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    parent: Mapped[Region | None] = relationship(remote_side="Region.id", back_populates="children")
    children: Mapped[list[Region]] = relationship(back_populates="parent", order_by="Region.code")

    def is_within(self, other: Region) -> bool:
        return self.path.startswith(other.path)

    def ancestor(self, level: RegionLevel) -> Region | None:
        node: Region | None = self
        while node is not None and node.level != level:
            node = node.parent
        return node

    def ancestor_or_self_county(self) -> Region | None:
        """The county this region is in (a township's or village's county), if any."""
        return self.ancestor(RegionLevel.COUNTY)

    def __str__(self) -> str:
        return self.name


class ListKind(enum.StrEnum):
    NATIONAL_KEY_1 = "national_key_1"
    NATIONAL_KEY_2 = "national_key_2"
    SANYOU = "sanyou"
    HUNAN_KEY = "hunan_key"

    @property
    def title(self) -> str:
        return str(_LIST_TITLES[self])


_LIST_TITLES = {
    ListKind.NATIONAL_KEY_1: _l("National key protection, class I"),
    ListKind.NATIONAL_KEY_2: _l("National key protection, class II"),
    ListKind.SANYOU: _l("National list of species of ecological, scientific or social value"),
    ListKind.HUNAN_KEY: _l("Hunan provincial key protection"),
}


class Species(db.Model):
    __tablename__ = "species"

    id: Mapped[intpk]
    code: Mapped[str] = mapped_column(String(50), unique=True)
    name_zh: Mapped[str] = mapped_column(String(50))
    name_sci: Mapped[str] = mapped_column(String(100))
    group: Mapped[str] = mapped_column(String(20))

    listings: Mapped[list[SpeciesListing]] = relationship(back_populates="species", cascade="all, delete-orphan")

    def __str__(self) -> str:
        return self.name_zh


class SpeciesListing(db.Model):
    """A species on a protection list for a period; the list in force on the incident date decides."""

    __tablename__ = "species_listings"
    __table_args__ = (CheckConstraint("effective_to IS NULL OR effective_to >= effective_from", name="dates"),)

    id: Mapped[intpk]
    species_id: Mapped[int] = mapped_column(ForeignKey("species.id"), index=True)
    list_kind: Mapped[ListKind] = mapped_column(str_enum(ListKind))
    effective_from: Mapped[date] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date, comment="last day in force; NULL while in force")
    source: Mapped[str] = mapped_column(String(200), default="")

    species: Mapped[Species] = relationship(back_populates="listings")


class CountyDesignation(db.Model):
    """A species a prefecture or county government designated as seriously damaging (Hunan Art. 2 (4))."""

    __tablename__ = "county_designations"
    __table_args__ = (CheckConstraint("effective_to IS NULL OR effective_to >= effective_from", name="dates"),)

    id: Mapped[intpk]
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True, comment="county or prefecture")
    species_id: Mapped[int] = mapped_column(ForeignKey("species.id"), index=True)
    effective_from: Mapped[date] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date)
    document: Mapped[str] = mapped_column(String(200), default="", comment="title and number of the published notice")

    region: Mapped[Region] = relationship()
    species: Mapped[Species] = relationship()


class CalendarDay(db.Model):
    """An administrator's override of the working-day calendar (holidays and adjusted working weekends)."""

    __tablename__ = "calendar_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    is_workday: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(String(100), default="")


class LimitKind(enum.StrEnum):
    """Which step a working-day time limit applies to (`TimeLimit.kind`); an insurance policy's money limits are `PolicyLimit`."""

    APPLICATION = "application"
    INTAKE = "intake"
    SURVEY = "survey"
    CONFIRMATION = "confirmation"
    VALUATION = "valuation"
    INSURER = "insurer"
    APPROVAL = "approval"
    PAYMENT = "payment"
    OBJECTION = "objection"

    @property
    def title(self) -> str:
        return str(_LIMIT_TITLES[self])


_LIMIT_TITLES = {
    LimitKind.APPLICATION: _l("Application after the loss"),
    LimitKind.INTAKE: _l("Intake by the township"),
    LimitKind.SURVEY: _l("Field survey report"),
    LimitKind.CONFIRMATION: _l("Claimant's confirmation"),
    LimitKind.VALUATION: _l("Valuation"),
    LimitKind.INSURER: _l("Insurer's assessment"),
    LimitKind.APPROVAL: _l("Approval"),
    LimitKind.PAYMENT: _l("Payment after the decision"),
    LimitKind.OBJECTION: _l("Review of an objection to the public notice"),
}


class TimeLimit(db.Model):
    """A time limit in working days, per county (or the default when region_id is NULL), with dates."""

    __tablename__ = "time_limits"
    __table_args__ = (UniqueConstraint("region_id", "kind", "effective_from"),)

    id: Mapped[intpk]
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))
    kind: Mapped[LimitKind] = mapped_column(str_enum(LimitKind))
    working_days: Mapped[int] = mapped_column(Integer)
    effective_from: Mapped[date] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(200), default="")

    region: Mapped[Region | None] = relationship()


class CountySetting(db.Model):
    """A per-county setting with effective dates (surveyors per case, notice period, thresholds, ...).

    The value is JSON so that one table serves integers, amounts (as strings of yuan) and texts; the
    typed accessors in `claims.regions.settings` name every key with its default.
    """

    __tablename__ = "county_settings"
    __table_args__ = (
        UniqueConstraint("region_id", "key", "effective_from"),
        CheckConstraint("effective_to IS NULL OR effective_to >= effective_from", name="dates"),
    )

    id: Mapped[intpk]
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    key: Mapped[str] = mapped_column(String(50))
    value: Mapped[Any] = mapped_column(JSON)
    effective_from: Mapped[date] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(String(200), default="")

    region: Mapped[Region] = relationship()
