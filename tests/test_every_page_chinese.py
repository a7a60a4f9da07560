"""Every page a user sees is in Chinese, and numbers look like numbers (issue 10, sections 4 and 5).

Every GET route of `app.url_map` is rendered, with its URL arguments filled by the ids of a world that has
a claim in every state (tests/pages_world.py), as every role, in Chinese. The visible text (text nodes and
the attributes a reader sees) must hold no value of the app's enums, no workflow or audit action name, no
English source string of the message catalog, no `docs/` path and no number written with an exponent.
The claims' PDFs (receipt, survey record, decisions, lists) are read back with pdftotext and held to the
same rules.
"""

from __future__ import annotations

import enum
import importlib
import pkgutil
import re
import subprocess
from collections.abc import Iterator
from functools import cache
from html.parser import HTMLParser
from itertools import product
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule

import claims
from claims.lifecycle import TRANSITIONS
from claims.workflow.history import ACTION_TEXT
from tests.conftest import login
from tests.pages_world import TYPED, PagesWorld, pages_world

ROOT = Path(__file__).resolve().parent.parent
ZH_PO = ROOT / "claims" / "translations" / "zh" / "LC_MESSAGES" / "messages.po"

# Routes whose answer is not an HTML page; each is checked elsewhere or carries no words.
NOT_HTML = {
    "static": "CSS, JavaScript and images",
    "main.health": "a JSON health check for the load balancer",
    "main.service_worker": "the service worker's JavaScript (its offline page is main.offline, HTML)",
    "main.places": "the filing form's townships and villages as JavaScript (tests/intake/test_place_lists.py)",
    "main.sync_session": "JSON for the phone's drafts: a fresh CSRF token and their owner (tests/main/test_sync.py)",
    "intake.photo": "JPEG images",
    "schedules.export": "a YAML schedule file for download",
    "documents.claim_document": "PDFs: read back with pdftotext below",
    "documents.batch_document": "PDFs: read back with pdftotext below",
    "reports.map_points": "the incident map's points as JSON (tests/reports/test_map.py)",
    "reports.map_claim": "a map point's claim as JSON, for its popup (tests/reports/test_map.py)",
    "api-docs.openapi_json": "the OpenAPI document (tests/api/test_contract.py)",
    "api_v1.claim_list": "the token API's JSON (tests/api/, whose problems carry Chinese messages)",
    "api_v1.claim_detail": "the token API's JSON (tests/api/)",
    "api_v1.referral_list": "the token API's JSON (tests/api/)",
    "api_v1.referral_detail": "the token API's JSON (tests/api/)",
    "api_v1.claim_document_list": "the token API's JSON (tests/api/)",
    "api_v1.claim_photo": "the token API's JPEG (tests/api/test_documents.py)",
    "api_v1.document_detail": "the token API's JSON (tests/api/)",
    "api_v1.document_pdf": "the token API's PDF (tests/api/test_documents.py)",
    "api_v1.document_verify": "the token API's JSON (tests/api/)",
    "api_v1.schedules": "the token API's JSON (tests/api/)",
    "api_v1.statistics": "the token API's JSON (tests/api/)",
}

# Every role, on its own and on the other county's objects: the demo logins (claims/demo.py).
ROLES = {
    "villager": "13800000001",
    "villager_chaling": "13800000002",
    "clerk": "clerk",
    "clerk_chaling": "clerk_cl",
    "officer": "officer",
    "officer_chaling": "officer_cl",
    "approver": "approver",
    "approver_chaling": "approver_cl",
    "insurer_adjuster": "insurer",
    "province_admin": "admin",
}

VISIBLE_ATTRIBUTES = {"placeholder", "title", "alt", "aria-label"}
# A number with an exponent, standing alone: not the digits inside a word or a code such as a document's verification
# code (URL-safe base64: letters, digits, "_" and "-", e.g. "...uHh_3e0").
EXPONENT = re.compile(r"(?<![0-9A-Za-z_-])-?\d+(?:\.\d+)?[Ee][+-]?\d+(?![0-9A-Za-z_-])")
DOCS_PATH = re.compile(r"\bdocs/")
ENGLISH_RUN = re.compile(r"[A-Za-z][A-Za-z0-9 ,.;:'’“”()%/-]*[A-Za-z0-9.)%]|[A-Za-z]")
IDENTIFIER = re.compile(r"(?<![0-9A-Za-z_])[A-Za-z][A-Za-z0-9_]*(?![0-9A-Za-z_])")
SNAKE_CASE = re.compile(r"[a-z]+(?:_[a-z]+)+")
PLACEHOLDER = re.compile(r"%(?:\(\w+\))?[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]")


# --- what must not be seen ----------------------------------------------------------------------------


@cache
def enum_values() -> frozenset[str]:
    """The values of every StrEnum under claims/, read from the classes, and every workflow/audit action."""
    for module in pkgutil.walk_packages(claims.__path__, "claims."):
        importlib.import_module(module.name)
    values: set[str] = set(TRANSITIONS) | set(ACTION_TEXT)
    for cls in _subclasses(enum.StrEnum):
        if cls.__module__.startswith("claims."):
            values |= {member.value for member in cls}
    return frozenset(values)


def _subclasses(cls: type) -> Iterator[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


@cache
def english_msgids() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(msgid, its literal parts) for source strings long enough to be unmistakable: >= 2 words or >= 8 letters."""
    with ZH_PO.open("rb") as fh:
        catalog = read_po(fh, locale="zh")
    out = []
    for message in catalog:
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        parts = tuple(p.strip() for p in PLACEHOLDER.split(msgid) if _unmistakable(p.strip()))
        if msgid and parts:
            out.append((msgid, parts))
    return tuple(out)


def _unmistakable(text: str) -> bool:
    return len(text.split()) >= 2 or len(re.sub(r"[^A-Za-z]", "", text)) >= 8


# --- reading a page as a reader does ------------------------------------------------------------------


class VisibleText(HTMLParser):
    """Text nodes outside <script>/<style>/<pre>, plus the attributes a reader sees (and buttons' values).

    <pre> and <code> hold a file's text shown as it is (a schedule's YAML, the columns of the bank's result
    file): the file format, not words.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self.input_values: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag in ("script", "style", "pre", "code"):
            self._hidden += 1
        self.chunks.extend(v for k, v in a.items() if k in VISIBLE_ATTRIBUTES and v)
        if tag == "input" and a.get("type") in ("submit", "button", "reset"):
            self.chunks.append(a.get("value", ""))
        elif tag == "input" and a.get("type") != "hidden":
            self.input_values.append(a.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "pre", "code") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden and data.strip():
            self.chunks.append(data.strip())


def problems_in(chunks: list[str], *, data: set[str]) -> list[str]:
    """What a Chinese reader should not meet in these pieces of visible text."""
    found = []
    values = enum_values()
    chunks = [_without_data(chunk, data) for chunk in chunks]
    for chunk in chunks:
        found += [f"identifier {word!r} in {chunk!r}" for word in IDENTIFIER.findall(chunk) if word in values or SNAKE_CASE.fullmatch(word)]
        found += [f"docs path in {chunk!r}" for _m in DOCS_PATH.findall(chunk)]
        found += [f"exponent in {chunk!r}" for _m in EXPONENT.findall(chunk)]
    english = "\n".join(run for chunk in chunks for run in ENGLISH_RUN.findall(chunk))
    for msgid, parts in english_msgids():
        if all(_contains(english, part) for part in parts):
            found.append(f"English {msgid!r}")
    return found


def _without_data(chunk: str, data: set[str]) -> str:
    """A value the world typed, or a login (the demo staff log in as "clerk", "insurer", ...), is data, not
    words: shown alone or in brackets after a name, as the pages show logins."""
    if chunk in data:
        return ""
    return re.sub(r"[(（]([^()（）]+)[)）]", lambda m: "" if m.group(1) in data else m.group(0), chunk)


def _contains(text: str, part: str) -> bool:
    if " " in part:
        return part in text
    return re.search(rf"(?<![A-Za-z]){re.escape(part)}(?![A-Za-z])", text) is not None


def page_problems(html: str, *, data: set[str]) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    parser.close()
    found = problems_in(parser.chunks, data=data)
    return found + [f"exponent in an input's value {v!r}" for v in parser.input_values if EXPONENT.search(v)]


def pdf_text(blob: bytes) -> str:
    result = subprocess.run(["pdftotext", "-enc", "UTF-8", "-layout", "-", "-"], input=blob, capture_output=True, check=True)
    return result.stdout.decode("utf-8")


# --- the routes and their arguments -------------------------------------------------------------------


def _arguments(world: PagesWorld) -> dict[str, list[str]]:
    docs = [d for ids in world.documents.values() for d in ids]
    return {
        "claim_id": [str(i) for i in world.claims.values()],
        "batch_id": [str(i) for i in world.notice_batches + world.payment_batches],
        "schedule_id": [str(i) for i in world.schedules],
        "user_id": [str(i) for i in world.users.values()],
        "document_id": [str(i) for i in docs + world.batch_documents],
        "code": world.verify_codes[:3],
        "endpoint_id": [str(i) for i in world.webhooks],
        "incident_id": [str(i) for i in world.incidents],
        "region_code": ["430000", "430900", "430921", "430921128", "430224"],  # province, prefecture, the two counties, a township
    }


def page_paths(app: Flask, world: PagesWorld) -> list[str]:
    """Every GET route with each real object filled in (routes that are not HTML are listed in NOT_HTML)."""
    values = _arguments(world)
    paths: list[str] = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in (rule.methods or set()) or rule.endpoint in NOT_HTML:
            continue
        paths += _fill(rule, values)
    return paths


def _fill(rule: Rule, values: dict[str, list[str]]) -> list[str]:
    names = sorted(rule.arguments)
    missing = [n for n in names if n not in values]
    assert not missing, f"{rule.endpoint}: no test values for {missing}; add them to _arguments or, if not HTML, to NOT_HTML"
    out = []
    for combo in product(*(values[n] for n in names)):
        path = rule.rule
        for name, value in zip(names, combo, strict=True):
            path = re.sub(rf"<(?:[^:<>]+:)?{name}>", value, path)
        out.append(path)
    return out


def _client(app: Flask, login_name: str) -> FlaskClient:
    client = app.test_client()
    login(client, login_name)
    return client


def _data(world: PagesWorld) -> set[str]:
    return set(world.users) | TYPED


@pytest.fixture
def world(app: Flask) -> PagesWorld:
    return pages_world(app)


# --- the tests ----------------------------------------------------------------------------------------


def test_the_world_has_a_claim_in_every_state(app: Flask, world: PagesWorld) -> None:
    from claims.extensions import db
    from claims.intake.models import Claim
    from claims.workflow.states import ClaimStatus

    with app.app_context():
        seen = {db.session.get(Claim, cid).status for cid in world.claims.values()}  # type: ignore[union-attr]
    assert seen == set(ClaimStatus), sorted(set(ClaimStatus) - seen)


@pytest.mark.parametrize("role", ROLES)
def test_every_page_is_chinese(app: Flask, world: PagesWorld, role: str) -> None:
    client = _client(app, ROLES[role])
    data = _data(world)
    wrong: dict[str, list[str]] = {}
    shown = 0
    for path in [*page_paths(app, world), f"/claims/{10**6}"]:
        response = client.get(path)
        body = response.get_data(as_text=True)
        if response.status_code >= 300 and response.status_code < 400:
            continue
        assert response.mimetype == "text/html", f"{path}: {response.mimetype} (list routes that are not HTML in NOT_HTML)"
        shown += response.status_code == 200
        found = page_problems(body, data=data)
        if found:
            wrong[path] = sorted(set(found))
    assert shown > 10, f"{role} saw only {shown} pages: the world or the logins are wrong"
    report = "\n".join(f"{path}: {'; '.join(found[:6])}" for path, found in wrong.items())
    assert not wrong, f"{role} ({ROLES[role]}) meets English or raw values on {len(wrong)} pages:\n{report}"


def test_every_pdf_is_chinese(app: Flask, world: PagesWorld) -> None:
    from claims.documents.models import DocumentKind, IssuedDocument
    from claims.extensions import db

    client = _client(app, "admin")
    data = _data(world)
    kinds, wrong = set(), {}
    with app.app_context():
        docs = [(d.id, d.claim_id, d.kind) for d in db.session.query(IssuedDocument).order_by(IssuedDocument.id)]
    for doc_id, claim_id, kind in docs:
        path = f"/claims/{claim_id}/documents/{doc_id}" if claim_id else f"/documents/{doc_id}"
        response = client.get(path)
        assert response.status_code == 200 and response.mimetype == "application/pdf", path
        kinds.add(DocumentKind(kind))
        lines = [line.strip() for line in pdf_text(response.get_data()).splitlines() if line.strip()]
        found = problems_in(lines, data=data)
        if found:
            wrong[f"{kind} {path}"] = sorted(set(found))
    assert {DocumentKind.RECEIPT, DocumentKind.SURVEY_RECORD, DocumentKind.COMPENSATION, DocumentKind.REFUSAL} <= kinds, kinds
    assert not wrong, "\n".join(f"{path}: {'; '.join(found[:6])}" for path, found in wrong.items())


def test_a_quantity_of_twenty_shows_as_20(app: Flask, world: PagesWorld) -> None:
    """On the claim page, in the officer's survey form (as the input's value) and in the PDFs."""
    client = _client(app, "officer")
    detail = client.get(f"/claims/{world.claims['surveyed']}").get_data(as_text=True)
    assert re.search(r"(?<![\d.])20 亩", detail), "the claim page does not show 20 亩"
    form = client.get(f"/claims/{world.claims['survey_assigned']}/survey").get_data(as_text=True)
    parser = VisibleText()
    parser.feed(form)
    assert "20" in parser.input_values and "12.5" in parser.input_values, parser.input_values
    receipt = client.get(f"/claims/{world.claims['surveyed']}/documents/{world.documents[world.claims['surveyed']][0]}")
    assert re.search(r"(?<![\d.])20 亩", pdf_text(receipt.get_data())), "the receipt does not show 20 亩"


def test_the_checks_catch_what_they_should() -> None:
    """The scanner itself: raw values, English and exponents are found; Chinese, data and numbers are not."""
    page = '<p title="adjust">已核定</p><p>see docs/payments.md</p><input value="2E+1"><script>var s="pending"</script><p>clerk</p>'
    found = page_problems(page, data={"clerk"})
    assert any("'adjust'" in f for f in found) and any("docs path" in f for f in found) and any("input" in f for f in found)
    assert not any("pending" in f or "'clerk'" in f for f in found)
    assert page_problems("<p>第1次勘查 · 20 亩 · ¥1,234.50</p>", data=set()) == []
    assert page_problems("<p>校验码 HzAC0DoOTvR8q3P2ZuHh_3e0 与 Zm9v-1e5x</p>", data=set()) == []
    assert [f for f in page_problems("<p>面积 -2e5 亩，金额 1.5E3 元</p>", data=set()) if "exponent" in f] == ["exponent in '面积 -2e5 亩，金额 1.5E3 元'"] * 2
    assert any("English" in f for f in page_problems("<p>Bad request</p>", data=set()))


def test_every_workflow_action_has_words_in_the_history() -> None:
    """A claim's history tells each step in words; an action without them would show its code name."""
    enum_values()  # imports every module, so every transition is registered
    missing = sorted(set(TRANSITIONS) - set(ACTION_TEXT))
    assert not missing, f"add these actions to ACTION_TEXT in claims/workflow/history.py: {missing}"


def test_loss_line_messages_are_chinese(app: Flask) -> None:
    """A loss line's own messages (WTForms' built-in ones included) in Chinese, its quantity without exponent."""
    from tests.factories import VILLAGER, claim_form, open_form, parse_form, post_form

    client = _client(app, VILLAGER)
    page = open_form(client)
    data = claim_form(app, page) | {"losses-0-hospital_days": "x", "losses-0-quantity": "abc"}
    shown = parse_form(post_form(client, page.action, data, []).get_data(as_text=True))
    assert shown.errors["losses-0-quantity"] == ["请输入数字。"] and "请输入整数。" in shown.errors["losses-0-hospital_days"]
    assert not page_problems(shown.html, data=set())
    shown = parse_form(post_form(client, page.action, data | {"losses-0-quantity": "1e9"}, []).get_data(as_text=True))
    assert shown.errors["losses-0-quantity"] == ["1000000000 这个数量不太可能（最多 5000），请核对。"]
    assert shown.value("losses-0-quantity") == "1e9"  # kept as typed
