"""Who may download which document: the claim's own scope rules, and county staff for batch documents."""

from __future__ import annotations

from claims.accounts.models import Role, User
from claims.documents.models import IssuedDocument
from claims.intake.permissions import can_view_claim


def can_view_document(user: User | None, document: IssuedDocument) -> bool:
    """A claim's documents: whoever may see the claim (claimant, staff in scope, the insurer it was
    referred to). A batch document (notice or payment list): the county's staff and administrators above."""
    if user is None or not user.active:
        return False
    if document.claim is not None:
        return can_view_claim(user, document.claim)
    if user.role in (Role.OFFICER, Role.APPROVER):
        return user.region_id == document.county_id
    if user.role == Role.CLERK:
        return user.region is not None and user.region.parent_id == document.county_id
    if user.role == Role.ADMIN:
        return user.region is not None and document.county.is_within(user.region)
    return False
