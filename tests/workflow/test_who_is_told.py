"""Every step tells the person who must act next (in the app; by text message for villagers), walked along the
whole insured path with two approvers."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from claims.accounts.services import find_user
from claims.approval import operations
from claims.core import time as clock
from claims.extensions import db
from claims.insurance.models import InsurerDecision
from claims.insurance.operations import decide_as_insurer
from claims.intake.models import Claim
from claims.lifecycle import notice_text
from claims.regions import admin_services
from claims.workflow.models import Notification
from tests.conftest import login
from tests.factories import advance
from tests.workflow.conftest import file_claim


def _kinds(login_name: str, claim: Claim) -> list[str]:
    user = find_user(login_name)
    query = select(Notification.kind).where(Notification.user_id == user.id, Notification.claim_id == claim.id).order_by(Notification.id)
    return list(db.session.execute(query).scalars())


def _texts(login_name: str, claim: Claim) -> list[str]:
    user = find_user(login_name)
    query = select(Notification).where(Notification.user_id == user.id, Notification.claim_id == claim.id).order_by(Notification.id)
    return [notice_text(n) for n in db.session.execute(query).scalars()]


def test_every_step_tells_the_next_actor(app):  # type: ignore[no-untyped-def]
    with app.app_context():
        admin_services.set_county_setting(
            find_user("approver").region, "second_approval_above", "100", clock.local_today() - timedelta(days=1), "", actor=find_user("admin")
        )
        claim = file_claim("13800000001")
        db.session.commit()
        villager = claim.filed_by.login
        assert _kinds("clerk", claim) == ["submit"]
        advance(claim, "accepted")
        assert "accept" in _kinds("officer", claim) and "accept" in _kinds(villager, claim)
        advance(claim, "survey_assigned")
        surveyor_text = _texts("officer2", claim)[-1]
        assert surveyor_text not in _texts(villager, claim), "the claimant is not told that they survey"
        assert len(_texts(villager, claim)) == 2, "the claimant hears that surveyors will come"
        advance(claim, "surveyed")
        assert _kinds(villager, claim)[-1] == "survey_eligible"
        advance(claim, "confirmed")
        assert _kinds("officer2", claim)[-1] == "confirm"
        advance(claim, "valued")
        db.session.commit()
        assert "refer" in _kinds("insurer", claim), "the insurer hears of a new referral"
        assert "value" not in _kinds("clerk", claim), "the clerk is not asked to post a notice before the insurer decides"
        decide_as_insurer(claim, InsurerDecision.ACCEPT, actor=find_user("insurer"))
        db.session.commit()
        assert _kinds("clerk", claim)[-1] == "insurer_decide", "the clerk puts the claim on notice next"
        batch = operations.create_notice_batch(claim.township, [claim], clock.local_today(), actor=find_user("clerk"))
        db.session.commit()
        assert "start_notice" in _kinds("approver", claim) and "start_notice" in _kinds("approver2", claim)
        clock.freeze(clock.utcnow() + timedelta(days=batch.end_date.toordinal() - clock.local_today().toordinal() + 1))
        assert not operations.approve(claim, actor=find_user("approver"))
        db.session.commit()
        assert _kinds("approver2", claim)[-1] == "second_approval", "the second approver hears that an approval waits"
        claim_id = claim.id
        db.session.remove()
    second = app.test_client()
    login(second, "approver2")
    page = second.get(f"/claims/{claim_id}").get_data(as_text=True)
    assert "1 / 2" in page, "the page shows one of two approvals"
    with app.app_context():
        claim = db.session.get(Claim, claim_id)
        assert operations.approve(claim, actor=find_user("approver2"))
        db.session.commit()
        assert _kinds("insurer", claim)[-1] == "approve:insurer", "the insurer hears that it must pay"
        assert _kinds(villager, claim)[-1] == "approve"


def test_a_claim_a_clerk_filed_is_announced_to_the_county_officers_too(ctx):  # type: ignore[no-untyped-def]
    claim = file_claim("clerk")
    db.session.commit()
    assert _kinds("officer", claim) == ["submit"], "the filing clerk may not accept it: the officers hear of it"
    assert _kinds("clerk", claim) == [], "not the actor"


def test_the_bell_counts_unread_notices_with_the_user_and_again_after_reading(app, as_user):  # type: ignore[no-untyped-def]
    """A page's bell: the unread notices counted in the statement that loads the user (no statement of their own);
    marked read (a POST), the page it leads to shows none."""
    import re

    from sqlalchemy import event

    from tests.conftest import csrf_token

    with app.app_context():
        clerk = find_user("clerk")
        db.session.add_all([Notification(user_id=clerk.id, kind="submit", params={"number": f"N-{i}", "status": "submitted"}) for i in range(3)])
        db.session.commit()
    client = as_user("clerk")
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append(statement)

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", count)
    try:
        page = client.get("/notifications").get_data(as_text=True)
    finally:
        with app.app_context():
            event.remove(db.engine, "before_cursor_execute", count)
    assert re.search(r'class="count"[^>]*>3<', page), "the bell does not show 3 unread"
    assert not any("FROM notifications" in s and "FROM users" not in s and "count(" in s for s in statements), statements
    after = client.post("/notifications/read", data={"csrf_token": csrf_token(client, "/notifications")}, follow_redirects=True)
    assert after.status_code == 200 and 'class="count"' not in after.get_data(as_text=True)


def test_requests_that_draw_no_page_do_not_count_the_bell(app, as_user):  # type: ignore[no-untyped-def]
    """A photo or the phone's session check loads the user alone: no unread count for a bell not drawn. The place tree and
    the static files are the same for everyone: no account is looked up for them, and a static file asks nothing."""
    from sqlalchemy import event

    from claims.intake.models import Photo
    from tests.factories import file_claim

    with app.app_context():
        claim = file_claim("clerk")
        db.session.commit()
        photo = db.session.execute(select(Photo).where(Photo.claim_id == claim.id)).scalars().first()
        paths = [f"/claims/{claim.id}/photos/{photo.id}/thumb", "/sync/session"]
        public = ["/static/css/app.css", "/static/js/drafts.js", "/places.js"]
    client = as_user("clerk")
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append(statement)

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", count)
    try:
        for path in paths:
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
            response.close()
        files = list(statements)
        for path in public:
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
            response.close()
            if path.startswith("/static/"):
                assert statements == files, (path, statements[len(files) :])
        assert not any("users" in s for s in statements[len(files) :]), statements[len(files) :]  # the place tree reads regions only
        del statements[len(files) :]
        assert client.get("/claims/").status_code == 200  # a page: its bell is counted with the user
    finally:
        with app.app_context():
            event.remove(db.engine, "before_cursor_execute", count)
    assert sum("FROM users" in s for s in files) == len(paths) and not any("notifications" in s for s in files), files
    assert any("FROM users" in s and "notifications" in s for s in statements[len(files) :])


def test_following_a_notice_reads_the_claims_notices_and_no_others(app, as_user):  # type: ignore[no-untyped-def]
    """An unread notice is followed by a POST (a GET changes nothing): it and the user's other notices about the same
    claim are read, the claim opens, and the bell counts the rest. Another user's notice cannot be followed."""
    import re

    from tests.conftest import csrf_token

    with app.app_context():
        one, other = file_claim(seed=61), file_claim(seed=62)
        clerk = find_user("clerk")
        made = [Notification(user_id=clerk.id, claim_id=c.id, kind="submit", params={"number": c.number, "status": "submitted"}) for c in (one, one, other)]
        db.session.add_all(made)
        db.session.commit()
        ids, first = (one.id, other.id), made[0].id
        unread = select(func.count()).select_from(Notification).where(Notification.user_id == clerk.id, Notification.read_at.is_(None))
        unread_now = db.session.execute(unread).scalar_one() - db.session.execute(unread.where(Notification.claim_id == one.id)).scalar_one()
    client = as_user("clerk")
    listed = client.get("/notifications").get_data(as_text=True)
    assert f'action="/notifications/{first}/open"' in listed
    token = csrf_token(client, "/notifications")
    opened = client.post(f"/notifications/{first}/open", data={"csrf_token": token})
    assert opened.status_code == 302 and opened.headers["Location"].endswith(f"/claims/{ids[0]}")
    page = client.get(opened.headers["Location"]).get_data(as_text=True)
    assert re.search(rf'class="count"[^>]*>{unread_now}<', page), "the bell still counts the claim's notices"
    with app.app_context():
        about = select(Notification.claim_id, Notification.read_at).where(Notification.claim_id.in_(ids), Notification.user_id == clerk.id)
        assert {claim_id for claim_id, read_at in db.session.execute(about).all() if read_at is None} == {ids[1]}
    officer = as_user("officer")
    assert officer.post(f"/notifications/{first}/open", data={"csrf_token": csrf_token(officer, "/notifications")}).status_code == 404


def test_a_notice_about_a_claim_out_of_the_users_sight_says_so(app, as_user):  # type: ignore[no-untyped-def]
    """A notice stays in the bell after its claim left the user's scope (the claim was moved to another township):
    following it reads it and says why the claim does not open, instead of a bare 404."""
    from claims.regions.models import Region
    from tests.conftest import csrf_token

    with app.app_context():
        claim = file_claim(seed=63)
        clerk = find_user("clerk")
        notice = Notification(user_id=clerk.id, claim_id=claim.id, kind="submit", params={"number": claim.number, "status": "submitted"})
        db.session.add(notice)
        sibling = select(Region.id).where(Region.parent_id == claim.county_id, Region.id != claim.township_id).limit(1)
        claim.township_id = db.session.execute(sibling).scalar_one()
        db.session.commit()
        notice_id = notice.id
    client = as_user("clerk")
    opened = client.post(f"/notifications/{notice_id}/open", data={"csrf_token": csrf_token(client, "/notifications")})
    assert opened.status_code == 302 and opened.headers["Location"].endswith("/notifications")
    assert "这份通知所说的案件已不在您的查看范围内" in client.get("/notifications").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Notification, notice_id).read_at is not None
