"""Login, logout, registration, password change, language choice and the text size of this device."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import TooManyRequests

from claims.accounts import services
from claims.accounts.forms import LoginForm, PasswordChangeForm, RegisterForm
from claims.accounts.session import TEXT_SIZE_COOKIE, login_required, login_user, logout_user
from claims.core.throttle import client_address

bp = Blueprint("accounts", __name__)


def safe_next(target: str | None) -> str:
    """Only local paths: never an open redirect."""
    if not target:
        return url_for("main.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("main.index")
    if "\\" in target or any(ord(c) < 32 or ord(c) == 127 for c in target):  # browsers read /\evil.example as //evil.example
        return url_for("main.index")
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():  # type: ignore[no-untyped-def]
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.login.data, form.password.data, address=client_address())
        except services.LoginThrottled as exc:
            raise TooManyRequests(retry_after=exc.retry_after) from None
        except services.AccountError as exc:
            form.password.errors.append(exc.message)
            return render_template("accounts/login.html", form=form), 200
        login_user(user)
        if user.must_declare_conflicts:  # part of every staff account's set-up, before any step
            flash(_("Please declare your conflicts of interest first: your relatives whose claims you must not handle, or that there are none."), "warning")
            return redirect(url_for("settings.conflicts"))
        return redirect(safe_next(request.args.get("next")))
    return render_template("accounts/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():  # type: ignore[no-untyped-def]
    logout_user()
    flash(_("You have logged out."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/register", methods=["GET", "POST"])
def register():  # type: ignore[no-untyped-def]
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = services.register_villager(mobile=form.mobile.data, name=form.name.data.strip(), password=form.password.data)
        except services.AccountError as exc:
            getattr(form, exc.field or "password").errors.append(exc.message)
            return render_template("accounts/register.html", form=form)
        login_user(user)
        flash(_("Welcome! You can now report damage."), "success")
        return redirect(url_for("main.index"))
    return render_template("accounts/register.html", form=form)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():  # type: ignore[no-untyped-def]
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            services.change_password(g.user, form.current_password.data, form.password.data)
        except services.AccountError as exc:
            getattr(form, exc.field or "password").errors.append(exc.message)
            return render_template("accounts/password.html", form=form)
        login_user(g.user)  # this session continues with the new epoch; other devices are logged out
        flash(_("Your password was changed."), "success")
        return redirect(url_for("main.index"))
    return render_template("accounts/password.html", form=form)


@bp.route("/language", methods=["POST"])
def set_language():  # type: ignore[no-untyped-def]
    wanted = request.form.get("locale", "")
    if wanted in current_app.config["LANGUAGES"]:
        session["locale"] = wanted
        if g.get("user") is not None:
            g.user.locale = wanted
    return redirect(safe_next(request.form.get("next")))


TEXT_SIZE_DAYS = 400  # the longest a browser keeps a cookie (Chromium caps it at 400 days)


@bp.route("/text-size", methods=["POST"])
def set_text_size():  # type: ignore[no-untyped-def]
    """Large text (大字模式) on or off for this device: a cookie of its own, so it outlives logging out and is the same
    for whoever uses the phone, as an elderly villager's family would set it up once."""
    response = redirect(safe_next(request.form.get("next")))
    if request.form.get("size") == "large":
        response.set_cookie(
            TEXT_SIZE_COOKIE, "large", max_age=TEXT_SIZE_DAYS * 86400, httponly=True, samesite="Lax",
            secure=current_app.config["SESSION_COOKIE_SECURE"],
        )  # fmt: skip
    elif request.form.get("size") == "normal":
        response.delete_cookie(
            TEXT_SIZE_COOKIE, httponly=True, samesite="Lax", secure=current_app.config["SESSION_COOKIE_SECURE"],
        )  # fmt: skip
    return response
