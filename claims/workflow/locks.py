"""Which claims' rows the session's transaction holds, as claims.workflow.audit keeps the chain's head: a new transaction,
or the rest of one after a savepoint ends (a rolled-back savepoint may have released the lock), holds none yet.

`claims.lifecycle.lock_claim` locks a claim once per transaction through this; a claim inserted by the transaction
(`claims.intake.services.start_draft`) is held from its INSERT, since no other transaction sees the row before the
commit, so its filing's save and submission lock nothing more."""

from __future__ import annotations

from claims.extensions import db

HELD_CLAIMS = "claims.workflow.locks.held_claims"


def _transaction() -> object:
    session = db.session()
    return session.get_nested_transaction() or session.get_transaction()


def holds_claim(claim_id: int) -> bool:
    held = db.session().info.get(HELD_CLAIMS)
    return held is not None and held[0] is _transaction() and claim_id in held[1]


def note_claim_held(claim_id: int) -> None:
    """The transaction holds the claim's row from now until it ends (locked, or inserted by it)."""
    session = db.session()
    transaction = _transaction()
    held = session.info.get(HELD_CLAIMS)
    if held is None or held[0] is not transaction:
        held = session.info[HELD_CLAIMS] = (transaction, set())
    held[1].add(claim_id)
