"""Incidents: one event whose damage several households claim. An officer of the county creates one from a
claim's survey, or joins a claim to one; the per-accident cap then applies across its claims (valuation)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from claims.accounts.models import Role, User
from claims.core.time import to_local
from claims.extensions import db
from claims.intake.models import Claim
from claims.regions.models import Region
from claims.survey.models import Incident, IncidentClaim
from claims.survey.permissions import kin_problem
from claims.workflow.audit import record_event
from claims.workflow.services import WorkflowError
from claims.workflow.states import ClaimStatus

# A claim joins an incident once submitted, until its valuation is submitted (the value step freezes its share).
JOINABLE = (ClaimStatus.SUBMITTED, ClaimStatus.ACCEPTED, ClaimStatus.SURVEY_ASSIGNED, ClaimStatus.SURVEYED, ClaimStatus.CONFIRMED)


@dataclass(frozen=True)
class IncidentInput:
    occurred_at: datetime  # UTC
    place: str
    village_id: int | None = None
    species_id: int | None = None
    herd_size: int | None = None


def incident_of(claim: Claim) -> Incident | None:
    query = select(Incident).join(IncidentClaim, IncidentClaim.incident_id == Incident.id).where(IncidentClaim.claim_id == claim.id)
    return db.session.execute(query).scalar_one_or_none()


def incident_claims(incident: Incident) -> list[Claim]:
    """The incident's claims by number (the order in which ties of the cap's shares are broken)."""
    query = select(Claim).join(IncidentClaim, IncidentClaim.claim_id == Claim.id).where(IncidentClaim.incident_id == incident.id)
    return list(db.session.execute(query.order_by(Claim.number, Claim.id)).scalars())


def county_incidents(county: Region, *, limit: int = 50) -> list[Incident]:
    """The county's latest incidents, to join a claim to (a bounded list)."""
    query = select(Incident).where(Incident.county_id == county.id).order_by(Incident.occurred_at.desc(), Incident.id.desc()).limit(limit)
    return list(db.session.execute(query).scalars())


def incident_problem(claim: Claim, actor: User) -> str | None:
    """Why `actor` may not put this claim in an incident now, or None."""
    problem = _not_now(claim, actor)
    if problem is None and incident_of(claim) is not None:
        return _("This claim already belongs to an incident.")
    return problem or kin_problem(claim, actor)


def leave_problem(claim: Claim, actor: User) -> str | None:
    """Why `actor` may not take this claim out of its incident now, or None (the same officers, the same time as joining)."""
    return _not_now(claim, actor) or kin_problem(claim, actor)


def _not_now(claim: Claim, actor: User) -> str | None:
    """An officer of the claim's county, while the claim may still join an incident (or leave one)."""
    if actor.role != Role.OFFICER or actor.region_id != claim.county_id:
        return _("You may not take this step on this claim.")
    if claim.status not in JOINABLE:
        return _("This step is not possible while the claim is “%(status)s”.", status=claim.status.title)
    return None


def _check(claim: Claim, actor: User) -> None:
    problem = incident_problem(claim, actor)
    if problem:
        raise WorkflowError(problem)


def add_once(row: Incident | IncidentClaim) -> None:
    """Add a numbered incident or a claim's link in a savepoint: two officers numbering an incident, or linking a
    claim, at the same moment: one wins, the other is told (the transaction stays usable, on PostgreSQL too)."""
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError as exc:
        raise WorkflowError(_("Someone changed the incidents at the same moment: please try again.")) from exc


def _next_number(county: Region, year: int) -> str:
    prefix = f"SG-{county.code}-{year}-"
    count = db.session.execute(select(func.count(Incident.id)).where(Incident.number.like(f"{prefix}%"))).scalar_one()
    return f"{prefix}{count + 1:04d}"


def create_incident(claim: Claim, data: IncidentInput, *, actor: User) -> Incident:
    """A new incident in the claim's county, with the claim as its first."""
    _check(claim, actor)
    assert claim.county is not None
    incident = new_incident(claim.county, data, actor=actor, claim=claim)
    _link(claim, incident, actor)
    return incident


def new_incident(county: Region, data: IncidentInput, *, actor: User, claim: Claim | None = None) -> Incident:
    """A new incident of the county (its claims are joined or tagged into it after)."""
    if actor.role != Role.OFFICER or actor.region_id != county.id:
        raise WorkflowError(_("You may not take this step on this claim."))
    local = to_local(data.occurred_at)
    assert local is not None
    incident = Incident(
        number=_next_number(county, local.year),
        county_id=county.id,
        village_id=data.village_id,
        place=data.place.strip(),
        occurred_at=data.occurred_at,
        species_id=data.species_id,
        herd_size=data.herd_size,
        created_by_id=actor.id,
    )
    add_once(incident)
    changes = {"number": incident.number, "place": incident.place, "herd_size": incident.herd_size}
    record_event(entity="incident", entity_id=incident.id, action="incident_created", actor=actor, claim=claim, changes=changes)
    return incident


def join_incident(claim: Claim, incident: Incident, *, actor: User) -> None:
    """The claim becomes one of the incident's households (same county)."""
    _check(claim, actor)
    if incident.county_id != claim.county_id:
        raise WorkflowError(_("Choose an incident of this claim's county."))
    _link(claim, incident, actor)


def _link(claim: Claim, incident: Incident, actor: User) -> None:
    add_once(IncidentClaim(claim_id=claim.id, incident_id=incident.id, joined_by_id=actor.id))
    record_event(entity="incident", entity_id=incident.id, action="incident_joined", actor=actor, claim=claim, changes={"incident": incident.number})
