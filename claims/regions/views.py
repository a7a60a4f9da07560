"""Reference data pages for administrators: the region tree, village locations, species with their listings."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from claims.accounts.models import Role
from claims.accounts.session import roles_required
from claims.core.time import local_today
from claims.extensions import db
from claims.intake.evidence import PHOTO_DISTANCE_KM, refresh_distance_flags
from claims.regions.admin_forms import VillagePointForm
from claims.regions.admin_services import set_village_point
from claims.regions.models import CountyDesignation, Region, RegionLevel
from claims.regions.services import all_species, is_covered, region_page, region_trail

bp = Blueprint("regions", __name__, url_prefix="/admin")


@bp.route("/regions")
@roles_required(Role.ADMIN)
def regions():  # type: ignore[no-untyped-def]
    """One level at a time down to a county, then the county whole: a province's page stays short with the national list."""
    code = request.args.get("code", "")
    node = db.session.execute(select(Region).where(Region.code == code)).scalar_one_or_none() if code else g.user.region
    if code and (node is None or (g.user.region is not None and not node.is_within(g.user.region))):
        abort(404)
    trail = [r for r in region_trail(node) if g.user.region is None or r.is_within(g.user.region)]
    return render_template("admin/regions.html", node=node, trail=trail, regions=region_page(node))


@bp.route("/regions/<code>/location", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def village_location(code: str):  # type: ignore[no-untyped-def]
    village = db.session.execute(select(Region).where(Region.code == code, Region.level == RegionLevel.VILLAGE)).scalar_one_or_none()
    if village is None or (g.user.region is not None and not village.is_within(g.user.region)):
        abort(404)
    form = VillagePointForm(data={"lat": village.lat, "lon": village.lon} if village.lat is not None else None)
    if form.validate_on_submit():
        set_village_point(village, form.point(), actor=g.user)
        refresh_distance_flags(village)
        flash(_("The location of %(village)s was saved.", village=village.name), "success")
        county = village.ancestor_or_self_county()
        return redirect(url_for("regions.regions", code=county.code if county else None))
    return render_template("admin/village_location.html", form=form, village=village, distance_km=PHOTO_DISTANCE_KM), (422 if form.errors else 200)


@bp.route("/species")
@roles_required(Role.ADMIN, Role.OFFICER, Role.APPROVER, Role.CLERK)
def species():  # type: ignore[no-untyped-def]
    county = g.user.region.ancestor_or_self_county() if g.user.region else None
    designations = db.session.execute(select(CountyDesignation).order_by(CountyDesignation.effective_from)).scalars().all()
    today = local_today()
    rows = [(s, is_covered(s, county, today) if county else None) for s in all_species()]
    return render_template("admin/species.html", rows=rows, designations=designations, county=county, today=today)
