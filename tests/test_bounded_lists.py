"""Every list page is bounded and costs the same number of SQL statements with 3 rows in scope as with 60 (issue 12, item 1).

The world has a claim in every state (tests/pages_world.py); its rows are copied in SQL to put many more claims,
payments, notices, referrals, notifications and users in each role's scope. Pagination is then checked page by page.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from flask import Flask
from sqlalchemy import event, insert, select, update

from claims.accounts.models import User
from claims.approval.models import Payment, PaymentBatch, PaymentStatus
from claims.approval.services import WAITING_PAYMENT_KEYS
from claims.core.pagination import SortKey, decode_cursor, encode_cursor, order_of, paginate
from claims.core.time import utcnow
from claims.extensions import db
from claims.insurance.models import Referral
from claims.insurance.services import REFERRAL_KEYS
from claims.intake.models import Claim
from claims.workflow.models import Notification
from claims.workflow.queues import QUEUE_KEYS
from tests.conftest import login
from tests.pages_world import PagesWorld, pages_world
from tests.security.world import NAN_COUNTY

MAX_STATEMENTS = 20
LIST_PAGES = {  # path -> who opens it (demo logins)
    "/claims/": ["clerk", "officer", "approver", "admin", "13800000001"],
    "/": ["clerk", "officer"],
    "/queue": ["clerk", "officer", "approver"],
    "/overdue": ["clerk", "officer", "approver", "admin"],
    "/approvals": ["approver"],
    "/approvals?list=objections": ["approver"],
    "/payments": ["approver"],
    "/payments?list=batches": ["approver"],
    "/notices": ["clerk"],
    "/notices?list=batches": ["clerk"],
    "/insurer/": ["insurer"],
    "/notifications": ["clerk", "officer", "approver"],
    "/admin/users": ["admin"],
    "/reports/map": ["clerk", "officer", "approver", "admin"],
    "/reports/map/points": ["clerk", "officer", "approver", "admin"],
}


@contextmanager
def counted() -> Iterator[list[str]]:
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _copies(model, rows: list, count: int, change) -> None:  # type: ignore[no-untyped-def]
    """`count` copies of each row of `model` (in SQL, no service), with `change(values, i)` applied to each."""
    table = model.__table__
    for row in rows:
        values = {c.key: getattr(row, c.key) for c in table.columns if c.key != "id"}
        batch = []
        for i in range(count):
            copy = dict(values)
            change(copy, i)
            batch.append(copy)
        db.session.execute(insert(table), batch)


def grow(app: Flask, count: int) -> None:
    """`count` more claims like each of the world's (open, overdue ones among them), and more of every listed row."""
    with app.app_context():
        claims = db.session.execute(select(Claim).where(Claim.number.is_not(None))).scalars().all()
        ids = {c.id for c in claims}
        before = db.session.execute(select(Claim.id).order_by(Claim.id.desc())).scalar()
        _copies(
            Claim,
            claims,
            count,
            lambda v, i: v.update(number=f"{v['number']}-{i}", submission_key=f"{v['submission_key']}-{i}", due_at=date(2026, 1, 1) + timedelta(days=i % 3)),
        )
        copied = {c.number: c.id for c in db.session.execute(select(Claim).where(Claim.id > before)).scalars()}
        for model, unique in ((Payment, "reference"), (Referral, None)):
            for row in db.session.execute(select(model).where(model.claim_id.in_(ids))).scalars():
                number = db.session.get(Claim, row.claim_id).number

                def point(v: dict, i: int, number: str = number, unique: str | None = unique) -> None:  # type: ignore[type-arg]
                    v["claim_id"] = copied[f"{number}-{i}"]
                    if unique:
                        v[unique] = f"{v[unique]}-{i}"

                _copies(model, [row], count, point)
        users = db.session.execute(select(User).where(User.login.in_(["clerk", "officer", "approver"]))).scalars().all()
        _copies(Notification, [Notification(user_id=u.id, kind="submit:x", params={}, created_at=utcnow()) for u in users], count, lambda v, i: None)
        admin_users = db.session.execute(select(User).where(User.login == "officer2")).scalars().all()
        _copies(User, admin_users, count, lambda v, i: v.update(login=f"officer-copy-{i}", mobile=None))
        db.session.commit()


def _count(app: Flask, login_name: str, path: str) -> int:
    client = app.test_client()
    login(client, login_name)
    client.get(path)  # warm: the first request loads settings and caches
    with app.app_context(), counted() as statements:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
    return len(statements)


def _batch_pages(app: Flask, world: PagesWorld) -> dict[str, list[str]]:
    """Each payment batch's page, opened by its county's approver (its lines grow with the copies)."""
    with app.app_context():
        counties = {b.id: b.county.code for b in db.session.execute(select(PaymentBatch).where(PaymentBatch.id.in_(world.payment_batches))).scalars()}
    return {f"/payments/{i}": ["approver" if code == NAN_COUNTY else "approver_cl"] for i, code in counties.items()}


def test_list_pages_cost_the_same_with_few_and_many_rows(app: Flask) -> None:
    pages = LIST_PAGES | _batch_pages(app, pages_world(app))
    few = {(path, who): _count(app, who, path) for path, roles in pages.items() for who in roles}
    grow(app, 60)
    many = {(path, who): _count(app, who, path) for path, roles in pages.items() for who in roles}
    report = {key: (few[key], many[key]) for key in few}
    # Never more with many rows. (Fewer is allowed: the copies carry no valuation adjustments, so the approval
    # page's eager load of the adjusters' names has nothing to load on the first page of copies.)
    assert all(m <= f for f, m in report.values()), {k: v for k, v in report.items() if v[0] < v[1]}
    assert all(m <= MAX_STATEMENTS for _f, m in report.values()), report


KEYS = (SortKey(Claim.due_at, date, nulls_last=True), SortKey(Claim.id, int))


@pytest.mark.parametrize("raw", ["", "abc", "1", "2026-13-01,5", ",x", "2026-01-01,99999999999", "1,2,3", "%00,1", "x" * 500])
def test_a_malformed_cursor_is_the_first_page(raw: str) -> None:
    assert decode_cursor(raw, KEYS) is None


def test_a_cursor_reads_back_what_it_wrote() -> None:
    for values in [(date(2026, 12, 1), 1234), (None, 7)]:
        assert decode_cursor(encode_cursor(values), KEYS) == values


FOLLOWED = [("/queue", "clerk"), ("/claims/", "officer"), ("/overdue", "admin"), ("/notifications", "clerk"), ("/insurer/", "insurer")]


@pytest.mark.parametrize("path,who", FOLLOWED)
def test_pages_follow_on_without_gaps_or_repeats(app: Flask, path: str, who: str) -> None:
    """Following rel="next" shows every row once; the copies tie on the deadline, the id breaks the tie."""
    pages_world(app)
    grow(app, 60)
    client = app.test_client()
    login(client, who)
    seen: list[str] = []
    url: str | None = path
    pages = 0
    while url:
        html = client.get(url).get_data(as_text=True)
        pages += 1
        seen += re.findall(r'href="(/claims/\d+)"', html) if path != "/notifications" else re.findall(r'class="claim-row"', html)
        found = re.search(r'<a class="button" rel="next" href="([^"]+)"', html)
        url = found.group(1).replace("&amp;", "&") if found else None
        if pages > 1:
            assert "第一页" in html or "First page" in html
    assert pages > 1
    if path != "/notifications":
        assert len(seen) == len(set(seen)), "a row shown twice"
        everything = client.get(path.split("?")[0]).get_data(as_text=True)
        assert set(re.findall(r'href="(/claims/\d+)"', everything)) <= set(seen)


def test_a_malformed_cursor_on_a_page_is_its_first_page(app: Flask) -> None:
    pages_world(app)
    client = app.test_client()
    login(client, "clerk")
    first = client.get("/queue").get_data(as_text=True)
    response = client.get("/queue?after=not-a-cursor")
    assert response.status_code == 200
    assert re.findall(r'href="(/claims/\d+)"', response.get_data(as_text=True)) == re.findall(r'href="(/claims/\d+)"', first)


def _all_pages(query, keys, size: int) -> list[int]:  # type: ignore[no-untyped-def]
    ids: list[int] = []
    after = None
    for _ in range(1000):
        page = paginate(query, keys, after, size=size, session=db.session)
        ids += [row.id for row in page]
        if page.next_cursor is None:
            return ids
        after = page.next_cursor
    raise AssertionError("no last page")


@pytest.mark.parametrize("size", [1, 3, 7, 50])
def test_reading_in_parts_gives_the_one_sorted_order(app: Flask, size: int) -> None:
    """A leading NULLs-last key or a key with parts is read part by part (claims/core/pagination.py): page after
    page, the rows are those of one statement ordered by all the keys, each once, across the parts' borders."""
    pages_world(app)
    grow(app, 4)
    with app.app_context():
        some = db.session.execute(select(Claim.id).where(Claim.due_at.is_not(None)).order_by(Claim.id).limit(3)).scalars().all()
        db.session.execute(update(Claim).where(Claim.id.in_(some)).values(due_at=None))  # open claims with no deadline too
        db.session.execute(update(Referral).where(Referral.id % 3 == 0).values(due_at=None))
        pending = select(Payment.id).where(Payment.status == PaymentStatus.PENDING).order_by(Payment.id.desc()).limit(3)
        failed = {"status": PaymentStatus.FAILED, "failure_reason": "账户已销户"}
        db.session.execute(update(Payment).where(Payment.id.in_(list(db.session.execute(pending).scalars()))).values(**failed))  # failed ones go first
        db.session.commit()
        cases = [(select(Claim), QUEUE_KEYS), (select(Referral), REFERRAL_KEYS), (select(Payment), WAITING_PAYMENT_KEYS)]
        for query, keys in cases:
            if keys is WAITING_PAYMENT_KEYS:
                query = query.where(Payment.status.in_([PaymentStatus.PENDING, PaymentStatus.FAILED]))
            expected = list(db.session.execute(query.order_by(*order_of(keys))).scalars())
            parts = {key.of(row) for row in expected for key in keys[:1]}
            assert len(parts) > 1, (keys, parts)  # the borders are crossed
            assert _all_pages(query, keys, size) == [row.id for row in expected], keys


def test_a_cursor_naming_no_part_is_the_first_page() -> None:
    assert decode_cursor("2,2026-01-01,5", REFERRAL_KEYS) is None
    assert decode_cursor("1,2026-01-01,5", REFERRAL_KEYS) == (1, date(2026, 1, 1), 5)
    assert decode_cursor("paid,5", WAITING_PAYMENT_KEYS) is None
