"""A claim returned for correction and not corrected by its deadline is not accepted (不予受理), as the correction
notice tells the claimant: the township's clerk takes that step once the deadline has passed, it appears on the
clerk's to-do list then, and the daily deadlines chase the clerk as for any other overdue claim."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import pytest
from flask import Flask
from sqlalchemy import func, select

from claims.accounts.services import find_user
from claims.core import time as clock
from claims.documents.models import DocumentKind, IssuedDocument
from claims.extensions import db
from claims.intake import review
from claims.intake.models import Claim
from claims.workflow.models import Notification, OutboxMessage
from claims.workflow.queues import todo_query
from claims.workflow.services import WorkflowError
from claims.workflow.states import ClaimStatus
from tests.conftest import csrf_token, login
from tests.workflow.conftest import file_claim


def _on(day: date, hour: int = 9) -> None:
    clock.freeze(datetime(day.year, day.month, day.day, hour, tzinfo=clock.LOCAL_TZ))


@pytest.fixture
def returned(make_claim) -> Claim:  # type: ignore[no-untyped-def]
    claim = make_claim()  # today: the clock is moved forward from here (the forms' CSRF tokens are dated by the real clock)
    review.return_claim(claim, ["photos", "bank_account"], "照片看不清", actor=find_user("clerk"))
    db.session.commit()
    assert claim.due_at is not None and claim.due_at > clock.local_today()
    return claim


def _in_todo(login_name: str, claim: Claim) -> bool:
    query = todo_query(find_user(login_name)).where(Claim.id == claim.id).order_by(None)
    return db.session.execute(select(func.count()).select_from(query.subquery())).scalar_one() == 1


def test_not_accepted_only_once_the_correction_deadline_has_passed(returned: Claim) -> None:
    due = returned.due_at
    assert due is not None
    _on(due, hour=23)  # the last day for the correction is still the claimant's
    with pytest.raises(WorkflowError, match=str(due.year)):
        review.lapse_claim(returned, "", actor=find_user("clerk"))
    db.session.rollback()
    assert not _in_todo("clerk", returned)

    _on(date.fromordinal(due.toordinal() + 1))
    assert _in_todo("clerk", returned)
    review.lapse_claim(returned, "", actor=find_user("clerk"))
    db.session.commit()
    assert returned.status == ClaimStatus.NOT_ACCEPTED
    assert returned.decision_reasons == ["not_corrected"]
    assert returned.due_at is None
    assert f"{due.year}年{due.month}月{due.day}日" in (returned.decision_explanation or "")
    kinds = db.session.execute(select(IssuedDocument.kind).where(IssuedDocument.claim_id == returned.id)).scalars().all()
    assert DocumentKind.NOT_ACCEPTED in kinds
    villager = find_user("13800000001")
    assert db.session.query(Notification).filter_by(user_id=villager.id, kind="lapse").count() == 1
    assert db.session.query(OutboxMessage).filter_by(claim_id=returned.id).count() >= 2  # the return's text, and this one's
    assert not _in_todo("clerk", returned)


def test_the_clerk_may_add_an_explanation(returned: Claim) -> None:
    assert returned.due_at is not None
    _on(date.fromordinal(returned.due_at.toordinal() + 3))
    review.lapse_claim(returned, "电话联系未果", actor=find_user("clerk"))
    db.session.commit()
    assert "电话联系未果" in (returned.decision_explanation or "")


def test_only_the_townships_intake_staff_take_the_step(returned: Claim) -> None:
    assert returned.due_at is not None
    _on(date.fromordinal(returned.due_at.toordinal() + 1))
    for login_name in ("13800000001", "clerk2", "approver"):
        with pytest.raises(WorkflowError):
            review.lapse_claim(returned, "", actor=find_user(login_name))
        db.session.rollback()
    assert returned.status == ClaimStatus.RETURNED


def test_a_corrected_claim_cannot_lapse(returned: Claim, make_claim) -> None:  # type: ignore[no-untyped-def]
    assert returned.due_at is not None
    _on(date.fromordinal(returned.due_at.toordinal() + 1))
    returned.status = ClaimStatus.SUBMITTED  # as if resubmitted just now
    db.session.commit()
    with pytest.raises(WorkflowError):
        review.lapse_claim(returned, "", actor=find_user("clerk"))


@dataclass(frozen=True)
class Returned:
    id: int
    number: str
    due: date
    version: int


@pytest.fixture
def returned_page(app: Flask) -> Returned:
    """A returned claim for page tests, which run outside the test's own app context (each request has its own)."""
    with app.app_context():
        claim = file_claim()
        review.return_claim(claim, ["photos"], None, actor=find_user("clerk"))
        db.session.commit()
        assert claim.due_at is not None and claim.number is not None
        made = Returned(claim.id, claim.number, claim.due_at, claim.version)
        db.session.remove()
    return made


def _status(app: Flask, claim_id: int) -> ClaimStatus:
    with app.app_context():
        return db.session.get(Claim, claim_id).status


def test_the_page_does_not_offer_the_step_on_the_last_day(app: Flask, returned_page: Returned) -> None:
    _on(returned_page.due)
    client = app.test_client()
    login(client, "clerk")
    html = client.get(f"/claims/{returned_page.id}").get_data(as_text=True)
    assert returned_page.number in html and "lapse-form" not in html


def test_the_page_offers_the_step_after_the_deadline_and_takes_it(app: Flask, returned_page: Returned) -> None:
    _on(date.fromordinal(returned_page.due.toordinal() + 1))
    client = app.test_client()
    login(client, "clerk")
    page, action = f"/claims/{returned_page.id}", f"/claims/{returned_page.id}/lapse"
    html = client.get(page).get_data(as_text=True)
    assert action in html and "逾期未补正" in html
    response = client.post(action, data={"csrf_token": csrf_token(client, page), "version": str(returned_page.version), "explanation": "x" * 2001})
    assert response.status_code == 422 and "2000" in response.get_data(as_text=True)
    assert _status(app, returned_page.id) == ClaimStatus.RETURNED
    response = client.post(action, data={"csrf_token": csrf_token(client, page), "version": str(returned_page.version)})
    assert response.status_code == 302
    assert _status(app, returned_page.id) == ClaimStatus.NOT_ACCEPTED


def test_the_villager_cannot_post_the_step(app: Flask, returned_page: Returned) -> None:
    _on(date.fromordinal(returned_page.due.toordinal() + 1))
    client = app.test_client()
    login(client, "13800000001")
    page = f"/claims/{returned_page.id}"
    response = client.post(f"{page}/lapse", data={"csrf_token": csrf_token(client, page), "version": str(returned_page.version)})
    assert response.status_code in (403, 404)
    assert _status(app, returned_page.id) == ClaimStatus.RETURNED


def test_a_correction_saved_on_a_stale_copy_of_the_claim_is_a_conflict(returned: Claim) -> None:
    """Saving a filed claim locks it as every step does (the audit chain, then the row): a copy older than the row, as
    when a clerk took a step on it meanwhile, is refused (ClaimChanged), never a lock taken in the other order."""
    from claims.intake.operations import save_filing
    from claims.intake.services import CLAIM_FIELDS, ClaimInput, LossInput
    from claims.workflow.services import ClaimChanged

    data = ClaimInput(
        **{k: getattr(returned, k) for k in CLAIM_FIELDS},
        losses=[LossInput(line.category, line.item, line.quantity, line.unit) for line in returned.losses],
    )
    db.session.execute(Claim.__table__.update().where(Claim.id == returned.id).values(version=returned.version + 1))
    with pytest.raises(ClaimChanged):
        save_filing(returned, data, [], actor=find_user("13800000001"), submit=True, form_ok=True)
    db.session.rollback()
