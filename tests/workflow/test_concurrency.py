"""Two (or twenty) people acting on one claim at once: exactly one wins, the rest get a clean conflict."""

from __future__ import annotations

import threading

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
