"""Every form the app shows, found the way a user finds them: each role opens every page it may open (the
access matrix's GET cases, on the security world with claims in every step) and every POST form on those
pages is read with its fields and their current values. A new form or field is covered without editing the
tests. Each role keeps each kind of form once (the same form on another claim or user is the same kind), so a
form is tried as every role that is shown it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit

from flask import Flask
from sqlalchemy import event

from claims.extensions import db
from tests.security.routes import cases, run_case
from tests.security.world import ROLES, World, client_as

# Forms whose posting ends the session the crawl uses, or only switches the language.
NOT_FUZZED = {"/logout", "/language"}


@dataclass
class FoundForm:
    role: str
    page: str
    action: str
    fields: list[tuple[str, str, str]] = field(default_factory=list)  # (name, kind, current value)
    choices: dict[str, list[str]] = field(default_factory=dict)  # select name -> option values

    @property
    def key(self) -> tuple[str, str, tuple[str, ...]]:
        """Role, action with its ids blanked (/claims/N/accept) and field names: one kind of form per role."""
        return self.role, re.sub(r"\d+", "N", self.action), tuple(sorted({name for name, _kind, _value in self.fields}))

    def defaults(self) -> list[tuple[str, str]]:
        """What the browser would send untouched (ticked boxes, selected options, hidden values, the token)."""
        return [(name, value) for name, kind, value in self.fields if kind != "unticked"]

    def fuzzable(self) -> list[str]:
        return sorted({name for name, kind, _value in self.fields if name != "csrf_token" and kind not in ("file",)})


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[tuple[str, list[tuple[str, str, str]], dict[str, list[str]]]] = []
        self._current: tuple[str, list[tuple[str, str, str]], dict[str, list[str]]] | None = None
        self._select: str | None = None
        self._selected: str | None = None
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._current = (a.get("action", ""), [], {}) if a.get("method", "get").lower() == "post" else None
            return
        if self._current is None:
            return
        _action, fields, choices = self._current
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in a:
                kind = "unticked"
            if kind not in ("submit", "button", "image", "reset"):
                fields.append((name, kind, a.get("value", "on" if kind in ("checkbox", "unticked") else "")))
        elif tag == "button" and name:
            fields.append((name, "button", a.get("value", "")))
        elif tag == "select" and name:
            self._select, self._selected = name, None
            choices[name] = []
        elif tag == "option" and self._select:
            value = a.get("value", "")
            choices[self._select].append(value)
            if "selected" in a or self._selected is None:
                self._selected = value
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []

    def handle_endtag(self, tag: str) -> None:
        if self._current is None:
            return
        _action, fields, _choices = self._current
        if tag == "select" and self._select:
            fields.append((self._select, "select", self._selected or ""))
            self._select = None
        elif tag == "textarea" and self._textarea:
            fields.append((self._textarea, "textarea", "".join(self._text).lstrip("\n")))
            self._textarea = None
        elif tag == "form":
            self.forms.append(self._current)
            self._current = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self._text.append(data)


def forms_on(html: str, page: str, role: str) -> list[FoundForm]:
    parser = _Forms()
    parser.feed(html)
    found = []
    for action, fields, choices in parser.forms:
        target = urlsplit(action or page)
        found.append(FoundForm(role, page, target.path + (f"?{target.query}" if target.query else ""), fields, choices))
    return found


def every_form(app: Flask, world: World, extra: list[tuple[str, str]] = ()) -> list[FoundForm]:  # type: ignore[assignment]
    """Each kind of POST form of the app, once for each role that is shown it; `extra`
    adds (role, path) pages beyond the access matrix's."""
    seen: dict[tuple[str, str, tuple[str, ...]], FoundForm] = {}
    for role in ROLES:
        client = client_as(app, role)
        for wanted, path in extra:
            response = client.get(path) if wanted == role else None
            if response is not None and response.status_code == 200:
                for form in forms_on(response.get_data(as_text=True), path, role):
                    if urlsplit(form.action).path not in NOT_FUZZED:
                        seen.setdefault(form.key, form)
        for case in cases("GET"):
            if case.expect[role] != 200 or case.endpoint == "static":
                continue
            response = run_case(client, case, world)
            if response.status_code != 200 or response.mimetype != "text/html":
                continue
            page = urlsplit(case.path(world)).path
            for form in forms_on(response.get_data(as_text=True), page, role):
                if urlsplit(form.action).path not in NOT_FUZZED:
                    seen.setdefault(form.key, form)
    return list(seen.values())


@contextmanager
def counted_statements(app: Flask) -> Iterator[list[str]]:
    """The SQL statements run while the block runs (every request's, on the app's engine)."""
    seen: list[str] = []

    def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


# --- claims in the steps the security world does not hold ----------------------------------------------

EXTRA = {  # key -> (county, what the claim waits for)
    "acc": "Nan: accepted, waits for surveyors",
    "surv": "Nan: surveyed, waits for the claimant's confirmation",
    "conf": "Nan: confirmed, waits for valuation",
    "val": "Chaling: valued, waits for a public notice",
    "app": "Chaling: valued, its notice period is over, waits for approval",
}


def add_extra_states(app: Flask, world: World) -> dict[str, int]:
    """File claims through the real services into the steps that show the remaining forms (assigning
    surveyors, confirmation, valuation, a new notice, approval); returns their ids by key."""
    from datetime import timedelta

    from claims.accounts.services import find_user
    from claims.approval.operations import create_notice_batch
    from claims.core import time as clock
    from claims.core.time import local_today, utcnow
    from tests.factories import advance
    from tests.security.world import CHALING_COUNTY, CHALING_TOWNSHIP, CHALING_VILLAGE, Identity, file_claim, region

    identities = {
        "acc": Identity("430921198001015115", "6222021908009990001"),
        "surv": Identity("430921198002025114", "6222021908009990002"),
        "conf": Identity("430921198003035118", "6222021908009990003"),
        "val": Identity("430224198004045112", "6222021908009990004"),
        "app": Identity("430224198005055117", "6222021908009990005"),
    }
    now = utcnow()
    clock.freeze(now - timedelta(days=10))
    try:
        with app.app_context():
            owner, villager2 = find_user("13800000001"), find_user("13800000002")
            clerk_cl = find_user("clerk_cl")
            chaling = {"county": CHALING_COUNTY, "township": CHALING_TOWNSHIP, "village": CHALING_VILLAGE, "name": villager2.name, "mobile": villager2.login}  # type: ignore[union-attr]
            mine = {"name": owner.name, "mobile": owner.login}  # type: ignore[union-attr]
            made = {
                key: file_claim(
                    owner if key in ("acc", "surv", "conf") else villager2,
                    identities[key],
                    submit=True,
                    seed=40 + i,
                    **(mine if key in ("acc", "surv", "conf") else chaling),
                )  # type: ignore[arg-type]
                for i, key in enumerate(EXTRA)
            }
            for key in ("acc", "surv", "conf"):
                advance(made[key], "accepted")
            for key in ("surv", "conf"):
                advance(made[key], "surveyed")
            advance(made["conf"], "confirmed")
            for key in ("val", "app"):
                advance(made[key], "valued", county="chaling")
            create_notice_batch(region(CHALING_TOWNSHIP), [made["app"]], local_today(), actor=clerk_cl)  # type: ignore[arg-type]
            from claims.extensions import db as _db

            _db.session.commit()
            return {key: claim.id for key, claim in made.items()}
    finally:
        clock.freeze(None)


def extra_pages(ids: dict[str, int], world: World) -> list[tuple[str, str]]:
    """(role, path) of the pages that show the extra claims' forms, and the public notice's objection form."""
    return [
        *((role, f"/notices/{world.notice_batch}") for role in ("anonymous", "villager2", "clerk_cl", "approver_cl")),
        ("officer", f"/claims/{ids['acc']}"),
        ("officer", f"/claims/{ids['surv']}"),
        ("owner", f"/claims/{ids['surv']}"),
        ("officer", f"/claims/{ids['conf']}"),
        ("clerk_cl", "/notices"),
        ("approver_cl", f"/claims/{ids['app']}"),
        ("approver_cl", "/approvals"),
    ]
