"""The start page: what each role has to do now."""

from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, url_for
from sqlalchemy import text

from claims.extensions import db
from claims.intake import services

bp = Blueprint("main", __name__)


@bp.route("/")
def index():  # type: ignore[no-untyped-def]
    if g.user is None:
        return render_template("main/welcome.html")
    claims = services.claims_for(g.user, limit=10)
    return render_template("main/home.html", claims=claims)


@bp.route("/healthz")
def health():  # type: ignore[no-untyped-def]
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}


@bp.route("/home")
def home():  # type: ignore[no-untyped-def]
    return redirect(url_for("main.index"))
