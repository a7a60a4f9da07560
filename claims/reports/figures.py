"""Keeping the dashboards' aggregate (claims/reports/models.py): a bucket's figures rebuilt from its claims.

A *bucket* is a township and the local month in which its claims were filed (`Claim.submitted_at`; drafts, never
filed, are in none). Whenever something a dashboard counts changes on a claim, the buckets it is in now and was in
before are rebuilt whole, in the same transaction, by one set-based statement per table (DELETE the bucket's rows,
INSERT ... SELECT ... GROUP BY its claims): the aggregate then equals a count from scratch, whatever the change.
Who calls it, explicitly, after the change:
- `claims.lifecycle.apply_transition`, for every step (status, refusal reasons, valuation frozen, decision);
- `claims.approval.payments.settle`, for a share paid without a step (the other share still due);
- `claims.intake.services.update_draft`, for a returned claim corrected (its township, animal or losses).
A step with its follow-on step, and a payment with the steps it causes (pay, close), are one `counted_once` block: the
bucket is counted after the last change only. The statements that count a bucket are built once per kind of database
(`bucket_statements`, the bucket in bound parameters): building them at every step cost more than running them. On
PostgreSQL the four deletes and four inserts go as one statement (data-modifying WITH clauses): two round trips a
rebuild, with the lock, instead of nine.

Concurrency: every writer of the app holds the audit chain's lock first (claims.workflow.audit.lock_chain), so the
rebuilds are serialised already; a rebuild also locks its bucket's row (`report_buckets`, made if missing and locked by
one upsert on its key), so that a rebuild from a script without the chain's lock waits too.
`rebuild_all` (the `flask reports rebuild` command, after a bulk load or a restore) takes the chain's lock and
counts every claim in one statement per table, and leaves the marker `FIGURES_COUNTED` (a done job row): the
aggregate holds every claim. Migration 0017 writes the marker itself on a database without claims (a new install,
where every claim will be counted by its steps); a database upgraded with claims in it has none until the command
runs, and the dashboards say so (`figures_counted`) rather than show figures that leave those claims out.

What a claim counts for (docs/reports.md says it for readers): one claim in its current status, species and first
loss line's category; its estimate (claimed), the total of its latest submitted valuation (verified), its decision
(approved, with the insurer's and the government's shares) and its settled payments (paid, by share). An open claim
also counts for its deadline (`DeadlineFigure`) and, while it waits for a survey, for its deadline under each surveyor
of its current round (`SurveyFigure`): what the overdue page counts (claims/workflow/queues.py). Migration 0026 counted
the claims already there into those two, whatever the marker says; but a step taken by code older than 0026 (an old
app node during a rolling upgrade, or after a rollback) keeps only the first two tables, so `flask reports rebuild`
runs once every node runs this code (docs/deploy.md). Which statuses are open (`OPEN_STATES`) is in the stored rows:
a release that changes it recounts them in its migration.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, time
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Date,
    Executable,
    Integer,
    Select,
    and_,
    bindparam,
    delete,
    func,
    insert,
    literal,
    literal_column,
    select,
    true,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from claims.approval.models import Decision, Settlement, Share
from claims.core.db import UTCDateTime, local_month
from claims.core.jobs import Job, claim_marker
from claims.core.time import LOCAL_TZ, local_to_utc, to_local, utcnow
from claims.extensions import db
from claims.intake.models import Claim, LossLine
from claims.reports.models import ClaimFigure, DeadlineFigure, RefusalFigure, ReportBucket, SurveyFigure
from claims.survey.models import SurveyAssignment, assignment_surveyors
from claims.valuation.models import ClaimValuation
from claims.workflow.audit import lock_chain
from claims.workflow.services import WorkflowError
from claims.workflow.states import OPEN_STATES, ClaimStatus

Bucket = tuple[int, date]  # (township id, first day of the local month of filing)

REFUSED = (ClaimStatus.NOT_ACCEPTED, ClaimStatus.NOT_COMPENSATED)
FIGURE_COLUMNS = (
    "township_id", "month", "county_id", "species_id", "category", "status", "claims", "claimed", "verified",
    "approved", "approved_insurer", "approved_government", "paid", "paid_insurer", "paid_government",
)  # fmt: skip
REFUSAL_COLUMNS = ("township_id", "month", "county_id", "status", "reason", "claims")
DEADLINE_COLUMNS = ("township_id", "month", "county_id", "status", "due_at", "claims")
SURVEY_COLUMNS = ("township_id", "month", "county_id", "surveyor_id", "due_at", "claims")
BUCKET_MODELS = (ClaimFigure, RefusalFigure, DeadlineFigure, SurveyFigure)  # the tables a bucket's rebuild counts again


def month_of(moment: datetime) -> date:
    return to_local(moment).date().replace(day=1)  # type: ignore[union-attr]


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def bucket_of(claim: Claim) -> Bucket | None:
    """The bucket the claim is counted in, or None (a draft, or no township yet)."""
    if claim.submitted_at is None or claim.township_id is None:
        return None
    return (claim.township_id, month_of(claim.submitted_at))


# The figures, as one statement over any set of claims ---------------------------------------------------------
def _paid(*shares: Share) -> Any:
    paid = select(func.sum(Settlement.amount)).where(Settlement.claim_id == Claim.id, Settlement.share.in_(shares))
    return func.coalesce(paid.correlate(Claim).scalar_subquery(), 0)


def _per_claim(where: ColumnElement[bool]) -> Any:
    """One row per filed claim in `where`, with the values it adds to its group (amounts in fen, as stored)."""
    verified = (
        select(ClaimValuation.total)
        .where(ClaimValuation.claim_id == Claim.id, ClaimValuation.frozen_at.is_not(None))
        .order_by(ClaimValuation.version.desc())
        .limit(1)
        .correlate(Claim)
        .scalar_subquery()
    )
    category = select(LossLine.category).where(LossLine.claim_id == Claim.id).order_by(LossLine.position, LossLine.id).limit(1).correlate(Claim)
    return (
        select(
            Claim.township_id,
            local_month(Claim.submitted_at).label("month"),
            Claim.county_id,
            Claim.species_id,
            category.scalar_subquery().label("category"),
            Claim.status,
            func.coalesce(Claim.estimated_amount, 0).label("claimed"),
            func.coalesce(verified, 0).label("verified"),
            func.coalesce(Decision.total, 0).label("approved"),
            func.coalesce(Decision.insurer_share, 0).label("approved_insurer"),
            func.coalesce(Decision.government_share, 0).label("approved_government"),
            _paid(Share.INSURER).label("paid_insurer"),
            _paid(Share.GOVERNMENT, Share.ADVANCE).label("paid_government"),  # an advance is paid from county funds
        )
        .select_from(Claim)
        .outerjoin(Decision, Decision.claim_id == Claim.id)
        .where(where, Claim.submitted_at.is_not(None), Claim.township_id.is_not(None))
        .subquery("per_claim")
    )


def figures_query(where: ColumnElement[bool]) -> Select[Any]:
    """The aggregate's rows for the claims in `where`, in FIGURE_COLUMNS' order."""
    c = _per_claim(where).c
    keys = (c.township_id, c.month, c.county_id, c.species_id, c.category, c.status)
    return select(
        *keys,
        func.count(),
        func.sum(c.claimed),
        func.sum(c.verified),
        func.sum(c.approved),
        func.sum(c.approved_insurer),
        func.sum(c.approved_government),
        func.sum(type_coerce(c.paid_insurer + c.paid_government, ClaimFigure.paid.type)),
        func.sum(c.paid_insurer),
        func.sum(c.paid_government),
    ).group_by(*keys)


def refusals_query(where: ColumnElement[bool], dialect: str | None = None) -> Select[Any]:
    """Refused claims in `where` per bucket, status and reason (a claim once per reason it gave)."""
    dialect = dialect or db.session.get_bind().dialect.name
    unnest = func.json_array_elements_text if dialect == "postgresql" else func.json_each
    reason = unnest(Claim.decision_reasons).table_valued("value").alias("reason")
    keys = (Claim.township_id, local_month(Claim.submitted_at), Claim.county_id, Claim.status, reason.c.value)
    return (
        select(*keys, func.count())
        .select_from(Claim)
        .join(reason, true())
        .where(where, Claim.status.in_(REFUSED), Claim.submitted_at.is_not(None), Claim.township_id.is_not(None))
        .group_by(*keys)
    )


def _counted(where: ColumnElement[bool]) -> ColumnElement[bool]:
    """The claims of `where` that have a bucket: filed, with a township."""
    return and_(where, Claim.submitted_at.is_not(None), Claim.township_id.is_not(None))


def deadlines_query(where: ColumnElement[bool]) -> Select[Any]:
    """Open claims in `where` per bucket, status and deadline, in DEADLINE_COLUMNS' order."""
    keys = (Claim.township_id, local_month(Claim.submitted_at), Claim.county_id, Claim.status, Claim.due_at)
    open_ = and_(_counted(where), Claim.status.in_(OPEN_STATES), Claim.due_at.is_not(None))
    return select(*keys, func.count()).where(open_).group_by(*keys)


def surveys_query(where: ColumnElement[bool]) -> Select[Any]:
    """Claims in `where` waiting for a survey per bucket, surveyor of the current round and deadline, in
    SURVEY_COLUMNS' order."""
    keys = (Claim.township_id, local_month(Claim.submitted_at), Claim.county_id, assignment_surveyors.c.user_id, Claim.due_at)
    return (
        select(*keys, func.count())
        .select_from(Claim)
        .join(SurveyAssignment, (SurveyAssignment.claim_id == Claim.id) & (SurveyAssignment.round == Claim.survey_round))
        .join(assignment_surveyors, assignment_surveyors.c.assignment_id == SurveyAssignment.id)
        .where(_counted(where), Claim.status == ClaimStatus.SURVEY_ASSIGNED, Claim.due_at.is_not(None))
        .group_by(*keys)
    )


def _bucket_bounds(month: date) -> tuple[datetime, datetime]:
    """The UTC instants between which a bucket's claims were filed: its local month, read through the index
    (township_id, submitted_at)."""
    start = local_to_utc(datetime.combine(month, time.min, LOCAL_TZ))
    return start, local_to_utc(datetime.combine(next_month(month), time.min, LOCAL_TZ))


class BucketStatements(NamedTuple):
    """The statements that count one bucket again; the bucket is given in bound parameters (`_bucket_parameters`)."""

    lock: Executable
    deletes: tuple[Executable, ...]
    inserts: tuple[Executable, ...]
    together: Executable | None = None  # PostgreSQL: the deletes and the inserts as one statement

    def after_lock(self) -> tuple[Executable, ...]:
        return (self.together,) if self.together is not None else (*self.deletes, *self.inserts)


@cache
def bucket_statements(dialect: str) -> BucketStatements:
    """Built once per kind of database: building and keying these statements cost more than running them, at every
    step. The parameters' names are not the columns' (an INSERT reserves those for its own values)."""
    township, month = bindparam("b_township", type_=Integer()), bindparam("b_month", type_=Date())
    start, end = bindparam("b_start", type_=UTCDateTime()), bindparam("b_end", type_=UTCDateTime())
    where = and_(Claim.township_id == township, Claim.submitted_at >= start, Claim.submitted_at < end)
    # Made if missing, and locked (an upsert takes the row's lock, as SELECT ... FOR UPDATE would) with its time set.
    upsert = (pg_insert if dialect == "postgresql" else sqlite_insert)(ReportBucket.__table__)
    upsert = upsert.values(township_id=township, month=month, rebuilt_at=bindparam("b_rebuilt_at", type_=UTCDateTime()))
    lock = upsert.on_conflict_do_update(index_elements=["township_id", "month"], set_={"rebuilt_at": upsert.excluded.rebuilt_at})
    tables = [model.__table__ for model in BUCKET_MODELS]
    deletes = tuple(delete(t).where(t.c.township_id == township, t.c.month == month) for t in tables)
    inserts = tuple(insert(table).from_select(columns, query) for table, (columns, query) in zip(tables, _queries(where, dialect), strict=True))
    together = None
    if dialect == "postgresql":
        # One round trip instead of eight: PostgreSQL runs data-modifying WITH clauses on the statement's one snapshot,
        # so the deletes remove the bucket's old rows only, never the rows the inserts make (the tables have no key
        # but their ids for the two to meet on).
        gone = [statement.returning(literal_column("1")).cte(f"gone_{i}") for i, statement in enumerate(deletes)]
        made = [statement.returning(literal_column("1")).cte(f"made_{i}") for i, statement in enumerate(inserts)]
        together = select(literal_column("1")).add_cte(*gone, *made)
    return BucketStatements(lock=lock, deletes=deletes, inserts=inserts, together=together)


def _queries(where: ColumnElement[bool], dialect: str | None = None) -> list[tuple[tuple[str, ...], Select[Any]]]:
    """Each table's columns and the statement that counts the claims in `where` into it, in BUCKET_MODELS' order."""
    return [
        (FIGURE_COLUMNS, figures_query(where)),
        (REFUSAL_COLUMNS, refusals_query(where, dialect)),
        (DEADLINE_COLUMNS, deadlines_query(where)),
        (SURVEY_COLUMNS, surveys_query(where)),
    ]


def _bucket_parameters(township_id: int, month: date) -> dict[str, Any]:
    start, end = _bucket_bounds(month)
    return {"b_township": township_id, "b_month": month, "b_start": start, "b_end": end, "b_rebuilt_at": utcnow()}


# Keeping it ----------------------------------------------------------------------------------------------------
_PENDING = "reports.pending_buckets"  # in the session's info: the buckets a `counted_once` block will count


def refresh_claim(claim: Claim, *, was: Bucket | None = None) -> None:
    """Rebuild the bucket the claim is in now and the one it was in before the change (`was`), if another; inside a
    `counted_once` block, when the block ends."""
    buckets = {b for b in (bucket_of(claim), was) if b is not None}
    pending = db.session.info.get(_PENDING)
    if pending is not None:
        pending |= buckets
        return
    _count(buckets)


@contextmanager
def counted_once() -> Iterator[None]:
    """The buckets that `refresh_claim` is asked for in the block are counted again once, when the outermost block
    ends without an error: a step and its follow-on step, or a payment and the steps it causes (pay, close), change
    one claim several times in one transaction, and its bucket needs counting after the last change only."""
    if _PENDING in db.session.info:  # an enclosing block counts them
        yield
        return
    pending: set[Bucket] = set()
    db.session.info[_PENDING] = pending
    try:
        yield
    except WorkflowError:
        # A refusal (a follow-on step's, say): its caller may keep and commit what changed before it, so that is
        # counted too, unless the session failed and can only roll back.
        if db.session.is_active:
            _count(pending)
        raise
    finally:
        db.session.info.pop(_PENDING, None)
    _count(pending)


def _count(buckets: set[Bucket]) -> None:
    db.session.flush()
    for bucket in sorted(buckets):
        rebuild_bucket(*bucket)


def rebuild_bucket(township_id: int, month: date) -> None:
    """Count one bucket's claims again, in the open transaction (the caller commits), its row locked meanwhile."""
    statements = bucket_statements(db.session.get_bind().dialect.name)
    parameters = _bucket_parameters(township_id, month)
    for statement in (statements.lock, *statements.after_lock()):
        db.session.execute(statement, parameters)


FIGURES_COUNTED = "reports:figures-counted"  # the marker's job key (migration 0017 writes the same)


def figures_counted() -> bool:
    """Whether the aggregate holds every claim: counted from scratch once (or begun on a database without claims)."""
    return db.session.execute(select(Job.id).where(Job.key == FIGURES_COUNTED)).first() is not None


def rebuild_all() -> int:
    """Count every claim again (after a bulk load or a restore): the aggregate from scratch, in one statement per
    table, under the audit chain's lock (no step runs meanwhile). Returns the number of buckets."""
    lock_chain()
    db.session.flush()
    everything = literal(True)
    for model in (*BUCKET_MODELS, ReportBucket):
        db.session.execute(delete(model))
    for model, (columns, query) in zip(BUCKET_MODELS, _queries(everything), strict=True):
        db.session.execute(insert(model).from_select(columns, query))
    buckets = select(ClaimFigure.township_id, ClaimFigure.month, literal(utcnow(), ReportBucket.rebuilt_at.type)).distinct()
    db.session.execute(insert(ReportBucket).from_select(["township_id", "month", "rebuilt_at"], buckets))
    claim_marker(FIGURES_COUNTED, kind="reports_rebuild")
    return db.session.execute(select(func.count()).select_from(ReportBucket)).scalar_one()


# Checking it ---------------------------------------------------------------------------------------------------
def stored_rows() -> tuple[list[tuple[Any, ...]], ...]:
    """The aggregate as stored, one sorted list per table of BUCKET_MODELS (for the checks that it equals a count from
    scratch)."""
    everything = literal(True)
    return tuple(
        _sorted(db.session.execute(select(*(getattr(model, name) for name in columns))))
        for model, (columns, _query) in zip(BUCKET_MODELS, _queries(everything), strict=True)
    )


def counted_rows() -> tuple[list[tuple[Any, ...]], ...]:
    """What a count from scratch gives now, in the same shape as `stored_rows` (amounts in fen)."""
    return tuple(_sorted(db.session.execute(query)) for _columns, query in _queries(literal(True)))


def _sorted(rows: Iterable[Any]) -> list[tuple[Any, ...]]:
    return sorted(tuple(str(v) if v is not None else "" for v in row) for row in rows)
