"""Every form of the app (found by `tests.hostile.forms.every_form`, so a new form or field is covered without
editing this file), posted with hostile values as every role that is shown it, on SQLite and PostgreSQL:

- the battery: each hostile value in every field at once; never a 5xx; a refusal (4xx) answers in Chinese,
  shows again the text that was typed, and stores nothing (the database is unchanged; the filing form alone
  keeps the draft's valid fields, by design, so nothing typed is lost);
- the fuzz: Hypothesis picks a form and a value per field from any text, numbers, dates and the hostile
  values; never a 5xx, and at most MAX_STATEMENTS SQL statements for one request (no input makes the app
  loop over the database; timings belong in bench/).
"""

from __future__ import annotations

import html
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from claims.core.inputs import clean_text
from tests.database import committed_writes
from tests.hostile.forms import FoundForm, add_extra_states, counted_statements, every_form, extra_pages
from tests.hostile.values import deep_json, fullwidth
from tests.security.world import World, client_as, token_of, world_for

CJK = re.compile(r"[\u4e00-\u9fff]")
MAX_STATEMENTS = 150
# The filing form saves the draft with every value that passed, whatever else was refused (nothing typed is lost).
KEEPS_DRAFT = re.compile(r"^/claims/(new|new-for-villager|\d+/edit)$")
# Tables that change on any request: the session's last-seen stamp and login throttling counters.
VOLATILE = ("users",)

HOSTILE = [
    "张\x00三",
    "\x07\x1b\x7f\x85\u202e",
    "NaN",
    "-Infinity",
    "0001-01-01",
    "1800-06-01T08:00",
    "0001-01-01T00:00",
    "99999999999999999999999",
    "-1",
    deep_json(),
    "长" * 5000,
    fullwidth("6228480402564890018"),
    '=HYPERLINK("http://evil.example")',
    "<script>alert(1)</script>",
    "   ",
]

_FORMS: dict[str, list[FoundForm]] = {}


@pytest.fixture
def world(app: Flask) -> World:
    return world_for(app)


@pytest.fixture
def forms(app: Flask, world: World) -> list[FoundForm]:
    key = app.config["SQLALCHEMY_DATABASE_URI"]
    ids = add_extra_states(app, world)
    if key not in _FORMS:
        _FORMS[key] = every_form(app, world, extra_pages(ids, world))
    return _FORMS[key]


class Clients:
    """One logged-in client per role, made on first use (each keeps its session, and its CSRF token, across posts)."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._clients: dict[str, tuple[FlaskClient, str]] = {}

    def __getitem__(self, role: str) -> tuple[FlaskClient, str]:
        if role not in self._clients:
            client = client_as(self.app, role)
            self._clients[role] = (client, token_of(client))
        return self._clients[role]


def post(clients: Clients, form: FoundForm, values: dict[str, str]):  # type: ignore[no-untyped-def]
    """The form as the browser sends it, with `values` in place of what the page showed and this client's token."""
    client, token = clients[form.role]
    data = [(name, token if name.endswith("csrf_token") else values.get(name, value)) for name, value in form.defaults()]
    data += [(name, value) for name, value in values.items() if name not in {n for n, _v in form.defaults()}]
    response = client.post(form.action, data=MultiDict(data))
    response.get_data()
    return response


def test_the_crawl_finds_the_forms_that_matter(forms: list[FoundForm]) -> None:
    """Guards the guard: the crawl reaches the filing, intake, survey, valuation, approval and admin forms."""
    actions = {form.action for form in forms}
    for wanted in (r"^/claims/new$", r"/accept$", r"/survey$", r"/valuation", r"/approve$", r"^/admin/calendar", r"^/login$", r"^/register$"):
        assert any(re.search(wanted, action) for action in actions), (wanted, sorted(actions))
    assert len(forms) >= 25, len(forms)


def test_every_hostile_value_in_every_field_of_every_form(app: Flask, forms: list[FoundForm]) -> None:
    clients = Clients(app)
    problems = []
    statuses: dict[int, int] = {}
    wrote_when_accepted: set[str] = set()
    with committed_writes(app) as writes:
        for form in forms:
            for value in HOSTILE:
                writes.clear()
                response = post(clients, form, dict.fromkeys(form.fuzzable(), value))
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                changed = sorted(writes - set(VOLATILE))
                if response.status_code < 400:
                    wrote_when_accepted.update(changed)
                problems += _judged(form, value, response, changed)
    assert not problems, "\n".join(problems[:60])
    assert statuses.get(422, 0) >= 100 and statuses.get(302, 0) >= 20, statuses  # the posts reached the forms' own rules
    assert {"claims", "audit_events"} <= wrote_when_accepted, wrote_when_accepted  # the write listener saw what accepted posts wrote


def _judged(form: FoundForm, value: str, response, changed: list[str]) -> list[str]:  # type: ignore[no-untyped-def]
    """What is wrong with the response to one hostile post (`changed`: the tables its committed writes touched)."""
    where = f"{form.role} POST {form.action} with {value[:20]!r}"
    if response.status_code >= 500:
        return [f"{where}: {response.status_code}"]
    if response.status_code < 400:
        return []
    problems = []
    body = response.get_data(as_text=True)
    if not CJK.search(body):
        problems.append(f"{where}: {response.status_code} without a Chinese message")
    if changed and not KEEPS_DRAFT.match(form.action):
        problems.append(f"{where}: refused ({response.status_code}) but changed {changed}")
    if response.status_code == 422 and response.mimetype == "text/html" and f'action="{form.action}"' in body:  # the form is offered again
        problems += [f"{where}: the typed {name} is not shown again" for name in _typed_text_fields(form) if not _shows(body, value)]
    return problems


def _typed_text_fields(form: FoundForm) -> list[str]:
    return [name for name, kind, _value in form.fields if kind in ("text", "textarea", "search", "tel", "email")]


def _shows(body: str, value: str) -> bool:
    kept = clean_text(value).strip()
    return not kept or kept in html.unescape(body)


ANY_VALUE = st.one_of(
    st.text(max_size=80),
    st.sampled_from(HOSTILE),
    st.integers(-(2**70), 2**70).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.dates().map(lambda d: d.isoformat()),
)


def _values_for(form: FoundForm) -> st.SearchStrategy[dict[str, str]]:
    """Any value for each field, or one of its own options (so that the form's other rules are reached)."""
    fields = {name: st.one_of(ANY_VALUE, st.sampled_from(form.choices[name])) if form.choices.get(name) else ANY_VALUE for name in form.fuzzable()}
    return st.fixed_dictionaries({}, optional=fields)


def test_fuzzed_forms_never_fail_and_stay_bounded(app: Flask, forms: list[FoundForm]) -> None:
    clients = Clients(app)
    worst: dict[str, int] = {}

    @settings(max_examples=250, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(data=st.data())
    def fuzz(data: st.DataObject) -> None:
        form = data.draw(st.sampled_from(forms), label="form")
        values = data.draw(_values_for(form), label="values")
        with counted_statements(app) as statements:
            response = post(clients, form, values)
        assert response.status_code < 500, (form.role, form.action, values)
        assert len(statements) <= MAX_STATEMENTS, (form.action, len(statements))
        worst[form.action] = max(worst.get(form.action, 0), len(statements))

    fuzz()
    assert worst  # the fuzz ran requests
