"""Two (or twenty) people acting on one claim at once: exactly one wins, the rest get a clean conflict."""

from __future__ import annotations

import threading

import pytest

from claims.extensions import db
from claims.intake.models import Claim
from claims.workflow.models import AuditEvent
from claims.workflow.states import ClaimStatus
from tests.conftest import csrf_token, login
from tests.workflow.conftest import file_claim


def _race(app, claim_id: int, version: int, clients: list) -> list[int]:  # type: ignore[no-untyped-def]
    barrier = threading.Barrier(len(clients))
    statuses: list[int] = []
    lock = threading.Lock()

    def worker(client, token: str) -> None:  # type: ignore[no-untyped-def]
        barrier.wait()
        response = client.post(f"/claims/{claim_id}/accept", data={"csrf_token": token, "version": str(version)})
        with lock:
            statuses.append(response.status_code)

    tokens = [csrf_token(c, f"/claims/{claim_id}") for c in clients]
    threads = [threading.Thread(target=worker, args=(c, t)) for c, t in zip(clients, tokens, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return statuses


def test_twenty_concurrent_accepts_one_wins(app):  # type: ignore[no-untyped-def]
    with app.app_context():
        claim = file_claim()
        claim_id, version = claim.id, claim.version
        db.session.remove()
    clients = []
    for _ in range(20):
        client = app.test_client()
        login(client, "clerk")
        clients.append(client)
    statuses = _race(app, claim_id, version, clients)
    assert len(statuses) == 20 and all(s == 302 for s in statuses), statuses  # no 500, no "database is locked"
    with app.app_context():
        accepts = db.session.query(AuditEvent).filter_by(claim_id=claim_id, action="accept").count()
        assert accepts == 1
        assert db.session.get(Claim, claim_id).status == ClaimStatus.ACCEPTED


def test_the_loser_sees_a_conflict_message(app):  # type: ignore[no-untyped-def]
    with app.app_context():
        claim = file_claim()
        claim_id, version = claim.id, claim.version
    first, second = app.test_client(), app.test_client()
    login(first, "clerk")
    login(second, "clerk")
    token_a, token_b = csrf_token(first, f"/claims/{claim_id}"), csrf_token(second, f"/claims/{claim_id}")
    assert first.post(f"/claims/{claim_id}/accept", data={"csrf_token": token_a, "version": str(version)}).status_code == 302
    response = second.post(f"/claims/{claim_id}/accept", data={"csrf_token": token_b, "version": str(version)}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "changed by someone else" in page or "已被他人修改" in page or "其他人" in page


def test_a_claim_is_locked_once_per_transaction_and_again_after_it(app):  # type: ignore[no-untyped-def]
    """A filing's save and its submission lock the claim's row once between them; a new transaction, or the rest of
    one after a savepoint, locks it again, and a copy older than the row is still a conflict."""
    from sqlalchemy import event, text

    from claims.lifecycle import ClaimChanged, lock_claim

    locks: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if statement.lstrip().startswith("SELECT claims.version"):
            locks.append(statement)

    with app.app_context():
        claim = file_claim()
        db.session.commit()
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            lock_claim(claim)
            lock_claim(claim)  # the same transaction: held already
            assert len(locks) == 1
            with db.session.begin_nested():
                lock_claim(claim)  # a savepoint: locked within it
            lock_claim(claim)  # the rest of the transaction, after the savepoint: again
            assert len(locks) == 3
            db.session.commit()
            lock_claim(claim)  # a new transaction
            assert len(locks) == 4
            db.session.commit()
            db.session.execute(text("UPDATE claims SET version = version + 1 WHERE id = :id"), {"id": claim.id})
            db.session.commit()
            claim.version  # noqa: B018 -- loaded again after the commit: the copy is as new as the row
            db.session.execute(text("UPDATE claims SET version = version + 1 WHERE id = :id"), {"id": claim.id})
            with pytest.raises(ClaimChanged):
                lock_claim(claim)  # the copy is one version behind the row
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
            db.session.rollback()
