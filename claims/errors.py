"""Generic error pages: a clear message in the user's language, never a traceback."""

from __future__ import annotations

import logging

from flask import Flask, Response, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

log = logging.getLogger(__name__)

MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood.")),
    403: (_l("Not allowed"), _l("You may not do this.")),
    404: (_l("Not found"), _l("This page does not exist, or you may not see it.")),
    405: (_l("Not allowed"), _l("This page does not accept that kind of request.")),
    413: (_l("Too large"), _l("What you sent is too large. Photos may be at most 20 MB each; send fewer at a time.")),
    429: (_l("Too many requests"), _l("Please wait a moment and try again.")),
    500: (_l("Something went wrong"), _l("The error was recorded. Nothing was saved from this step; please try again.")),
}


def render_error(code: int) -> tuple[str, int]:
    title, message = MESSAGES.get(code, MESSAGES[500])
    return render_template("errors/error.html", code=code, title=title, message=message), code


def conflict_response() -> Response:
    flash(_("This claim was changed by someone else in the meantime. Here is its current state; please check and try again."), "warning")
    return redirect(request.referrer or url_for("main.index"))  # type: ignore[return-value]


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):  # type: ignore[no-untyped-def]
        from claims.intake.rescue import rescue_form

        if g.get("session_expired") or g.get("user") is None:
            rescued = rescue_form()
            flash(_("Your session has expired. Please log in again.") + (" " + _("What you entered has been kept.") if rescued else ""), "warning")
            return redirect(url_for("accounts.login", next=request.path))
        flash(_("The form was out of date. Please check it and send it again."), "warning")
        return render_error(400)

    @app.errorhandler(StaleDataError)
    def stale(exc: StaleDataError):  # type: ignore[no-untyped-def]
        from claims.extensions import db

        db.session.rollback()
        return conflict_response()

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(exc: RequestEntityTooLarge):  # type: ignore[no-untyped-def]
        return render_error(413)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):  # type: ignore[no-untyped-def]
        return render_error(exc.code or 500)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):  # type: ignore[no-untyped-def]
        log.exception("unhandled error on %s %s", request.method, request.path)
        return render_error(500)
