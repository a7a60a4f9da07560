"""The survey parts of a claim page: the incident section (the incident the claim belongs to, or the officer's forms to
create or join one), and the claim as it is on the server for a survey draft from the phone."""

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
from claims.survey.services import latest_survey
from claims.workflow.history import claim_on_server

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


def survey_on_server(claim: Claim, viewer: User) -> dict[str, Any]:
    """The claim as it is on the server, for a survey draft from the phone that meets a changed claim: its state,
    its latest changes and, when a survey was recorded meanwhile, that survey's values under the form's input names,
    so that the phone shows both versions side by side (static/js/drafts-ui.js)."""
    fields: dict[str, str] = {}
    survey = latest_survey(claim)
    if survey is not None:
        fields = {
            "visited_at": to_local(survey.visited_at).strftime("%Y-%m-%dT%H:%M"),
            "surveyors_present": survey.surveyors_present,
            "witnesses": survey.witnesses or "",
            "outcome": str(survey.outcome),
            "explanation": survey.explanation or "",
        }
        verified = {line.loss_line_id: line for line in survey.lines}
        for index, loss in enumerate(claim.losses):
            line = verified.get(loss.id)
            if line is not None:
                fields[f"lines-{index}-quantity"] = "" if line.quantity is None else str(line.quantity)
                fields[f"lines-{index}-loss_rate"] = "" if line.loss_rate is None else str(line.loss_rate)
                fields[f"lines-{index}-note"] = line.note or ""
    return claim_on_server(claim, fields, viewer)
