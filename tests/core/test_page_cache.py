"""The to-do list's rows are kept for their viewer until the data changes (claims/core/pagecache.py)."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

from flask.testing import FlaskClient
from sqlalchemy import event, update

from claims.accounts.services import find_user
from claims.core import pagecache
from claims.core import time as clock
from claims.core.pagecache import PageCache, data_stamp
from claims.extensions import db
from claims.intake.models import Claim
from claims.workflow.models import Notification
from tests.conftest import login
from tests.workflow.conftest import file_claim


def _queue(app, client: FlaskClient) -> tuple[str, int]:  # type: ignore[no-untyped-def]
    """The to-do rows, and how many statements read them."""
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append(" ".join(statement.split()))

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", record)
        try:
            response = client.get("/queue")
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    rows = page.split("<tbody>")[1].split("</tbody>")[0] if "<tbody>" in page else ""
    return rows, sum(1 for s in statements if " FROM claims " in s and "ORDER BY claims.due_at" in s)


def _shared_server(app) -> bool:  # type: ignore[no-untyped-def]
    """PostgreSQL's stamp, a statement's snapshot, moves with every transaction on the whole server, and the parallel
    test workers share one: that a page was kept (no query for its rows) is checked on SQLite only."""
    with app.app_context():
        return db.engine.dialect.name != "sqlite"


def _logged_in(app, name: str) -> FlaskClient:  # type: ignore[no-untyped-def]
    """A client logged in and shown a first page, as a browser is (the page's forms give the session its CSRF secret,
    which a kept page's key names: a session without one is never served a kept page)."""
    client = app.test_client()
    login(client, name)
    client.get("/notifications")
    return client


def _filed(app) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    with app.app_context():
        claim = file_claim()
        return claim.id, claim.number


def test_the_rows_are_kept_until_a_write_changes_them(app):  # type: ignore[no-untyped-def]
    claim_id, number = _filed(app)
    clerk = _logged_in(app, "clerk")
    first, reads = _queue(app, clerk)
    assert number in first and 'class="overdue"' not in first and reads == 1
    again, reads = _queue(app, clerk)
    assert again == first and (reads == 0 or _shared_server(app))  # nothing changed: the rows kept, no query

    with app.app_context():  # a change through the ORM (as every step makes)
        claim = db.session.get(Claim, claim_id)
        claim.due_at = clock.local_today() - timedelta(days=3)
        db.session.commit()
    changed, reads = _queue(app, clerk)
    assert 'class="overdue"' in changed and reads == 1

    with app.app_context():  # a bulk UPDATE, without a flush
        db.session.execute(update(Claim).where(Claim.id == claim_id).values(due_at=clock.local_today() + timedelta(days=9)))
        db.session.commit()
    changed, reads = _queue(app, clerk)
    assert 'class="overdue"' not in changed and reads == 1

    with app.app_context():  # a change rolled back changes nothing
        db.session.get(Claim, claim_id).due_at = clock.local_today() - timedelta(days=3)
        db.session.flush()
        db.session.rollback()
    kept, reads = _queue(app, clerk)
    # SQLite keeps the rows; on PostgreSQL the rolled-back UPDATE moved the snapshot on, so it draws them again.
    assert kept == changed and (reads == 0 or _shared_server(app))


def test_each_viewer_has_their_own_rows(app):  # type: ignore[no-untyped-def]
    _claim_id, number = _filed(app)
    clerk, officer = _logged_in(app, "clerk"), _logged_in(app, "officer")
    mine, _reads = _queue(app, clerk)
    theirs, reads = _queue(app, officer)
    assert number in mine and number not in theirs and reads == 1  # the officer's own list, read for him


def test_the_rows_are_drawn_again_when_the_day_turns(app):  # type: ignore[no-untyped-def]
    """A deadline passes at midnight in China with no write at all: the row turns overdue then."""
    claim_id, number = _filed(app)
    with app.app_context():
        due = db.session.get(Claim, claim_id).due_at
    clock.freeze(datetime.combine(due, time(23, 50), clock.LOCAL_TZ))
    clerk = _logged_in(app, "clerk")
    _queue(app, clerk)
    before, reads = _queue(app, clerk)
    assert number in before and 'class="overdue"' not in before and (reads == 0 or _shared_server(app))
    clock.freeze(datetime.combine(due + timedelta(days=1), time(0, 10), clock.LOCAL_TZ))
    after, reads = _queue(app, clerk)
    assert 'class="overdue"' in after and reads == 1


def test_a_write_that_bypasses_the_orm(app, monkeypatch):  # type: ignore[no-untyped-def]
    """PostgreSQL's stamp is the statement's snapshot, which any commit moves on: the change is seen at once.
    SQLite's stamp is set by the ORM's commits only: a statement run on a connection of its own is seen once the
    kept rows reach PAGE_CACHE_SECONDS."""
    claim_id, _number = _filed(app)
    clerk = _logged_in(app, "clerk")
    first, _reads = _queue(app, clerk)
    assert 'class="overdue"' not in first
    with app.app_context(), db.engine.begin() as connection:
        postgres = connection.dialect.name == "postgresql"
        connection.execute(update(Claim).where(Claim.id == claim_id).values(due_at=clock.local_today() - timedelta(days=3)))
    if not postgres:
        kept, reads = _queue(app, clerk)
        assert kept == first and reads == 0
        later = pagecache._now() + app.config["PAGE_CACHE_SECONDS"] + 1
        monkeypatch.setattr(pagecache, "_now", lambda: later)
    seen, reads = _queue(app, clerk)
    assert 'class="overdue"' in seen and reads == 1


def test_the_stamp_moves_with_every_commit_that_wrote(app):  # type: ignore[no-untyped-def]
    claim_id, _number = _filed(app)
    with app.app_context():
        before = data_stamp(db.session)
        db.session.rollback()
        db.session.get(Claim, claim_id).description = "野猪又来了一次。"
        db.session.commit()
        after = data_stamp(db.session)
        db.session.rollback()
    assert before is not None and after is not None and after != before


def test_the_cache_keeps_the_latest_parts_for_a_limited_time(monkeypatch):  # type: ignore[no-untyped-def]
    now = [1000.0]
    monkeypatch.setattr(pagecache, "_now", lambda: now[0])
    cache = PageCache(entries=2, seconds=60)
    for key in ("a", "b"):
        cache.put(key, pagecache.Markup(key))
    assert cache.get("a") == "a"  # "a" used last: "b" is the least recently used
    cache.put("c", pagecache.Markup("c"))
    assert cache.get("b") is None and cache.get("a") == "a" and cache.get("c") == "c" and len(cache) == 2
    now[0] += 61
    assert cache.get("a") is None and cache.get("c") is None and len(cache) == 0


def test_no_parts_are_kept_when_the_cache_is_off(app, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setitem(app.config, "PAGE_CACHE_ENTRIES", 0)
    _claim_id, number = _filed(app)
    clerk = _logged_in(app, "clerk")
    _queue(app, clerk)
    page, reads = _queue(app, clerk)
    assert number in page and reads == 1


def _token(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]


def test_a_kept_page_carries_each_session_its_own_csrf_token(app):  # type: ignore[no-untyped-def]
    """Two sessions of the same clerk (a desk and a phone): each kept page's forms work in its own session only."""
    _filed(app)
    desk, phone = _logged_in(app, "clerk"), _logged_in(app, "clerk")
    for client in (desk, phone):
        client.get("/queue")
    desk_page, phone_page = desk.get("/queue").get_data(as_text=True), phone.get("/queue").get_data(as_text=True)
    assert _shared_server(app) or (_queue(app, desk)[1] == 0 and _queue(app, phone)[1] == 0)  # both kept
    assert _token(desk_page) != _token(phone_page)
    phone.post("/language", data={"csrf_token": _token(desk_page), "locale": "en", "next": "/queue"})
    refused = phone.get("/queue").get_data(as_text=True)  # the desk's token is no good on the phone: nothing switched
    assert "<h1>待办</h1>" in refused and "页面已过期" in refused
    phone.post("/language", data={"csrf_token": _token(phone_page), "locale": "en", "next": "/queue"})
    # The account's language: the desk's kept Chinese page is not served again either.
    assert "<h1>To do</h1>" in phone.get("/queue").get_data(as_text=True) and "<h1>To do</h1>" in desk.get("/queue").get_data(as_text=True)


def test_a_message_is_shown_once_and_never_kept(app):  # type: ignore[no-untyped-def]
    _filed(app)
    clerk = _logged_in(app, "clerk")
    clerk.get("/queue")
    clerk.get("/queue")
    with clerk.session_transaction() as session:
        session["_flashes"] = [("success", "申请已受理。")]
    assert "申请已受理。" in clerk.get("/queue").get_data(as_text=True)
    assert "申请已受理。" not in clerk.get("/queue").get_data(as_text=True)


def test_the_choice_of_large_text_and_the_bell_are_not_taken_from_another_page(app):  # type: ignore[no-untyped-def]
    _filed(app)
    clerk = _logged_in(app, "clerk")
    clerk.get("/queue")
    assert 'class="large-text"' not in clerk.get("/queue").get_data(as_text=True)
    clerk.set_cookie("text_size", "large")
    assert 'class="large-text"' in clerk.get("/queue").get_data(as_text=True)
    with app.app_context():
        clerk_id = find_user("clerk").id
        db.session.add(Notification(user_id=clerk_id, kind="deadline_digest", claim_id=None))
        db.session.commit()
    assert '<span class="count" aria-hidden="true">' in clerk.get("/queue").get_data(as_text=True)


def test_a_savepoint_rolled_back_leaves_the_write_before_it_counted(app):  # type: ignore[no-untyped-def]
    """A step that tries an insert in a savepoint (a number, a job added once) and loses a race rolls the savepoint
    back: what the transaction wrote before it still moves the stamp on when it commits."""
    claim_id, _number = _filed(app)
    clerk = _logged_in(app, "clerk")
    assert 'class="overdue"' not in _queue(app, clerk)[0]
    with app.app_context():
        db.session.get(Claim, claim_id).due_at = clock.local_today() - timedelta(days=3)
        db.session.flush()
        with db.session.begin_nested() as savepoint:
            db.session.get(Claim, claim_id).description = "野猪又来了一次。"
            db.session.flush()
            savepoint.rollback()
        db.session.commit()
    seen, reads = _queue(app, clerk)
    assert 'class="overdue"' in seen and reads == 1


def test_sqlite_stamps_are_never_taken_for_an_account_number() -> None:
    """The raw database is searched for runs of 16-19 digits (tests/security/test_privacy.py): 16 hex characters were
    all digits once in some 2,000 stamps; base 32 is mostly letters."""
    stamps = [pagecache.new_stamp() for _ in range(5000)]
    assert len(set(stamps)) == 5000 and all(len(s) == 16 and not s.isdigit() for s in stamps)
