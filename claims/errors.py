"""Generic error pages: a clear message in the user's language, never a traceback."""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any

from flask import Flask, Response, flash, g, has_request_context, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge, TooManyRequests

from claims.accounts.views import safe_next
from claims.api.problems import is_api_request, problem, problem_for
from claims.core.frames import code_frames
from claims.core.sync import answer as sync_answer
from claims.core.sync import is_sync_request
from claims.core.throttle import retry_after_seconds
from claims.extensions import db
from claims.intake.rescue import rescue_form

log = logging.getLogger(__name__)
REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")

MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood.")),
    401: (_l("Please log in"), _l("Please log in first.")),
    403: (_l("Not allowed"), _l("You may not do this.")),
    404: (_l("Not found"), _l("This page does not exist, or you may not see it.")),
    405: (_l("Not allowed"), _l("This page does not accept that kind of request.")),
    415: (_l("Bad request"), _l("This page takes a filled-in form, not another kind of data.")),
    422: (_l("Bad request"), _l("The request could not be understood.")),
    413: (_l("Too large"), _l("What you sent is too large. Photos may be at most 20 MB each; send fewer at a time.")),
    429: (_l("Too many requests"), _l("Please wait a moment and try again.")),
    500: (_l("Something went wrong"), _l("The error was recorded. Nothing was saved from this step; please try again.")),
}


# Forms anyone may send without an account: a refused token sends them back to the form, not to the login page.
PUBLIC_FORMS = frozenset({"intake.status_enquiry"})
# The language and text-size buttons of the top bar: with an out-of-date token they go back to their page (which has
# a fresh one) rather than to a login that would then open their POST-only address.
SWITCHES = frozenset({"accounts.set_language", "accounts.set_text_size"})


# The last resort, when even the error page cannot be rendered (the database is gone, a template broke):
# plain Chinese with no query, no template and nothing the user sent.
FALLBACK_PAGE = (
    '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1"><title>出错了</title></head>'
    "<body><h1>出错了</h1><p>错误已记录，这一步没有保存任何内容，请稍后再试。</p>"
    '<p>错误编号：{request_id}</p><p><a href="/">返回首页</a></p></body></html>'
)


def render_error(code: int) -> tuple[str | Response, int]:
    """The app's error page in the user's language; never raises (falls back to FALLBACK_PAGE). A draft sent from
    the phone gets the message in JSON (claims.core.sync)."""
    title, message = MESSAGES.get(code, MESSAGES[500])
    if has_request_context() and is_sync_request():
        return sync_answer("error", code, message=str(message)), code
    try:
        return render_template("errors/error.html", code=code, title=title, message=message, request_id=request_id()), code
    except Exception:  # the error page itself must not fail; the cause is logged without data
        db.session.rollback()
        log.error("error page for %s failed [request %s]\n%s", code, request_id(), code_frames())
        return FALLBACK_PAGE.format(request_id=escape(request_id())), code


def request_id() -> str:
    """This request's id: the proxy's X-Request-ID when it is a plain token, else a new one. Shown on the
    error page and written in every error log line, so a user's report finds the log line."""
    if not has_request_context():
        return "-"
    if "request_id" not in g:
        given = request.headers.get("X-Request-ID", "")
        g.request_id = given if REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
    return str(g.request_id)


def log_error(exc_info: Any = None) -> None:
    """One log line for an unexpected error: method, path (quoted, so a line break in it cannot forge a log
    line), the request id, and where it happened."""
    log.error("unhandled error on %s %r [request %s]\n%s", request.method, request.path, request_id(), code_frames(exc_info))


def conflict_response() -> Response:
    if is_sync_request():
        return sync_answer("conflict", 409, message=_("This claim was changed by someone else in the meantime."), server={})
    flash(_("This claim was changed by someone else in the meantime. Here is its current state; please check and try again."), "warning")
    return redirect(request.referrer or url_for("main.index"))  # type: ignore[return-value]


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):  # type: ignore[no-untyped-def]
        if is_sync_request():  # the phone keeps the draft: it logs in again, or fetches a fresh token, and sends again
            if g.get("session_expired") or g.get("user") is None:
                return sync_answer("login", 401, message=_("Your session has expired. Please log in again."), url=url_for("accounts.login"))
            return sync_answer("csrf", 400, message=_("The form was out of date. Please check it and send it again."))
        if request.endpoint in SWITCHES:
            flash(_("The page was out of date. Please try again."), "warning")
            return redirect(safe_next(request.form.get("next")))
        if request.endpoint in PUBLIC_FORMS and g.get("user") is None:  # no login needed: start the form again
            flash(_("The page was out of date. Please type it in again."), "warning")
            return redirect(url_for(request.endpoint))
        if g.get("session_expired") or g.get("user") is None:
            rescued = rescue_form()
            flash(_("Your session has expired. Please log in again.") + (" " + _("What you entered has been kept.") if rescued else ""), "warning")
            return redirect(url_for("accounts.login", next=request.path))
        if is_api_request():  # the quote, called by a page whose token is out of date
            return problem(400)
        flash(_("The form was out of date. Please check it and send it again."), "warning")
        return render_error(400)

    @app.errorhandler(StaleDataError)
    def stale(exc: StaleDataError):  # type: ignore[no-untyped-def]
        db.session.rollback()
        if is_api_request():
            return problem(409)
        return conflict_response()

    @app.errorhandler(TooManyRequests)
    def too_many_requests(exc: TooManyRequests):  # type: ignore[no-untyped-def]
        """The app's own error page (in the user's language), with how long to wait; never a server-side sleep.
        The API answers in JSON, in the shape of its other errors."""
        headers = {"Retry-After": str(retry_after_seconds(exc))}
        if is_api_request():
            return problem(429, headers=headers)
        body, code = render_error(429)
        return body, code, headers

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(exc: RequestEntityTooLarge):  # type: ignore[no-untyped-def]
        if is_api_request():
            return problem(413)
        return render_error(413)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):  # type: ignore[no-untyped-def]
        if is_api_request():
            return problem_for(exc)
        body, code = render_error(exc.code or 500)
        response = make_response(body, code)
        for name, value in exc.get_headers():  # Allow on a 405, Retry-After on a 429
            if name in ("Allow", "Retry-After", "WWW-Authenticate"):
                response.headers[name] = value
        return response

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):  # type: ignore[no-untyped-def]
        db.session.rollback()  # first: a failed write leaves the session unusable for the page below
        log_error()
        return problem(500) if is_api_request() else render_error(500)

    def log_exception(exc_info: Any) -> None:
        """Flask's own log line for an error no handler caught (one raised while committing, after the view):
        the same lines as `unexpected`, never the message, which for a database error quotes the values."""
        log_error(exc_info)

    app.log_exception = log_exception  # type: ignore[method-assign]

    @app.after_request
    def tag(response: Response) -> Response:
        if "request_id" in g:
            response.headers["X-Request-ID"] = g.request_id
        return response
