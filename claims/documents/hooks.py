"""Which workflow action issues which document, and when: in the action's own transaction, at commit.

`apply_transition` calls `queue_documents` after each action (claims.workflow.services.after_transition).
The document is issued just before that transaction commits, not at once, because a service may add
to the claim after the transition inside the same transaction (the survey's photos are stored after
`survey_eligible`), and the record must show them. So a decision and its document commit together or
not at all; a rendering error rolls the decision back (fail closed).

A stored PDF whose transaction does not commit is deleted again when the transaction ends.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from claims.accounts.models import User
from claims.documents import builders
from claims.documents.models import DocumentKind
from claims.documents.services import WRITTEN_KEYS, issue_document
from claims.intake.models import Claim
from claims.workflow.services import after_transition

PENDING = "claims.documents.pending"

Builder = Callable[[Claim], Any]


@dataclass(frozen=True)
class Rule:
    kind: DocumentKind
    build: Builder


RULES: dict[str, list[Rule]] = {}


def issue_on(action: str, kind: DocumentKind, build: Builder) -> None:
    """When `action` is applied, issue a `kind` document built from the claim by `build`."""
    RULES.setdefault(action, []).append(Rule(kind, build))


@after_transition
def queue_documents(claim: Claim, action: str, actor: User, data: dict[str, Any]) -> None:
    from claims.extensions import db

    for rule in RULES.get(action, ()):
        db.session.info.setdefault(PENDING, []).append((rule, claim, actor))


@event.listens_for(Session, "before_commit")
def _issue_pending(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint being released, not the real commit
        return
    pending = session.info.pop(PENDING, None)
    for rule, claim, actor in pending or ():
        issue_document(rule.kind, claim, rule.build(claim), actor=actor)


@event.listens_for(Session, "after_commit")
def _keep_written(session: Session) -> None:
    if not session.in_nested_transaction():
        session.info.pop(WRITTEN_KEYS, None)


@event.listens_for(Session, "after_transaction_end")
def _discard_uncommitted(session: Session, transaction: SessionTransaction) -> None:
    """The outermost transaction ended without a commit (rollback, close): forget the queue, delete files."""
    if transaction.parent is not None or transaction.nested:
        return
    session.info.pop(PENDING, None)
    for storage, key in session.info.pop(WRITTEN_KEYS, ()):
        storage.delete(key)


def _survey_record(claim: Claim) -> Any:
    survey = builders.claim_survey(claim)
    assert survey is not None, "a survey action without a survey"
    return builders.survey_record_data(claim, survey)


def _survey_refusal(claim: Claim) -> Any:
    return builders.refusal_data(claim, builders.claim_survey(claim))


# [design] Non-acceptance gets its own heading and number series (不予受理通知书) but the refusal
# template: it is an adverse act like a refusal to compensate, states every reason and the remedies.
issue_on("accept", DocumentKind.RECEIPT, builders.receipt_data)
issue_on("return", DocumentKind.CORRECTION, builders.correction_data)
issue_on("not_accept", DocumentKind.NOT_ACCEPTED, builders.refusal_data)
issue_on("survey_eligible", DocumentKind.SURVEY_RECORD, _survey_record)
issue_on("survey_refused", DocumentKind.SURVEY_RECORD, _survey_record)
issue_on("survey_refused", DocumentKind.REFUSAL, _survey_refusal)
