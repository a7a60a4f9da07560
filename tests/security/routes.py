"""The authorisation matrix: role x route x object -> the expected answer, for every route of the app (no tests here).

`ROUTE_CASES` is tried on the world of tests/security/world.py by tests/test_access_matrix.py, whose
meta-test fails when a route is missing from it, and by the CSRF, privacy and hostile-input tests.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from claims.accounts.services import find_user
from claims.extensions import db
from claims.intake.models import Claim
from tests.security.world import CHALING_TOWNSHIP, CHALING_VILLAGE, EDITS, FULL_ID, NAN_COUNTY, NAN_VILLAGE, ROLES, SEES, STAFF, World


def is_login_redirect(response: TestResponse) -> bool:
    return response.status_code == 302 and urlsplit(response.headers.get("Location", "")).path == "/login"


def outcome(response: TestResponse) -> int | str:
    """The status, or "login" for a redirect to the login page."""
    return "login" if is_login_redirect(response) else response.status_code


# --- the authorisation matrix -------------------------------------------------------------------------

Expect = int | str  # an HTTP status, or "login" (302 to the login page)
LOGIN = "login"


def expect(ok: Expect, *roles: str, other: Expect = 404, anonymous: Expect = LOGIN) -> dict[str, Expect]:
    """`ok` for the given roles, `other` for every other signed-in role, `anonymous` for no session."""
    table = {role: (ok if role in roles else other) for role in ROLES}
    table["anonymous"] = ok if "anonymous" in roles else anonymous
    return table


def everyone(status: Expect) -> dict[str, Expect]:
    return dict.fromkeys(ROLES, status)


def signed_in(status: Expect) -> dict[str, Expect]:
    return expect(status, *ROLES[1:])


NOBODY = expect(200)  # 404 for every signed-in role, the login page for no session


@dataclass(frozen=True)
class Case:
    """One route tried on one object: `expect` gives each role's answer."""

    endpoint: str
    obj: str  # "-" for routes without an object; else own/foreign/missing and what it is
    path: Callable[[World], str]
    expect: Mapping[str, Expect]
    method: str = "GET"
    data: Callable[[World], dict[str, Any]] | None = None
    after: Callable[[Flask, World, str], str | None] | None = None  # a problem with the database afterwards, or None
    json: bool = False  # send `data` as a JSON body, the token in the X-CSRFToken header

    def __post_init__(self) -> None:
        missing = set(ROLES) - set(self.expect)
        if missing:
            raise AssertionError(f"{self.endpoint} {self.obj}: no expectation for {sorted(missing)}")

    @property
    def name(self) -> str:
        return f"{self.method} {self.endpoint} [{self.obj}]"


_NO_MATCH = {"date_from": "2001-01-01", "date_to": "2001-01-02"}  # a search that finds no claim: tagging changes nothing


def _claim(key: str, suffix: str = "") -> Callable[[World], str]:
    return lambda w: f"/claims/{w.claims[key]}{suffix}"


def _missing(suffix: str = "") -> Callable[[World], str]:
    return lambda w: f"/claims/{w.missing}{suffix}"


def _photo(claim: str, photo: str, variant: str) -> Callable[[World], str]:
    return lambda w: f"/claims/{w.claims[claim]}/photos/{w.photos[photo]}/{variant}"


def _api(kind: str, key: str, suffix: str) -> Callable[[World], str]:
    """An API client's (kind "clients") or token's ("tokens") administration route."""
    ids = (lambda w: w.api_clients[key]) if kind == "clients" else (lambda w: w.api_tokens[key])
    return lambda w: f"/admin/api-clients/{'tokens/' if kind == 'tokens' else ''}{ids(w)}{suffix}"


def _webhook(key: str, suffix: str = "") -> Callable[[World], str]:
    return lambda w: f"/admin/api-clients/webhooks/{w.webhooks[key]}{suffix}"


def _user(role: str) -> Callable[[World], str]:
    return lambda w: f"/admin/users/{w.users[role]}"


def _sees(key: str, ok: Expect = 200) -> dict[str, Expect]:
    return expect(ok, *SEES[key])


def _reveals(key: str) -> dict[str, Expect]:
    """The full ID number: for FULL_ID's roles; 403 for those who see the claim but may not; 404 outside scope."""
    return {**_sees(key, 403), **dict.fromkeys(FULL_ID[key], 200)}


def _withdrawn_only_by_owner(app: Flask, world: World, role: str) -> str | None:
    with app.app_context():
        status = db.session.get(Claim, world.claims["w"]).status.value
    should = "withdrawn" if role == "owner" else "submitted"
    return None if status == should else f"claim W is {status}, expected {should}"


def _accepted_only_by_clerk(app: Flask, world: World, role: str) -> str | None:
    with app.app_context():
        status = db.session.get(Claim, world.claims["a"]).status.value
    should = "accepted" if role in ("clerk", "officer") else "submitted"  # the township's clerk or a county officer
    return None if status == should else f"claim A is {status}, expected {should}"


def _clerks_notices_unread(app: Flask, world: World, role: str) -> str | None:
    from claims.workflow.models import Notification

    with app.app_context():
        unread = db.session.execute(select(Notification.id).where(Notification.user_id == world.users["clerk"], Notification.read_at.is_(None))).all()
    return None if bool(unread) == (role != "clerk") else f"the clerk has {len(unread)} unread notices after {role} marked theirs read"


def _clerks_notice_read(app: Flask, world: World, role: str) -> str | None:
    from claims.workflow.models import Notification

    with app.app_context():
        read = db.session.get(Notification, world.clerk_notice).read_at is not None  # type: ignore[union-attr]
    return None if read == (role == "clerk") else f"the clerk's notice is {'read' if read else 'unread'} after {role} opened it"


def _unchanged_name(key: str, editors: set[str]) -> Callable[[Flask, World, str], str | None]:
    def check(app: Flask, world: World, role: str) -> str | None:
        with app.app_context():
            name = db.session.get(Claim, world.claims[key]).claimant_name
        changed = name == "Mallory"
        return None if changed == (role in editors) else f"claimant name is {name!r} after {role}'s edit"

    return check


def _no_user(login_name: str) -> Callable[[Flask, World, str], str | None]:
    def check(app: Flask, world: World, role: str) -> str | None:
        with app.app_context():
            return None if find_user(login_name) is None else f"user {login_name} was created"

    return check


STAFF_PAGES = ("clerk", "clerk2", "clerk_cl", "officer", "officer_cl", "approver", "approver_cl", "admin", "admin_cl")
APPROVERS = ("approver", "approver_cl")
SCHEDULE_VIEWERS = ("admin", "admin_cl", "approver", "approver_cl")
CHALING_STAFF = ("clerk_cl", "officer_cl", "approver_cl", "admin", "admin_cl")
ADMINS = ("admin", "admin_cl")
STATISTICS = ("approver", "approver_cl", *ADMINS)  # the annual statistics: county approvers, administrators
# Nan's policy: its insurer, Nan's approver and the province; Chaling's approver and administrator are told to choose from
# their list (422), as for a policy that does not exist.
NAN_POLICY = {**expect(200, "approver", "insurer", "admin"), "approver_cl": 422, "admin_cl": 422}
FILERS = ("owner", "villager2", "clerk", "clerk2", "clerk_cl")
CLERKS = ("clerk", "clerk2", "clerk_cl")
VILLAGERS = ("owner", "villager2")
NOT_ALLOWED = everyone(405)

ROUTE_CASES: tuple[Case, ...] = (
    # public pages
    Case("static", "-", lambda w: "/static/css/app.css", everyone(200)),
    Case("main.index", "-", lambda w: "/", everyone(200)),
    Case("main.health", "-", lambda w: "/healthz", everyone(200)),
    Case("main.service_worker", "-", lambda w: "/sw.js", everyone(200)),
    Case("main.offline", "-", lambda w: "/offline", everyone(200)),
    Case("main.places", "-", lambda w: "/places.js", everyone(200)),
    Case("main.sync_session", "own session", lambda w: "/sync/session", signed_in(200)),
    Case("main.home", "-", lambda w: "/home", everyone(302)),
    Case("accounts.login", "-", lambda w: "/login", everyone(200)),
    Case("accounts.login", "-", lambda w: "/login", everyone(200), "POST", lambda w: {"login": "nobody", "password": "wrong-password"}),
    Case("accounts.register", "-", lambda w: "/register", everyone(200)),
    Case(
        "accounts.register",
        "-",
        lambda w: "/register",
        everyone(200),
        "POST",
        lambda w: {"mobile": "13655556666", "name": "新用户", "password": "Good-pass-77", "confirm": "different"},
        _no_user("13655556666"),
    ),
    # the public status enquiry: a claim number and the last 4 characters of the claimant's ID number, no login
    Case("intake.status_enquiry", "-", lambda w: "/claims/status", everyone(200)),
    Case(
        "intake.status_enquiry",
        "claim a, wrong digits",
        lambda w: "/claims/status",
        everyone(200),
        "POST",
        lambda w: {"number": w.numbers["a"], "id_last4": "0000"},
    ),
    Case("accounts.set_language", "-", lambda w: "/language", NOT_ALLOWED),
    Case("accounts.set_language", "-", lambda w: "/language", everyone(302), "POST", lambda w: {"locale": "en", "next": "/"}),
    Case("accounts.set_text_size", "-", lambda w: "/text-size", NOT_ALLOWED),
    Case("accounts.set_text_size", "-", lambda w: "/text-size", everyone(302), "POST", lambda w: {"size": "large", "next": "/"}),
    Case("accounts.logout", "-", lambda w: "/logout", NOT_ALLOWED),
    # own account
    Case("accounts.change_password", "own account", lambda w: "/account/password", signed_in(200)),
    Case(
        "accounts.change_password",
        "own account",
        lambda w: "/account/password",
        signed_in(200),
        "POST",
        lambda w: {"current_password": "not-my-password", "password": "Good-pass-77", "confirm": "Good-pass-77"},
    ),
    # administration
    Case("admin.users", "-", lambda w: "/admin/users", expect(200, *ADMINS)),
    Case("admin.new_user", "-", lambda w: "/admin/users/new", expect(200, *ADMINS)),
    Case(
        "admin.new_user",
        "-",
        lambda w: "/admin/users/new",
        expect(200, *ADMINS),
        "POST",
        lambda w: {"login": "x", "name": "", "role": "clerk", "region_id": "0", "password": ""},
        _no_user("x"),
    ),
    Case("admin.edit_user", "user in Chaling", _user("clerk_cl"), expect(200, *ADMINS)),
    Case("admin.edit_user", "user in Nan county", _user("clerk"), expect(200, "admin")),
    Case("admin.edit_user", "province admin", _user("admin"), expect(200, "admin")),
    # Villagers and insurers belong to no region: only the province-wide administrator manages them.
    Case("admin.edit_user", "villager (no region)", _user("owner"), expect(200, "admin")),
    Case("admin.edit_user", "missing user", lambda w: f"/admin/users/{w.missing}", NOBODY),
    Case("admin.edit_user", "user in Chaling", _user("clerk_cl"), expect(200, *ADMINS), "POST", lambda w: {"name": "", "role": "clerk", "region_id": "0"}),
    Case("admin.edit_user", "user in Nan county", _user("clerk"), expect(200, "admin"), "POST", lambda w: {"name": "", "role": "clerk", "region_id": "0"}),
    Case("admin.edit_user", "missing user", lambda w: f"/admin/users/{w.missing}", NOBODY, "POST", lambda w: {"name": "x"}),
    # background jobs: the province's administrators see the queue and retry a failed job (a job serves every
    # county and names none, so a county administrator is told nothing of them)
    Case("jobs.index", "-", lambda w: "/admin/jobs", expect(200, "admin")),
    Case("jobs.retry", "failed job", lambda w: f"/admin/jobs/{w.failed_job}/retry", expect(302, "admin"), "POST", lambda w: {}),
    Case("jobs.retry", "missing job", lambda w: f"/admin/jobs/{w.missing}/retry", NOBODY, "POST", lambda w: {}),
    Case("regions.regions", "-", lambda w: "/admin/regions", expect(200, *ADMINS)),
    Case("regions.species", "-", lambda w: "/admin/species", expect(200, *STAFF_PAGES)),
    Case("regions.village_location", "village in Chaling", lambda w: f"/admin/regions/{CHALING_VILLAGE}/location", expect(200, *ADMINS)),
    Case("regions.village_location", "village in Nan county", lambda w: f"/admin/regions/{NAN_VILLAGE}/location", expect(200, "admin")),
    Case("regions.village_location", "a county, not a village", lambda w: f"/admin/regions/{NAN_COUNTY}/location", NOBODY),
    Case("regions.village_location", "missing village", lambda w: "/admin/regions/999999999999/location", NOBODY),
    Case(
        "regions.village_location",
        "village in Chaling",
        lambda w: f"/admin/regions/{CHALING_VILLAGE}/location",
        expect(422, *ADMINS),
        "POST",
        lambda w: {"lat": "112.39", "lon": ""},
    ),
    Case("regions.village_location", "Nan village", lambda w: f"/admin/regions/{NAN_VILLAGE}/location", expect(422, "admin"), "POST", lambda w: {"lat": "N"}),
    Case("regions.village_location", "missing village", lambda w: "/admin/regions/999999999999/location", NOBODY, "POST", lambda w: {"lat": "29.3"}),
    # filing
    Case("intake.index", "-", lambda w: "/claims/", signed_in(200)),
    # the claim list's exports: staff, each within their own scope (tests/reports/test_exports.py); an audited POST
    Case("exports.export_list", "xlsx, every status", lambda w: "/claims/export.xlsx", expect(200, *STAFF), "POST", lambda w: {}),
    Case("exports.export_list", "csv, submitted", lambda w: "/claims/export.csv", expect(200, *STAFF), "POST", lambda w: {"status": "submitted"}),
    Case("intake.link_claim", "-", lambda w: "/claims/link", expect(200, *VILLAGERS)),
    Case("intake.link_claim", "-", lambda w: "/claims/link", expect(422, *VILLAGERS), "POST", lambda w: {"code": "", "id_number": "4309"}),
    Case("intake.claim_code", "claim a (linked)", _claim("a", "/claim-code"), expect(302, "clerk"), "POST", lambda w: {}),
    Case("intake.claim_code", "claim b (linked)", _claim("b", "/claim-code"), expect(302, "clerk_cl"), "POST", lambda w: {}),
    Case("intake.claim_code", "missing claim", _missing("/claim-code"), NOBODY, "POST", lambda w: {}),
    Case("intake.send_link_code", "own mobile", lambda w: "/claims/link/send-code", expect(302, *VILLAGERS), "POST", lambda w: {}),
    Case("intake.new_claim", "-", lambda w: "/claims/new", expect(200, *FILERS)),
    Case("intake.new_claim", "-", lambda w: "/claims/new", expect(302, *FILERS), "POST", lambda w: {"submission_key": "matrix-new"}),
    Case("intake.proxy_claim", "-", lambda w: "/claims/new-for-villager", expect(200, *CLERKS)),
    Case("intake.proxy_claim", "-", lambda w: "/claims/new-for-villager", expect(302, *CLERKS), "POST", lambda w: {"submission_key": "matrix-proxy"}),
    # one claim: own, foreign (other township, other county), drafts, missing
    *(Case("intake.detail", f"claim {key}", _claim(key), _sees(key)) for key in ("a", "b", "draft_a", "clerk_draft")),
    Case("intake.detail", "missing claim", _missing(), NOBODY),
    *(Case("intake.acknowledgement", f"claim {key}", _claim(key, "/submitted"), _sees(key)) for key in ("a", "b", "draft_a")),
    Case("intake.acknowledgement", "missing claim", _missing("/submitted"), NOBODY),
    Case("intake.edit_claim", "submitted claim a", _claim("a", "/edit"), _sees("a", 302)),
    Case("intake.edit_claim", "submitted claim b", _claim("b", "/edit"), _sees("b", 302)),
    Case("intake.edit_claim", "draft_a", _claim("draft_a", "/edit"), _sees("draft_a")),
    Case("intake.edit_claim", "clerk_draft", _claim("clerk_draft", "/edit"), _sees("clerk_draft")),
    Case("intake.edit_claim", "missing claim", _missing("/edit"), NOBODY),
    Case(
        "intake.edit_claim",
        "draft_a",
        _claim("draft_a", "/edit"),
        _sees("draft_a", 302),
        "POST",
        lambda w: {"claimant_name": "Mallory"},
        _unchanged_name("draft_a", EDITS["draft_a"]),
    ),
    Case(
        "intake.edit_claim",
        "submitted claim a",
        _claim("a", "/edit"),
        _sees("a", 302),
        "POST",
        lambda w: {"claimant_name": "Mallory"},
        _unchanged_name("a", set()),
    ),
    Case("intake.edit_claim", "missing claim", _missing("/edit"), NOBODY, "POST", lambda w: {"claimant_name": "Mallory"}),
    Case("intake.withdraw", "claim w", _claim("w", "/withdraw"), NOT_ALLOWED),
    Case("intake.withdraw", "claim w", _claim("w", "/withdraw"), _sees("w", 302), "POST", lambda w: {"reason": "matrix"}, _withdrawn_only_by_owner),
    Case("intake.withdraw", "claim b", _claim("b", "/withdraw"), _sees("b", 302), "POST", lambda w: {"reason": "matrix"}),
    Case("intake.withdraw", "missing claim", _missing("/withdraw"), NOBODY, "POST", lambda w: {}),
    *(Case("intake.reveal_identity", f"claim {key}", _claim(key, "/identity"), _reveals(key), "POST", lambda w: {}) for key in ("a", "r", "b")),
    Case("intake.reveal_identity", "missing claim", _missing("/identity"), NOBODY, "POST", lambda w: {}),
    # photos: every variant, own and foreign, a photo of another claim, a missing photo
    *(Case("intake.photo", f"claim a {v}", _photo("a", "a", v), _sees("a")) for v in ("display", "thumb")),
    Case("intake.photo", "claim a original", _photo("a", "a", "original"), expect(200, *FULL_ID["a"])),
    *(Case("intake.photo", f"claim b {v}", _photo("b", "b", v), _sees("b")) for v in ("display", "thumb")),
    Case("intake.photo", "claim b original", _photo("b", "b", "original"), expect(200, *FULL_ID["b"])),
    *(Case("intake.photo", f"draft_a {v}", _photo("draft_a", "draft_a", v), _sees("draft_a")) for v in ("display", "thumb", "original")),
    Case("intake.photo", "photo of a under claim b", _photo("b", "a", "display"), NOBODY),
    Case("intake.photo", "photo of b under claim a", _photo("a", "b", "original"), NOBODY),
    Case("intake.photo", "missing photo", lambda w: f"/claims/{w.claims['a']}/photos/{w.missing}/thumb", NOBODY),
    Case("intake.photo", "missing claim", lambda w: f"/claims/{w.missing}/photos/{w.photos['a']}/thumb", NOBODY),
    # dated settings (province-wide ones only for a province administrator) and conflict declarations
    Case("settings.calendar", "-", lambda w: "/admin/calendar", expect(200, *ADMINS)),
    Case("settings.calendar", "-", lambda w: "/admin/calendar", expect(422, "admin"), "POST", lambda w: {"note": "no date"}),
    Case("settings.remove_day", "a day", lambda w: "/admin/calendar/2027-01-01/remove", expect(302, "admin"), "POST", lambda w: {}),
    Case("settings.remove_day", "not a day", lambda w: "/admin/calendar/not-a-day/remove", NOBODY, "POST", lambda w: {}),
    Case("settings.time_limits", "-", lambda w: "/admin/time-limits", expect(200, *ADMINS)),
    Case("settings.time_limits", "-", lambda w: "/admin/time-limits", expect(422, *ADMINS), "POST", lambda w: {"working_days": "0"}),
    Case("settings.county_settings", "-", lambda w: "/admin/county-settings", expect(200, *ADMINS)),
    Case("settings.county_settings", "-", lambda w: "/admin/county-settings", expect(422, *ADMINS), "POST", lambda w: {"value": ""}),
    Case("settings.conflicts", "own declarations", lambda w: "/admin/conflicts", expect(200, *STAFF_PAGES)),
    Case("settings.conflicts", "own declarations", lambda w: "/admin/conflicts", expect(422, *STAFF_PAGES), "POST", lambda w: {"relation": "兄弟"}),
    Case("settings.no_conflicts", "own declaration", lambda w: "/admin/conflicts/none", expect(302, *STAFF_PAGES), "POST", lambda w: {}),
    # the clerk's intake decisions (invalid forms: 422 for the clerk in scope, nothing changes)
    Case("review.return_for_correction", "claim a", _claim("a", "/return"), expect(422, "clerk", "officer"), "POST", lambda w: {}),
    Case("review.return_for_correction", "claim b", _claim("b", "/return"), expect(422, "clerk_cl", "officer_cl"), "POST", lambda w: {}),
    Case("review.return_for_correction", "missing claim", _missing("/return"), NOBODY, "POST", lambda w: {"items": "id_number"}),
    Case("review.not_accept", "claim a", _claim("a", "/not-accept"), expect(422, "clerk", "officer"), "POST", lambda w: {}),
    Case("review.not_accept", "claim b", _claim("b", "/not-accept"), expect(422, "clerk_cl", "officer_cl"), "POST", lambda w: {}),
    Case("review.not_accept", "missing claim", _missing("/not-accept"), NOBODY, "POST", lambda w: {}),
    Case("review.accept", "missing claim", _missing("/accept"), NOBODY, "POST", lambda w: {}),
    Case("review.lapse", "claim a", _claim("a", "/lapse"), expect(422, "clerk", "officer"), "POST", lambda w: {"explanation": "说" * 2001}),
    Case("review.lapse", "claim b", _claim("b", "/lapse"), expect(422, "clerk_cl", "officer_cl"), "POST", lambda w: {"explanation": "说" * 2001}),
    Case("review.lapse", "missing claim", _missing("/lapse"), NOBODY, "POST", lambda w: {}),
    # survey: assigning (officers of the county), the field survey (assigned surveyors only), confirmation
    Case("survey.assign", "claim a", _claim("a", "/assign"), expect(422, "officer"), "POST", lambda w: {}),
    Case("survey.assign", "claim b", _claim("b", "/assign"), expect(422, "officer_cl"), "POST", lambda w: {}),
    Case("survey.assign", "missing claim", _missing("/assign"), NOBODY, "POST", lambda w: {}),
    Case("survey.survey", "claim s (officer assigned)", _claim("s", "/survey"), expect(200, "officer")),
    Case("survey.survey", "claim a (nobody assigned)", _claim("a", "/survey"), NOBODY),
    Case("survey.survey", "missing claim", _missing("/survey"), NOBODY),
    Case("survey.survey", "claim s (officer assigned)", _claim("s", "/survey"), expect(422, "officer"), "POST", lambda w: {}),
    Case("survey.survey", "missing claim", _missing("/survey"), NOBODY, "POST", lambda w: {}),
    Case("survey.confirmation", "claim a", _claim("a", "/confirmation"), expect(422, "owner", "clerk", "officer"), "POST", lambda w: {}),
    Case("survey.confirmation", "claim b", _claim("b", "/confirmation"), expect(422, "villager2", "clerk_cl", "officer_cl"), "POST", lambda w: {}),
    Case("survey.confirmation", "missing claim", _missing("/confirmation"), NOBODY, "POST", lambda w: {}),
    Case("survey.confirmation_code", "claim a", _claim("a", "/confirmation/code"), expect(302, "officer"), "POST", lambda w: {}),
    Case("survey.confirmation_code", "claim b", _claim("b", "/confirmation/code"), expect(302, "officer_cl"), "POST", lambda w: {}),
    Case("survey.confirmation_code", "missing claim", _missing("/confirmation/code"), NOBODY, "POST", lambda w: {}),
    # incidents from the claim page: the county's officers (an empty form is refused)
    Case("incidents.create", "claim a", _claim("a", "/incident"), expect(422, "officer"), "POST", lambda w: {}),
    Case("incidents.create", "claim b", _claim("b", "/incident"), expect(422, "officer_cl"), "POST", lambda w: {}),
    Case("incidents.create", "missing claim", _missing("/incident"), NOBODY, "POST", lambda w: {}),
    Case("incidents.join", "claim a", _claim("a", "/incident/join"), expect(422, "officer"), "POST", lambda w: {}),
    Case("incidents.join", "claim b", _claim("b", "/incident/join"), expect(422, "officer_cl"), "POST", lambda w: {"incident": "999999"}),
    Case("incidents.join", "missing claim", _missing("/incident/join"), NOBODY, "POST", lambda w: {}),
    # a claim in no incident cannot leave one: the claim page says so in Chinese (with or without a reason)
    Case("incidents.leave", "claim a", _claim("a", "/incident/leave"), expect(422, "officer"), "POST", lambda w: {}),
    Case("incidents.leave", "claim b", _claim("b", "/incident/leave"), expect(422, "officer_cl"), "POST", lambda w: {"reason": "误标"}),
    Case("incidents.leave", "missing claim", _missing("/incident/leave"), NOBODY, "POST", lambda w: {"reason": "误标"}),
    # mass event mode: the county's officers, each in their own county's incidents
    Case("incidents.incidents", "-", lambda w: "/incidents", expect(200, "officer", "officer_cl")),
    Case("incidents.incidents", "-", lambda w: "/incidents", expect(422, "officer", "officer_cl"), "POST", lambda w: {"place": ""}),
    Case("incidents.incident", "Nan's incident", lambda w: f"/incidents/{w.incident}", expect(200, "officer")),
    Case("incidents.incident", "missing incident", lambda w: f"/incidents/{w.missing}", NOBODY),
    Case("incidents.tag", "Nan's incident", lambda w: f"/incidents/{w.incident}/tag", expect(200, "officer"), "POST", lambda w: _NO_MATCH),
    Case("incidents.tag", "missing incident", lambda w: f"/incidents/{w.missing}/tag", NOBODY, "POST", lambda w: _NO_MATCH),
    Case("incidents.assign", "Nan's incident", lambda w: f"/incidents/{w.incident}/assign", expect(302, "officer"), "POST", lambda w: {}),
    Case("incidents.assign", "missing incident", lambda w: f"/incidents/{w.missing}/assign", NOBODY, "POST", lambda w: {}),
    Case("incidents.value", "Nan's incident", lambda w: f"/incidents/{w.incident}/value", expect(200, "officer"), "POST", lambda w: {}),
    Case("incidents.value", "missing incident", lambda w: f"/incidents/{w.missing}/value", NOBODY, "POST", lambda w: {}),
    # notifications, to-do queue, overdue lists
    Case("workflow.notifications", "own notices", lambda w: "/notifications", signed_in(200)),
    Case("workflow.mark_read", "own notices", lambda w: "/notifications/read", signed_in(302), "POST", lambda w: {}, _clerks_notices_unread),
    Case(
        "workflow.open_notice",
        "the clerk's notice",
        lambda w: f"/notifications/{w.clerk_notice}/open",
        expect(302, "clerk"),
        "POST",
        lambda w: {},
        _clerks_notice_read,
    ),
    Case("workflow.open_notice", "missing notice", lambda w: f"/notifications/{w.missing}/open", signed_in(404), "POST", lambda w: {}),
    Case("workflow.queue", "-", lambda w: "/queue", expect(200, *STAFF)),
    Case("workflow.overdue", "-", lambda w: "/overdue", expect(200, *STAFF_PAGES)),
    # reports: the county's approvers and administrators, and the province's administrators (each in their scope)
    Case("reports.stages", "-", lambda w: "/reports/stages", expect(200, "approver", "approver_cl", *ADMINS)),
    Case("reports.stages", "bad period", lambda w: "/reports/stages?date_from=2026-13-01", expect(422, "approver", "approver_cl", *ADMINS)),
    # the fund ledger: the same readers; its spreadsheets are audited POSTs (tests/reports/test_ledger.py)
    Case("ledger.ledger", "-", lambda w: "/reports/ledger", expect(200, "approver", "approver_cl", *ADMINS)),
    Case("ledger.ledger", "bad year", lambda w: "/reports/ledger?year=1999", expect(422, "approver", "approver_cl", *ADMINS)),
    Case("ledger.export", "xlsx", lambda w: "/reports/ledger.xlsx", expect(200, "approver", "approver_cl", *ADMINS), "POST", lambda w: {}),
    Case("ledger.export", "csv, bad year", lambda w: "/reports/ledger.csv", expect(302, "approver", "approver_cl", *ADMINS), "POST", lambda w: {"year": "x"}),
    # the county fund's budget: its own county's administrator only (tests/approval/test_budget.py)
    Case("budget.allocations", "-", lambda w: "/budget", expect(200, "admin_cl")),
    Case("budget.allocations", "-", lambda w: "/budget", expect(422, "admin_cl"), "POST", lambda w: {}),
    Case(
        "budget.allocations",
        "reverse a missing entry",
        lambda w: "/budget",
        expect(422, "admin_cl"),
        "POST",
        lambda w: {"what": "reverse", "entry_id": str(w.missing), "reason": "x"},
    ),
    Case("reports.dashboard_page", "own region", lambda w: "/reports/dashboard", expect(200, "approver", "approver_cl", *ADMINS)),
    Case("reports.dashboard_page", "bad period", lambda w: "/reports/dashboard?date_from=2026-13-01", expect(422, "approver", "approver_cl", *ADMINS)),
    Case("reports.dashboard_page", "Nan county", lambda w: f"/reports/dashboard/{NAN_COUNTY}", expect(200, "approver", "admin")),
    Case("reports.dashboard_page", "Chaling township", lambda w: f"/reports/dashboard/{CHALING_TOWNSHIP}", expect(200, "approver_cl", *ADMINS)),
    Case("reports.dashboard_page", "the province", lambda w: "/reports/dashboard/430000", expect(200, "admin")),
    Case("reports.dashboard_page", "a village", lambda w: f"/reports/dashboard/{NAN_VILLAGE}", NOBODY),
    Case("reports.dashboard_page", "missing region", lambda w: "/reports/dashboard/999999", NOBODY),
    # the incident map: government staff, each in their own area (clerks, officers, approvers, administrators); not
    # villagers nor insurers (claims/reports/permissions.py can_see_map); a point's popup only for a claim the reader sees
    Case("reports.incident_map", "-", lambda w: "/reports/map", expect(200, *STAFF_PAGES)),
    Case("reports.incident_map", "bad species", lambda w: "/reports/map?species=dragon", expect(422, *STAFF_PAGES)),
    Case("reports.map_points", "-", lambda w: "/reports/map/points", expect(200, *STAFF_PAGES)),
    Case("reports.map_points", "bad period", lambda w: "/reports/map/points?date_from=2026-13-01", expect(422, *STAFF_PAGES)),
    Case("reports.map_claim", "claim a", lambda w: f"/reports/map/claims/{w.claims['a']}", expect(200, *(r for r in STAFF_PAGES if r in SEES["a"]))),
    Case("reports.map_claim", "claim b", lambda w: f"/reports/map/claims/{w.claims['b']}", expect(200, *(r for r in STAFF_PAGES if r in SEES["b"]))),
    Case("reports.map_claim", "owner's draft", lambda w: f"/reports/map/claims/{w.claims['draft_a']}", NOBODY),
    Case("reports.map_claim", "missing claim", lambda w: f"/reports/map/claims/{w.missing}", NOBODY),
    Case("reports.statistics", "-", lambda w: "/reports/statistics", expect(200, *STATISTICS)),
    Case("reports.statistics", "bad year", lambda w: "/reports/statistics?year=20266", expect(422, *STATISTICS)),
    Case("exports.export_statistics", "xlsx, 2026", lambda w: "/reports/statistics.xlsx", expect(200, *STATISTICS), "POST", lambda w: {"year": "2026"}),
    Case("exports.export_statistics", "csv, bad year", lambda w: "/reports/statistics.csv", expect(422, *STATISTICS), "POST", lambda w: {"year": "x"}),
    # the bordereau: the insurer's adjusters (its own policies), the policyholder county's approvers and administrators
    Case("reports.bordereau_page", "-", lambda w: "/reports/bordereau", expect(200, "approver", "approver_cl", "insurer", *ADMINS)),
    Case("reports.bordereau_page", "Nan's policy", lambda w: f"/reports/bordereau?policy={w.nan_policy}&month=2026-03", NAN_POLICY),
    Case(
        "exports.export_bordereau",
        "Nan's policy",
        lambda w: "/reports/bordereau.xlsx",
        NAN_POLICY,
        "POST",
        lambda w: {"policy": str(w.nan_policy), "month": "2026-03"},
    ),
    # valuation by the county's officers; the quote API for anyone signed in
    Case("valuation.compute", "claim a", _claim("a", "/valuation"), expect(302, "officer"), "POST", lambda w: {}),
    Case("valuation.compute", "claim b", _claim("b", "/valuation"), expect(302, "officer_cl"), "POST", lambda w: {}),
    Case("valuation.compute", "missing claim", _missing("/valuation"), NOBODY, "POST", lambda w: {}),
    Case("valuation.adjust", "claim r", _claim("r", "/valuation/adjust"), expect(422, "officer"), "POST", lambda w: {}),
    Case("valuation.adjust", "claim n", _claim("n", "/valuation/adjust"), expect(422, "officer_cl"), "POST", lambda w: {}),
    Case("valuation.adjust", "missing claim", _missing("/valuation/adjust"), NOBODY, "POST", lambda w: {}),
    Case("valuation.submit", "claim a", _claim("a", "/value"), expect(302, "officer"), "POST", lambda w: {}),
    Case("valuation.submit", "claim b", _claim("b", "/value"), expect(302, "officer_cl"), "POST", lambda w: {}),
    Case("valuation.submit", "missing claim", _missing("/value"), NOBODY, "POST", lambda w: {}),
    Case("valuation.countersign", "claim a", _claim("a", "/valuation/countersign"), expect(302, "officer"), "POST", lambda w: {}),
    Case("valuation.countersign", "claim b", _claim("b", "/valuation/countersign"), expect(302, "officer_cl"), "POST", lambda w: {}),
    Case("valuation.countersign", "missing claim", _missing("/valuation/countersign"), NOBODY, "POST", lambda w: {}),
    Case("api.valuation_quote", "-", lambda w: "/api/v1/valuation/quote", signed_in(422) | {"anonymous": 401}, "POST", lambda w: {"losses": []}, json=True),
    # compensation schedules and reference data (published schedules are public facts; managing is the admin's)
    Case("schedules.index", "-", lambda w: "/admin/schedules", expect(200, *SCHEDULE_VIEWERS)),
    Case("schedules.import_file", "-", lambda w: "/admin/schedules/import", expect(422, *ADMINS), "POST", lambda w: {}),
    Case("schedules.show", "Hunan default", lambda w: f"/admin/schedules/{w.schedules['hunan']}", expect(200, *SCHEDULE_VIEWERS)),
    Case("schedules.show", "Nan county's", lambda w: f"/admin/schedules/{w.schedules['nan']}", expect(200, "admin", "approver")),
    Case("schedules.show", "missing schedule", lambda w: f"/admin/schedules/{w.missing}", NOBODY),
    Case("schedules.export", "Nan county's", lambda w: f"/admin/schedules/{w.schedules['nan']}/export", expect(200, "admin", "approver")),
    Case("schedules.export", "missing schedule", lambda w: f"/admin/schedules/{w.missing}/export", NOBODY),
    Case("schedules.publish", "Nan county's", lambda w: f"/admin/schedules/{w.schedules['nan']}/publish", expect(302, "admin"), "POST", lambda w: {}),
    Case("schedules.publish", "missing schedule", lambda w: f"/admin/schedules/{w.missing}/publish", NOBODY, "POST", lambda w: {}),
    Case("schedules.retire", "Nan county's", lambda w: f"/admin/schedules/{w.schedules['nan']}/retire", expect(303, "admin"), "POST", lambda w: {}),
    Case("schedules.retire", "missing schedule", lambda w: f"/admin/schedules/{w.missing}/retire", NOBODY, "POST", lambda w: {}),
    Case("schedules.reference", "-", lambda w: "/admin/reference", expect(200, *SCHEDULE_VIEWERS)),
    Case("schedules.import_reference_file", "-", lambda w: "/admin/reference/import", expect(422, *ADMINS), "POST", lambda w: {}),
    # the insurer: only claims referred to its own policies; policies and insurers for administrators
    Case("insurance.portal", "-", lambda w: "/insurer/", expect(200, "insurer")),
    Case("insurance.referral", "claim r (referred)", lambda w: f"/insurer/referrals/{w.claims['r']}", expect(200, "insurer")),
    Case("insurance.referral", "claim a (not referred)", lambda w: f"/insurer/referrals/{w.claims['a']}", NOBODY),
    Case("insurance.referral", "missing claim", lambda w: f"/insurer/referrals/{w.missing}", NOBODY),
    Case("insurance.referral", "claim r (referred)", lambda w: f"/insurer/referrals/{w.claims['r']}", expect(422, "insurer"), "POST", lambda w: {}),
    Case("insurance.referral", "missing claim", lambda w: f"/insurer/referrals/{w.missing}", NOBODY, "POST", lambda w: {}),
    Case("insurance.insurer_payment", "claim r", lambda w: f"/insurer/referrals/{w.claims['r']}/payment", expect(422, "insurer"), "POST", lambda w: {}),
    Case("insurance.insurer_payment", "claim n (not referred)", lambda w: f"/insurer/referrals/{w.claims['n']}/payment", NOBODY, "POST", lambda w: {}),
    Case("insurance.insurer_payment", "missing claim", lambda w: f"/insurer/referrals/{w.missing}/payment", NOBODY, "POST", lambda w: {}),
    Case("insurance.policies", "-", lambda w: "/admin/policies", expect(200, *SCHEDULE_VIEWERS)),
    Case("insurance.policies", "-", lambda w: "/admin/policies", expect(422, *ADMINS) | dict.fromkeys(APPROVERS, 200), "POST", lambda w: {}),
    # the token API: its own matrix per client and scope is tests/api/test_resources.py; a session is no token (401)
    Case("api.docs", "-", lambda w: "/api/v1/docs", everyone(200)),
    Case("api-docs.openapi_json", "-", lambda w: "/api/v1/openapi.json", everyone(200)),
    Case("api_v1.claim_list", "-", lambda w: "/api/v1/claims", everyone(401)),
    Case("api_v1.claim_detail", "claim R", lambda w: f"/api/v1/claims/{w.claims['r']}", everyone(401)),
    Case("api_v1.claim_detail", "missing claim", lambda w: f"/api/v1/claims/{w.missing}", everyone(401)),
    Case("api_v1.referral_list", "-", lambda w: "/api/v1/referrals", everyone(401)),
    Case("api_v1.referral_detail", "claim R", lambda w: f"/api/v1/referrals/{w.claims['r']}", everyone(401)),
    Case("api_v1.referral_detail", "missing claim", lambda w: f"/api/v1/referrals/{w.missing}", everyone(401)),
    Case("api_v1.statistics", "-", lambda w: "/api/v1/statistics?year=2026", everyone(401)),
    Case("api_v1.claim_document_list", "claim R", lambda w: f"/api/v1/claims/{w.claims['r']}/documents", everyone(401)),
    Case("api_v1.document_detail", "R's document", lambda w: f"/api/v1/documents/{w.documents['r']}", everyone(401)),
    Case("api_v1.document_detail", "missing document", lambda w: f"/api/v1/documents/{w.missing}", everyone(401)),
    Case("api_v1.document_pdf", "R's document", lambda w: f"/api/v1/documents/{w.documents['r']}/pdf", everyone(401)),
    Case("api_v1.claim_photo", "A's photo", lambda w: f"/api/v1/claims/{w.claims['a']}/photos/{w.photos['a']}/display", everyone(401)),
    Case("api_v1.schedules", "-", lambda w: "/api/v1/schedules?county=430921", everyone(401)),
    Case("api_v1.token_quote", "-", lambda w: "/api/v1/quote", everyone(401), "POST", lambda w: {}),
    Case("api_v1.document_verify", "-", lambda w: "/api/v1/documents/verify?sha256=" + "0" * 64, everyone(401)),
    Case("api_v1.referral_decision", "claim R", lambda w: f"/api/v1/referrals/{w.claims['r']}/decision", everyone(401), "POST", lambda w: {}),
    Case("api_v1.referral_decision", "missing claim", lambda w: f"/api/v1/referrals/{w.missing}/decision", everyone(401), "POST", lambda w: {}),
    Case("api_v1.insurer_payment", "claim R", lambda w: f"/api/v1/referrals/{w.claims['r']}/payment", everyone(401), "POST", lambda w: {}),
    Case("api_v1.insurer_payment", "missing claim", lambda w: f"/api/v1/referrals/{w.missing}/payment", everyone(401), "POST", lambda w: {}),
    # API clients: an insurer's system for province-wide administrators; a county's platform for its administrators too
    Case("api_admin.clients", "-", lambda w: "/admin/api-clients/", expect(200, *ADMINS)),
    Case("api_admin.clients", "-", lambda w: "/admin/api-clients/", expect(422, *ADMINS), "POST", lambda w: {"name": ""}),
    Case("api_admin.issue", "insurer's system", _api("clients", "insurer", "/tokens"), expect(302, "admin"), "POST", lambda w: {}),
    Case("api_admin.issue", "Chaling's platform", _api("clients", "chaling", "/tokens"), expect(302, *ADMINS), "POST", lambda w: {}),
    Case("api_admin.issue", "missing client", lambda w: f"/admin/api-clients/{w.missing}/tokens", NOBODY, "POST", lambda w: {}),
    Case("api_admin.rotate", "insurer's token", _api("tokens", "insurer", "/rotate"), expect(200, "admin"), "POST", lambda w: {}),
    Case("api_admin.rotate", "Chaling's token", _api("tokens", "chaling", "/rotate"), expect(200, *ADMINS), "POST", lambda w: {}),
    Case("api_admin.rotate", "missing token", lambda w: f"/admin/api-clients/tokens/{w.missing}/rotate", NOBODY, "POST", lambda w: {}),
    Case("api_admin.revoke", "insurer's token", _api("tokens", "insurer", "/revoke"), expect(302, "admin"), "POST", lambda w: {}),
    Case("api_admin.revoke", "Chaling's token", _api("tokens", "chaling", "/revoke"), expect(302, *ADMINS), "POST", lambda w: {}),
    Case("api_admin.revoke", "missing token", lambda w: f"/admin/api-clients/tokens/{w.missing}/revoke", NOBODY, "POST", lambda w: {}),
    Case("api_admin.add_webhook", "insurer's system", _api("clients", "insurer", "/webhooks"), expect(422, "admin"), "POST", lambda w: {}),
    Case("api_admin.add_webhook", "Chaling's platform", _api("clients", "chaling", "/webhooks"), expect(422, *ADMINS), "POST", lambda w: {}),
    Case("api_admin.add_webhook", "missing client", lambda w: f"/admin/api-clients/{w.missing}/webhooks", NOBODY, "POST", lambda w: {}),
    Case("api_admin.webhook_log", "insurer's endpoint", _webhook("insurer"), expect(200, "admin")),
    Case("api_admin.webhook_log", "Chaling's endpoint", _webhook("chaling"), expect(200, *ADMINS)),
    Case("api_admin.webhook_log", "missing endpoint", lambda w: f"/admin/api-clients/webhooks/{w.missing}", NOBODY),
    Case("api_admin.roll_webhook_secret", "insurer's endpoint", _webhook("insurer", "/secret"), expect(200, "admin"), "POST", lambda w: {}),
    Case("api_admin.roll_webhook_secret", "Chaling's endpoint", _webhook("chaling", "/secret"), expect(200, *ADMINS), "POST", lambda w: {}),
    Case("api_admin.roll_webhook_secret", "missing endpoint", lambda w: f"/admin/api-clients/webhooks/{w.missing}/secret", NOBODY, "POST", lambda w: {}),
    Case("api_admin.disable_webhook", "insurer's endpoint", _webhook("insurer", "/disable"), expect(302, "admin"), "POST", lambda w: {}),
    Case("api_admin.disable_webhook", "Chaling's endpoint", _webhook("chaling", "/disable"), expect(302, *ADMINS), "POST", lambda w: {}),
    Case("api_admin.disable_webhook", "missing endpoint", lambda w: f"/admin/api-clients/webhooks/{w.missing}/disable", NOBODY, "POST", lambda w: {}),
    Case(
        "api_admin.replay_webhook",
        "insurer's delivery",
        lambda w: f"/admin/api-clients/webhooks/deliveries/{w.deliveries['insurer']}/replay",
        expect(302, "admin"),
        "POST",
        lambda w: {},
    ),
    Case(
        "api_admin.replay_webhook",
        "Chaling's delivery",
        lambda w: f"/admin/api-clients/webhooks/deliveries/{w.deliveries['chaling']}/replay",
        expect(302, *ADMINS),
        "POST",
        lambda w: {},
    ),
    Case("api_admin.replay_webhook", "missing delivery", lambda w: f"/admin/api-clients/webhooks/deliveries/{w.missing}/replay", NOBODY, "POST", lambda w: {}),
    Case("insurance.insurers", "-", lambda w: "/admin/insurers", expect(200, "admin")),
    Case("insurance.insurers", "-", lambda w: "/admin/insurers", expect(200, "admin"), "POST", lambda w: {"what": "insurer"}),
    # public notice (township clerks post it), approval and payment (the county's approvers)
    Case("approval.notices", "own township", lambda w: "/notices", expect(200, *CLERKS)),
    Case("approval.notices", "own township", lambda w: "/notices", expect(422, *CLERKS), "POST", lambda w: {"claims": "0"}),
    Case("approval.notice", "Chaling's notice", lambda w: f"/notices/{w.notice_batch}", expect(200, *CHALING_STAFF)),
    Case("approval.notice", "missing notice", lambda w: f"/notices/{w.missing}", NOBODY),
    Case("approval.notice_print", "Chaling's notice", lambda w: f"/notices/{w.notice_batch}/print", expect(200, *CHALING_STAFF)),
    Case("approval.notice_print", "missing notice", lambda w: f"/notices/{w.missing}/print", NOBODY),
    Case(
        "approval.objection",
        "Chaling's notice",
        lambda w: f"/notices/{w.notice_batch}/objection",
        expect(422, "clerk_cl"),
        "POST",
        lambda w: {"claim_id": str(w.claims["n"])},
    ),
    Case("approval.objection", "missing notice", lambda w: f"/notices/{w.missing}/objection", NOBODY, "POST", lambda w: {"claim_id": str(w.claims["n"])}),
    Case("approval.approvals", "own county", lambda w: "/approvals", expect(200, *APPROVERS)),
    Case("approval.approvals", "own county", lambda w: "/approvals", expect(422, *APPROVERS), "POST", lambda w: {}),
    Case("approval.approve", "claim r", _claim("r", "/approve"), expect(302, "approver"), "POST", lambda w: {}),
    Case("approval.approve", "claim n", _claim("n", "/approve"), expect(302, "approver_cl"), "POST", lambda w: {}),
    Case("approval.approve", "missing claim", _missing("/approve"), NOBODY, "POST", lambda w: {}),
    Case("approval.refuse", "claim r", _claim("r", "/refuse"), expect(422, "approver"), "POST", lambda w: {}),
    Case("approval.refuse", "missing claim", _missing("/refuse"), NOBODY, "POST", lambda w: {}),
    Case("approval.request_advance", "claim r", _claim("r", "/advance"), expect(422, "clerk", "officer"), "POST", lambda w: {}),
    Case("approval.request_advance", "claim n", _claim("n", "/advance"), expect(422, "clerk_cl", "officer_cl"), "POST", lambda w: {}),
    Case("approval.request_advance", "missing claim", _missing("/advance"), NOBODY, "POST", lambda w: {}),
    Case("approval.approve_advance", "claim r", _claim("r", "/advance/approve"), expect(302, "approver"), "POST", lambda w: {}),
    Case("approval.approve_advance", "missing claim", _missing("/advance/approve"), NOBODY, "POST", lambda w: {}),
    Case("approval.refuse_advance", "claim r", _claim("r", "/advance/refuse"), expect(422, "approver"), "POST", lambda w: {}),
    Case("approval.refuse_advance", "missing claim", _missing("/advance/refuse"), NOBODY, "POST", lambda w: {}),
    Case("approval.objection_review", "claim r", _claim("r", "/objection-review"), expect(422, "officer", "approver"), "POST", lambda w: {}),
    Case("approval.objection_review", "missing claim", _missing("/objection-review"), NOBODY, "POST", lambda w: {}),
    Case("approval.payment_batches", "own county", lambda w: "/payments", expect(200, *APPROVERS)),
    Case("approval.payment_batches", "own county", lambda w: "/payments", expect(302, *APPROVERS), "POST", lambda w: {}),
    Case("approval.payment_batch", "Chaling's batch", lambda w: f"/payments/{w.payment_batch}", expect(200, "approver_cl")),
    Case("approval.payment_batch", "missing batch", lambda w: f"/payments/{w.missing}", NOBODY),
    Case("approval.payment_batch", "Chaling's batch", lambda w: f"/payments/{w.payment_batch}", expect(200, "approver_cl"), "POST", lambda w: {}),
    Case("approval.payment_batch", "missing batch", lambda w: f"/payments/{w.missing}", NOBODY, "POST", lambda w: {}),
    Case("approval.export", "Chaling's batch", lambda w: f"/payments/{w.payment_batch}/export", expect(200, "approver_cl"), "POST", lambda w: {}),
    Case("approval.export", "missing batch", lambda w: f"/payments/{w.missing}/export", NOBODY, "POST", lambda w: {}),
    Case("approval.reopen", "Chaling's batch", lambda w: f"/payments/{w.payment_batch}/reopen", expect(422, "approver_cl"), "POST", lambda w: {}),
    Case("approval.reopen", "missing batch", lambda w: f"/payments/{w.missing}/reopen", NOBODY, "POST", lambda w: {}),
    Case("approval.correct_account", "claim n", _claim("n", "/bank-account"), expect(422, "villager2", "clerk_cl"), "POST", lambda w: {}),
    Case("approval.correct_account", "claim a", _claim("a", "/bank-account"), expect(422, "owner", "clerk"), "POST", lambda w: {}),
    Case("approval.correct_account", "missing claim", _missing("/bank-account"), NOBODY, "POST", lambda w: {}),
    # issued documents: a claim's for whoever sees the claim, a county's lists for its staff; verification is public
    Case("documents.claim_document", "claim r's", lambda w: f"/claims/{w.claims['r']}/documents/{w.documents['r']}", _sees("r")),
    Case("documents.claim_document", "claim n's", lambda w: f"/claims/{w.claims['n']}/documents/{w.documents['n']}", _sees("n")),
    Case("documents.claim_document", "r's under claim a", lambda w: f"/claims/{w.claims['a']}/documents/{w.documents['r']}", NOBODY),
    Case("documents.claim_document", "missing document", lambda w: f"/claims/{w.claims['r']}/documents/{w.missing}", NOBODY),
    Case("documents.batch_document", "Chaling's list", lambda w: f"/documents/{w.documents['batch']}", expect(200, *CHALING_STAFF)),
    Case("documents.batch_document", "a claim's document", lambda w: f"/documents/{w.documents['r']}", NOBODY),
    Case("documents.batch_document", "missing document", lambda w: f"/documents/{w.missing}", NOBODY),
    Case("documents.verify", "a real code", lambda w: f"/verify/{w.verify_code}", everyone(200)),
    Case("documents.verify", "a wrong code", lambda w: "/verify/not-a-code", everyone(404)),
    # near the end: accepting changes claim A, which the cases above use
    Case("review.accept", "claim a", _claim("a", "/accept"), expect(302, "clerk", "officer"), "POST", lambda w: {}, _accepted_only_by_clerk),
    # last: logging out ends the session the other POST cases use
    Case("accounts.logout", "-", lambda w: "/logout", everyone(LOGIN), "POST", lambda w: {}),
)


def cases(method: str) -> list[Case]:
    return [case for case in ROUTE_CASES if case.method == method]


def run_case(client: FlaskClient, case: Case, world: World, *, token: str | None = None) -> TestResponse:
    path = case.path(world)
    data = dict(case.data(world) if case.data else {})
    if case.json:
        headers = {"X-CSRFToken": token} if token is not None else {}
        response = client.open(path, method=case.method, json=data, headers=headers)
        response.get_data()
        response.close()
        return response
    if token is not None:
        data["csrf_token"] = token
    response = client.open(path, method=case.method, data=data if case.method != "GET" else None)
    response.get_data()  # read and close, so that no file handle (static files) stays open
    response.close()
    return response
