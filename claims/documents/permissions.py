"""Who may download which document: the claim's own scope rules, and the batch's scope for batch documents."""

from __future__ import annotations

from claims.accounts.models import Role, User
from claims.approval.models import NoticeBatch
from claims.documents.models import DocumentKind, IssuedDocument
from claims.extensions import db
from claims.intake.permissions import can_view_claim


def can_view_document(user: User | None, document: IssuedDocument) -> bool:
    """A claim's documents: whoever may see the claim (claimant, staff in scope, the insurer it was
    referred to). A batch document, by the batch it covers: a township's notice list, that township's
    clerks and the county's officers and approvers; a county's payment list (full names and amounts of
    every township's payees), the county's approvers only. Administrators above the county see both."""
    if user is None or not user.active:
        return False
    if document.claim is not None:
        return can_view_claim(user, document.claim)
    if user.role == Role.ADMIN:
        return user.region is not None and document.county.is_within(user.region)
    if document.kind == DocumentKind.NOTICE_LIST:
        return _sees_notice_list(user, document)
    if document.kind == DocumentKind.PAYMENT_LIST:
        return user.role == Role.APPROVER and user.region_id == document.county_id
    return False


def _sees_notice_list(user: User, document: IssuedDocument) -> bool:
    if user.role in (Role.OFFICER, Role.APPROVER):
        return user.region_id == document.county_id
    if user.role != Role.CLERK:
        return False
    batch = db.session.get(NoticeBatch, batch_id(document, "notice_batch") or 0)
    return batch is not None and batch.township_id == user.region_id


def batch_id(document: IssuedDocument, kind: str) -> int | None:
    """The batch a batch document is about (its subject reads e.g. `notice_batch:12`)."""
    prefix, _, number = (document.subject or "").partition(":")
    return int(number) if prefix == kind and number.isdigit() else None
