"""The incident section of a claim page: the incident the claim belongs to, or the officer's forms to create or join one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from claims.accounts.models import Role, User
from claims.core.time import to_local
from claims.intake.models import Claim
from claims.intake.permissions import can_view_claim
from claims.survey.incident_forms import IncidentForm, JoinIncidentForm, LeaveIncidentForm
from claims.survey.incidents import county_incidents, incident_claims, incident_of, incident_problem, leave_problem
from claims.survey.models import Incident

# County staff see which incident a claim belongs to and its households (claim numbers).
COUNTY_STAFF = frozenset({Role.OFFICER, Role.APPROVER, Role.ADMIN})


@dataclass
class IncidentPanel:
    incident: Incident | None
    claims: list[Claim]
    create: IncidentForm | None = None
    join: JoinIncidentForm | None = None
    leave: LeaveIncidentForm | None = None  # an officer who may take the claim out of its incident


def join_choices(claim: Claim) -> list[tuple[int, str]]:
    incidents = county_incidents(claim.county) if claim.county is not None else []
    return [(0, "—"), *((i.id, f"{i.number} {i.place}") for i in incidents)]


def incident_panel(claim: Claim, user: User, forms: dict[str, Any]) -> dict[str, Any]:
    """{"incident": IncidentPanel} for the county's staff who may see the claim, else {}."""
    if user.role not in COUNTY_STAFF or not can_view_claim(user, claim):
        return {}
    incident = incident_of(claim)
    if incident is not None:
        leave = (forms.get("incident_leave") or LeaveIncidentForm(incident=incident.id, version=claim.version)) if leave_problem(claim, user) is None else None
        return {"incident": IncidentPanel(incident, incident_claims(incident), leave=leave)}
    if incident_problem(claim, user) is not None:
        return {}
    local = to_local(claim.incident_at)
    occurred = local.replace(tzinfo=None, second=0, microsecond=0) if local else None
    create = forms.get("incident_create") or IncidentForm(occurred_at=occurred, place=claim.village.name if claim.village else "")
    join = forms.get("incident_join") or JoinIncidentForm()
    join.incident.choices = join_choices(claim)
    return {"incident": IncidentPanel(None, [], create, join)}
