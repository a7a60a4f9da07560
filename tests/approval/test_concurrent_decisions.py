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
