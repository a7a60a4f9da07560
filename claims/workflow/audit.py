"""Writing and verifying the audit chain."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from claims.core.time import utcnow
from claims.extensions import db
from claims.workflow.models import AuditEvent, AuditHead

GENESIS = "0" * 64


def _digest(event: AuditEvent) -> str:
    body = {
        "claim_id": event.claim_id,
        "entity": event.entity,
        "entity_id": event.entity_id,
        "action": event.action,
        "actor_id": event.actor_id,
        "actor_role": event.actor_role,
        "from_state": event.from_state,
        "to_state": event.to_state,
        "reason": event.reason,
        "changes": event.changes,
        "created_at": event.created_at.isoformat(),
        "prev_hash": event.prev_hash,
    }
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


HEAD_KEY = "claims.audit.head"


def _locked_head() -> AuditHead:
    """The chain's head row, locked once per transaction (later events of the same transaction reuse it).

    A new transaction, or the rest of one after a savepoint ends, locks the head again and reads it fresh
    (a rolled-back savepoint may have released the row lock): the cache holds the transaction it is for."""
    session = db.session()
    transaction = session.get_nested_transaction() or session.get_transaction()
    cached = session.info.get(HEAD_KEY)
    if transaction is not None and cached is not None and cached[0] is transaction and cached[1] in session:
        return cached[1]
    head = session.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar_one_or_none()
    if head is None:
        head = AuditHead(id=1, last_hash=GENESIS, count=0)
        session.add(head)
    # The key is taken after the locking select, which begins the transaction when none was open yet.
    session.info[HEAD_KEY] = (session.get_nested_transaction() or session.get_transaction(), head)
    return head


def lock_chain() -> None:
    """Take the chain's lock now, before any other row: every writer takes it first, so writers that also lock
    claim rows (claims.lifecycle.lock_claim) always lock in the same order and cannot deadlock."""
    _locked_head()


def record_event(
    *,
    entity: str,
    action: str,
    actor: Any = None,
    claim: Any = None,
    entity_id: int | None = None,
    from_state: str | None = None,
    to_state: str | None = None,
    reason: str | None = None,
    changes: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append an event to the chain inside the caller's transaction (the head row serialises writers)."""
    if claim is not None and claim.id is None:
        db.session.flush()
    head = _locked_head()
    event = AuditEvent(
        claim_id=claim.id if claim is not None else None,
        entity=entity,
        entity_id=entity_id if entity_id is not None else (claim.id if claim is not None else None),
        action=action,
        actor_id=actor.id if actor is not None else None,
        actor_role=str(actor.role) if actor is not None else None,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        changes=json.loads(json.dumps(changes or {}, default=str)),
        created_at=utcnow(),
        prev_hash=head.last_hash,
    )
    event.hash = _digest(event)
    head.last_hash = event.hash
    head.count += 1
    db.session.add(event)
    return event


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    problem: str | None = None
    event_id: int | None = None


def verify_chain() -> ChainReport:
    """Recompute every hash in order; report the first event that does not fit."""
    prev = GENESIS
    checked = 0
    for event in db.session.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars().yield_per(1000):
        if event.prev_hash != prev:
            return ChainReport(False, checked, "previous hash does not match (a row was deleted or inserted)", event.id)
        if _digest(event) != event.hash:
            return ChainReport(False, checked, "content does not match its hash (the row was edited)", event.id)
        prev = event.hash
        checked += 1
    head = db.session.get(AuditHead, 1)
    if head is not None and (head.count != checked or head.last_hash != prev):
        return ChainReport(False, checked, "the chain is shorter than recorded (events were deleted at the end)", None)
    return ChainReport(True, checked)
