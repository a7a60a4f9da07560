"""Twenty people deciding one claim at once: approvals, refusals and objections each take effect once, and a claim
that needs two approvers never sticks with two "first" approvals (it did on PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import func, select

from claims.accounts.services import find_user
from claims.approval import operations, services
from claims.approval.models import Approval, Objection
from claims.core import time as clock
from claims.extensions import db
from claims.insurance.models import InsurerDecision
from claims.insurance.operations import decide_as_insurer
from claims.intake.models import Claim
from claims.regions import admin_services
from claims.workflow.models import AuditEvent
from claims.workflow.states import ClaimStatus
from tests.approval.conftest import valued_claim
from tests.conftest import csrf_token, login

WAYS = 20


def _on_notice(app, *, seed: int, past: bool) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    with app.app_context():
        admin_services.set_county_setting(
            find_user("approver").region, "second_approval_above", "100", clock.local_today() - timedelta(days=1), "", actor=find_user("admin")
        )
        claim = valued_claim(seed=seed)
        decide_as_insurer(claim, InsurerDecision.ACCEPT, actor=find_user("insurer"))
        db.session.commit()
        batch = operations.create_notice_batch(claim.township, [claim], clock.local_today(), actor=find_user("clerk"))
        db.session.commit()
        if past:
            clock.freeze(clock.utcnow() + timedelta(days=batch.end_date.toordinal() - clock.local_today().toordinal() + 1))
        claim_id, version = claim.id, claim.version
        db.session.remove()
    return claim_id, version


def _race(app, claim_id: int, path: str, logins: list[str], data: dict[str, str]) -> list[int]:  # type: ignore[no-untyped-def]
    clients = []
    for who in logins:
        client = app.test_client()
        login(client, who)
        clients.append((client, csrf_token(client, f"/claims/{claim_id}")))
    barrier = threading.Barrier(len(clients))
    statuses: list[int] = []
    lock = threading.Lock()

    def worker(client, token: str) -> None:  # type: ignore[no-untyped-def]
        barrier.wait()
        response = client.post(path, data={"csrf_token": token, **data})
        with lock:
            statuses.append(response.status_code)

    threads = [threading.Thread(target=worker, args=pair) for pair in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return statuses


def test_twenty_concurrent_approvals_by_two_approvers_approve_once(app):  # type: ignore[no-untyped-def]
    claim_id, version = _on_notice(app, seed=31, past=True)
    logins = ["approver", "approver2"] * (WAYS // 2)
    statuses = _race(app, claim_id, f"/claims/{claim_id}/approve", logins, {"version": str(version)})
    assert len(statuses) == WAYS and all(s == 302 for s in statuses), statuses
    with app.app_context():
        assert db.session.get(Claim, claim_id).status == ClaimStatus.APPROVED
        approvals = db.session.execute(select(Approval).where(Approval.claim_id == claim_id)).scalars().all()
        assert sorted(a.approver.login for a in approvals) == ["approver", "approver2"]
        assert db.session.execute(select(func.count()).where(AuditEvent.claim_id == claim_id, AuditEvent.action == "approve")).scalar_one() == 1


def test_twenty_concurrent_refusals_refuse_once(app):  # type: ignore[no-untyped-def]
    claim_id, version = _on_notice(app, seed=32, past=True)
    logins = ["approver", "approver2"] * (WAYS // 2)
    data = {"version": str(version), "reasons": "not_wildlife", "explanation": "经核实，致害动物为家养"}
    statuses = _race(app, claim_id, f"/claims/{claim_id}/refuse", logins, data)
    assert len(statuses) == WAYS and all(s == 302 for s in statuses), statuses
    with app.app_context():
        assert db.session.get(Claim, claim_id).status == ClaimStatus.NOT_COMPENSATED
        assert db.session.execute(select(func.count()).where(Approval.claim_id == claim_id)).scalar_one() == 1
        assert db.session.execute(select(func.count()).where(AuditEvent.claim_id == claim_id, AuditEvent.action == "refuse_award")).scalar_one() == 1


def test_twenty_concurrent_objections_are_recorded_once(app):  # type: ignore[no-untyped-def]
    claim_id, _version = _on_notice(app, seed=33, past=False)
    with app.app_context():
        batch_id = services.current_entry(db.session.get(Claim, claim_id)).batch_id
        db.session.remove()
    data = {"claim_id": str(claim_id), "objector": "李四（三仙湖村）", "reason": "损失面积不实"}
    statuses = _race(app, claim_id, f"/notices/{batch_id}/objection", ["clerk"] * WAYS, data)
    assert len(statuses) == WAYS and all(s == 302 for s in statuses), statuses
    with app.app_context():
        assert db.session.get(Claim, claim_id).status == ClaimStatus.OBJECTION_REVIEW
        assert db.session.execute(select(func.count()).where(Objection.claim_id == claim_id)).scalar_one() == 1


def test_a_batch_approval_beside_a_single_one_does_not_deadlock(app, monkeypatch):  # type: ignore[no-untyped-def]
    """Approver A approves X and Y from the list while B approves Y on its page, B pausing with Y locked: every
    writer takes the audit chain before any claim, so they wait for each other instead of deadlocking (a 500)."""
    with app.app_context():
        x, y = valued_claim("chaling", seed=41), valued_claim("chaling", seed=42)
        batch = operations.create_notice_batch(x.township, [x, y], clock.local_today(), actor=find_user("clerk_cl"))
        db.session.commit()
        clock.freeze(clock.utcnow() + timedelta(days=batch.end_date.toordinal() - clock.local_today().toordinal() + 1))
        x_id, y_id, y_version = x.id, y.id, y.version
        db.session.remove()
    slow, y_locked = threading.local(), threading.Event()
    real = operations.party_problem

    def pausing(claim, user, *args):  # type: ignore[no-untyped-def]
        if getattr(slow, "on", False) and claim.id == y_id:
            y_locked.set()
            threading.Event().wait(1)  # hold Y (and the chain) while A starts
        return real(claim, user, *args)

    monkeypatch.setattr(operations, "party_problem", pausing)
    a, b = app.test_client(), app.test_client()
    login(a, "approver_cl")
    login(b, "approver_cl")
    token_a, token_b = csrf_token(a, "/approvals"), csrf_token(b, f"/claims/{y_id}")
    statuses: dict[str, int] = {}

    def single() -> None:
        slow.on = True
        statuses["single"] = b.post(f"/claims/{y_id}/approve", data={"csrf_token": token_b, "version": str(y_version)}).status_code

    def listed() -> None:
        y_locked.wait(30)
        statuses["list"] = a.post("/approvals", data={"csrf_token": token_a, "claims": [str(x_id), str(y_id)]}).status_code

    threads = [threading.Thread(target=single), threading.Thread(target=listed)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    # The list answers 302, or 422 when Y was approved before the list read its queue (Y is then no longer a choice).
    assert statuses["single"] == 302 and statuses["list"] in (422, 302), statuses
    with app.app_context():
        assert db.session.get(Claim, y_id).status == ClaimStatus.APPROVED
        assert db.session.execute(select(func.count()).where(AuditEvent.claim_id == y_id, AuditEvent.action == "approve")).scalar_one() == 1
