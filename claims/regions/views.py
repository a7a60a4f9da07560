"""Reference data pages for administrators: the region tree and species with their listings."""

from __future__ import annotations

from flask import Blueprint, g, render_template
from sqlalchemy import select

from claims.accounts.models import Role
from claims.accounts.session import roles_required
from claims.core.time import local_today
from claims.extensions import db
from claims.regions.models import CountyDesignation, Region
from claims.regions.services import all_species, is_covered

bp = Blueprint("regions", __name__, url_prefix="/admin")


@bp.route("/regions")
@roles_required(Role.ADMIN)
def regions():  # type: ignore[no-untyped-def]
    prefix = g.user.region.path if g.user.region else ""
    rows = db.session.execute(select(Region).where(Region.path.startswith(prefix)).order_by(Region.path)).scalars().all()
    return render_template("admin/regions.html", regions=rows)


@bp.route("/species")
@roles_required(Role.ADMIN, Role.OFFICER, Role.APPROVER, Role.CLERK)
def species():  # type: ignore[no-untyped-def]
    county = g.user.region.ancestor_or_self_county() if g.user.region else None
    designations = db.session.execute(select(CountyDesignation).order_by(CountyDesignation.effective_from)).scalars().all()
    today = local_today()
    rows = [(s, is_covered(s, county, today) if county else None) for s in all_species()]
    return render_template("admin/species.html", rows=rows, designations=designations, county=county, today=today)
