"""Users, their role and the region that scopes what they see."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from claims.core.db import UTCDateTime, intpk, str_enum
from claims.core.time import utcnow
from claims.extensions import db
from claims.regions.models import Region


class Role(enum.StrEnum):
    VILLAGER = "villager"
    CLERK = "clerk"
    OFFICER = "officer"
    INSURER = "insurer"
    APPROVER = "approver"
    ADMIN = "admin"

    @property
    def title(self) -> str:
        return str(_ROLE_TITLES[self])

    @property
    def is_staff(self) -> bool:
        return self is not Role.VILLAGER


_ROLE_TITLES = {
    Role.VILLAGER: _l("Villager"),
    Role.CLERK: _l("Township clerk"),
    Role.OFFICER: _l("Forestry officer"),
    Role.INSURER: _l("Insurer's adjuster"),
    Role.APPROVER: _l("County approver"),
    Role.ADMIN: _l("Administrator"),
}


class User(db.Model):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint("role = 'villager' OR role = 'insurer' OR region_id IS NOT NULL", name="staff_scoped"),)

    id: Mapped[intpk]
    login: Mapped[str] = mapped_column(String(50), unique=True, comment="mobile number for villagers, a user name for staff")
    name: Mapped[str] = mapped_column(String(50))
    mobile: Mapped[str | None] = mapped_column(String(20))
    role: Mapped[Role] = mapped_column(str_enum(Role))
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"), index=True, comment="township for clerks, county for officers and approvers")
    organisation: Mapped[str | None] = mapped_column(String(100), comment="insurer company for adjusters")
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    service: Mapped[bool] = mapped_column(default=False, comment="an API client's account: never logs in, not on the user pages")
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, comment="bumped to end every session of the user")
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    first_failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    locale: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    conflicts_declared_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime(), comment="when the staff member last declared their relatives (or none); NULL: never, no step until they do"
    )

    region: Mapped[Region | None] = relationship()

    def __str__(self) -> str:
        return self.name

    @property
    def must_declare_conflicts(self) -> bool:
        """Staff who act on claims declare their relatives (or that there are none) before their first step."""
        return self.role in (Role.CLERK, Role.OFFICER, Role.APPROVER) and self.conflicts_declared_at is None
