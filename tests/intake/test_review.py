"""The clerk's intake review through the services: accepting, returning for correction, not accepting."""

from __future__ import annotations

import pytest

from claims.accounts.services import find_user
from claims.extensions import db
from claims.intake import review
from claims.intake.operations import save_filing
from claims.intake.services import CLAIM_FIELDS, ClaimInput, LossInput
from claims.workflow.models import Notification, OutboxMessage
from claims.workflow.services import ClaimChanged, WorkflowError
from claims.workflow.states import ClaimStatus


def test_return_for_correction_and_resubmit(make_claim):  # type: ignore[no-untyped-def]
    claim = make_claim()
    review.return_claim(claim, ["photos", "bank_account"], "照片看不清", actor=find_user("clerk"))
    db.session.commit()
    assert claim.status == ClaimStatus.RETURNED and claim.correction_items == ["photos", "bank_account"]
    villager = find_user("13800000001")
    notes = db.session.query(Notification).filter_by(user_id=villager.id, kind="return").count()
    assert notes == 1
    assert db.session.query(OutboxMessage).filter_by(claim_id=claim.id).count() >= 1
    number = claim.number
    data = ClaimInput(
        **{k: getattr(claim, k) for k in CLAIM_FIELDS},
        losses=[LossInput(line.category, line.item, line.quantity, line.unit) for line in claim.losses],
    )
    data.bank_account = "6217995500009999999"
    outcome = save_filing(claim, data, [], actor=villager, submit=True, form_ok=True)
    db.session.commit()
    assert outcome.submitted and claim.status == ClaimStatus.SUBMITTED and claim.number == number


def test_not_accepted_needs_reason(make_claim):  # type: ignore[no-untyped-def]
    claim = make_claim()
    with pytest.raises(WorkflowError):
        review.refuse_intake(claim, [], "", actor=find_user("clerk"))
    db.session.rollback()
    review.refuse_intake(claim, ["late_report"], "超过申请期限", actor=find_user("clerk"))
    db.session.commit()
    assert claim.status == ClaimStatus.NOT_ACCEPTED and claim.decision_reasons == ["late_report"]


def test_clerk_of_other_township_cannot_accept(make_claim):  # type: ignore[no-untyped-def]
    claim = make_claim()
    with pytest.raises(WorkflowError):
        review.accept_claim(claim, actor=find_user("clerk2"))


def test_stale_version_is_a_conflict(make_claim):  # type: ignore[no-untyped-def]
    claim = make_claim()
    with pytest.raises(ClaimChanged):
        review.accept_claim(claim, actor=find_user("clerk"), expected_version=claim.version - 1)


def test_returning_for_other_needs_a_note_saying_what(make_claim):  # type: ignore[no-untyped-def]
    """ "Other (see the note)" is all the claimant would read: without a note the step is refused."""
    claim = make_claim()
    with pytest.raises(WorkflowError, match=r"备注|note"):
        review.return_claim(claim, ["other"], "  ", actor=find_user("clerk"))
    db.session.rollback()
    assert claim.status == ClaimStatus.SUBMITTED
    review.return_claim(claim, ["other"], "请补充村委会证明", actor=find_user("clerk"))
    db.session.commit()
    assert claim.status == ClaimStatus.RETURNED and claim.correction_note == "请补充村委会证明"
