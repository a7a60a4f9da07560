"""Mass event mode (a catastrophe: Yunnan's 2021 elephant migration gave 995 claims in weeks): find the county's
claims by incident date, township or village and species, tag them into an incident at once, assign their surveys
to the same surveyors, and value the incident's surveyed claims in one run with the same schedule.

Each claim is taken in its own savepoint: a refusal (the lifecycle's guard, a conflict of interest) is reported for
that claim in Chinese and the others go on. A run takes at most MAX_BULK claims; the caller commits every CHUNK
claims (`chunks`), so that no transaction holds the database for the whole run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import Select, select

from claims.accounts.models import Role, User
from claims.core.time import local_to_utc
from claims.extensions import db
from claims.intake.models import Claim
from claims.lifecycle import lock_claim
from claims.regions.models import Region
from claims.survey import operations
from claims.survey.incidents import JOINABLE, add_once, incident_claims, leave_problem
from claims.survey.models import Incident, IncidentClaim
from claims.survey.permissions import kin_problem
from claims.valuation.incidents import share_incident, stale_share
from claims.valuation.models import ClaimValuation
from claims.valuation.services import compute_valuation, current_valuation
from claims.workflow.audit import record_event
from claims.workflow.services import ClaimChanged, WorkflowError
from claims.workflow.states import ClaimStatus

MAX_BULK = 1000  # claims in one run: a larger event is tagged township by township, or day by day
CHUNK = 50  # claims per transaction


@dataclass(frozen=True)
class ClaimFilter:
    """Which of the county's claims to tag: all given conditions hold (dates are local incident dates)."""

    county_id: int
    date_from: date | None = None
    date_to: date | None = None
    township_id: int | None = None
    village_id: int | None = None
    species_id: int | None = None


@dataclass(frozen=True)
class Outcome:
    claim_id: int
    number: str
    problem: str | None = None  # None: done
    total: str | None = None  # a valuation's total, in yuan


def candidates(f: ClaimFilter) -> Select[tuple[Claim]]:
    """The county's claims matching the filter that may join an incident and belong to none (unordered)."""
    query = (
        select(Claim)
        .outerjoin(IncidentClaim, IncidentClaim.claim_id == Claim.id)
        .where(Claim.county_id == f.county_id, Claim.status.in_(JOINABLE), IncidentClaim.claim_id.is_(None))
    )
    if f.date_from is not None:
        query = query.where(Claim.incident_at >= local_to_utc(datetime.combine(f.date_from, time())))
    if f.date_to is not None:
        query = query.where(Claim.incident_at < local_to_utc(datetime.combine(f.date_to + timedelta(days=1), time())))
    for column, value in ((Claim.township_id, f.township_id), (Claim.village_id, f.village_id), (Claim.species_id, f.species_id)):
        if value is not None:
            query = query.where(column == value)
    return query


def members_query(incident: Incident) -> Select[tuple[Claim]]:
    return select(Claim).join(IncidentClaim, IncidentClaim.claim_id == Claim.id).where(IncidentClaim.incident_id == incident.id)


def county_incidents_query(county_id: int) -> Select[tuple[Incident]]:
    return select(Incident).where(Incident.county_id == county_id)


def _bounded(query: Select[tuple[Claim]]) -> list[Claim]:
    claims = list(db.session.execute(query.order_by(Claim.id).limit(MAX_BULK + 1)).scalars())
    if len(claims) > MAX_BULK:
        raise WorkflowError(_("More than %(n)d claims: narrow the search (a township, or fewer days) and tag them part by part.", n=MAX_BULK))
    return claims


def chunks(claims: Sequence[Claim]) -> Iterator[Sequence[Claim]]:
    for start in range(0, len(claims), CHUNK):
        yield claims[start : start + CHUNK]


def _each(claims: Sequence[Claim], act: Callable[[Claim], str | None]) -> list[Outcome]:
    """`act` on each claim in its own savepoint; a WorkflowError becomes that claim's problem."""
    outcomes = []
    for claim in claims:
        try:
            with db.session.begin_nested():
                total = act(claim)
        except WorkflowError as exc:
            outcomes.append(Outcome(claim.id, claim.number or "", exc.message))
        else:
            outcomes.append(Outcome(claim.id, claim.number or "", None, total))
    return outcomes


def claims_to_tag(f: ClaimFilter) -> list[Claim]:
    return _bounded(candidates(f))


def tag_claims(incident: Incident, claims: Sequence[Claim], *, actor: User) -> list[Outcome]:
    """Tag the claims into the incident (an officer of its county), each audited."""

    def tag(claim: Claim) -> None:
        if claim.county_id != incident.county_id or claim.status not in JOINABLE:
            raise WorkflowError(_("This claim cannot join the incident now."))
        problem = kin_problem(claim, actor)
        if problem:
            raise WorkflowError(problem)
        add_once(IncidentClaim(claim_id=claim.id, incident_id=incident.id, joined_by_id=actor.id))
        record_event(entity="incident", entity_id=incident.id, action="incident_tagged", actor=actor, claim=claim, changes={"incident": incident.number})

    _check_officer(incident, actor)
    return _each(claims, tag)


def leave_incident(claim: Claim, *, actor: User, reason: str, incident_id: int | None = None, expected_version: int | None = None) -> Incident:
    """Take the claim out of its incident (tagged by mistake, or not of the same event), with the reason on the record:
    an officer of its county, while it could still join one, related to none of the incident's households (leaving
    raises the others' shares). The claim is locked first (a value step at the same moment waits, then the claim is
    no longer leavable). Its own valuation, which carried its share, is computed again alone at once, so that no
    share of this incident stays on it (it could join the incident again and keep it); the cap is then shared
    again by the households left.

    `incident_id`, `expected_version`: what the officer's form showed; a claim moved or changed since is refused."""
    lock_claim(claim)
    if expected_version is not None and claim.version != expected_version:
        raise ClaimChanged()
    link = db.session.get(IncidentClaim, claim.id, populate_existing=True)
    if link is None or (incident_id is not None and link.incident_id != incident_id):
        raise WorkflowError(_("This claim belongs to no incident."))
    incident = link.incident
    problem = leave_problem(claim, actor) or next(filter(None, (kin_problem(other, actor) for other in incident_claims(incident))), None)
    if problem:
        raise WorkflowError(problem)
    if not reason.strip():
        raise WorkflowError(_("Say why the claim leaves the incident."))
    db.session.delete(link)
    db.session.flush()
    record_event(
        entity="incident", entity_id=incident.id, action="incident_left", actor=actor, claim=claim, reason=reason, changes={"incident": incident.number}
    )
    stored = current_valuation(claim)
    if stored is not None and stored.frozen_at is None:
        compute_valuation(claim, actor=actor, reason=_("Valued again alone: the claim left incident %(number)s.", number=incident.number))
    share_incident(incident, actor=actor)
    return incident


def _check_officer(incident: Incident, actor: User) -> None:
    if actor.role != Role.OFFICER or actor.region_id != incident.county_id:
        raise WorkflowError(_("You may not take this step on this claim."))


def claims_in(incident: Incident, status: ClaimStatus) -> list[Claim]:
    """The incident's claims in `status`, at most MAX_BULK."""
    query = members_query(incident).where(Claim.status == status).order_by(Claim.id).limit(MAX_BULK)
    return list(db.session.execute(query).scalars())


def assign_surveys(claims: Sequence[Claim], surveyors: list[User], *, actor: User) -> list[Outcome]:
    """Assign each accepted claim's survey to the same surveyors (the lifecycle checks each as one by one)."""
    return _each(claims, lambda claim: operations.assign_surveyors(claim, surveyors, actor=actor))


def value_claims(claims: Sequence[Claim], *, actor: User) -> list[Outcome]:
    """Value each surveyed and confirmed claim with the schedule in force (not sharing yet: `share_incident` once after)."""

    def value(claim: Claim) -> str:
        stored = current_valuation(claim)
        if stored is not None and stored.frozen_at is None and not stale_share(claim, stored):
            return str(stored.total)  # valued already: kept as it is
        reason = _("Valued again in the incident's run.") if stored is not None else None
        return str(compute_valuation(claim, actor=actor, reason=reason, share=False).total)

    return _each(claims, value)


def county_officers(county_id: int) -> list[User]:
    """The county's active officers, to choose the surveyors from (each claim's own conflicts are checked on assignment)."""
    query = select(User).where(User.role == Role.OFFICER, User.region_id == county_id, User.active).order_by(User.name)
    return list(db.session.execute(query).scalars())


def current_totals(claim_ids: Sequence[int]) -> dict[int, Decimal]:
    """The current valuations' totals after the incident's cap was shared (claim id -> yuan)."""
    query = select(ClaimValuation.claim_id, ClaimValuation.total).where(ClaimValuation.claim_id.in_(claim_ids), ClaimValuation.current)
    return {claim_id: total for claim_id, total in db.session.execute(query).all()} if claim_ids else {}


def share_after_run(incident: Incident, *, actor: User) -> None:
    share_incident(incident, actor=actor)


def county_of(incident: Incident) -> Region:
    county = db.session.get(Region, incident.county_id)
    assert county is not None
    return county
