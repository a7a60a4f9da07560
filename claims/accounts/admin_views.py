"""Administrators create, edit and deactivate users within their region."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from claims.accounts import services
from claims.accounts.forms import UserForm
from claims.accounts.models import Role, User
from claims.accounts.permissions import can_manage_user, manageable_users_filter
from claims.accounts.session import roles_required
from claims.core.pagination import SortKey, paginate
from claims.extensions import db
from claims.regions.models import Region, RegionLevel

bp = Blueprint("admin", __name__, url_prefix="/admin")

# Users by role, then login (claims/core/pagination.py).
USER_KEYS = (SortKey(User.role, str, value=lambda u: u.role.value, parse=Role), SortKey(User.login, str), SortKey(User.id, int))


def _region_choices() -> list[tuple[int, str]]:
    prefix = g.user.region.path if g.user.region else ""
    query = (
        select(Region)
        .where(Region.path.startswith(prefix), Region.level.in_([RegionLevel.PROVINCE, RegionLevel.PREFECTURE, RegionLevel.COUNTY, RegionLevel.TOWNSHIP]))
        .order_by(Region.path)
    )
    return [(0, "—")] + [(r.id, f"{'　' * (r.path.count('/') - 1)}{r.name}（{r.level.title}）") for r in db.session.execute(query).scalars()]


def _form(user: User | None = None) -> UserForm:
    form = UserForm(obj=user)
    form.region_id.choices = _region_choices()
    if user is not None and request.method == "GET":
        form.region_id.data = user.region_id or 0
        form.role.data = user.role.value
    return form


def _region(form: UserForm) -> Region | None:
    region = db.session.get(Region, form.region_id.data) if form.region_id.data else None
    if region is not None and g.user.region is not None and not region.is_within(g.user.region):
        abort(404)
    return region


@bp.route("/users")
@roles_required(Role.ADMIN)
def users():  # type: ignore[no-untyped-def]
    query = select(User).where(manageable_users_filter(g.user)).options(selectinload(User.region))
    return render_template("admin/users.html", users=paginate(query, USER_KEYS, request.args.get("after"), session=db.session))


@bp.route("/users/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def new_user():  # type: ignore[no-untyped-def]
    form = _form()
    if form.validate_on_submit():
        try:
            services.create_user(
                login=form.login.data,
                name=form.name.data,
                role=Role(form.role.data),
                region=_region(form),
                password=form.password.data or "",
                mobile=form.mobile.data or None,
                organisation=form.organisation.data or None,
                actor=g.user,
            )
        except services.AccountError as exc:
            getattr(form, exc.field or "login").errors.append(exc.message)
            return render_template("admin/user_form.html", form=form, user=None)
        flash(_("The user was created."), "success")
        if form.role.data in (Role.CLERK.value, Role.OFFICER.value, Role.APPROVER.value):
            flash(_("At the first sign-in the new staff member declares their conflicts of interest (relatives, or none) before taking any step."), "info")
        return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=None)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit_user(user_id: int):  # type: ignore[no-untyped-def]
    user = db.session.get(User, user_id)
    if user is None or not can_manage_user(g.user, user):
        abort(404)
    form = _form(user)
    if form.validate_on_submit():
        try:
            services.update_user(
                user,
                name=form.name.data,
                role=Role(form.role.data),
                region=_region(form),
                mobile=form.mobile.data or None,
                organisation=form.organisation.data or None,
                active=form.active.data,
                actor=g.user,
            )
            if form.password.data:
                services.reset_password(user, form.password.data, actor=g.user)
        except services.AccountError as exc:
            db.session.rollback()
            getattr(form, exc.field or "name").errors.append(exc.message)
            return render_template("admin/user_form.html", form=form, user=user)
        flash(_("The user was saved."), "success")
        return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=user)
