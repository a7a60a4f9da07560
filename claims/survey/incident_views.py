"""Incidents: from the claim page an officer creates one with this claim as its first household, joins one, or takes
the claim out of its incident (with a reason); the
mass event pages (claims/survey/mass_event.py) tag, assign and value many claims of an incident at once."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from claims.accounts.models import Role
from claims.accounts.session import roles_required
from claims.core.inputs import bounded_int, form_version
from claims.core.pagination import PAGE_SIZE, SortKey, first_rows, paginate
from claims.core.time import local_to_utc
from claims.extensions import db
from claims.intake.models import Claim
from claims.intake.permissions import visible_claim_or_404
from claims.intake.views import render_detail
from claims.regions.models import Region
from claims.regions.services import all_species, children_of
from claims.survey.incident_forms import BulkAssignForm, BulkForm, IncidentForm, JoinIncidentForm, LeaveIncidentForm, MassFilterForm, NewIncidentForm
from claims.survey.incidents import IncidentInput, create_incident, incident_of, join_incident, leave_problem, new_incident
from claims.survey.mass_event import (
    assign_surveys,
    candidates,
    chunks,
    claims_in,
    claims_to_tag,
    county_incidents_query,
    county_officers,
    current_totals,
    leave_incident,
    members_query,
    share_after_run,
    tag_claims,
    value_claims,
)
from claims.survey.models import Incident
from claims.survey.panels import join_choices
from claims.workflow.actions import kept, run_action
from claims.workflow.services import WorkflowError
from claims.workflow.states import ClaimStatus

bp = Blueprint("incidents", __name__)
INCIDENT_KEYS = (SortKey(Incident.id, int, descending=True),)  # the newest first
CANDIDATE_KEYS = (SortKey(Claim.id, int),)


@bp.route("/claims/<int:claim_id>/incident", methods=["POST"])
@roles_required(Role.OFFICER)
def create(claim_id: int):  # type: ignore[no-untyped-def]
    claim = visible_claim_or_404(claim_id, g.user)
    form = IncidentForm()
    if not form.validate_on_submit():
        return render_detail(claim, {"incident_create": form}, 422)
    data = form.to_input(village_id=claim.village_id, species_id=claim.species_id)
    return run_action(claim, lambda: create_incident(claim, data, actor=g.user), _("The incident was created with this claim as its first household."))


@bp.route("/claims/<int:claim_id>/incident/join", methods=["POST"])
@roles_required(Role.OFFICER)
def join(claim_id: int):  # type: ignore[no-untyped-def]
    claim = visible_claim_or_404(claim_id, g.user)
    form = JoinIncidentForm()
    form.incident.choices = join_choices(claim)
    incident = db.session.get(Incident, form.incident.data) if form.validate_on_submit() and form.incident.data else None
    if incident is None or incident.county_id != claim.county_id:
        if not form.errors:
            form.incident.errors = [_("Choose an incident.")]
        return render_detail(claim, {"incident_join": form}, 422)
    return run_action(claim, lambda: join_incident(claim, incident, actor=g.user), _("The claim joined the incident."))


@bp.route("/claims/<int:claim_id>/incident/leave", methods=["POST"])
@roles_required(Role.OFFICER)
def leave(claim_id: int):  # type: ignore[no-untyped-def]
    claim = visible_claim_or_404(claim_id, g.user)
    form = LeaveIncidentForm()
    if not form.validate_on_submit() and incident_of(claim) is not None and leave_problem(claim, g.user) is None:
        return render_detail(claim, {"incident_leave": form}, 422)  # else the step says why it cannot be taken
    incident_id, version = bounded_int(form.incident.data, 1), form_version(form.version.data)
    return run_action(
        claim,
        lambda: leave_incident(claim, actor=g.user, reason=form.reason.data or "", incident_id=incident_id, expected_version=version),
        _("The claim left the incident; the cap is shared by the households left (its own valuation, if any, was computed again alone)."),
        refused=lambda status: render_detail(claim, {"incident_leave": kept(form, claim)}, status),
    )


# --- mass event mode: the county's officers ------------------------------------------------------------------
def _incident_or_404(incident_id: int) -> Incident:
    incident = db.session.get(Incident, incident_id)
    if incident is None or incident.county_id != g.user.region_id:
        abort(404)
    return incident


@bp.route("/incidents", methods=["GET", "POST"])
@roles_required(Role.OFFICER)
def incidents():  # type: ignore[no-untyped-def]
    county = db.session.get(Region, g.user.region_id)
    form = NewIncidentForm()
    form.species.choices = [(0, "—"), *((s.id, s.name_zh) for s in all_species())]
    if request.method == "POST" and county is not None and form.validate():
        data = IncidentInput(local_to_utc(form.occurred_at.data), form.place.data or "", None, form.species.data or None, form.herd_size.data)
        incident = new_incident(county, data, actor=g.user)
        db.session.commit()
        flash(_("The incident %(number)s was created: find its claims and tag them.", number=incident.number), "success")
        return redirect(url_for("incidents.incident", incident_id=incident.id))
    page = paginate(county_incidents_query(g.user.region_id), INCIDENT_KEYS, request.args.get("after"), session=db.session)
    status = 422 if request.method == "POST" else 200
    return render_template("survey/incidents.html", page=page, form=form), status


def _filter_form(incident: Incident) -> MassFilterForm:
    form = MassFilterForm(request.args)
    townships = children_of([incident.county_id])
    form.township.choices = [(0, "—"), *((t.id, t.name) for t in townships)]
    form.village.choices = [(0, "—"), *((v.id, f"{v.parent.name} {v.name}") for v in children_of([t.id for t in townships]))]
    form.species.choices = [(0, "—"), *((s.id, s.name_zh) for s in all_species())]
    return form


@bp.route("/incidents/<int:incident_id>")
@roles_required(Role.OFFICER)
def incident(incident_id: int):  # type: ignore[no-untyped-def]
    incident = _incident_or_404(incident_id)
    search = _filter_form(incident)
    found = None
    if request.args.get("search") and search.validate():
        found = paginate(candidates(search.to_filter(incident.county_id)), CANDIDATE_KEYS, request.args.get("after"), session=db.session)
    members = first_rows(members_query(incident), CANDIDATE_KEYS, size=PAGE_SIZE, session=db.session)  # the list of all: the claims list
    assign = BulkAssignForm()
    assign.surveyors.choices = [(u.id, u.name) for u in county_officers(incident.county_id)]
    page = render_template("survey/incident.html", incident=incident, search=search, found=found, members=members, assign=assign, bulk=BulkForm())
    return page, (422 if search.errors else 200)


@bp.route("/incidents/<int:incident_id>/tag", methods=["POST"])
@roles_required(Role.OFFICER)
def tag(incident_id: int):  # type: ignore[no-untyped-def]
    incident = _incident_or_404(incident_id)
    search = _filter_form(incident)
    search.process(request.form)
    if not BulkForm().validate_on_submit() or not search.validate():
        abort(400)
    try:
        claims = claims_to_tag(search.to_filter(incident.county_id))
    except WorkflowError as exc:  # too many: the search is narrowed first
        flash(exc.message, "error")
        return redirect(url_for("incidents.incident", incident_id=incident.id))
    return _run(incident, claims, lambda part: tag_claims(incident, part, actor=g.user), _("Tagged into the incident"))


@bp.route("/incidents/<int:incident_id>/assign", methods=["POST"])
@roles_required(Role.OFFICER)
def assign(incident_id: int):  # type: ignore[no-untyped-def]
    incident = _incident_or_404(incident_id)
    form = BulkAssignForm()
    form.surveyors.choices = [(u.id, u.name) for u in county_officers(incident.county_id)]
    if not form.validate_on_submit():
        flash(_("Choose the surveyors."), "error")
        return redirect(url_for("incidents.incident", incident_id=incident.id))
    surveyors = [u for u in county_officers(incident.county_id) if u.id in set(form.surveyors.data)]
    claims = claims_in(incident, ClaimStatus.ACCEPTED)
    return _run(incident, claims, lambda part: assign_surveys(part, surveyors, actor=g.user), _("Survey assigned"))


@bp.route("/incidents/<int:incident_id>/value", methods=["POST"])
@roles_required(Role.OFFICER)
def value(incident_id: int):  # type: ignore[no-untyped-def]
    incident = _incident_or_404(incident_id)
    if not BulkForm().validate_on_submit():
        abort(400)
    claims = claims_in(incident, ClaimStatus.CONFIRMED)
    return _run(incident, claims, lambda part: value_claims(part, actor=g.user), _("Valued"), share=True)


def _run(incident: Incident, claims: list[Claim], act, done: str, *, share: bool = False):  # type: ignore[no-untyped-def]
    """Take the claims part by part, committing each part; then report on every claim."""
    outcomes = []
    for part in chunks(claims):
        outcomes.extend(act(part))
        db.session.commit()
    if share:
        share_after_run(incident, actor=g.user)
        db.session.commit()
    totals = current_totals([o.claim_id for o in outcomes if o.problem is None]) if share else {}
    return render_template("survey/incident_run.html", incident=incident, outcomes=outcomes, done=done, totals=totals)
