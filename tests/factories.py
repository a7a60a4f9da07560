"""Shared test helpers: build claims through the real services or the real filing form, and read pages back.

Nothing here writes rows directly: claims are made by ``claims.intake.services`` (fast, for tests that
need a claim to exist) or by posting the same multipart form a browser sends (for tests of the filing
itself), so every helper exercises the code paths users hit.

Conventions (see tests/conftest.py): each test has a fresh database with the demo data; no app context is
pushed during a test, so helpers that touch the database either take ``app`` and open their own context,
or say that they must be called inside one (service-level helpers).

Quick reference::

    client = as_user("13800000001")
    page = open_form(client)                      # GET /claims/new: CSRF token, submission key, values
    data = claim_form(app, page)                  # a complete, valid filing (action "submit")
    response = post_form(client, page.action, data, [photo(jpeg_bytes(seed=1))])
    claim_id = acknowledged_claim_id(response)    # 302 to /claims/<id>/submitted

    advance(claim, "valued")                      # accept, assign, survey, confirm, value (app context)

    page = parse_form(response.get_data(as_text=True))
    page.errors["claimant_id_number"]             # the field's error messages
    page.value("claimant_name")                   # what the form shows (values are kept on errors)
    says(app, html, "The incident cannot be in the future.")   # English msgid or its translation
"""

from __future__ import annotations

import html as html_lib
import io
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale
from flask_babel import gettext as babel_gettext
from sqlalchemy import select
from stdnum.cn import ric
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import TestResponse, encode_multipart

from claims.accounts.models import Role, User
from claims.accounts.services import create_user, find_user
from claims.core.time import local_now, to_local, utcnow
from claims.extensions import db
from claims.intake import operations as filing
from claims.intake import review
from claims.intake import services as intake
from claims.intake.models import Claim, LossCategory
from claims.regions.admin_services import declare_no_conflicts
from claims.regions.models import Region, Species
from claims.survey.models import ConfirmationMethod, SurveyOutcome
from claims.survey.operations import assign_surveyors, record_confirmation, record_survey, send_confirmation_code
from claims.survey.services import ConfirmationInput, InvoiceInput, SurveyInput, VerifiedLineInput
from claims.valuation.operations import value_claim_step
from claims.valuation.services import compute_valuation
from claims.workflow.models import OutboxMessage
from claims.workflow.states import ClaimStatus
from tests.intake.images import jpeg_bytes

# --- places (demo data) ----------------------------------------------------------------------------------

NAN_COUNTY = "430921"  # 南县: designates wild boar from 2023-08-25 (demo designation)
SANXIANHU = "430921128"  # 三仙湖镇, the demo clerk's township
SANXIANHU_VILLAGE = "430921128243"  # 三仙湖村
MAOCAOJIE = "430921127"  # 茅草街镇, clerk2's township
MAOCAOJIE_VILLAGE = "430921127208"  # 八百弓村
CHALING_COUNTY = "430224"  # 茶陵县: no wild-boar designation
YANTANG = "430224113"  # 严塘镇, clerk_cl's township
YANTANG_VILLAGE = "430224113203"  # 和吕村

# Where each demo village lies: (county, township, village) codes.
PLACES = {
    SANXIANHU_VILLAGE: (NAN_COUNTY, SANXIANHU, SANXIANHU_VILLAGE),
    MAOCAOJIE_VILLAGE: (NAN_COUNTY, MAOCAOJIE, MAOCAOJIE_VILLAGE),
    YANTANG_VILLAGE: (CHALING_COUNTY, YANTANG, YANTANG_VILLAGE),
}

# Demo villagers: login (= mobile) -> name.
VILLAGER = "13800000001"  # 张建国
VILLAGER2 = "13800000002"  # 李秀英


# --- identity numbers ------------------------------------------------------------------------------------


def gb11643_check(body17: str) -> str:
    """The check character of a resident ID (GB 11643-1999, ISO 7064 MOD 11-2), computed independently of the app."""
    if not re.fullmatch(r"\d{17}", body17):
        raise ValueError("a resident ID body has 17 digits")
    total = sum(int(digit) * (2 ** (17 - i) % 11) for i, digit in enumerate(body17))
    value = (12 - total % 11) % 11
    return "X" if value == 10 else str(value)


def resident_id(body17: str = "43092119650315123") -> str:
    """A valid resident ID number: 17 digits (region 430921, born 1965-03-15) and the right check character."""
    number = body17 + gb11643_check(body17)
    assert ric.calc_check_digit(number) == number[-1], number  # python-stdnum agrees
    return number


def with_wrong_check_digit(number: str) -> str:
    """The same number with a different, wrong, final character."""
    right = number[-1]
    wrong = next(c for c in "0123456789X" if c != right)
    return number[:-1] + wrong


BANK_ACCOUNT = "6217995500001234567"


# --- reference data (each opens its own app context) -----------------------------------------------------


def region_id(app: Flask, code: str) -> int:
    with app.app_context():
        return db.session.execute(select(Region.id).where(Region.code == code)).scalar_one()


def species_id(app: Flask, code: str) -> int:
    with app.app_context():
        return db.session.execute(select(Species.id).where(Species.code == code)).scalar_one()


def user_id(app: Flask, login: str) -> int:
    with app.app_context():
        user = find_user(login)
        assert user is not None, login
        return user.id


# --- the filing form over HTTP ---------------------------------------------------------------------------


@dataclass
class FormPage:
    """What a rendered claim form shows: its fields' values and error messages, and the page as text."""

    html: str
    action: str = ""
    values: dict[str, list[str]] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)
    images: list[str] = field(default_factory=list)

    def value(self, name: str) -> str | None:
        """The single value a field shows (None: the field is absent, or an unticked checkbox)."""
        found = self.values.get(name)
        return found[0] if found else None

    @property
    def csrf_token(self) -> str:
        token = self.value("csrf_token")
        assert token, "no CSRF token on the page"
        return token

    @property
    def submission_key(self) -> str:
        """The new-claim form's key (one per form, so a double click files one claim); empty on a draft's page."""
        return self.value("submission_key") or ""

    @property
    def text(self) -> str:
        return page_text(self.html)

    def differences(self, sent: dict[str, str], ignore: Iterable[str] = ("csrf_token", "action")) -> dict[str, tuple[str, str | None]]:
        """Fields whose shown value is not what was sent: {name: (sent, shown)}; empty when every value is kept."""
        skipped = set(ignore)
        return {name: (value, self.value(name)) for name, value in sent.items() if name not in skipped and self.value(name) != value}

    @property
    def photo_urls(self) -> list[str]:
        """The claim's photo thumbnails shown on the page."""
        return [src for src in self.images if re.search(r"/claims/\d+/photos/\d+/thumb$", src)]


class _FormParser(HTMLParser):
    """Collects input values, selected options, textareas, images and each ``div.field``'s ``p.error`` texts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = FormPage(html="")
        self._divs: list[list[str] | None] = []  # per open div: the field names inside a div.field, else None
        self._div_errors: list[list[str]] = []
        self._select: str | None = None
        self._textarea: str | None = None
        self._text: list[str] = []
        self._in_error = False
        self._form_depth = 0

    def _add(self, name: str | None, value: str) -> None:
        if not name:
            return
        self.page.values.setdefault(name, []).append(value)
        group = next((g for g in reversed(self._divs) if g is not None), None)
        if group is not None:
            group.append(name)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("id") == "claim-form":
            self.page.action = a.get("action", "")
        if tag == "div":
            is_field = "field" in a.get("class", "").split()
            self._divs.append([] if is_field else None)
            if is_field:
                self._div_errors.append([])
        elif tag == "input":
            kind = a.get("type", "text")
            if kind in ("file", "submit", "button"):  # no value to keep
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                name = a.get("name")
                group = next((g for g in reversed(self._divs) if g is not None), None)
                if name and group is not None:
                    group.append(name)
                return
            self._add(a.get("name"), a.get("value", "y" if kind == "checkbox" else ""))
        elif tag == "select":
            self._select = a.get("name")
            group = next((g for g in reversed(self._divs) if g is not None), None)
            if self._select and group is not None:
                group.append(self._select)
        elif tag == "option" and self._select and "selected" in a:
            self.page.values.setdefault(self._select, []).append(a.get("value", ""))
        elif tag == "textarea":
            self._textarea = a.get("name")
            self._text = []
        elif tag == "p" and "error" in a.get("class", "").split():
            self._in_error = True
            self._text = []
        elif tag == "img":
            self.page.images.append(a.get("src", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "div" and self._divs:
            names = self._divs.pop()
            if names is not None:
                errors = self._div_errors.pop()
                for name in dict.fromkeys(names):
                    if errors:
                        self.page.errors.setdefault(name, []).extend(errors)
        elif tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            name, self._textarea = self._textarea, None
            text = "".join(self._text)
            self._add(name, text[2:] if text.startswith("\r\n") else text.removeprefix("\n"))
        elif tag == "p" and self._in_error:
            self._in_error = False
            if self._div_errors:
                self._div_errors[-1].append(" ".join("".join(self._text).split()))

    def handle_data(self, data: str) -> None:
        if self._textarea or self._in_error:
            self._text.append(data)


def parse_form(html: str) -> FormPage:
    """Read a rendered claim form (or any page with ``div.field`` blocks)."""
    parser = _FormParser()
    parser.feed(html)
    parser.close()
    parser.page.html = html
    return parser.page


def page_text(html: str) -> str:
    """The page as a reader sees it: tags removed, entities decoded, white space collapsed."""
    without_scripts = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S | re.I)
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", without_scripts)).split())


def open_form(client: FlaskClient, path: str = "/claims/new") -> FormPage:
    """GET a filing form (new, for a villager, or a draft's edit page) and read it."""
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code, response.headers.get("Location"))
    page = parse_form(response.get_data(as_text=True))
    page.action = page.action or path
    return page


def local_minute(moment: datetime) -> str:
    """A local (Asia/Shanghai) time as the datetime-local input sends it."""
    return moment.strftime("%Y-%m-%dT%H:%M")


def claim_form(
    app: Flask,
    page: FormPage | None = None,
    *,
    village: str = SANXIANHU_VILLAGE,
    species: str | None = "wild_boar",
    incident: datetime | None = None,
    discovered: date | None = None,
    name: str = "张建国",
    mobile: str = VILLAGER,
    id_number: str | None = None,
    action: str = "submit",
    **overrides: str,
) -> dict[str, str]:
    """A complete, valid filing as the browser posts it; ``overrides`` replace single fields.

    ``page`` supplies the CSRF token and the form's submission key, as the browser sends them back. ``incident`` is a local wall-clock
    time (default: yesterday 21:30 local); ``discovered`` defaults to the incident's date. Override a
    field with ``None``-like removal by passing ``field=""``; loss fields are named ``losses-0-item`` etc.,
    so pass them through ``**{"losses-0-quantity": "-3"}``.
    """
    county, township, village_code = PLACES[village]
    incident = incident or (local_now() - timedelta(days=1)).replace(hour=21, minute=30, tzinfo=None)
    data = {
        "claimant_name": name,
        "claimant_id_number": id_number or resident_id(),
        "claimant_mobile": mobile,
        "claimant_address": "三仙湖村3组12号",
        "bank_name": "湖南南县农村商业银行",
        "bank_account": BANK_ACCOUNT,
        "county_id": str(region_id(app, county)),
        "township_id": str(region_id(app, township)),
        "village_id": str(region_id(app, village_code)),
        "incident_at": local_minute(incident),
        "discovered_on": (discovered or incident.date()).isoformat(),
        "species_id": str(species_id(app, species)) if species else "0",
        "species_description": "",
        "description": "夜里野猪进田，水稻被拱倒吃掉一大片。",
        "losses-0-category": "crop",
        "losses-0-item": "水稻",
        "losses-0-quantity": "2.5",
        "losses-0-unit": "mu",
        "losses-0-hospital_days": "",
        "losses-0-medical_costs": "",
        "losses-0-note": "",
        "declaration": "y",
        "photo_meta": "[]",
        "action": action,
    }
    if page is not None:
        data["csrf_token"] = page.csrf_token
        data["submission_key"] = page.submission_key
    data.update(overrides)
    return data


Upload = tuple[io.BytesIO, str, str]


def photo(data: bytes | None = None, name: str = "damage.jpg", content_type: str = "image/jpeg") -> Upload:
    """One file for the ``photos`` field (default: a small JPEG). Make a fresh one per request: it is read once."""
    return (io.BytesIO(jpeg_bytes() if data is None else data), name, content_type)


def photos(count: int, *, first_seed: int = 1, prefix: str = "photo") -> list[Upload]:
    """``count`` distinct JPEGs named photo-01.jpg, photo-02.jpg, ..."""
    return [photo(jpeg_bytes(seed=first_seed + i), f"{prefix}-{i + 1:02d}.jpg") for i in range(count)]


def post_form(client: FlaskClient, path: str, data: dict[str, str], files: Iterable[Upload] = (), **kwargs: Any) -> TestResponse:
    """POST the claim form as multipart/form-data, with ``files`` under the ``photos`` field.

    The body is encoded in memory: given files, Werkzeug's test client spools a body over 500 KB to a
    temporary file it never closes, which the suite's warnings-as-errors turns into a failure.
    """
    fields: MultiDict[str, Any] = MultiDict(list(data.items()))
    for stream, filename, content_type in files:
        fields.add("photos", FileStorage(stream=stream, filename=filename, content_type=content_type))
    boundary, body = encode_multipart(fields)
    return client.post(path, data=body, content_type=f"multipart/form-data; boundary={boundary}", **kwargs)


ACK_RE = re.compile(r"/claims/(\d+)/submitted$")


def acknowledged_claim_id(response: TestResponse) -> int:
    """The claim id of a successful submission (a redirect to its acknowledgement page)."""
    location = response.headers.get("Location", "")
    match = ACK_RE.search(location)
    assert response.status_code == 302 and match, (response.status_code, location, page_text(response.get_data(as_text=True))[:1500])
    return int(match.group(1))


def file_claim_http(
    app: Flask,
    client: FlaskClient,
    *,
    path: str = "/claims/new",
    files: Iterable[Upload] | None = None,
    **form: Any,
) -> int:
    """File and submit a claim through the web form as the logged-in ``client``; returns the claim id.

    ``form`` goes to :func:`claim_form` (``village=``, ``species=``, ``incident=``, field overrides).
    """
    page = open_form(client, path)
    data = claim_form(app, page, **form)
    response = post_form(client, page.action, data, photos(1) if files is None else files)
    return acknowledged_claim_id(response)


# --- claims through the services (inside an app context) -------------------------------------------------


def claim_input(
    *,
    village: str = SANXIANHU_VILLAGE,
    species: str | None = "wild_boar",
    incident_utc: datetime,
    name: str = "张建国",
    mobile: str = VILLAGER,
    id_number: str | None = None,
    gps: tuple[float, float] | None = None,
    losses: list[intake.LossInput] | None = None,
) -> intake.ClaimInput:
    """A complete :class:`ClaimInput` (call inside an app context); `gps`: the position filed, (lat, lon); `losses`
    (default: 2.5 mu of rice)."""
    county, township, village_code = (db.session.execute(select(Region).where(Region.code == code)).scalar_one() for code in PLACES[village])
    kind = db.session.execute(select(Species).where(Species.code == species)).scalar_one() if species else None
    return intake.ClaimInput(
        claimant_name=name,
        claimant_id_number=id_number or resident_id(),
        claimant_mobile=mobile,
        claimant_address="三仙湖村3组12号",
        bank_name="湖南南县农村商业银行",
        bank_account=BANK_ACCOUNT,
        county_id=county.id,
        township_id=township.id,
        village_id=village_code.id,
        incident_at=incident_utc,
        discovered_on=to_local(incident_utc).date(),  # the local day: 16:00-24:00 UTC is already tomorrow in China
        species_id=kind.id if kind else None,
        species_unknown=kind is None,
        species_description=None if kind else "没看清，只见到脚印",
        description="夜里野猪进田，水稻被拱倒吃掉一大片。",
        declaration=True,
        losses=losses or [intake.LossInput(LossCategory.CROP, "水稻", Decimal("2.5"), "mu")],
        gps_lat=gps[0] if gps else None,
        gps_lon=gps[1] if gps else None,
    )


_key_counter = iter(range(1, 10**9))


def file_claim(
    login: str = VILLAGER,
    *,
    submit: bool = True,
    uploads: list[intake.PhotoUpload] | None = None,
    **fields: Any,
) -> Claim:
    """File a claim through the real services as ``login``, inside an app context; the caller commits.

    A villager files for themself; a clerk files for a claimant without an account (pass ``name`` and
    ``mobile``). ``fields`` go to :func:`claim_input`; ``incident_utc`` defaults to a day ago.
    """
    actor = find_user(login)
    assert actor is not None, login
    fields.setdefault("incident_utc", utcnow() - timedelta(days=1))
    if actor.role == Role.VILLAGER:
        fields.setdefault("name", actor.name)
        fields.setdefault("mobile", actor.mobile)
    else:
        fields.setdefault("name", "王老汉")
        fields.setdefault("mobile", "13700000009")
    claim = intake.start_draft(actor=actor, submission_key=f"factory-{login}-{next(_key_counter)}", for_self=actor.role == Role.VILLAGER)
    files = uploads if uploads is not None else [intake.PhotoUpload(jpeg_bytes(seed=900 + claim.id), "damage.jpg")]
    outcome = filing.save_filing(claim, claim_input(**fields), files, actor=actor, submit=submit, form_ok=True)
    assert not outcome.photo_problems, outcome.photo_problems
    assert outcome.submitted == submit, outcome.problems
    return claim


# --- claims further along the workflow (inside an app context) ---------------------------------------------


@dataclass(frozen=True)
class DemoCounty:
    """A demo county: a village to file in, and who works its claims (the township clerk, two survey officers)."""

    village: str
    clerk: str
    officers: tuple[str, str]


COUNTIES = {
    "nan": DemoCounty(SANXIANHU_VILLAGE, "clerk", ("officer", "officer2")),  # insured: a valued claim is referred
    "chaling": DemoCounty(YANTANG_VILLAGE, "clerk_cl", ("officer_cl", "officer_cl2")),  # uninsured: it stays valued
}
STEPS = ("accepted", "survey_assigned", "surveyed", "confirmed", "valued")
_STEPS_DONE = {ClaimStatus.SUBMITTED: 0, ClaimStatus.ACCEPTED: 1, ClaimStatus.SURVEY_ASSIGNED: 2, ClaimStatus.SURVEYED: 3, ClaimStatus.CONFIRMED: 4}


def survey_input(
    claim: Claim, outcome: SurveyOutcome = SurveyOutcome.ELIGIBLE, *, rate: int | None = 100, stage: str | None = None, note: str | None = None, **fields: Any
) -> SurveyInput:
    """A survey on site two hours ago, the claimant present, verifying every loss line at its filed quantity with
    ``rate`` % lost (and ``stage``, ``note``), and a person's filed medical costs by one invoice of that amount;
    ``fields`` replace SurveyInput's own (``lines=`` for other lines)."""

    def invoices(line: Any) -> list[InvoiceInput]:
        if line.category != LossCategory.INJURY or not line.medical_costs:
            return []
        photo = intake.PhotoUpload(jpeg_bytes(seed=90000 + claim.id * 20 + line.position), f"invoice-{line.position}.jpg")
        return [InvoiceInput(line.medical_costs, photo)]

    values: dict[str, Any] = {
        "visited_at": utcnow() - timedelta(hours=2),
        "surveyors_present": "勘查员",
        "claimant_present": True,
        "outcome": outcome,
        "lines": [VerifiedLineInput(line.id, line.quantity, rate, stage, note, invoices=invoices(line)) for line in claim.losses],
    }
    return SurveyInput(**(values | fields))


def new_staff(*, login: str, name: str, role: Role, region: Region, password: str = "Survey#2026x") -> User:
    """A staff account as the admin creates it, whose holder then declares at first sign-in that they have no relative
    to declare (without it the account takes no step); inside an app context, the caller commits."""
    user = create_user(login=login, name=name, role=role, region=region, password=password)
    declare_no_conflicts(user)
    return user


def _staff(login: str) -> User:
    user = find_user(login)
    assert user is not None, login
    return user


def advance(
    claim: Claim,
    to: str = "valued",
    *,
    county: str = "nan",
    survey: SurveyInput | None = None,
    surveyor: str | None = None,
    survey_photos: Iterable[intake.PhotoUpload] = (),
) -> Claim:
    """Take a claim through the real services, from the step it has reached up to ``to`` (one of STEPS); the caller commits.

    accepted: by the county's clerk (by the first officer when that clerk filed it). survey_assigned: both officers, by the first. surveyed: ``survey`` (default
    :func:`survey_input`) with ``survey_photos``, recorded by ``surveyor`` (default the second officer).
    confirmed: on site with the first officer, who types the code texted to the claimant (:func:`confirm_by_code`). valued: computed and submitted
    by the first officer, after which a Nan claim is REFERRED to the insurer and a Chaling claim is VALUED.
    """
    staff = COUNTIES[county]
    first, second = (_staff(login) for login in staff.officers)
    assert claim.status in _STEPS_DONE, f"cannot advance a claim that is {claim.status}"
    for step in STEPS[_STEPS_DONE[claim.status] : STEPS.index(to) + 1]:
        if step == "accepted":  # a claim the clerk filed is taken in by a county officer (separation of duties)
            clerk = _staff(staff.clerk)
            review.accept_claim(claim, actor=first if claim.filed_by_id == clerk.id else clerk)
        elif step == "survey_assigned":
            assign_surveyors(claim, [first, second], actor=first)
        elif step == "surveyed":
            record_survey(claim, survey or survey_input(claim), list(survey_photos), actor=_staff(surveyor) if surveyor else second)
        elif step == "confirmed":
            confirm_by_code(claim, first)
        else:
            compute_valuation(claim, actor=first)
            value_claim_step(claim, actor=first)
    return claim


def texted_code(mobile: str) -> str:
    """The code in the last text message queued for `mobile`: the only place a one-time code exists in clear."""
    body = db.session.execute(select(OutboxMessage.body).where(OutboxMessage.recipient == mobile).order_by(OutboxMessage.id.desc())).scalars().first()
    assert body is not None, f"no text message to {mobile}"
    return "".join(ch for ch in body.split("：", 1)[-1] if ch.isdigit())[:6]


def confirm_by_code(claim: Claim, officer: User, *, confirmed: bool = True, statement: str | None = None) -> None:
    """The claimant's answer on the officer's phone: a code is texted to the claimant, who tells it to the officer."""
    send_confirmation_code(claim, actor=officer)
    info = ConfirmationInput(confirmed, ConfirmationMethod.SMS_CODE, code=texted_code(claim.claimant_mobile or ""), statement=statement)
    record_confirmation(claim, info, actor=officer)


# --- messages in either language --------------------------------------------------------------------------


def texts(app: Flask, msgid: str, **params: Any) -> set[str]:
    """A message as the user may read it: the English msgid and its translation in the default language.

    Catalogs may lag behind the code, so tests accept either; both are formatted with ``params``.
    """
    out = {msgid % params if params else msgid}
    with app.test_request_context("/"):
        out.add(babel_gettext(msgid, **params))
        with force_locale("en"):
            out.add(babel_gettext(msgid, **params))
    return out


def says(app: Flask, html_or_text: str, msgid: str, **params: Any) -> bool:
    """Whether a page (HTML or text) shows the message in English or in its translation."""
    text = page_text(html_or_text) if "<" in html_or_text else html_or_text
    return any(" ".join(t.split()) in text for t in texts(app, msgid, **params))


def localized(app: Flask, make: Any) -> set[str]:
    """``str(make())`` in English and in the default language, e.g. ``localized(app, lambda: status.title)``."""
    with app.test_request_context("/"):
        found = {str(make())}
        with force_locale("en"):
            found.add(str(make()))
    return found


@contextmanager
def config(app: Flask, **values: Any) -> Iterator[None]:
    """Change app.config for a block and restore it after (the app is shared by the whole session)."""
    missing = object()
    saved = {key: app.config.get(key, missing) for key in values}
    app.config.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is missing:
                app.config.pop(key, None)
            else:
                app.config[key] = old


def claim_count(app: Flask) -> int:
    with app.app_context():
        return len(db.session.execute(select(Claim.id)).all())
