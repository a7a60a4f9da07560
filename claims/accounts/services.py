"""Accounts: passwords, login with throttling, registration and administration of users."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from werkzeug.security import check_password_hash, generate_password_hash

from claims.accounts import throttle
from claims.accounts.models import Role, User
from claims.core.time import utcnow
from claims.extensions import db
from claims.regions.models import Region, RegionLevel
from claims.workflow.audit import record_event

MIN_PASSWORD_LENGTH = 8

# The scope each staff role needs (Issue: clerk -> township, officer/approver -> county).
ROLE_SCOPE_LEVELS: dict[Role, tuple[RegionLevel, ...]] = {
    Role.VILLAGER: (),
    Role.CLERK: (RegionLevel.TOWNSHIP,),
    Role.OFFICER: (RegionLevel.COUNTY,),
    Role.APPROVER: (RegionLevel.COUNTY,),
    Role.INSURER: (),
    Role.ADMIN: (RegionLevel.PROVINCE, RegionLevel.PREFECTURE, RegionLevel.COUNTY),
}

# A real hash, so that an unknown login costs the same time as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


class AccountError(Exception):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    text = resources.files("claims.accounts").joinpath("data", "common_passwords.txt").read_text(encoding="utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def password_problem(password: str, *, login: str = "") -> str | None:
    """Why a new password is refused, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return _("The password must have at least %(n)d characters.", n=MIN_PASSWORD_LENGTH)
    if password.lower() in _common_passwords() or (login and password.lower() == login.lower()):
        return _("This password is too common or too easy to guess. Please choose another.")
    if len(set(password)) < 4:
        return _("This password is too easy to guess. Please choose another.")
    return None


def find_user(login: str) -> User | None:
    return db.session.execute(select(User).where(func.lower(User.login) == login.strip().lower())).scalar_one_or_none()


def find_admin(login: str) -> User | None:
    """The active administrator with this login, for the commands' `--by`."""
    user = find_user(login)
    return user if user is not None and user.role == Role.ADMIN and user.active else None


class LoginThrottled(Exception):
    """Too many failed attempts from this address or for this login: wait `retry_after` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


def authenticate(login: str, password: str, *, address: str) -> User:
    """Return the user, or raise AccountError (the same message for an unknown login and a bad password)
    or LoginThrottled (the same wait for both). A password is hashed on every attempt, a dummy hash for an
    unknown login, so that the time taken tells nothing either (throttle.py has the back-off policy)."""
    user = find_user(login)
    matches = check_password_hash(user.password_hash if user is not None else _DUMMY_HASH, password)
    wait = throttle.login_wait(address, login)
    if wait:
        throttle.note_refused(address)
        raise LoginThrottled(wait)
    if user is None or not matches or not user.active or user.service:  # an API client's account never logs in
        throttle.note_failure(address, login)
        raise AccountError(_("The login or the password is wrong."))
    return user


def set_password(user: User, password: str) -> None:
    problem = password_problem(password, login=user.login)
    if problem:
        raise AccountError(problem, "password")
    user.password_hash = generate_password_hash(password)
    user.password_changed_at = utcnow()


def change_password(user: User, current: str, new: str) -> None:
    if not check_password_hash(user.password_hash, current):
        raise AccountError(_("The current password is wrong."), "current_password")
    set_password(user, new)
    user.session_epoch += 1  # other devices are logged out
    record_event(entity="user", entity_id=user.id, action="password_changed", actor=user)


def register_villager(*, mobile: str, name: str, password: str) -> User:
    if find_user(mobile) is not None:
        raise AccountError(_("This mobile number is already registered. Please log in."), "mobile")
    user = User(login=mobile, mobile=mobile, name=name, role=Role.VILLAGER, password_hash="", session_epoch=0, failed_logins=0, active=True)
    set_password(user, password)
    db.session.add(user)
    db.session.flush()
    record_event(entity="user", entity_id=user.id, action="registered", actor=user)
    return user


def check_villager_mobile(role: Role, mobile: str | None, *, user: User | None = None) -> None:
    """A villager's mobile is theirs alone: claims filed for them are linked by it, so an administrator cannot give it to
    a second villager account (registration refuses the same). `user`: the account being edited, which may keep its own."""
    if role != Role.VILLAGER or not (mobile or "").strip():
        return
    number = mobile.strip()
    query = select(User.id).where(or_(User.mobile == number, func.lower(User.login) == number.lower()))
    if user is not None and user.id is not None:
        query = query.where(User.id != user.id)
    if db.session.execute(query.limit(1)).first() is not None:
        raise AccountError(_("This mobile number already belongs to another account."), "mobile")


def check_scope(role: Role, region: Region | None) -> None:
    levels = ROLE_SCOPE_LEVELS[role]
    if levels and (region is None or region.level not in levels):
        names = "、".join(level.title for level in levels)
        raise AccountError(_("A %(role)s must be assigned to a region of this level: %(levels)s.", role=role.title, levels=names), "region_id")


def create_user(
    *,
    login: str,
    name: str,
    role: Role,
    region: Region | None,
    password: str,
    mobile: str | None = None,
    organisation: str | None = None,
    actor: User | None = None,
) -> User:
    if find_user(login) is not None:
        raise AccountError(_("This login is already taken."), "login")
    check_scope(role, region)
    check_villager_mobile(role, mobile)
    user = User(
        login=login.strip(),
        name=name,
        role=role,
        region=region if ROLE_SCOPE_LEVELS[role] else None,
        mobile=mobile,
        organisation=organisation,
        password_hash="",
        active=True,
        session_epoch=0,
        failed_logins=0,
    )
    set_password(user, password)
    db.session.add(user)
    db.session.flush()
    record_event(
        entity="user",
        entity_id=user.id,
        action="user_created",
        actor=actor,
        changes={"login": user.login, "role": str(role), "region": region.code if region else None},
    )
    return user


def update_user(user: User, *, name: str, role: Role, region: Region | None, mobile: str | None, organisation: str | None, active: bool, actor: User) -> None:
    check_scope(role, region)
    check_villager_mobile(role, mobile, user=user)
    if user.id == actor.id and (not active or role != user.role):
        raise AccountError(_("You cannot deactivate yourself or change your own role."), "active")
    before = {"name": user.name, "role": str(user.role), "region": user.region.code if user.region else None, "active": user.active}
    user.name, user.role, user.mobile, user.organisation = name, role, mobile, organisation
    user.region = region if ROLE_SCOPE_LEVELS[role] else None
    if user.active and not active:
        user.session_epoch += 1  # deactivation takes effect on the next request
    user.active = active
    after = {"name": user.name, "role": str(user.role), "region": user.region.code if user.region else None, "active": user.active}
    changes = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    record_event(entity="user", entity_id=user.id, action="user_updated", actor=actor, changes=changes)


def reset_password(user: User, password: str, *, actor: User) -> None:
    set_password(user, password)
    user.session_epoch += 1
    throttle.forget_account(user.login)
    record_event(entity="user", entity_id=user.id, action="password_reset", actor=actor)
