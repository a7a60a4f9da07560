"""The reports' pages: stage times, the dashboards; the incident map, its points (JSON) and a point's claim (JSON, for
its popup)."""

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
from claims.reports.dashboard import chart_data, dashboard
from claims.reports.forms import DashboardPeriodForm, MapForm, PeriodForm
from claims.reports.map import map_counts, map_places, map_points, point_limit
from claims.reports.permissions import MapScope, can_see_map, can_see_region, map_scope, report_scope
from claims.reports.services import stage_times
from claims.reports.tiles import tile_layers

bp = Blueprint("reports", __name__, url_prefix="/reports")


@bp.route("/stages")
@roles_required(Role.APPROVER, Role.ADMIN)
def stages():  # type: ignore[no-untyped-def]
    scope = report_scope(g.user)
    if scope is None:
        abort(404)
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
    return render_template("reports/dashboard.html", form=form, board=board, region=region, charts=chart_data(board))


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
