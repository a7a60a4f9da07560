"""The reports' pages: stage times, the dashboards, the annual statistics table, the insurer's bordereau; the incident
map, its points (JSON) and a point's claim (JSON, for its popup)."""

from __future__ import annotations

from functools import partial
from typing import Any

from flask import Blueprint, abort, current_app, g, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from claims.accounts.models import Role
from claims.accounts.session import login_required, roles_required
from claims.core.time import to_local
from claims.extensions import db
from claims.intake.permissions import visible_claim_or_404
from claims.regions.models import Region, Species
from claims.regions.services import all_species
from claims.reports.bordereau import bordereau, readable_policies
from claims.reports.dashboard import chart_data, dashboard
from claims.reports.figures import figures_counted
from claims.reports.forms import BordereauForm, DashboardPeriodForm, MapForm, PeriodForm, YearForm
from claims.reports.map import map_counts, map_places, map_points, point_limit
from claims.reports.permissions import MapScope, ReportScope, can_see_map, can_see_region, map_scope, may_ask_for_bordereau, report_scope
from claims.reports.report_exports import bordereau_heading, bordereau_table, statistics_table
from claims.reports.services import stage_times
from claims.reports.statistics import annual_statistics
from claims.reports.tiles import tile_layers

bp = Blueprint("reports", __name__, url_prefix="/reports")


def _reader_scope() -> ReportScope:
    """The reader's scope for the county and province reports, or 404 (as if the page did not exist)."""
    scope = report_scope(g.user)
    if scope is None:
        abort(404)
    return scope


@bp.route("/stages")
@roles_required(Role.APPROVER, Role.ADMIN)
def stages():  # type: ignore[no-untyped-def]
    scope = _reader_scope()
    form = PeriodForm(request.args)
    if not form.validate():
        return render_template("reports/stages.html", form=form, report=None, scope=scope), 422
    return render_template("reports/stages.html", form=form, report=stage_times(scope, form.period()), scope=scope)


@bp.route("/dashboard")
@bp.route("/dashboard/<region_code>")
@roles_required(Role.APPROVER, Role.ADMIN)
def dashboard_page(region_code: str | None = None):  # type: ignore[no-untyped-def]
    """A region's dashboard (by its official code; the reader's own region without one), for the period chosen."""
    region = g.user.region if region_code is None else db.session.execute(select(Region).where(Region.code == region_code)).scalar_one_or_none()
    if not can_see_region(g.user, region):
        abort(404)
    form = DashboardPeriodForm(request.args)
    if not form.validate():
        return render_template("reports/dashboard.html", form=form, board=None, region=region), 422
    board = dashboard(g.user, region, form.period(), may_open=partial(can_see_region, g.user))
    return render_template("reports/dashboard.html", form=form, board=board, region=region, charts=chart_data(board), counted=figures_counted())


def _map_filters() -> tuple[MapScope, list[Species], MapForm]:
    scope = map_scope(g.user)
    if scope is None:
        abort(404)
    species = all_species()
    return scope, species, MapForm(request.args, species=species)


@bp.route("/map")
@login_required
def incident_map():  # type: ignore[no-untyped-def]
    scope, species, form = _map_filters()
    if not form.validate():
        return render_template("reports/map.html", form=form, counts=None, data=_page_data(scope, species, None)), 422
    counts = map_counts(scope, form.map_filter(), species, _("Unknown animal"))
    placed = sum(row.placed for row in counts)
    data = _page_data(scope, species, url_for("reports.map_points", **form.query_args()))
    return render_template("reports/map.html", form=form, counts=counts, placed=placed, limit=point_limit(), data=data)


@bp.route("/map/points", endpoint="map_points")
@login_required
def map_points_json():  # type: ignore[no-untyped-def]
    scope, _species, form = _map_filters()
    if not form.validate():
        return {"errors": form.errors}, 422
    return map_points(scope, form.map_filter()).as_json()


@bp.route("/map/claims/<int:claim_id>")
@login_required
def map_claim(claim_id: int):  # type: ignore[no-untyped-def]
    """What a point's popup says: the claim's number, animal and incident date, and its page."""
    if not can_see_map(g.user):
        abort(404)
    claim = visible_claim_or_404(claim_id, g.user)
    if claim.number is None:  # a draft is on no map
        abort(404)
    species = claim.species.name_zh if claim.species else (claim.species_description or _("Unknown animal"))
    incident = to_local(claim.incident_at)
    return {
        "number": claim.number,
        "species": species,
        "date": incident.date().isoformat() if incident else "",
        "url": url_for("intake.detail", claim_id=claim.id),
    }


def _page_data(scope: MapScope, species: list[Species], points_url: str | None) -> dict[str, Any]:
    """What static/js/map.js reads from the page (a JSON block: no inline script under the CSP)."""
    return {
        "points": points_url,
        "claim": url_for("reports.map_claim", claim_id=0).removesuffix("0"),
        "tiles": [layer.as_json() for layer in tile_layers(current_app.config)],
        "places": [[p.lat, p.lon, p.name, p.level.value] for p in map_places(scope.region)],
        "species": {s.code: s.name_zh for s in species},
        "labels": {
            "zoomIn": _("Zoom in"),
            "zoomOut": _("Zoom out"),
            "layers": _("Layers"),
            "close": _("Close the popup"),
            "incidents": _("Incident points"),
            "surveys": _("Survey points"),
            "heat": _("Heat map"),
            "places": _("County and township centres"),
            "unknown": _("Unknown animal"),
            "number": _("Claim number"),
            "date": _("Incident date"),
            "open": _("Open the claim"),
            "loading": _("Loading the points…"),
            "loaded": _("%(incidents)s incident points and %(surveys)s survey points on the map."),
            "failed": _("The points could not be loaded. Reload the page to try again."),
            "capped": _("Only the newest %(limit)s claims are on the map: narrow the period or choose a species.", limit=f"{point_limit():,}"),
        },
    }


@bp.route("/statistics")
@roles_required(Role.APPROVER, Role.ADMIN)
def statistics():  # type: ignore[no-untyped-def]
    form = YearForm(request.args, meta={"csrf": False})
    scope = _reader_scope()
    if not form.validate():
        return render_template("reports/statistics.html", form=form, report=None), 422
    report = annual_statistics(scope, form.chosen_year())
    return render_template("reports/statistics.html", form=form, report=report, table=statistics_table(report))


@bp.route("/bordereau")
@roles_required(Role.INSURER, Role.APPROVER, Role.ADMIN)
def bordereau_page():  # type: ignore[no-untyped-def]
    if not may_ask_for_bordereau(g.user):
        abort(404)
    form = BordereauForm(request.args, meta={"csrf": False}, policies=readable_policies(g.user))
    if "policy" not in request.args:
        return render_template("reports/bordereau.html", form=form, report=None)
    if not form.validate():
        return render_template("reports/bordereau.html", form=form, report=None), 422
    report = bordereau(g.user, form.chosen_policy(), form.chosen_month())
    return render_template("reports/bordereau.html", form=form, report=report, table=bordereau_table(report), heading=bordereau_heading(report))
