"""Filing's operations, the ones the filing pages call: save a draft and submit it, withdraw a claim, link an account to a
claim filed for its owner."""

from __future__ import annotations

from dataclasses import replace

from flask_babel import gettext as _
from sqlalchemy import select

from claims.accounts.models import Role, User
from claims.core.crypto import lookup_hash, mask_account, mask_mobile
from claims.extensions import db
from claims.intake.evidence import flag_photos
from claims.intake.models import Claim
from claims.intake.services import (
    PAYMENT_CONTACT_FIELDS,
    ClaimInput,
    FilingOutcome,
    PhotoUpload,
    add_photos,
    bank_change_problem,
    note_clerk_rewrite,
    species_warning,
    submission_problems,
    update_draft,
)
from claims.lifecycle import apply_transition, lock_claim, notify_event
from claims.workflow.audit import record_event
from claims.workflow.codes import CodePurpose, send_sms_code, use_claim_code, use_sms_code
from claims.workflow.codes import issue_claim_code as new_claim_code
from claims.workflow.services import WorkflowError
from claims.workflow.states import ClaimStatus


# Linking an account to a claim filed for its owner: only with proof -----------------------------------------
# A mobile number and a name prove nothing (anyone can register them before the clerk files): the villager
# proves the mobile number with a code sent to it, or types the claim code printed on the receipt, and in
# both cases the claimant's ID number must match the claim's.
def send_link_code(user: User) -> None:
    """Text a code to the villager's own mobile number, to prove it (throttled; claims.workflow.codes)."""
    if user.role != Role.VILLAGER or not user.mobile:
        raise WorkflowError(_("Only a villager's account with a mobile number can be linked to claims."))
    send_sms_code(CodePurpose.LINK_MOBILE, user.mobile, user=user)


def _unlinked_claims(user: User, id_number: str) -> list[Claim]:
    query = select(Claim).where(
        Claim.claimant_user_id.is_(None),
        Claim.claimant_mobile == user.mobile,
        Claim.claimant_id_hash == lookup_hash(id_number),
        Claim.filed_by_id != user.id,
        Claim.status != ClaimStatus.DRAFT,
    )
    return list(db.session.execute(query.order_by(Claim.id)).scalars())


def _link(claim: Claim, user: User, proof: str) -> None:
    claim.claimant_user = user
    record_event(entity="claim", action="account_linked", actor=user, claim=claim, changes={"user": user.id, "proof": proof})
    notify_event(claim, "account_linked", actor=user, params={"mobile": mask_mobile(user.mobile)})


def link_by_mobile_code(user: User, code: str, id_number: str) -> list[Claim]:
    """Link the claims filed for this mobile number and ID number, once the code texted to it is typed back.

    A refusal counts a wrong attempt on the code: the caller commits it (claims.workflow.codes)."""
    if user.role != Role.VILLAGER or not user.mobile:
        raise WorkflowError(_("Only a villager's account with a mobile number can be linked to claims."))
    found: list[Claim] = []

    def id_matches() -> str | None:
        found.extend(_unlinked_claims(user, id_number))
        return None if found else _("No claim filed for your mobile number has this ID number.")

    use_sms_code(CodePurpose.LINK_MOBILE, user.mobile, code, also=id_matches)
    for claim in found:
        _link(claim, user, "sms_code")
    return found


def link_by_claim_code(user: User, code: str, id_number: str) -> Claim:
    """Link the claim whose receipt carries this claim code, when the ID number is the claimant's."""
    if user.role != Role.VILLAGER:
        raise WorkflowError(_("Only a villager's account with a mobile number can be linked to claims."))

    def id_matches(claim_id: int) -> str | None:
        claim = db.session.get(Claim, claim_id)
        if claim is None or claim.claimant_user_id is not None:
            return _("This claim is already linked to an account.")
        return None if claim.claimant_id_hash == lookup_hash(id_number) else _("The ID number does not match the claim.")

    row = use_claim_code(code, also=id_matches)
    claim = db.session.get(Claim, row.claim_id)
    assert claim is not None  # checked by id_matches
    _link(claim, user, "claim_code")
    return claim


def issue_claim_code(claim: Claim, *, actor: User) -> str:
    """A new claim code for a claim filed for a villager (a lost receipt): the earlier one stops working."""
    if claim.claimant_user_id is not None:
        raise WorkflowError(_("This claim is already linked to an account."))
    if claim.status in (ClaimStatus.DRAFT, ClaimStatus.WITHDRAWN):
        raise WorkflowError(_("A claim code is given for a submitted claim."))
    code = new_claim_code(claim.id)
    record_event(entity="claim", action="claim_code_issued", actor=actor, claim=claim)
    notify_event(claim, "claim_code_issued", actor=actor)
    return code


def save_filing(claim: Claim, data: ClaimInput, uploads: list[PhotoUpload], *, actor: User, submit: bool, form_ok: bool) -> FilingOutcome:
    """Save what was entered, keep every good photo, and submit when asked and complete.

    A change of a filed claim's bank account by anyone but the claimant needs a reason (else the old account
    is kept and the rest saved); the claimant is told of every change, by text message and in the app.

    A filed claim is locked first, as every step locks it (the audit chain, then the row): a correction saved while a
    clerk takes a step on the same claim (not accepted for want of correction, say) waits for it, then finds the claim
    changed (ClaimChanged), rather than the two holding each other's lock."""
    lock_claim(claim)
    bank_problem = bank_change_problem(claim, data, actor=actor)
    if bank_problem:
        data = replace(data, bank_name=claim.bank_name, bank_account=claim.bank_account, claimant_mobile=claim.claimant_mobile)
    mobile_before = claim.claimant_mobile
    changed = update_draft(claim, data, actor=actor)
    if claim.number is not None and set(PAYMENT_CONTACT_FIELDS) & set(changed):
        also = [mobile_before] if mobile_before and mobile_before != claim.claimant_mobile else []
        notify_event(claim, "bank_account_changed", actor=actor, params={"account": mask_account(claim.bank_account)}, also_texted=also)
    db.session.flush()
    db.session.expire(claim, ["county", "township", "village", "species"])
    # On a submit, prepare_submission flags every photo once; otherwise the new ones are flagged here.
    added, photo_problems = add_photos(claim, uploads, actor=actor, flag=not submit)
    if changed or added:
        note_clerk_rewrite(claim, actor)
    outcome = FilingOutcome(photo_problems=photo_problems, bank_problem=bank_problem)
    if submit:
        outcome.problems = submission_problems(claim)
    if not submit or outcome.problems or photo_problems or bank_problem or not form_ok:
        if submit:
            flag_photos(claim, added)
        outcome.species_warning = species_warning(claim)  # shown with the form again (a submitted claim keeps species_covered)
        return outcome
    apply_transition(claim, "submit" if claim.status == ClaimStatus.DRAFT else "resubmit", actor=actor)
    outcome.submitted = True
    return outcome


def withdraw_claim(claim: Claim, reason: str | None, *, actor: User, expected_version: int | None = None) -> None:
    apply_transition(claim, "withdraw", actor=actor, reason=reason, expected_version=expected_version)
