"""Who may see and change which claim. Views, templates and the API call these; nothing re-implements them."""

from __future__ import annotations

from typing import Any

from flask import abort
from sqlalchemy import false, or_, select
from sqlalchemy.orm import aliased

from claims.accounts.models import Role, User
from claims.extensions import db
from claims.insurance.permissions import is_referred_to, referred_claim_ids
from claims.intake.models import Claim
from claims.regions.models import Region
from claims.workflow.states import ClaimStatus

EDITABLE_STATES = frozenset({ClaimStatus.DRAFT, ClaimStatus.RETURNED})


def scope_filter(user: User) -> Any:
    """A WHERE clause limiting claims to the user's scope."""
    if not user.active:
        return false()
    if user.role == Role.VILLAGER:
        return or_(Claim.claimant_user_id == user.id, Claim.filed_by_id == user.id)
    if user.role == Role.CLERK:
        return Claim.township_id == user.region_id
    if user.role in (Role.OFFICER, Role.APPROVER):
        return Claim.county_id == user.region_id
    if user.role == Role.ADMIN and user.region is not None:
        county = aliased(Region)
        subtree = select(county.id).where(county.path.startswith(user.region.path))
        return Claim.county_id.in_(subtree)
    if user.role == Role.INSURER:
        return Claim.id.in_(referred_claim_ids(user))
    return false()


def staff_sees_drafts(user: User, claim: Claim) -> bool:
    """Staff see a claim that was never submitted (a draft, or a draft withdrawn by its filer: no number)
    only when they are filing it themselves. `staff_draft_filter` is the same rule in SQL."""
    return claim.number is not None or claim.filed_by_id == user.id


def staff_draft_filter(user: User) -> Any:
    """`staff_sees_drafts` as a WHERE clause."""
    return or_(Claim.number.is_not(None), Claim.filed_by_id == user.id)


def can_view_claim(user: User | None, claim: Claim) -> bool:
    """Whether `user` may see `claim`: `scope_filter` (with `staff_draft_filter` for staff) is the same rule in SQL
    (tests/intake/test_visibility.py checks that they agree on every user and claim of a world in every state)."""
    if user is None or not user.active:
        return False
    if user.role == Role.VILLAGER:
        return user.id in (claim.claimant_user_id, claim.filed_by_id)
    if not staff_sees_drafts(user, claim):
        return False
    if user.role == Role.CLERK:
        return claim.township_id is not None and claim.township_id == user.region_id
    if user.role in (Role.OFFICER, Role.APPROVER):
        return claim.county_id is not None and claim.county_id == user.region_id
    if user.role == Role.ADMIN and user.region is not None:
        return claim.county is not None and claim.county.is_within(user.region)
    if user.role == Role.INSURER:
        return is_referred_to(user, claim.id)
    return False


def can_edit_claim(user: User | None, claim: Claim) -> bool:
    """The filer edits a draft; the claimant or filer corrects a returned claim."""
    if user is None or claim.status not in EDITABLE_STATES:
        return False
    if claim.status == ClaimStatus.DRAFT:
        return claim.filed_by_id == user.id
    return user.id in (claim.filed_by_id, claim.claimant_user_id) or (user.role == Role.CLERK and can_view_claim(user, claim))


def can_see_full_identity(user: User | None, claim: Claim) -> bool:
    """Who may ask for the full resident ID number (and the original photos): the claimant themself, and the
    staff who check identity before money is paid: the township clerk, the county officer and the approver,
    on claims in their scope. Insurers and administrators never may. Pages show the number masked; the full
    number is shown only through the audited "show full number" action (intake.views.reveal_identity)."""
    if user is None:
        return False
    if user.role == Role.VILLAGER:
        return user.id in (claim.claimant_user_id, claim.filed_by_id)
    return user.role in (Role.CLERK, Role.OFFICER, Role.APPROVER) and can_view_claim(user, claim)


def can_see_evidence_flags(user: User | None) -> bool:
    """Evidence flags are warnings for the staff who check a claim, not for the claimant."""
    return user is not None and user.role.is_staff


def sees_contact_details(user: User | None, claim: Claim) -> bool:
    """The claimant's full name and mobile number: those who deal with the claimant in person (the same
    people as above). Insurers and administrators see them masked, as on the referral page."""
    return can_see_full_identity(user, claim)


def visible_claim_or_404(claim_id: int, user: User) -> Claim:
    """The claim, or 404 when it does not exist or the user may not see it (the same answer: no probing)."""
    claim = db.session.get(Claim, claim_id)
    if claim is None or not can_view_claim(user, claim):
        abort(404)
    return claim
