"""Who may administer which user."""

from __future__ import annotations

from sqlalchemy import and_, or_, select

from claims.accounts.models import Role, User
from claims.regions.models import Region, RegionLevel


def can_manage_users(user: User | None) -> bool:
    return user is not None and user.active and user.role == Role.ADMIN


def is_province_wide(admin: User) -> bool:
    """Villagers and insurers belong to no region: only a province-wide administrator manages them,
    so that a county administrator can never take over an account whose claims lie elsewhere."""
    return admin.region is None or admin.region.level == RegionLevel.PROVINCE


def administers(user: User | None, region: Region) -> bool:
    """An active administrator whose region holds `region` (one without a region administers every province): the one
    rule for schedules, policies and county settings, on pages and in commands."""
    return user is not None and user.active and user.role == Role.ADMIN and (user.region is None or region.is_within(user.region))


def can_see_jobs(user: User) -> bool:
    """The background jobs serve every county at once (a job row names no county): province-wide administrators only."""
    return user.role == Role.ADMIN and is_province_wide(user)


def manageable_users_filter(admin: User):  # type: ignore[no-untyped-def]
    """Users an administrator manages: staff scoped inside the admin's region (and, province-wide, everyone); never an
    API client's service account, whose scope is its client's (claims.api: /admin/api-clients/)."""
    subtree = select(Region.id).where(Region.path.startswith(admin.region.path if admin.region else ""))
    if is_province_wide(admin):
        return and_(or_(User.region_id.in_(subtree), User.region_id.is_(None)), User.service.is_(False))
    return and_(User.region_id.in_(subtree), User.service.is_(False))


def can_manage_user(admin: User, user: User) -> bool:
    if not can_manage_users(admin) or user.service:
        return False
    if user.region is None:
        return is_province_wide(admin)
    return admin.region is None or user.region.is_within(admin.region)
