"""No share is ever paid twice: concurrent confirmations and retried imports."""

from __future__ import annotations

import threading
from datetime import timedelta

from claims.accounts.services import find_user
from claims.approval import operations, payments, services
from claims.approval.models import Payment, Settlement
from claims.core import time as clock
from claims.extensions import db
from claims.workflow.services import WorkflowError
from claims.workflow.states import ClaimStatus
from tests.approval.conftest import valued_claim


def test_twenty_concurrent_confirmations_settle_once(app):  # type: ignore[no-untyped-def]
    with app.app_context():
        claim = valued_claim("chaling", seed=11)
        operations.create_notice_batch(claim.township, [claim], clock.local_today(), actor=find_user("clerk_cl"))
        db.session.commit()
        clock.freeze(clock.utcnow() + timedelta(days=8))
        operations.approve(claim, actor=find_user("approver_cl"))
        db.session.commit()
        payment_id, claim_id = services.payments_of(claim)[0].id, claim.id
        db.session.remove()

    barrier = threading.Barrier(20)
    outcomes: list[str] = []
    lock = threading.Lock()

    def confirm(n: int) -> None:
        with app.app_context():
            barrier.wait()
            try:
                payment = db.session.get(Payment, payment_id)
                changed = payments.settle(payment, f"BANK-{n}", actor=find_user("approver_cl"))
                db.session.commit()
                result = "paid" if changed else "unchanged"
            except WorkflowError:
                db.session.rollback()
                result = "refused"
            except Exception as exc:  # a conflict surfacing as a database error must still be clean
                db.session.rollback()
                result = f"error:{type(exc).__name__}"
            finally:
                db.session.remove()
            with lock:
                outcomes.append(result)

    threads = [threading.Thread(target=confirm, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(outcomes) == 20
    assert outcomes.count("paid") == 1, outcomes
    assert all(o in ("paid", "unchanged", "refused") for o in outcomes), outcomes
    with app.app_context():
        assert db.session.query(Settlement).filter_by(claim_id=claim_id).count() == 1
        from claims.intake.models import Claim

        assert db.session.get(Claim, claim_id).status == ClaimStatus.CLOSED
