"""Keeping what a user typed when their session expired mid-form, until they log in again."""

from __future__ import annotations

import json
import secrets
from datetime import timedelta

from flask import g, request, session
from sqlalchemy import delete
from werkzeug.datastructures import MultiDict

from claims.core.crypto import decrypt, encrypt
from claims.core.time import utcnow
from claims.extensions import db
from claims.intake.models import FormStash

RESCUABLE_ENDPOINTS = frozenset({"intake.new_claim", "intake.edit_claim", "intake.proxy_claim"})
STASH_HOURS = 12


def rescue_form() -> bool:
    """Store the posted fields (encrypted; never the CSRF token) and remember the stash in the new session."""
    if request.endpoint not in RESCUABLE_ENDPOINTS or request.method != "POST":
        return False
    uid = g.get("expired_uid")
    if uid is None:  # no expired login: nobody to give the values back to
        return False
    fields = [(k, v) for k, v in request.form.items(multi=True) if k != "csrf_token"]
    if not fields:
        return False
    token = secrets.token_urlsafe(32)
    db.session.add(FormStash(token=token, endpoint=request.endpoint, data=encrypt(json.dumps(fields, ensure_ascii=False))))
    db.session.execute(delete(FormStash).where(FormStash.created_at < utcnow() - timedelta(hours=STASH_HOURS)))
    db.session.commit()
    session["stash"] = {"token": token, "path": request.path, "uid": uid}
    return True


def take_rescued_form() -> MultiDict[str, str] | None:
    """The fields kept for this page, once (the stash row is removed by the next save)."""
    stash = session.get("stash")
    if not stash or stash.get("path") != request.path:
        return None
    session.pop("stash", None)
    if stash.get("uid") != getattr(g.get("user"), "id", None):
        return None
    session["stash_used"] = stash["token"]  # a GET writes nothing: the next POST deletes the row (forget_stash)
    row = db.session.get(FormStash, stash["token"])
    if row is None:
        return None
    return MultiDict(json.loads(decrypt(row.data)))


def forget_stash(token: str | None) -> None:
    if token:
        db.session.execute(delete(FormStash).where(FormStash.token == token))
