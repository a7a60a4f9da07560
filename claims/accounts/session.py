"""Who is logged in: a signed session cookie checked against the user's session epoch on every request."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import timedelta
from functools import cache, wraps
from typing import Any, TypeVar

from flask import current_app, g, redirect, request, session, url_for
from flask_babel import gettext as _
from sqlalchemy import Select, bindparam, select

from claims.accounts.models import Role, User
from claims.core.pagecache import current_stamp
from claims.core.sync import answer, is_sync_request
from claims.core.time import utcnow
from claims.extensions import db
from claims.workflow.notify import unread_of

F = TypeVar("F", bound=Callable[..., Any])

# How often the last-seen time in the session cookie moves on (at most a tenth of the idle limit). The idle
# limit counts from the time written, so a session may end up to this much before the limit, never after it.
SEEN_EVERY_SECONDS = 60
# Large text (大字模式) is a choice of the device, not of the account: its own cookie, kept through logging out.
TEXT_SIZE_COOKIE = "text_size"


def login_user(user: User) -> None:
    """Start a fresh session (never reuse the anonymous one) bound to the user's epoch."""
    keep_locale = session.get("locale")
    stash = session.get("stash")
    session.clear()
    now = utcnow().timestamp()
    session.update(uid=user.id, epoch=user.session_epoch, sid=secrets.token_hex(16), login_at=now, seen_at=now)
    if keep_locale:
        session["locale"] = keep_locale
    if stash and stash.get("uid") == user.id:  # only the person who typed it gets the rescued form back
        session["stash"] = stash
    session.permanent = True
    g.user = user


def logout_user() -> None:
    user = g.get("user")
    if user is not None:
        user.session_epoch += 1  # a replayed cookie of this session is dead from now on
    keep_locale = session.get("locale")
    session.clear()
    if keep_locale:
        session["locale"] = keep_locale
    g.user = None


# Files the same for everyone, whoever asks (the stylesheet, scripts and icons, the place tree): no account is looked up
# for them. A page brings several with the session cookie, and each would otherwise wait for the database.
PUBLIC_FILES = frozenset({"static", "main.places"})
# GETs that draw no page and so no bell: files and the phone's scripts and checks (a list's thumbnails are many).
NO_BELL = frozenset({"static", "intake.photo", "main.sync_session", "main.places", "main.service_worker"})


@cache
def _user_with_unread() -> Select[tuple[User, int, str]]:
    return select(User, unread_of(User.id), current_stamp()).where(User.id == bindparam("uid"))


def load_user() -> None:
    """before_request: set g.user, ending the session when idle, too old, logged out or deactivated."""
    g.user = None
    g.session_expired = False
    uid = session.get("uid")
    if uid is None or request.endpoint in PUBLIC_FILES:
        return
    now = utcnow().timestamp()
    idle = timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"]).total_seconds()
    absolute = timedelta(hours=current_app.config["SESSION_ABSOLUTE_HOURS"]).total_seconds()
    if request.method in ("GET", "HEAD") and request.endpoint not in NO_BELL:
        # A page's bell shows the unread notices: counted with the user, in one statement. A GET writes nothing, so
        # the count holds until the page is drawn; a POST's page counts them when it is drawn (claims.web). The data
        # stamp comes along, read before any of the page's data, for a part kept until the data changes.
        row = db.session.execute(_user_with_unread(), {"uid": uid}).first()
        user, g.unread_notices, g.data_stamp = (row[0], row[1], row[2]) if row is not None else (None, None, None)
    else:
        user = db.session.get(User, uid)
    too_idle = now - session.get("seen_at", 0) > idle
    too_old = now - session.get("login_at", 0) > absolute
    if user is None or not user.active or user.session_epoch != session.get("epoch") or too_idle or too_old:
        keep = {k: session[k] for k in ("locale",) if k in session}
        session.clear()
        session.update(keep)
        g.session_expired = True
        g.expired_uid = uid  # whose form a rescue belongs to (claims.intake.rescue)
        return
    # The phone's drafts asking who is logged in (claims.main.views.sync_session) is no sign of a person at the phone.
    if request.endpoint not in ("static", "main.sync_session") and now - session.get("seen_at", 0) >= min(SEEN_EVERY_SECONDS, idle / 10):
        session["seen_at"] = now  # a changed session is signed and sent again: once a minute, not on every page
    g.user = user


def current_user() -> User | None:
    return g.get("user")


def login_required(view: F) -> F:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if g.get("user") is None:
            return _to_login()
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def roles_required(*roles: Role) -> Callable[[F], F]:
    """Only these roles; others get 404, as if the page did not exist."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            user = g.get("user")
            if user is None:
                return _to_login()
            if user.role not in roles:
                from flask import abort

                abort(404)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def _to_login() -> Any:
    from flask import flash

    if is_sync_request():  # a draft sent from the phone: it stays there until the user has logged in again
        return answer("login", 401, message=_("Your session has expired. Please log in again."), url=url_for("accounts.login"))
    if g.get("session_expired"):
        flash(_("Your session has expired. Please log in again."), "warning")
    else:
        flash(_("Please log in first."), "info")
    target = request.full_path if request.method == "GET" else request.path
    return redirect(url_for("accounts.login", next=target.rstrip("?")))
