"""Drafts sent from the phone: the filing and survey forms saved on the phone without a signal
(static/js/drafts.js) are posted again when it returns, as the same form with the header `X-Claims-Sync: 1`.

Such a request gets a short JSON answer instead of a page or a redirect, so that the phone's script (which may run
in the service worker, with no page to show) knows what became of the draft:

    {"result": "done", "url": …, "message": …}          200  arrived (again: a repeated send answers the same)
    {"result": "invalid", "errors": {input name: [message, …]}, "problems": […], "url": …, "version": …}   422  to correct
    {"result": "conflict", "server": {…}, "message": …}   409  the claim changed meanwhile: both versions shown
    {"result": "refused", "message": …}                  422  the step is no longer possible
    {"result": "login", "url": …}                        401  the session expired: log in, then it is sent
    {"result": "csrf"}                                   400  the page's token is out of date: fetch a fresh one
    {"result": "error", "status": …, "message": …}        4xx/5xx  anything else (413 too large, 404 gone, 500)

Everything else about the request is as for the page: the same form, validation, CSRF token and session.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Iterator
from typing import Any

from flask import Response, current_app, g, jsonify, request, session
from sqlalchemy import inspect
from wtforms import FieldList, Form, FormField
from wtforms.fields.core import Field

SYNC_HEADER = "X-Claims-Sync"
# On every page: whose it is (draft_owner), or "-" for nobody. The service worker follows it: another account's kept
# forms are deleted when someone else logs in, and with nobody logged in no form is served offline.
ACCOUNT_HEADER = "X-Claims-Account"
# On a form page that works without a signal: whose page it is (see draft_owner). The service worker keeps the page
# in that account's cache, removed at logout.
OWNER_HEADER = "X-Claims-Draft-Owner"


def is_sync_request() -> bool:
    return request.headers.get(SYNC_HEADER) == "1"


def answer(result: str, status: int = 200, *, message: str = "", **extra: Any) -> Response:
    response = jsonify(result=result, message=str(message), **extra)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def draft_owner(user_id: int) -> str:
    """An opaque name for an account's drafts and kept pages on a phone: shared phones hold several, and the page
    must not show or send another account's. Not the user id itself, which would say who used the phone."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, f"drafts:{user_id}".encode(), hashlib.sha256).hexdigest()[:20]


def name_account(response: Response) -> Response:
    """after_request: every page says whose it is (see ACCOUNT_HEADER)."""
    if response.mimetype == "text/html":
        # The user's id from its identity: a GET's rollback has expired the loaded row, and `user.id` would load it again.
        # No identity: an account made in this request whose transaction was rolled back (it does not exist).
        identity = inspect(user).identity if (user := g.get("user")) is not None else None
        response.headers[ACCOUNT_HEADER] = draft_owner(identity[0]) if identity else "-"
    return response


def offline_form(response: Response) -> Response:
    """Mark a form page that works without a signal (the filing and survey forms) with its account's draft owner:
    the service worker keeps that page in the account's cache so that it opens again offline, with its draft."""
    user = g.get("user")
    if request.method == "GET" and response.status_code == 200 and user is not None:
        response.headers[OWNER_HEADER] = draft_owner(user.id)
    return response


def note_arrival(key: str | None) -> None:
    """A form with this key reached the server as an ordinary post (whatever its answer: a page, a redirect, errors
    to correct): the next page tells the phone's script, which deletes the copy it kept in case the post was lost."""
    if key:
        session["arrived"] = [*(session.get("arrived") or [])[-4:], key]


def arrived_keys() -> list[str]:
    """The keys of forms that arrived, for the page being rendered (once)."""
    return [str(k) for k in session.pop("arrived", None) or []] if "arrived" in session else []


def leaf_fields(fields: Iterable[Field]) -> Iterator[Field]:
    """A form's fields with its nested forms and lists opened up, each under its input name (`lines-0-quantity`); a list
    comes before its entries, for its own messages."""
    for field in fields:
        if isinstance(field, FormField):
            yield from leaf_fields(field.form)
        elif isinstance(field, FieldList):
            yield field
            yield from leaf_fields(field.entries)
        else:
            yield field


def field_errors(form: Form) -> dict[str, list[str]]:
    """The form's messages by the name of the input they belong to (`lines-0-quantity`), as the page shows them."""
    out: dict[str, list[str]] = {}
    for field in leaf_fields(form):
        own = [str(message) for message in field.errors if not isinstance(message, dict | list | tuple)]  # a list's entries: below it
        if own:
            out[field.name] = own
    return out


# Inputs a draft's side-by-side view does not compare: tokens, keys and files.
NOT_COMPARED = frozenset({"csrf_token", "submission_key", "version", "photos", "photo_meta", "action"})


def form_values(form: Form) -> dict[str, str]:
    """The values a form shows, by input name (`losses-0-item`), for the side-by-side view of a draft from the phone that
    meets a claim changed on the server (static/js/drafts-ui.js showConflict)."""
    out: dict[str, str] = {}
    for field in leaf_fields(form):
        if isinstance(field, FieldList) or field.short_name in NOT_COMPARED or field.type in ("FileField", "MultipleFileField", "SubmitField"):
            continue
        value = field._value() if hasattr(field, "_value") else field.data
        out[field.name] = "" if value is None else str(value)
    return out
