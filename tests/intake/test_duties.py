"""Separation of duties (issue 11, item 8): the filing clerk does not accept their own filing, staff do not act on
their kin's claims, and every staff member declares their conflicts before taking any step."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from claims.accounts.models import Role
from claims.accounts.services import create_user, find_user
from claims.core import time as clock
from claims.extensions import db
from claims.intake import review
from claims.intake.models import Claim
from claims.regions.admin_services import declare_relative, set_county_setting
from claims.survey.operations import assign_surveyors
from claims.valuation.services import compute_valuation
from claims.workflow.queues import todo_queue
from claims.workflow.services import WorkflowError
from claims.workflow.states import ClaimStatus
from tests.conftest import DEMO_PASSWORD, csrf_token, login
from tests.factories import advance
from tests.workflow.conftest import file_claim, region, resident_id

CLAIMANT_ID = resident_id()  # the ID number file_claim gives the claimant


def _setting(key: str, value: str) -> None:
    set_county_setting(region("430921"), key, value, clock.local_today(), "测试", actor=find_user("admin"))


def test_the_filing_clerk_does_not_accept_their_own_filing(ctx) -> None:  # type: ignore[no-untyped-def]
    claim = file_claim("clerk")
    assert claim in todo_queue(find_user("officer"))  # the county's officers see it waiting for intake
    with pytest.raises(WorkflowError):
        review.accept_claim(claim, actor=find_user("clerk"))
    db.session.rollback()
    review.accept_claim(claim, actor=find_user("officer"))  # a county officer takes intake
    db.session.commit()
    assert claim.status == ClaimStatus.ACCEPTED and not claim.accepted_by_filer


def test_a_county_officer_may_return_or_not_accept(ctx) -> None:  # type: ignore[no-untyped-def]
    returned, refused = file_claim(seed=1), file_claim(seed=2)
    review.return_claim(returned, ["photos"], "照片看不清", actor=find_user("officer"))
    review.refuse_intake(refused, ["late_report"], "超过申请期限", actor=find_user("officer"))
    db.session.commit()
    assert (returned.status, refused.status) == (ClaimStatus.RETURNED, ClaimStatus.NOT_ACCEPTED)


def test_a_one_clerk_township_may_accept_its_own_filing_on_record(app) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        _setting("filer_may_accept", "1")
        claim = file_claim("clerk")
        review.accept_claim(claim, actor=find_user("clerk"))
        db.session.commit()
        claim_id = claim.id
        assert claim.status == ClaimStatus.ACCEPTED and claim.accepted_by_filer
    client = app.test_client()
    login(client, "officer")
    page = client.get(f"/claims/{claim_id}").get_data(as_text=True)
    assert 'id="accepted-by-filer"' in page


def test_staff_do_not_act_on_their_kins_claims(ctx) -> None:  # type: ignore[no-untyped-def]
    _setting("surveyors_required", "1")
    claim = file_claim()
    declare_relative(find_user("clerk"), CLAIMANT_ID, "表兄")
    declare_relative(find_user("officer2"), CLAIMANT_ID, "女婿")
    db.session.commit()
    with pytest.raises(WorkflowError):
        review.accept_claim(claim, actor=find_user("clerk"))
    db.session.rollback()
    review.accept_claim(claim, actor=find_user("officer"))
    db.session.commit()
    with pytest.raises(WorkflowError):
        assign_surveyors(claim, [find_user("officer")], actor=find_user("officer2"))
    db.session.rollback()
    assign_surveyors(claim, [find_user("officer")], actor=find_user("officer"))
    advance(claim, "confirmed", surveyor="officer")
    with pytest.raises(WorkflowError):
        compute_valuation(claim, actor=find_user("officer2"))


def test_staff_declare_before_taking_any_step(app) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        create_user(login="clerk_new", name="新文员", role=Role.CLERK, region=region("430921128"), password=DEMO_PASSWORD, actor=find_user("admin"))
        claim = file_claim()
        db.session.commit()
        claim_id = claim.id
        with pytest.raises(WorkflowError) as refused:
            review.accept_claim(claim, actor=find_user("clerk_new"))
        assert "declare" in refused.value.message or "申报" in refused.value.message
        db.session.rollback()
    client = app.test_client()
    response = client.post("/login", data={"login": "clerk_new", "password": DEMO_PASSWORD, "csrf_token": csrf_token(client)})
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/conflicts")
    token = csrf_token(client, "/admin/conflicts")
    assert client.post("/admin/conflicts/none", data={"csrf_token": token}).status_code == 302
    with app.app_context():
        assert find_user("clerk_new").conflicts_declared_at is not None
        claim = db.session.get(Claim, claim_id)
        review.accept_claim(claim, actor=find_user("clerk_new"))
        db.session.commit()
        assert db.session.execute(select(Claim.status).where(Claim.id == claim_id)).scalar_one() == ClaimStatus.ACCEPTED
