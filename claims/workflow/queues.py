"""Work queues sorted by deadline, and overdue claims per officer, township and county."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select
from sqlalchemy.orm import aliased, joinedload, load_only

from claims.accounts.models import Role, User
from claims.core.pagination import PAGE_SIZE, QUEUE_SIZE, Page, SortKey, paginate
from claims.core.time import local_today
from claims.extensions import db
from claims.insurance.permissions import referred_to_insurer
from claims.intake.models import Claim
from claims.intake.permissions import scope_filter
from claims.regions.models import Region
from claims.regions.settings import county_settings
from claims.reports.models import DeadlineFigure, SurveyFigure
from claims.survey.models import SurveyAssignment
from claims.workflow.states import OPEN_STATES, STATUS_INFO, ClaimStatus

# Who sees the overdue page (claims/workflow/views.py).
OVERDUE_ROLES = (Role.CLERK, Role.OFFICER, Role.APPROVER, Role.ADMIN)
# States in which another role than the one the status names may act too: a county officer reviews objections.
ALSO_ACTED_BY = {Role.OFFICER: [ClaimStatus.OBJECTION_REVIEW]}


def states_acted_by(role: Role) -> list[ClaimStatus]:
    return [s for s in OPEN_STATES if STATUS_INFO[s].actor == role] + ALSO_ACTED_BY.get(role, [])


# The to-do queue: the most urgent first, claims with no deadline last (claims/core/pagination.py).
QUEUE_KEYS = (SortKey(Claim.due_at, date, nulls_last=True), SortKey(Claim.id, int))
# The overdue list: the longest overdue first. Index: (county_id, due_at, id) and (township_id, due_at, id).
OVERDUE_KEYS = (SortKey(Claim.due_at, date), SortKey(Claim.id, int))


def clerk_took_part() -> ColumnElement[bool]:
    """A clerk filed the claim, or rewrote it after its return (and she or the claimant resubmitted it): its intake may
    wait for a county officer (separation of duties: claims.intake.steps.not_the_filer), who finds it in the to-do and
    is told and reminded of it."""
    return select(User.id).where(User.id.in_([Claim.filed_by_id, Claim.submitted_by_id]), User.role == Role.CLERK).exists()


def todo_query(user: User) -> Select[tuple[Claim]]:
    """Open claims in the user's scope whose next step is the user's role."""
    waiting = Claim.status.in_(states_acted_by(user.role))
    if user.role == Role.CLERK:  # a claim returned for correction and not corrected by its deadline: not accepted
        lapsed = or_(Claim.status != ClaimStatus.RETURNED, Claim.due_at < local_today())
        waiting = and_(Claim.status.in_([*states_acted_by(user.role), ClaimStatus.RETURNED]), lapsed)
    if user.role == Role.OFFICER:  # a claim a clerk filed or resubmitted may wait for a county officer's intake (separation of duties)
        lapsed = (Claim.status == ClaimStatus.RETURNED) & (Claim.due_at < local_today())
        waiting = waiting | (((Claim.status == ClaimStatus.SUBMITTED) | lapsed) & clerk_took_part())
    # An insurer's to-do is a few claims (those waiting for its decision): each checked for its referral.
    scope = referred_to_insurer(user) if user.role == Role.INSURER else scope_filter(user)
    query = select(Claim).where(scope, waiting)
    if user.role == Role.OFFICER:
        assigned_elsewhere = (
            select(SurveyAssignment.claim_id)
            .where(SurveyAssignment.round == Claim.survey_round, SurveyAssignment.claim_id == Claim.id, ~SurveyAssignment.surveyors.any(User.id == user.id))
            .exists()
        )
        query = query.where(~((Claim.status == ClaimStatus.SURVEY_ASSIGNED) & assigned_elsewhere))
    return query


# What a to-do row shows (templates/workflow/queue.html), read in one statement: only these columns, the village's name
# joined in; any other attribute raises rather than loading row by row.
QUEUE_ROWS = (
    load_only(
        Claim.id, Claim.number, Claim.status, Claim.due_at, Claim.late_report, Claim.village_id, Claim.filed_by_id, Claim.submitted_by_id, raiseload=True
    ),
    joinedload(Claim.village).load_only(Region.name, raiseload=True),
)


def todo_queue(user: User, after: str | None = None, size: int = QUEUE_SIZE) -> Page[Claim]:
    """One page of the user's to-do list, the most urgent first."""
    return paginate(todo_query(user).options(*QUEUE_ROWS), QUEUE_KEYS, after, size=size, session=db.session)


def waiting_for_another_clerk(user: User, page: Page[Claim]) -> set[int]:
    """The claims on a clerk's to-do page that she filed, or rewrote and resubmitted after their return, and whose intake
    decision (accept, return, not accept, or not accept for want of correction once its deadline passed) another clerk of
    the township or a county officer takes (claims.intake.steps.not_the_filer), unless the county lets the filer take it
    in its one-clerk townships. Its setting is read only when the page holds such a claim."""
    if user.role != Role.CLERK:
        return set()
    intake = (ClaimStatus.SUBMITTED, ClaimStatus.RETURNED)  # a returned claim is in her to-do once its deadline passed
    mine = {c.id for c in page if c.status in intake and user.id in (c.filed_by_id, c.submitted_by_id)}
    if not mine or user.region is None or county_settings(user.region.parent, ["filer_may_accept"])["filer_may_accept"]:
        return set()
    return mine


@dataclass
class OverdueReport:
    claims: Page[Claim]
    by_township: Counter[str] = field(default_factory=Counter)
    by_officer: Counter[str] = field(default_factory=Counter)
    by_county: Counter[str] = field(default_factory=Counter)


def overdue_on(day: date) -> ColumnElement[bool]:
    """The claim is open and its deadline passed before `day` (read from the index (due_at, id))."""
    return and_(Claim.status.in_(OPEN_STATES), Claim.due_at < day)


def _overdue_filter(user: User) -> ColumnElement[bool]:
    return and_(scope_filter(user), overdue_on(local_today()))


def figures_in_scope(user: User, figure: type[DeadlineFigure] | type[SurveyFigure]) -> ColumnElement[bool]:
    """`scope_filter` for the roles that see the overdue page, over the aggregate's township and county columns."""
    if not user.active or user.region is None or user.role not in OVERDUE_ROLES:
        return false()
    if user.role == Role.CLERK:
        return figure.township_id == user.region_id
    if user.role in (Role.OFFICER, Role.APPROVER):
        return figure.county_id == user.region_id
    county = aliased(Region)
    return figure.county_id.in_(select(county.id).where(county.path.startswith(user.region.path)))


def _count_by_region(user: User) -> tuple[Counter[str], Counter[str]]:
    """Overdue claims per township and per county, summed from the aggregate's rows of open claims per deadline
    (claims/reports/figures.py), then the regions' names in a second query."""
    figure = DeadlineFigure
    query = select(figure.county_id, figure.township_id, func.sum(figure.claims)).where(figures_in_scope(user, figure), figure.due_at < local_today())
    counts = list(db.session.execute(query.group_by(figure.county_id, figure.township_id)))
    known = {i for county, township, _n in counts for i in (county, township) if i is not None}
    names: dict[int, str] = {key: name for key, name in db.session.execute(select(Region.id, Region.name).where(Region.id.in_(known)))} if known else {}
    by_township: Counter[str] = Counter()
    by_county: Counter[str] = Counter()
    for county, township, n in counts:
        by_township[names.get(township, "—")] += n
        by_county[names.get(county, "—") if county is not None else "—"] += n
    return by_township, by_county


def _count_by_officer(user: User) -> Counter[str]:
    """Overdue claims waiting for a survey, per surveyor assigned in the current round, summed from the aggregate."""
    figure = SurveyFigure
    query = (
        select(User.name, func.sum(figure.claims))
        .select_from(figure)
        .join(User, User.id == figure.surveyor_id)
        .where(figures_in_scope(user, figure), figure.due_at < local_today())
        .group_by(User.id, User.name)
    )
    counts: Counter[str] = Counter()
    for name, n in db.session.execute(query):
        counts[name] += n
    return counts


def overdue(user: User, after: str | None = None, size: int = PAGE_SIZE) -> OverdueReport:
    """The counts of all overdue claims in scope, and one page of them, the longest overdue first."""
    query = select(Claim).where(_overdue_filter(user))
    by_township, by_county = _count_by_region(user)
    return OverdueReport(
        claims=paginate(query, OVERDUE_KEYS, after, size=size, session=db.session),
        by_township=by_township,
        by_officer=_count_by_officer(user),
        by_county=by_county,
    )


def is_overdue(claim: Claim) -> bool:
    return claim.due_at is not None and claim.status in OPEN_STATES and claim.due_at < local_today()
