"""Public notice of payees, objections, and approval by the county (one or two approvers)."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import Select, func, select
from sqlalchemy.orm import joinedload, selectinload

from claims.accounts.models import User
from claims.approval.models import Approval, NoticeBatch, NoticeEntry, Objection, Payment, PaymentBatch, PaymentStatus, Share
from claims.core.pagination import PAGE_SIZE, Page, SortKey, paginate
from claims.extensions import db
from claims.insurance.models import Split
from claims.intake.models import Claim
from claims.regions.models import Region
from claims.survey.models import FieldSurvey, SurveyAssignment
from claims.survey.permissions import conflict_problem
from claims.workflow.models import AuditEvent
from claims.workflow.states import NOTICE_SOURCES, ClaimStatus

# Actions that make a person the filer, surveyor or valuer of a claim (separation of duties).
PARTY_ACTIONS = frozenset(
    {"draft_started", "submit", "resubmit", "survey_eligible", "survey_refused", "value", "valuation_computed", "valuation_recomputed", "valuation_adjusted"}
)


def award_total(claim: Claim) -> Decimal:
    split = db.session.get(Split, claim.id)
    return (split.insurer_share + split.government_share) if split else Decimal("0.00")


# Lists of this module's pages (claims/core/pagination.py): the queues by deadline, the rest by id.
DEADLINE_KEYS = (SortKey(Claim.due_at, date, nulls_last=True), SortKey(Claim.id, int))
READY_KEYS = DEADLINE_KEYS  # the most urgent first; index (township_id, due_at, id)


def award_totals(claim_ids: Iterable[int]) -> dict[int, Decimal]:
    """`award_total` of many claims in one query."""
    ids = list(claim_ids)
    splits = db.session.execute(select(Split).where(Split.claim_id.in_(ids))).scalars() if ids else []
    found = {s.claim_id: s.insurer_share + s.government_share for s in splits}
    return {i: found.get(i, Decimal("0.00")) for i in ids}


def ready_query(township: Region, ids: Iterable[int] | None = None) -> Select[tuple[Claim]]:
    """Claims of the township valued (and split) and not yet on a notice; only those of `ids` when given."""
    split = select(Split.claim_id).where(Split.claim_id == Claim.id).exists()
    query = select(Claim).where(Claim.township_id == township.id, Claim.status.in_(NOTICE_SOURCES), split).options(selectinload(Claim.village))
    return query.where(Claim.id.in_(list(ids))) if ids is not None else query


def ready_for_notice(township: Region, after: str | None = None, size: int = PAGE_SIZE) -> Page[Claim]:
    return paginate(ready_query(township), READY_KEYS, after, size=size, session=db.session)


NOTICE_BATCH_KEYS = (SortKey(NoticeBatch.id, int, descending=True),)


def notice_batches(township: Region, after: str | None = None, size: int = PAGE_SIZE) -> Page[NoticeBatch]:
    """The township's notices, the newest first. Index: (township_id, id)."""
    return paginate(select(NoticeBatch).where(NoticeBatch.township_id == township.id), NOTICE_BATCH_KEYS, after, size=size, session=db.session)


def entry_counts(batch_ids: Iterable[int]) -> dict[int, int]:
    """How many claims each notice lists, in one query."""
    ids = list(batch_ids)
    query = select(NoticeEntry.batch_id, func.count()).where(NoticeEntry.batch_id.in_(ids)).group_by(NoticeEntry.batch_id)
    found: dict[int, int] = {key: n for key, n in db.session.execute(query)} if ids else {}
    return {i: found.get(i, 0) for i in ids}


def current_entries(claim_ids: Iterable[int]) -> dict[int, NoticeEntry]:
    """`current_entry` of many claims in one query, with their batches."""
    ids = list(claim_ids)
    if not ids:
        return {}
    query = select(NoticeEntry).where(NoticeEntry.claim_id.in_(ids), NoticeEntry.withdrawn.is_(False)).order_by(NoticeEntry.id)
    return {e.claim_id: e for e in db.session.execute(query.options(joinedload(NoticeEntry.batch))).scalars()}  # the latest wins


def current_entry(claim: Claim) -> NoticeEntry | None:
    query = select(NoticeEntry).where(NoticeEntry.claim_id == claim.id, NoticeEntry.withdrawn.is_(False)).order_by(NoticeEntry.id.desc())
    return db.session.execute(query.limit(1)).scalar_one_or_none()


def party_problem(claim: Claim, user: User, message: str | None = None) -> str | None:
    """Whoever filed, surveyed or valued a claim may not approve it, nor review an objection to it (quality.md 7)."""
    events = select(AuditEvent.id).where(AuditEvent.claim_id == claim.id, AuditEvent.actor_id == user.id, AuditEvent.action.in_(PARTY_ACTIONS))
    surveyed = select(SurveyAssignment.id).where(SurveyAssignment.claim_id == claim.id, SurveyAssignment.surveyors.any(User.id == user.id))
    recorded = select(FieldSurvey.id).where(FieldSurvey.claim_id == claim.id, FieldSurvey.recorded_by_id == user.id)
    if any(db.session.execute(q.limit(1)).first() for q in (events, surveyed, recorded)):
        return message or _("You filed, surveyed or valued this claim, so you may not approve it.")
    return conflict_problem(claim, user)


def new_payment(claim: Claim, share: Share, amount: Decimal) -> Payment:
    payment = Payment(claim_id=claim.id, share=share, amount=amount, reference=f"P{claim.id:07d}{share.value[0].upper()}{secrets.token_hex(3).upper()}")
    db.session.add(payment)
    return payment


def objections_of(claim: Claim) -> list[Objection]:
    return list(db.session.execute(select(Objection).where(Objection.claim_id == claim.id).order_by(Objection.id)).scalars())


def open_objection(claim: Claim) -> Objection | None:
    """The objection under review (at most one: a claim under review is off the notice's objection form)."""
    query = select(Objection).where(Objection.claim_id == claim.id, Objection.outcome.is_(None)).order_by(Objection.id.desc())
    return db.session.execute(query.limit(1)).scalar_one_or_none()


def objection_queue(county_id: int, after: str | None = None, size: int = PAGE_SIZE) -> Page[Claim]:
    query = select(Claim).where(Claim.county_id == county_id, Claim.status == ClaimStatus.OBJECTION_REVIEW)
    return paginate(query, DEADLINE_KEYS, after, size=size, session=db.session)


def claim_round(claim: Claim) -> int:
    """Approval round: one more than the number of objections, so approvals before an objection do not count."""
    query = select(Objection.id).where(Objection.claim_id == claim.id)
    return len(db.session.execute(query).all()) + 1


def approvals_this_round(claim: Claim) -> list[Approval]:
    query = select(Approval).where(Approval.claim_id == claim.id, Approval.round == claim_round(claim)).order_by(Approval.id)
    return list(db.session.execute(query).scalars())


def approval_query(county_id: int, ids: Iterable[int] | None = None) -> Select[tuple[Claim]]:
    """Claims of the county on public notice, waiting for approval; only those of `ids` when given."""
    query = select(Claim).where(Claim.county_id == county_id, Claim.status == ClaimStatus.IN_NOTICE)
    return query.where(Claim.id.in_(list(ids))) if ids is not None else query


def approval_queue(county_id: int, after: str | None = None, size: int = PAGE_SIZE) -> Page[Claim]:
    return paginate(approval_query(county_id), DEADLINE_KEYS, after, size=size, session=db.session)


def payments_of(claim: Claim) -> list[Payment]:
    return list(db.session.execute(select(Payment).where(Payment.claim_id == claim.id).order_by(Payment.id)).scalars())


PAYMENT_KEYS = (SortKey(Payment.id, int),)
# Payments waiting for a batch: the failed ones first (they need a new batch), then the pending, oldest first.
# Index: (status, id).
WAITING_PAYMENT_KEYS = (
    SortKey(
        Payment.status,
        str,
        value=lambda p: p.status.value,
        parse=PaymentStatus,
        parts=((PaymentStatus.FAILED, Payment.status == PaymentStatus.FAILED), (PaymentStatus.PENDING, Payment.status == PaymentStatus.PENDING)),
    ),
    SortKey(Payment.id, int),
)
PAYMENT_BATCH_KEYS = (SortKey(PaymentBatch.id, int, descending=True),)


def waiting_payments(county_id: int, after: str | None = None, size: int = PAGE_SIZE) -> Page[Payment]:
    """The county's payments that failed or are not yet in a batch, the failed first, oldest first, with their claims."""
    query = (
        select(Payment)
        .join(Claim, Claim.id == Payment.claim_id)
        .where(Claim.county_id == county_id)  # the keys' parts select the failed, then the pending (no IN beside them: SQLite would scan)
        .options(joinedload(Payment.claim))
    )
    return paginate(query, WAITING_PAYMENT_KEYS, after, size=size, session=db.session)


def payment_batches(county_id: int, after: str | None = None, size: int = PAGE_SIZE) -> Page[PaymentBatch]:
    """The county's payment batches, the newest first. Index: (county_id, id)."""
    return paginate(select(PaymentBatch).where(PaymentBatch.county_id == county_id), PAYMENT_BATCH_KEYS, after, size=size, session=db.session)


def batch_payments(batch_id: int, after: str | None = None, size: int = PAGE_SIZE) -> Page[Payment]:
    """One page of a payment batch's lines, in the order of the bank file, with their claims."""
    query = select(Payment).where(Payment.batch_id == batch_id).options(joinedload(Payment.claim))
    return paginate(query, PAYMENT_KEYS, after, size=size, session=db.session)
