"""Filing's operations, the ones the filing pages call: save a draft and submit it, withdraw a claim."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select

from claims.accounts.models import Role, User
from claims.core.crypto import mask_account
from claims.extensions import db
from claims.intake.evidence import evidence_flags
from claims.intake.models import Claim
from claims.intake.services import (
    BANK_FIELDS,
    ClaimInput,
    FilingOutcome,
    PhotoUpload,
    add_photos,
    bank_change_problem,
    species_warning,
    submission_problems,
    update_draft,
)
from claims.lifecycle import apply_transition, notify_event
from claims.workflow.states import ClaimStatus


def link_claimant_account(claim: Claim) -> None:
    """A claim a clerk filed shows in the villager's own list when mobile number and name both match."""
    if claim.claimant_user_id is not None or not claim.claimant_mobile or not claim.claimant_name:
        return
    user = db.session.execute(select(User).where(User.login == claim.claimant_mobile, User.role == Role.VILLAGER)).scalar_one_or_none()
    if user is not None and user.name == claim.claimant_name:
        claim.claimant_user = user


def save_filing(claim: Claim, data: ClaimInput, uploads: list[PhotoUpload], *, actor: User, submit: bool, form_ok: bool) -> FilingOutcome:
    """Save what was entered, keep every good photo, and submit when asked and complete.

    A change of a filed claim's bank account by anyone but the claimant needs a reason (else the old account
    is kept and the rest saved); the claimant is told of every change, by text message and in the app."""
    bank_problem = bank_change_problem(claim, data, actor=actor)
    if bank_problem:
        data = replace(data, bank_name=claim.bank_name, bank_account=claim.bank_account)
    changed = update_draft(claim, data, actor=actor)
    if claim.number is not None and set(BANK_FIELDS) & set(changed):
        notify_event(claim, "bank_account_changed", actor=actor, params={"account": mask_account(claim.bank_account)})
    db.session.flush()
    db.session.expire(claim, ["county", "township", "village", "species"])
    # On a submit, prepare_submission flags every photo once; otherwise the new ones are flagged here.
    added, photo_problems = add_photos(claim, uploads, actor=actor, flag=not submit)
    outcome = FilingOutcome(photo_problems=photo_problems, species_warning=species_warning(claim), bank_problem=bank_problem)
    if submit:
        outcome.problems = submission_problems(claim)
    if not submit or outcome.problems or photo_problems or bank_problem or not form_ok:
        for photo in added if submit else ():
            photo.flags = evidence_flags(claim, photo)
        return outcome
    link_claimant_account(claim)
    apply_transition(claim, "submit" if claim.status == ClaimStatus.DRAFT else "resubmit", actor=actor)
    outcome.submitted = True
    return outcome


def withdraw_claim(claim: Claim, reason: str | None, *, actor: User, expected_version: int | None = None) -> None:
    apply_transition(claim, "withdraw", actor=actor, reason=reason, expected_version=expected_version)
