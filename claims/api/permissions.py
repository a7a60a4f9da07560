"""Who may administer which API client, and what a token may do."""

from __future__ import annotations

from claims.accounts.models import User
from claims.accounts.permissions import can_manage_users, is_province_wide
from claims.api.models import ApiClient, ApiToken, Scope


def can_manage_clients(user: User | None) -> bool:
    return can_manage_users(user)


def can_manage_client(admin: User, client: ApiClient) -> bool:
    """An insurer's system serves several counties: province-wide administrators only (as for insurers' accounts);
    a platform: administrators of its region or above."""
    if not can_manage_clients(admin):
        return False
    if client.region is None:
        return is_province_wide(admin)
    return admin.region is None or client.region.is_within(admin.region)


def token_allows(token: ApiToken, scope: Scope) -> bool:
    return scope in token.scope_set
