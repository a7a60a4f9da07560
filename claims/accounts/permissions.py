"""Who may administer which user."""

from __future__ import annotations

from sqlalchemy import or_, select

from claims.accounts.models import Role, User
from claims.regions.models import Region


def can_manage_users(user: User | None) -> bool:
    return user is not None and user.active and user.role == Role.ADMIN


def manageable_users_filter(admin: User):  # type: ignore[no-untyped-def]
    """Users an administrator manages: staff scoped inside the admin's region, and villagers and insurers."""
    subtree = select(Region.id).where(Region.path.startswith(admin.region.path if admin.region else ""))
    return or_(User.region_id.in_(subtree), User.region_id.is_(None))


def can_manage_user(admin: User, user: User) -> bool:
    if not can_manage_users(admin):
        return False
    return user.region is None or admin.region is None or user.region.is_within(admin.region)
