"""Deadlines: each working day, whoever holds an overdue claim is told; so is their supervisor once the claim is more
than the county's `escalate_after_working_days` working days overdue; and every member of staff with waiting work
gets a morning digest ("N claims wait for you, M of them overdue").

Who holds a claim is `HOLDERS`: the role that must take its next step, found where the role works (the township's
clerks, the county's officers or approvers, the surveyors assigned in the current round, the adjusters of the
insurer it is referred to). A claim waiting for the claimant (surveyed and waiting for the claimant's confirmation)
has no holder on staff and is not chased here; a claim returned for correction waits for the claimant until its
deadline, and is then the township's to decide (not accepted, as the correction notice says: the step "lapse"), so
its holders are the clerks (and the county's officers when a clerk filed or resubmitted it). A valued claim, and one the insurer
has decided, waits for the township's public notice (`notice_within_working_days`): its holders are the clerks.

Whom a holder answers to is `SUPERVISOR_OF`: a clerk's or an officer's supervisors are the county's approvers, an
approver's the county's administrators (the nearest up the region tree when the county has none). [design] The
app has no administrator role for an insurer's organisation (adjusters' accounts are kept by the province's
administrators): an adjuster who lets a deadline pass is reported to the county's approvers, the policyholder's
side, who take it up with the insurer under the contract.

The insurer's payment: once a claim is approved, its insurer share is due `policy.payment_days` calendar days
after the approval (when the payment row is made). [design] The domain brief's "within one month of accepting"
is counted from the award, not from the insurer's assessment: the insurer cannot pay before the county decides.

The advance on injury and death (docs/payments.md, section 4): a requested advance is the county's approvers' to
decide by its `due_on` (one working day); an undecided one after that day is chased like an overdue claim, and
reported to the county's administrators after the county's days.

Scale: the overdue claims are read in keyset batches along the index (due_at, id); the people of each batch in a
handful of queries (staff by region, surveyors of the batch, insurers of the batch, each region and insurer read
once a run); the digest from grouped counts, never a query per claim or per user. The notices are inserted in
bulk.

Once a day: `run_deadlines` is the job `deadlines` (claims/jobs.py) with the key `deadlines:<date>`; the key is the
day's marker (claims/core/jobs.py), written in the same transaction as the notices, so a second run of the same day
finds it and sends nothing (`flask deadlines run`).
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, insert, or_, select

from claims.accounts.models import Role, User
from claims.approval.advances import APPROVAL_SOURCES
from claims.approval.models import Advance, Decision, Payment, PaymentStatus, Share
from claims.core.jobs import claim_marker
from claims.core.time import local_today, to_local
from claims.extensions import db
from claims.insurance.models import InsurancePolicy, InsurerMember, Referral
from claims.intake.models import Claim
from claims.regions.models import Region
from claims.regions.services import is_workday, working_days_back
from claims.regions.settings import county_setting
from claims.survey.models import SurveyAssignment, assignment_surveyors
from claims.workflow.models import Notification
from claims.workflow.queues import ALSO_ACTED_BY, clerk_took_part, overdue_on
from claims.workflow.states import ClaimStatus as S

log = logging.getLogger(__name__)

BATCH = 1000  # overdue claims read, and their notices written, at a time

# The role that must take each state's next step (states not named here wait for the claimant).
HOLDERS: dict[S, Role] = {
    S.SUBMITTED: Role.CLERK,  # and the county's officers when a clerk filed or resubmitted it (separation of duties)
    S.RETURNED: Role.CLERK,  # once its correction deadline has passed: not accepted (the step "lapse"); officers as above
    S.ACCEPTED: Role.OFFICER,
    S.SURVEY_ASSIGNED: Role.OFFICER,  # the surveyors assigned in the current round only
    S.CONFIRMED: Role.OFFICER,
    S.DISPUTED: Role.OFFICER,
    S.VALUED: Role.CLERK,
    S.REFERRED: Role.INSURER,
    S.INSURER_DECIDED: Role.CLERK,
    S.IN_NOTICE: Role.APPROVER,
    S.OBJECTION_REVIEW: Role.APPROVER,
    S.APPROVED: Role.APPROVER,
}
SUPERVISOR_OF: dict[Role, Role] = {Role.CLERK: Role.APPROVER, Role.OFFICER: Role.APPROVER, Role.INSURER: Role.APPROVER, Role.APPROVER: Role.ADMIN}
CLAIMANT_CALLS = frozenset({S.SURVEYED})
INTAKE_STATES = (S.SUBMITTED, S.RETURNED)


@dataclass
class EscalationReport:
    day: date
    workday: bool = True
    overdue_claims: int = 0
    holder_notices: int = 0
    supervisor_notices: int = 0
    late_payments: int = 0
    late_advances: int = 0
    digests: int = 0
    skipped: str = ""  # why nothing was sent: "already run", "not today"

    def summary(self) -> str:
        if not self.workday:
            return f"deadlines {self.day}: not a working day, nothing sent"
        if self.skipped:
            return f"deadlines {self.day}: {self.skipped}; nothing sent"
        return (
            f"deadlines {self.day}: {self.overdue_claims} overdue claims, {self.late_payments} late insurer payments; "
            f"{self.holder_notices} notices to holders, {self.supervisor_notices} to supervisors, {self.digests} digests"
        )


@dataclass(frozen=True)
class _Late:
    """One overdue thing: a claim waiting for a step, or an insurer's share waiting to be paid."""

    claim_id: int
    number: str
    county_id: int | None
    due: date
    holders: list[int]
    holder_role: Role
    params: dict[str, str]


class _People:
    """Who works where, read once a run for the regions and insurers it meets."""

    def __init__(self) -> None:
        self.staff: dict[tuple[Role, int], list[int]] = defaultdict(list)
        self.regions_read: set[int] = set()
        self.adjusters: dict[int, list[int]] = {}
        self.counties: dict[int, Region] = {}
        self.cutoffs: dict[int, tuple[date, int]] = {}
        self.admins = [
            (path, user_id)
            for path, user_id in db.session.execute(
                select(Region.path, User.id).join(Region, Region.id == User.region_id).where(User.role == Role.ADMIN, User.active)
            )
        ]

    def read_regions(self, region_ids: Iterable[int | None]) -> None:
        missing = {r for r in region_ids if r is not None} - self.regions_read
        if not missing:
            return
        query = select(User.role, User.region_id, User.id).where(
            User.region_id.in_(missing), User.active, User.role.in_([Role.CLERK, Role.OFFICER, Role.APPROVER])
        )
        for role, region_id, user_id in db.session.execute(query.order_by(User.id)):
            self.staff[(role, region_id)].append(user_id)
        self.regions_read |= missing

    def read_insurers(self, insurer_ids: Iterable[int]) -> None:
        missing = set(insurer_ids) - set(self.adjusters)
        if not missing:
            return
        for insurer_id in missing:
            self.adjusters[insurer_id] = []
        query = select(InsurerMember.insurer_id, User.id).join(User, User.id == InsurerMember.user_id).where(InsurerMember.insurer_id.in_(missing), User.active)
        for insurer_id, user_id in db.session.execute(query.order_by(User.id)):
            self.adjusters[insurer_id].append(user_id)

    def of(self, role: Role, region_id: int | None) -> list[int]:
        return self.staff.get((role, region_id), []) if region_id is not None else []

    def county(self, county_id: int) -> Region:
        if county_id not in self.counties:
            region = db.session.get(Region, county_id)
            assert region is not None
            self.counties[county_id] = region
        return self.counties[county_id]

    def county_admins(self, county_id: int | None) -> list[int]:
        """The administrators of the county, else those of the nearest region above it that has any."""
        if county_id is None:
            return []
        path = self.county(county_id).path
        above = [(len(p), user_id) for p, user_id in self.admins if path.startswith(p)]
        nearest = max((n for n, _u in above), default=None)
        return [user_id for n, user_id in above if n == nearest]

    def supervisors(self, role: Role, county_id: int | None) -> list[int]:
        boss = SUPERVISOR_OF.get(role)
        if boss == Role.ADMIN:
            return self.county_admins(county_id)
        return self.of(boss, county_id) if boss is not None else []

    def escalation(self, county_id: int | None, day: date) -> tuple[date, int]:
        """(the date before which a deadline is escalated, the county's number of working days)."""
        if county_id is None:
            return date.min, 0
        if county_id not in self.cutoffs:
            days = int(county_setting(self.county(county_id), "escalate_after_working_days", day))
            self.cutoffs[county_id] = (working_days_back(day, days), days)
        return self.cutoffs[county_id]


# The run ----------------------------------------------------------------------------------------------------
def run_deadlines(today: date) -> EscalationReport:
    """Tell the holders of every claim overdue on `today` (and their supervisors after the county's working days),
    the adjusters of every late insurer payment, and every member of staff with waiting work its digest.

    Writes the notices in the open transaction (flushes, never commits); once a day through the job (module doc)."""
    report = EscalationReport(day=today)
    if not is_workday(today):
        report.workday = False
        return report
    people = _People()
    waiting: Counter[int] = Counter()
    late: Counter[int] = Counter()
    for batch in _overdue_claims(today, people):
        report.overdue_claims += len(batch)
        _notify(batch, people, today, report, kinds=("overdue", "overdue_escalated"))
    for batch in _insurer_payments(today, people, waiting, late):
        report.late_payments += len(batch)
        _notify(batch, people, today, report, kinds=("insurer_payment_overdue", "insurer_payment_escalated"))
    for batch in _undecided_advances(today, people):
        report.late_advances += len(batch)
        _notify(batch, people, today, report, kinds=("advance_overdue", "advance_escalated"))
    _count_waiting(today, people, waiting, late)
    report.digests = _send_digests(waiting, late)
    log.info(report.summary())
    return report


def _notify(batch: list[_Late], people: _People, today: date, report: EscalationReport, *, kinds: tuple[str, str]) -> None:
    """One notice per holder of each item; one more per supervisor once it is late beyond the county's days."""
    kind, escalated = kinds
    rows: list[dict[str, Any]] = []
    for item in batch:
        cutoff, days = people.escalation(item.county_id, today)
        told = set(item.holders)
        rows += [{"user_id": u, "claim_id": item.claim_id, "kind": kind, "params": item.params} for u in item.holders]
        if item.due < cutoff:
            bosses = [u for u in people.supervisors(item.holder_role, item.county_id) if u not in told]
            params = item.params | {"days": str(days)}
            rows += [{"user_id": u, "claim_id": item.claim_id, "kind": escalated, "params": params} for u in bosses]
            report.supervisor_notices += len(bosses)
        report.holder_notices += len(item.holders)
    if rows:
        db.session.execute(insert(Notification), rows)


# Overdue claims, in keyset batches along (due_at, id) ----------------------------------------------------------
def _overdue_claims(today: date, people: _People) -> Iterable[list[_Late]]:
    by_clerk = clerk_took_part().label("by_clerk")
    base = select(Claim.id, Claim.number, Claim.status, Claim.county_id, Claim.township_id, Claim.due_at, Claim.survey_round, by_clerk).where(
        overdue_on(today), Claim.status.in_(list(HOLDERS))
    )
    after: tuple[date, int] | None = None
    while True:
        query = base if after is None else base.where(or_(Claim.due_at > after[0], and_(Claim.due_at == after[0], Claim.id > after[1])))
        rows = db.session.execute(query.order_by(Claim.due_at, Claim.id).limit(BATCH)).all()
        if not rows:
            return
        yield _holders_of(rows, people)
        after = (rows[-1].due_at, rows[-1].id)


def _holders_of(rows: list[Any], people: _People) -> list[_Late]:
    people.read_regions(r for row in rows for r in (row.county_id, row.township_id))
    ids = [row.id for row in rows]
    surveyors, insurers = _surveyors_of(ids), _insurers_of(ids)
    people.read_insurers(set(insurers.values()))
    found = []
    for row in rows:
        role = HOLDERS[row.status]
        if row.status == S.SURVEY_ASSIGNED:
            holders = surveyors.get(row.id, [])
        elif row.status == S.REFERRED:
            holders = people.adjusters.get(insurers.get(row.id, 0), [])
        elif role == Role.CLERK:
            holders = people.of(Role.CLERK, row.township_id)
            if row.status in INTAKE_STATES and row.by_clerk:
                holders = holders + people.of(Role.OFFICER, row.county_id)
        else:
            holders = people.of(role, row.county_id)
        params = {"number": row.number or "", "due": row.due_at.isoformat()}
        found.append(_Late(row.id, row.number or "", row.county_id, row.due_at, holders, role, params))
    return found


def _surveyors_of(claim_ids: list[int]) -> dict[int, list[int]]:
    """The active surveyors of each claim's current round."""
    query = (
        select(SurveyAssignment.claim_id, assignment_surveyors.c.user_id)
        .join(assignment_surveyors, assignment_surveyors.c.assignment_id == SurveyAssignment.id)
        .join(Claim, (Claim.id == SurveyAssignment.claim_id) & (Claim.survey_round == SurveyAssignment.round))
        .join(User, User.id == assignment_surveyors.c.user_id)
        .where(SurveyAssignment.claim_id.in_(claim_ids), User.active)
        .order_by(assignment_surveyors.c.user_id)
    )
    found: dict[int, list[int]] = defaultdict(list)
    for claim_id, user_id in db.session.execute(query):
        found[claim_id].append(user_id)
    return found


def _insurers_of(claim_ids: list[int]) -> dict[int, int]:
    query = select(Referral.claim_id, InsurancePolicy.insurer_id).join(InsurancePolicy, InsurancePolicy.id == Referral.policy_id)
    return {claim_id: insurer_id for claim_id, insurer_id in db.session.execute(query.where(Referral.claim_id.in_(claim_ids)))}


# The insurer's payments ---------------------------------------------------------------------------------------
def _insurer_payments(today: date, people: _People, waiting: Counter[int], late: Counter[int]) -> Iterable[list[_Late]]:
    """The unpaid insurer shares of approved claims (few: those waiting to be paid), by payment id; each counts in
    its adjusters' digest, and those past `policy.payment_days` are yielded to be chased."""
    base = (
        select(
            Payment.id,
            Payment.created_at,
            Payment.amount,
            Claim.id.label("claim_id"),
            Claim.number,
            Claim.county_id,
            InsurancePolicy.insurer_id,
            InsurancePolicy.payment_days,
        )
        .join(Claim, Claim.id == Payment.claim_id)
        .join(Decision, Decision.claim_id == Payment.claim_id)
        .join(InsurancePolicy, InsurancePolicy.id == Decision.policy_id)
        .where(Payment.status.in_([PaymentStatus.PENDING, PaymentStatus.EXPORTED]), Payment.share == Share.INSURER, Claim.status == S.APPROVED)
        .order_by(Payment.id)
        .limit(BATCH)
    )
    after = 0
    while True:
        rows = db.session.execute(base.where(Payment.id > after)).all()
        if not rows:
            return
        people.read_insurers({row.insurer_id for row in rows})
        batch = []
        for row in rows:
            due = _local_day(row.created_at) + timedelta(days=row.payment_days)
            adjusters = people.adjusters.get(row.insurer_id, [])
            for user_id in adjusters:
                waiting[user_id] += 1
                late[user_id] += due < today
            if due < today:
                params = {"number": row.number or "", "due": due.isoformat(), "amount": str(row.amount)}
                batch.append(_Late(row.claim_id, row.number or "", row.county_id, due, adjusters, Role.INSURER, params))
        people.read_regions(item.county_id for item in batch)
        yield batch
        after = rows[-1].id


# The advances waiting for an approver past their day --------------------------------------------------------------
def _undecided_advances(today: date, people: _People) -> Iterable[list[_Late]]:
    """Requested advances not approved by their `due_on` (few: each waits one working day), by claim id."""
    base = (
        select(Advance.claim_id, Advance.county_id, Advance.due_on, Advance.amount, Claim.number)
        .join(Claim, Claim.id == Advance.claim_id)
        .where(Advance.approved_at.is_(None), Advance.due_on < today, Claim.status.in_(APPROVAL_SOURCES))  # a lapsed request is not chased
        .order_by(Advance.claim_id)
        .limit(BATCH)
    )
    after = 0
    while True:
        rows = db.session.execute(base.where(Advance.claim_id > after)).all()
        if not rows:
            return
        people.read_regions(row.county_id for row in rows)
        yield [
            _Late(
                row.claim_id,
                row.number or "",
                row.county_id,
                row.due_on,
                people.of(Role.APPROVER, row.county_id),
                Role.APPROVER,
                {"number": row.number or "", "due": row.due_on.isoformat(), "amount": f"{row.amount:,.2f}"},
            )
            for row in rows
        ]
        after = rows[-1].claim_id


def _local_day(moment: datetime) -> date:
    local = to_local(moment)
    assert local is not None
    return local.date()


# The digest: what waits for each member of staff, from grouped counts ---------------------------------------------
def _count_waiting(today: date, people: _People, waiting: Counter[int], late: Counter[int]) -> None:
    """Add to `waiting` and `late` (user id -> claims) every open claim each member of staff holds (`HOLDERS`)."""
    is_late = case((Claim.due_at < today, 1), else_=0)
    by_place = (
        select(Claim.status, Claim.county_id, Claim.township_id, func.count(), func.sum(is_late))
        .where(Claim.status.in_([s for s in HOLDERS if s not in (S.SURVEY_ASSIGNED, S.REFERRED)]))
        .group_by(Claim.status, Claim.county_id, Claim.township_id)
    )
    places = db.session.execute(by_place).all()
    people.read_regions(r for row in places for r in (row[1], row[2]))
    for status, county_id, township_id, n, n_late in places:
        if status == S.RETURNED:  # the claimant's until its deadline passes
            n = n_late
        roles = [HOLDERS[status], *(role for role, states in ALSO_ACTED_BY.items() if status in states)]  # as the to-do lists
        for role in roles:
            for user_id in people.of(role, township_id if role == Role.CLERK else county_id):
                waiting[user_id] += n
                late[user_id] += int(n_late or 0)
    clerk_filed = (
        select(Claim.county_id, func.count(), func.sum(is_late))
        .where(or_(Claim.status == S.SUBMITTED, and_(Claim.status == S.RETURNED, Claim.due_at < today)), clerk_took_part())
        .group_by(Claim.county_id)
    )
    for county_id, n, n_late in db.session.execute(clerk_filed):
        for user_id in people.of(Role.OFFICER, county_id):
            waiting[user_id] += n
            late[user_id] += int(n_late or 0)
    surveys = (
        select(assignment_surveyors.c.user_id, func.count(), func.sum(is_late))
        .select_from(Claim)
        .join(SurveyAssignment, (SurveyAssignment.claim_id == Claim.id) & (SurveyAssignment.round == Claim.survey_round))
        .join(assignment_surveyors, assignment_surveyors.c.assignment_id == SurveyAssignment.id)
        .where(Claim.status == S.SURVEY_ASSIGNED)
        .group_by(assignment_surveyors.c.user_id)
    )
    referred = (
        select(InsurancePolicy.insurer_id, func.count(), func.sum(is_late))
        .select_from(Claim)
        .join(Referral, Referral.claim_id == Claim.id)
        .join(InsurancePolicy, InsurancePolicy.id == Referral.policy_id)
        .where(Claim.status == S.REFERRED)
        .group_by(InsurancePolicy.insurer_id)
    )
    for user_id, n, n_late in db.session.execute(surveys):
        waiting[user_id] += n
        late[user_id] += int(n_late or 0)
    by_insurer = db.session.execute(referred).all()
    people.read_insurers(row[0] for row in by_insurer)
    for insurer_id, n, n_late in by_insurer:
        for user_id in people.adjusters[insurer_id]:
            waiting[user_id] += n
            late[user_id] += int(n_late or 0)


def _send_digests(waiting: Counter[int], late: Counter[int]) -> int:
    active = set(db.session.execute(select(User.id).where(User.id.in_(list(waiting)), User.active)).scalars()) if waiting else set()
    rows = [
        {"user_id": user_id, "claim_id": None, "kind": "deadline_digest", "params": {"waiting": str(n), "overdue": str(late[user_id])}}
        for user_id, n in sorted(waiting.items())
        if n and user_id in active
    ]
    if rows:
        db.session.execute(insert(Notification), rows)
    return len(rows)


# Once a day, as a job ----------------------------------------------------------------------------------------------
def deadlines_key(day: date) -> str:
    return f"deadlines:{day.isoformat()}"


def deadlines_job(day: str) -> EscalationReport:
    """The job `deadlines` (claims/jobs.py): the run of one day, once.

    A day is run on that day only: a job that reaches a worker the next day (the worker was down, an administrator
    retried a failed run) sends nothing, since that day's own run tells everyone of everything overdue then. And it
    is run once, even by two runners at the same time (a worker that seemed dead and was put back, a second cron):
    the first thing it writes is the marker `deadlines:<day>:sent`, under the jobs' unique key, in the transaction
    of its notices; a second runner finds it (or waits for it, and then finds it) and sends nothing."""
    when = date.fromisoformat(day)
    if when != local_today():
        log.warning("deadlines %s: not today (%s); nothing sent", when, local_today())
        return EscalationReport(day=when, skipped="not today")
    if not claim_marker(f"{deadlines_key(when)}:sent", kind="deadlines"):
        return EscalationReport(day=when, skipped="already run")
    return run_deadlines(when)
