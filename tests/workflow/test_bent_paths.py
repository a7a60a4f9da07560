"""Paths a hostile review of issue 11 found could still be bent, each closed: the clerk who rewrote a returned claim
does not accept it, staff who never declared take no step at all, a clerk changing the claimant's mobile with the
bank account cannot divert the warning, the claimant is texted the answer recorded for them, a bank file with a
NaN amount is refused cleanly."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from claims.accounts.models import Role
from claims.accounts.services import find_user
from claims.approval import operations, payments
from claims.core import time as clock
from claims.extensions import db
from claims.intake import review
from claims.intake import services as intake
from claims.intake.models import Claim
from claims.intake.operations import save_filing
from claims.regions.models import Region
from claims.workflow.models import OutboxMessage
from claims.workflow.services import WorkflowError
from claims.workflow.states import ClaimStatus
from tests.approval.conftest import approved_chaling_claims, valued_claim
from tests.factories import advance, new_staff
from tests.workflow.conftest import file_claim


def _edit(claim, actor, *, submit: bool = False, **changes):  # type: ignore[no-untyped-def]
    data = intake.ClaimInput(**{name: getattr(claim, name) for name in intake.CLAIM_FIELDS})
    data.losses = [intake.LossInput(line.category, line.item, line.quantity, line.unit) for line in claim.losses]
    for name, value in changes.items():
        setattr(data, name, value)
    return save_filing(claim, data, [], actor=actor, submit=submit, form_ok=True)


def _texts(mobile: str) -> list[str]:
    return list(db.session.execute(select(OutboxMessage.body).where(OutboxMessage.recipient == mobile)).scalars())


def test_the_clerk_who_resubmitted_a_returned_claim_does_not_accept_it(ctx):  # type: ignore[no-untyped-def]
    claim = file_claim()  # the villager filed it
    review.return_claim(claim, ["photos"], "照片看不清", actor=find_user("officer"))
    db.session.commit()
    _edit(claim, find_user("clerk"), submit=True, note="补充说明")
    db.session.commit()
    assert claim.status == ClaimStatus.SUBMITTED
    with pytest.raises(WorkflowError):
        review.accept_claim(claim, actor=find_user("clerk"))
    db.session.rollback()


def test_a_villagers_claim_the_clerk_resubmitted_waits_for_a_county_officer_who_hears_of_it(ctx):  # type: ignore[no-untyped-def]
    """In a one-clerk township the clerk who rewrote and resubmitted a villager's returned claim cannot take its intake:
    the county officers are told of it, find it in their to-do, and one of them accepts it (as for a claim a clerk filed)."""
    from claims.workflow.models import Notification
    from claims.workflow.queues import todo_query

    claim = file_claim()  # the villager filed it
    review.return_claim(claim, ["photos"], "照片看不清", actor=find_user("officer"))
    db.session.commit()
    _edit(claim, find_user("clerk"), submit=True, note="补充说明")
    db.session.commit()
    officer = find_user("officer")
    told = select(Notification.id).where(Notification.claim_id == claim.id, Notification.user_id == officer.id, Notification.kind == "resubmit")
    assert db.session.execute(told).first() is not None, "the county officers hear of it"
    assert claim.id in db.session.execute(todo_query(officer).with_only_columns(Claim.id)).scalars().all()
    review.accept_claim(claim, actor=officer)
    db.session.commit()
    assert claim.status == ClaimStatus.ACCEPTED and not claim.accepted_by_filer


def test_a_clerk_who_rewrote_a_returned_claim_takes_no_intake_once_the_villager_sends_it_again(ctx):  # type: ignore[no-untyped-def]
    """The clerk saves her correction of a villager's returned claim without submitting it; the villager submits it:
    the content is still hers, so another clerk or a county officer takes its intake, and the officers hear of it."""
    from claims.workflow.models import Notification
    from claims.workflow.queues import todo_query

    claim = file_claim()  # the villager filed it
    review.return_claim(claim, ["photos"], "照片看不清", actor=find_user("officer"))
    db.session.commit()
    _edit(claim, find_user("clerk"), description="野猪夜里进田，拱倒水稻约两亩半（文书代为补充）。")  # saved, not submitted
    db.session.commit()
    villager = find_user("13800000001")
    outcome = _edit(claim, villager, submit=True)
    db.session.commit()
    assert outcome.submitted and claim.status == ClaimStatus.SUBMITTED
    with pytest.raises(WorkflowError):
        review.accept_claim(claim, actor=find_user("clerk"))
    db.session.rollback()
    officer = find_user("officer")
    told = select(Notification.id).where(Notification.claim_id == claim.id, Notification.user_id == officer.id, Notification.kind == "resubmit")
    assert db.session.execute(told).first() is not None
    assert claim.id in db.session.execute(todo_query(officer).with_only_columns(Claim.id)).scalars().all()


def test_a_clerk_who_only_removed_a_photo_of_a_returned_claim_takes_no_intake_of_it(ctx):  # type: ignore[no-untyped-def]
    """Removing a photo changes the evidence (and clears the duplicate flags it raised on other claims' photos)."""
    claim = file_claim()
    review.return_claim(claim, ["photos"], "照片看不清", actor=find_user("officer"))
    db.session.commit()
    intake.remove_photo(claim, claim.photos[0], actor=find_user("clerk"))
    db.session.commit()
    assert _edit(claim, find_user("13800000001"), submit=True).submitted
    db.session.commit()
    with pytest.raises(WorkflowError):
        review.accept_claim(claim, actor=find_user("clerk"))
    db.session.rollback()


def test_a_clerk_whose_rewrite_a_second_clerk_followed_still_takes_no_intake(ctx):  # type: ignore[no-untyped-def]
    """Clerk A rewrites, clerk B corrects the address and submits: the claim names B, and the audit trail names A."""
    claim = file_claim()
    township = db.session.get(Region, claim.township_id)
    second = new_staff(login="clerk_b", name="第二文书", role=Role.CLERK, region=township)
    review.return_claim(claim, ["photos"], "照片看不清", actor=find_user("officer"))
    db.session.commit()
    _edit(claim, find_user("clerk"), description="野猪夜里进田，拱倒水稻约两亩半（文书代为补充）。")
    db.session.commit()
    assert _edit(claim, second, submit=True, claimant_address="三仙湖村4组").submitted
    db.session.commit()
    for clerk in (find_user("clerk"), second):
        with pytest.raises(WorkflowError):
            review.accept_claim(claim, actor=clerk)
        db.session.rollback()
    review.accept_claim(claim, actor=find_user("officer"))
    db.session.commit()
    assert claim.status == ClaimStatus.ACCEPTED


def test_a_villager_correcting_her_own_returned_claim_leaves_its_intake_to_the_clerk(ctx):  # type: ignore[no-untyped-def]
    claim = file_claim()
    review.return_claim(claim, ["photos"], "照片看不清", actor=find_user("officer"))
    db.session.commit()
    _edit(claim, find_user("13800000001"), submit=True, description="野猪夜里进田，拱倒水稻约两亩半。")
    db.session.commit()
    review.accept_claim(claim, actor=find_user("clerk"))
    db.session.commit()
    assert claim.status == ClaimStatus.ACCEPTED


def test_staff_who_never_declared_take_no_step(ctx):  # type: ignore[no-untyped-def]
    claim = valued_claim("chaling", seed=3)
    township = db.session.execute(select(Region).where(Region.id == claim.township_id)).scalar_one()
    new_clerk = new_staff(login="clerk_nd", name="新文书", role=Role.CLERK, region=township)
    new_clerk.conflicts_declared_at = None  # the account as created, before its holder declared
    db.session.commit()
    with pytest.raises(WorkflowError):
        operations.create_notice_batch(township, [claim], clock.local_today(), actor=new_clerk)
    db.session.rollback()
    assert claim.status == ClaimStatus.VALUED


def test_a_clerk_changing_mobile_and_account_together_warns_the_number_given_at_filing(ctx):  # type: ignore[no-untyped-def]
    claim = file_claim()
    before = claim.claimant_mobile
    outcome = _edit(claim, find_user("clerk"), claimant_mobile="13655555555")
    assert outcome.bank_problem and claim.claimant_mobile == before, "a new mobile needs a reason too"
    _edit(claim, find_user("clerk"), claimant_mobile="13655555555", bank_account="6228480000000009876", bank_change_reason="村民来电")
    db.session.commit()
    assert claim.claimant_mobile == "13655555555"
    assert any("9876" in body for body in _texts(before)), "the number given at filing hears of the change"


def test_the_claimant_is_texted_the_answer_recorded_for_them(ctx):  # type: ignore[no-untyped-def]
    claim = file_claim()
    advance(claim, "confirmed")
    db.session.commit()
    assert any("确认" in body for body in _texts(claim.claimant_mobile))


def test_a_bank_file_with_a_nan_amount_is_refused_without_an_error(ctx):  # type: ignore[no-untyped-def]
    (claim,) = approved_chaling_claims(4)
    batch = payments.create_batch(claim.county, actor=find_user("approver_cl"))
    payments.export_csv(batch, actor=find_user("approver_cl"))
    db.session.commit()
    reference = batch.payments[0].reference
    report = payments.import_results(batch, f"reference,status,amount,bank_reference\n{reference},SUCCESS,sNaN,B1\n".encode(), actor=find_user("approver_cl"))
    assert report.errors and report.paid == 0
