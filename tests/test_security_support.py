"""Shared helpers for the security, access and privacy tests (this module holds no tests itself).

`build_world` files a few claims through the real services, across two counties and three townships,
so that every role has its own, a foreign and a missing object to try. `ROUTE_CASES` is the
authorisation matrix: role x route x object -> expected answer, for every route of the app; the
meta-test in test_access_matrix.py fails when a route is missing from it.
"""

from __future__ import annotations

import atexit
import copy
import hashlib
import re
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Integer, make_url, select, text
from werkzeug.test import TestResponse

from claims.accounts.models import Role, User
from claims.accounts.services import create_user, find_user
from claims.core import time as clock
from claims.core.time import local_now, local_today, utcnow
from claims.extensions import db
from claims.intake import operations as filing
from claims.intake import services as intake
from claims.intake.models import Claim, LossCategory
from claims.regions.models import Region, Species
from tests.conftest import DEMO_PASSWORD, csrf_token, login
from tests.intake.images import jpeg_bytes

# --- people and their numbers ------------------------------------------------------------------------

# Every role the matrix tries. "owner" files claims in Nan county; "villager2" in Chaling county;
# "admin_cl" is an administrator whose region is Chaling county only (made by build_world).
ROLES: tuple[str, ...] = (
    "anonymous",
    "owner",
    "villager2",
    "clerk",
    "clerk2",
    "clerk_cl",
    "officer",
    "officer_cl",
    "approver",
    "approver_cl",
    "insurer",
    "admin",
    "admin_cl",
)
LOGINS = {
    "owner": "13800000001",
    "villager2": "13800000002",
    "clerk": "clerk",
    "clerk2": "clerk2",
    "clerk_cl": "clerk_cl",
    "officer": "officer",
    "officer_cl": "officer_cl",
    "approver": "approver",
    "approver_cl": "approver_cl",
    "insurer": "insurer",
    "admin": "admin",
    "admin_cl": "admin_cl",
}
STAFF = ("clerk", "clerk2", "clerk_cl", "officer", "officer_cl", "approver", "approver_cl", "insurer", "admin", "admin_cl")

NAN_COUNTY, NAN_TOWNSHIP, NAN_VILLAGE = "430921", "430921128", "430921128219"  # clerk's township
CHALING_COUNTY, CHALING_TOWNSHIP, CHALING_VILLAGE = "430224", "430224113", "430224113203"  # clerk_cl's township


@dataclass(frozen=True)
class Identity:
    """The sensitive numbers of one claimant: valid GB 11643 ID numbers, 16-19 digit bank accounts."""

    id_number: str
    account: str

    @property
    def masked_id(self) -> str:
        return self.id_number[:4] + "*" * 10 + self.id_number[-4:]

    @property
    def masked_account(self) -> str:
        return f"{self.account[:4]} **** **** {self.account[-4:]}"

    @property
    def hidden_parts(self) -> tuple[str, str]:
        """What masking removes: the birth date inside the ID, the middle digits of the account."""
        return self.id_number[6:14], self.account[4:-4]


IDENTITIES = {
    "a": Identity("430921200205173114", "6222021908001234567"),  # 19 digits
    "b": Identity("430224200408233114", "6217002940101234"),  # 16 digits
    "draft_a": Identity("43092120030412107X", "62284801234567890"),  # 17 digits, ID ends in X
    "clerk_draft": Identity("430921200501303112", "622700123456789012"),  # 18 digits, like an ID number
    "w": Identity("430921200111063117", "6228480402564890018"),
    "s": Identity("430921200002293116", "6214830012345678"),
    "r": Identity("430921200104095313", "6217856100077665544"),  # valued and referred to the insurer
    "n": Identity("430224200212125314", "6217995500009876543"),  # Chaling: notice, approval, payment batch
    "web": Identity("430921200407155205", "6230901812345678901"),  # filed through the web form
    "stash": Identity("430921200606305202", "6210985840001234567"),  # typed into a form as the session expired
}


@dataclass
class World:
    users: dict[str, int] = field(default_factory=dict)
    claims: dict[str, int] = field(default_factory=dict)  # a, b, draft_a, clerk_draft, w, s, r, n
    photos: dict[str, int] = field(default_factory=dict)  # a, b, draft_a
    numbers: dict[str, str] = field(default_factory=dict)
    notice_batch: int = 0  # Chaling's notice with claim N
    payment_batch: int = 0  # Chaling's payment batch with claim N
    documents: dict[str, int] = field(default_factory=dict)  # r (a claim document of R), n (of N), batch (a Chaling list)
    verify_code: str = ""
    schedules: dict[str, int] = field(default_factory=dict)  # hunan (province default), nan (Nan county's)
    missing: int = 987654

    def claim(self, key: str) -> int:
        return self.claims[key]


# Who may see which claim of the world, and who may reveal its full ID number (an audited POST; pages mask it).
SEES = {
    "a": {"owner", "clerk", "officer", "approver", "admin"},
    "w": {"owner", "clerk", "officer", "approver", "admin"},
    "s": {"owner", "clerk", "officer", "approver", "admin"},
    "r": {"owner", "clerk", "officer", "approver", "admin", "insurer"},
    "b": {"villager2", "clerk_cl", "officer_cl", "approver_cl", "admin", "admin_cl"},
    "n": {"villager2", "clerk_cl", "officer_cl", "approver_cl", "admin", "admin_cl"},
    "draft_a": {"owner"},
    "clerk_draft": {"clerk"},
}
FULL_ID = {
    "a": {"owner", "clerk", "officer", "approver"},
    "w": {"owner", "clerk", "officer", "approver"},
    "s": {"owner", "clerk", "officer", "approver"},
    "r": {"owner", "clerk", "officer", "approver"},
    "b": {"villager2", "clerk_cl", "officer_cl", "approver_cl"},
    "n": {"villager2", "clerk_cl", "officer_cl", "approver_cl"},
    "draft_a": {"owner"},
    "clerk_draft": {"clerk"},
}
EDITS = {"draft_a": {"owner"}, "clerk_draft": {"clerk"}}


def region(code: str) -> Region:
    return db.session.execute(select(Region).where(Region.code == code)).scalar_one()


def claim_input(identity: Identity, *, name: str, mobile: str, county: str, township: str, village: str) -> intake.ClaimInput:
    wild_boar = db.session.execute(select(Species).where(Species.code == "wild_boar")).scalar_one()
    return intake.ClaimInput(
        claimant_name=name,
        claimant_id_number=identity.id_number,
        claimant_mobile=mobile,
        claimant_address="村民小组 3 组",
        bank_name="南县农村商业银行",
        bank_account=identity.account,
        county_id=region(county).id,
        township_id=region(township).id,
        village_id=region(village).id,
        incident_at=utcnow() - timedelta(days=2),
        discovered_on=local_today() - timedelta(days=1),
        species_id=wild_boar.id,
        description="野猪夜间拱食水稻。",
        declaration=True,
        losses=[intake.LossInput(category=LossCategory.CROP, item="水稻", quantity=Decimal("1.5"), unit="mu")],
    )


def file_claim(
    actor: User,
    identity: Identity,
    *,
    submit: bool,
    name: str,
    mobile: str,
    county: str = NAN_COUNTY,
    township: str = NAN_TOWNSHIP,
    village: str = NAN_VILLAGE,
    for_self: bool = True,
    seed: int = 1,
) -> Claim:
    """File a claim through the real services (inside an app context; the caller commits)."""
    claim = intake.start_draft(actor=actor, submission_key=f"sec-{seed}-{actor.id}", for_self=for_self)
    data = claim_input(identity, name=name, mobile=mobile, county=county, township=township, village=village)
    outcome = filing.save_filing(claim, data, [intake.PhotoUpload(jpeg_bytes(seed=seed), "damage.jpg")], actor=actor, submit=submit, form_ok=True)
    assert not outcome.problems and not outcome.photo_problems, (outcome.problems, outcome.photo_problems)
    assert outcome.submitted == submit
    return claim


def filing_form(app: Flask, token: str, identity: Identity, **overrides: str) -> dict[str, str]:
    """A complete filing form for Nan county, as the browser sends it (action "save"; pass action="submit")."""
    with app.app_context():
        county, township, village = (region(code).id for code in (NAN_COUNTY, NAN_TOWNSHIP, NAN_VILLAGE))
        species = db.session.execute(select(Species.id).where(Species.code == "wild_boar")).scalar_one()
    form = {
        "csrf_token": token,
        "claimant_name": "张建国",
        "claimant_id_number": identity.id_number,
        "claimant_mobile": "13800000001",
        "claimant_address": "三仙湖村 2 组",
        "bank_name": "南县农商行",
        "bank_account": identity.account,
        "county_id": str(county),
        "township_id": str(township),
        "village_id": str(village),
        "incident_at": (local_now() - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"),
        "discovered_on": (local_today() - timedelta(days=1)).isoformat(),
        "species_id": str(species),
        "description": "野猪拱了稻田。",
        "losses-0-category": "crop",
        "losses-0-item": "水稻",
        "losses-0-quantity": "2",
        "losses-0-unit": "mu",
        "declaration": "y",
        "action": "save",
    }
    form.update(overrides)
    return form


def drive_to_valued(claim: Claim, *, clerk: User, officers: tuple[User, User]) -> None:
    """Accept, survey, confirm and value: the claim is then REFERRED (insured county) or VALUED."""
    from claims.intake.review import accept_claim
    from claims.survey.models import ConfirmationMethod, SurveyOutcome
    from claims.survey.operations import assign_surveyors, record_confirmation, record_survey
    from claims.survey.services import ConfirmationInput, SurveyInput, VerifiedLineInput
    from claims.valuation.operations import value_claim_step
    from claims.valuation.services import compute_valuation

    first, second = officers
    accept_claim(claim, actor=clerk)
    assign_surveyors(claim, [first, second], actor=first)
    lines = [VerifiedLineInput(line.id, line.quantity, 100) for line in claim.losses]
    survey = SurveyInput(
        visited_at=utcnow() - timedelta(hours=2), surveyors_present="勘查员", claimant_present=True, outcome=SurveyOutcome.ELIGIBLE, lines=lines
    )
    record_survey(claim, survey, [], actor=second)
    record_confirmation(claim, ConfirmationInput(True, ConfirmationMethod.ON_SITE, typed_name=claim.claimant_name), actor=first)
    compute_valuation(claim, actor=first)
    value_claim_step(claim, actor=first)


def build_world(app: Flask) -> World:
    """Claims in every step the routes act on, filed through the real services ten days ago:

    Nan county (owner): A submitted, W submitted (to withdraw), S assigned to both Nan officers for survey,
    R valued and referred to the insurer, the owner's draft, and a clerk's draft for a villager without
    an account. Chaling county (villager2): B submitted, N valued, in a public notice, approved and in a
    payment batch. Plus a county administrator for Chaling.
    """
    from claims.approval.operations import approve, create_notice_batch
    from claims.approval.payments import create_batch
    from claims.documents.data import NoticeEntry, NoticeListData
    from claims.documents.models import DocumentKind, IssuedDocument
    from claims.documents.services import issue_document
    from claims.intake.review import accept_claim
    from claims.survey.operations import assign_surveyors
    from claims.valuation.models import CompensationSchedule

    world = World()
    now = utcnow()
    clock.freeze(now - timedelta(days=10))
    try:
        with app.app_context():
            create_user(login="admin_cl", name="贺敏", role=Role.ADMIN, region=region(CHALING_COUNTY), password=DEMO_PASSWORD)
            users = {role: find_user(login) for role, login in LOGINS.items()}
            owner, villager2, clerk = users["owner"], users["villager2"], users["clerk"]
            assert owner is not None and villager2 is not None and clerk is not None
            officer, officer2 = users["officer"], find_user("officer2")
            chaling = {
                "county": CHALING_COUNTY,
                "township": CHALING_TOWNSHIP,
                "village": CHALING_VILLAGE,
                "name": villager2.name,
                "mobile": villager2.login,
            }
            mine = {"name": owner.name, "mobile": owner.login}
            made = {
                "a": file_claim(owner, IDENTITIES["a"], submit=True, seed=11, **mine),
                "b": file_claim(villager2, IDENTITIES["b"], submit=True, seed=12, **chaling),  # type: ignore[arg-type]
                "w": file_claim(owner, IDENTITIES["w"], submit=True, seed=13, **mine),
                "draft_a": file_claim(owner, IDENTITIES["draft_a"], submit=False, seed=14, **mine),
                "clerk_draft": file_claim(clerk, IDENTITIES["clerk_draft"], submit=False, name="王大明", mobile="13700000077", for_self=False, seed=15),
                "s": file_claim(owner, IDENTITIES["s"], submit=True, seed=16, **mine),
                "r": file_claim(owner, IDENTITIES["r"], submit=True, seed=17, **mine),
                "n": file_claim(villager2, IDENTITIES["n"], submit=True, seed=18, **chaling),  # type: ignore[arg-type]
            }
            accept_claim(made["s"], actor=clerk)
            assign_surveyors(made["s"], [officer, officer2], actor=officer)  # type: ignore[list-item]
            drive_to_valued(made["r"], clerk=clerk, officers=(officer, officer2))  # type: ignore[arg-type]
            drive_to_valued(made["n"], clerk=users["clerk_cl"], officers=(users["officer_cl"], find_user("officer_cl2")))  # type: ignore[arg-type]
            notice = create_notice_batch(region(CHALING_TOWNSHIP), [made["n"]], local_today(), actor=users["clerk_cl"])  # type: ignore[arg-type]
            db.session.commit()
            world.notice_batch = notice.id
            made_ids = {key: claim.id for key, claim in made.items()}
            world.users = {role: user.id for role, user in users.items() if user is not None}
        clock.freeze(now - timedelta(days=1))  # the notice period is over
        with app.app_context():
            n = db.session.get(Claim, made_ids["n"])
            approver_cl = find_user("approver_cl")
            assert n is not None and approver_cl is not None
            assert approve(n, actor=approver_cl)
            world.payment_batch = create_batch(region(CHALING_COUNTY), actor=approver_cl).id
            # A batch document (a notice list) of Chaling county: its staff download it, nobody else.
            entry = NoticeEntry("彭*", world_number := n.number or "", "和吕村", "野猪", "水稻1.5亩", Decimal("500.00"))
            listing = NoticeListData("茶陵县和吕村", local_today(), local_today(), "村委会", [entry], Decimal("500.00"))
            issue_document(DocumentKind.NOTICE_LIST, None, listing, actor=approver_cl, county=region(CHALING_COUNTY), subject=f"notice:{world_number}")
            db.session.commit()
            world.claims = made_ids
            world.photos = {key: db.session.get(Claim, made_ids[key]).photos[0].id for key in ("a", "b", "draft_a")}  # type: ignore[union-attr]
            numbers = {key: db.session.get(Claim, cid).number for key, cid in made_ids.items()}  # type: ignore[union-attr]
            world.numbers = {key: number for key, number in numbers.items() if number}
            documents = db.session.execute(select(IssuedDocument).order_by(IssuedDocument.id)).scalars().all()
            by_claim = {d.claim_id: d for d in documents if d.claim_id is not None}
            world.documents = {
                "r": by_claim[made_ids["r"]].id,
                "n": by_claim[made_ids["n"]].id,
                "batch": next(d.id for d in documents if d.claim_id is None and d.county.code == CHALING_COUNTY),
            }
            world.verify_code = next(d.verification_code for d in documents if d.claim_id == made_ids["n"])
            schedules = db.session.execute(select(CompensationSchedule)).scalars().all()
            world.schedules = {
                "hunan": next(x.id for x in schedules if x.region.code == "430000"),
                "nan": next(x.id for x in schedules if x.region.code == NAN_COUNTY),
            }
            db.session.rollback()
    finally:
        clock.freeze(None)
    return world


# The world takes seconds to build (photos, PDFs): it is built once per test session, its rows (and stored
# files) kept aside, and put back for each test that asks for it, over the fresh database conftest made.
_SNAPSHOTS: dict[str, tuple[World, Path]] = {}
SNAPSHOT_SCHEMA = "security_world"


def world_for(app: Flask) -> World:
    """The world of `build_world`, in this test's fresh database: built the first time, restored after."""
    key = app.config["SQLALCHEMY_DATABASE_URI"]
    if key not in _SNAPSHOTS:
        world = build_world(app)
        folder = Path(tempfile.mkdtemp(prefix="security-world-"))
        atexit.register(shutil.rmtree, folder, True)
        _save_database(app, folder)
        shutil.copytree(app.config["UPLOAD_FOLDER"], folder / "uploads")
        _SNAPSHOTS[key] = (world, folder)
        return copy.deepcopy(world)
    world, folder = _SNAPSHOTS[key]
    _restore_database(app, folder)
    shutil.copytree(folder / "uploads", app.config["UPLOAD_FOLDER"], dirs_exist_ok=True)
    return copy.deepcopy(world)


def _sqlite_path(app: Flask) -> Path:
    return Path(make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database or "")


def _save_database(app: Flask, folder: Path, schema: str = SNAPSHOT_SCHEMA) -> None:
    with app.app_context():
        db.engine.dispose()
        if db.engine.dialect.name == "sqlite":
            for suffix in ("", "-wal"):
                source = Path(str(_sqlite_path(app)) + suffix)
                if source.exists():
                    shutil.copyfile(source, folder / f"world.db{suffix}")
            return
        with db.engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {schema}"))
            for table in db.metadata.sorted_tables:
                conn.execute(text(f'CREATE TABLE {schema}."{table.name}" AS TABLE public."{table.name}"'))
        db.engine.dispose()


def _restore_database(app: Flask, folder: Path, schema: str = SNAPSHOT_SCHEMA) -> None:
    with app.app_context():
        db.engine.dispose()
        if db.engine.dialect.name == "sqlite":
            target = _sqlite_path(app)
            for suffix in ("-wal", "-shm"):
                Path(str(target) + suffix).unlink(missing_ok=True)
            shutil.copyfile(folder / "world.db", target)
            if (folder / "world.db-wal").exists():
                shutil.copyfile(folder / "world.db-wal", str(target) + "-wal")
            return
        tables = db.metadata.sorted_tables
        with db.engine.begin() as conn:
            conn.execute(text("TRUNCATE " + ", ".join(f'public."{t.name}"' for t in tables) + " RESTART IDENTITY CASCADE"))
            for table in tables:  # names from our own metadata
                conn.execute(text(f'INSERT INTO public."{table.name}" SELECT * FROM {schema}."{table.name}"'))  # noqa: S608
                pk = list(table.primary_key.columns)
                if len(pk) == 1 and isinstance(pk[0].type, Integer) and pk[0].autoincrement in (True, "auto"):
                    sequence = f"pg_get_serial_sequence('public.\"{table.name}\"', '{pk[0].name}')"
                    conn.execute(text(f'SELECT setval({sequence}, COALESCE(MAX("{pk[0].name}"), 0) + 1, false) FROM public."{table.name}"'))  # noqa: S608
        db.engine.dispose()


# --- clients ------------------------------------------------------------------------------------------


def client_as(app: Flask, role: str) -> FlaskClient:
    """A new test client, logged in as the role's user (or anonymous, with a session and a CSRF token)."""
    client = app.test_client()
    if role == "anonymous":
        client.get("/login")
    else:
        login(client, LOGINS[role])
    return client


def token_of(client: FlaskClient) -> str:
    return csrf_token(client, "/login")


def is_login_redirect(response: TestResponse) -> bool:
    return response.status_code == 302 and urlsplit(response.headers.get("Location", "")).path == "/login"


def outcome(response: TestResponse) -> int | str:
    """The status, or "login" for a redirect to the login page."""
    return "login" if is_login_redirect(response) else response.status_code


# --- the database, whole ------------------------------------------------------------------------------


def table_rows(app: Flask) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table in the metadata, raw (ciphertext as stored), ordered by primary key."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with app.app_context():
        for table in db.metadata.sorted_tables:
            order = ", ".join(f'"{c.name}"' for c in table.primary_key.columns) or "1"
            out[table.name] = [tuple(row) for row in db.session.execute(text(f'SELECT * FROM "{table.name}" ORDER BY {order}'))]  # noqa: S608
        db.session.rollback()
    return out


def checksum(app: Flask, *, skip: tuple[str, ...] = ()) -> dict[str, str]:
    """One SHA-256 per table, so that a difference names the table that changed."""
    return {name: hashlib.sha256(repr(rows).encode()).hexdigest() for name, rows in table_rows(app).items() if name not in skip}


def changed_tables(before: Mapping[str, str], after: Mapping[str, str]) -> list[str]:
    return sorted(name for name in set(before) | set(after) if before.get(name) != after.get(name))


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


def _claim(key: str, suffix: str = "") -> Callable[[World], str]:
    return lambda w: f"/claims/{w.claims[key]}{suffix}"


def _missing(suffix: str = "") -> Callable[[World], str]:
    return lambda w: f"/claims/{w.missing}{suffix}"


def _photo(claim: str, photo: str, variant: str) -> Callable[[World], str]:
    return lambda w: f"/claims/{w.claims[claim]}/photos/{w.photos[photo]}/{variant}"


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
    should = "accepted" if role == "clerk" else "submitted"
    return None if status == should else f"claim A is {status}, expected {should}"


def _clerks_notices_unread(app: Flask, world: World, role: str) -> str | None:
    from claims.workflow.models import Notification

    with app.app_context():
        unread = db.session.execute(select(Notification.id).where(Notification.user_id == world.users["clerk"], Notification.read_at.is_(None))).all()
    return None if bool(unread) == (role != "clerk") else f"the clerk has {len(unread)} unread notices after {role} marked theirs read"


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
FILERS = ("owner", "villager2", "clerk", "clerk2", "clerk_cl")
CLERKS = ("clerk", "clerk2", "clerk_cl")
NOT_ALLOWED = everyone(405)

ROUTE_CASES: tuple[Case, ...] = (
    # public pages
    Case("static", "-", lambda w: "/static/css/app.css", everyone(200)),
    Case("main.index", "-", lambda w: "/", everyone(200)),
    Case("main.health", "-", lambda w: "/healthz", everyone(200)),
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
    Case("accounts.set_language", "-", lambda w: "/language", NOT_ALLOWED),
    Case("accounts.set_language", "-", lambda w: "/language", everyone(302), "POST", lambda w: {"locale": "en", "next": "/"}),
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
    # the clerk's intake decisions (invalid forms: 422 for the clerk in scope, nothing changes)
    Case("review.return_for_correction", "claim a", _claim("a", "/return"), expect(422, "clerk"), "POST", lambda w: {}),
    Case("review.return_for_correction", "claim b", _claim("b", "/return"), expect(422, "clerk_cl"), "POST", lambda w: {}),
    Case("review.return_for_correction", "missing claim", _missing("/return"), NOBODY, "POST", lambda w: {"items": "id_number"}),
    Case("review.not_accept", "claim a", _claim("a", "/not-accept"), expect(422, "clerk"), "POST", lambda w: {}),
    Case("review.not_accept", "claim b", _claim("b", "/not-accept"), expect(422, "clerk_cl"), "POST", lambda w: {}),
    Case("review.not_accept", "missing claim", _missing("/not-accept"), NOBODY, "POST", lambda w: {}),
    Case("review.accept", "missing claim", _missing("/accept"), NOBODY, "POST", lambda w: {}),
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
    # notifications, to-do queue, overdue lists
    Case("workflow.notifications", "own notices", lambda w: "/notifications", signed_in(200)),
    Case("workflow.mark_read", "own notices", lambda w: "/notifications/read", signed_in(302), "POST", lambda w: {}, _clerks_notices_unread),
    Case("workflow.queue", "-", lambda w: "/queue", expect(200, *STAFF)),
    Case("workflow.overdue", "-", lambda w: "/overdue", expect(200, *STAFF_PAGES)),
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
    Case("approval.approvals", "own county", lambda w: "/approvals", expect(200, *APPROVERS), "POST", lambda w: {}),
    Case("approval.approve", "claim r", _claim("r", "/approve"), expect(302, "approver"), "POST", lambda w: {}),
    Case("approval.approve", "claim n", _claim("n", "/approve"), expect(302, "approver_cl"), "POST", lambda w: {}),
    Case("approval.approve", "missing claim", _missing("/approve"), NOBODY, "POST", lambda w: {}),
    Case("approval.refuse", "claim r", _claim("r", "/refuse"), expect(422, "approver"), "POST", lambda w: {}),
    Case("approval.refuse", "missing claim", _missing("/refuse"), NOBODY, "POST", lambda w: {}),
    Case("approval.payment_batches", "own county", lambda w: "/payments", expect(200, *APPROVERS)),
    Case("approval.payment_batches", "own county", lambda w: "/payments", expect(302, *APPROVERS), "POST", lambda w: {}),
    Case("approval.payment_batch", "Chaling's batch", lambda w: f"/payments/{w.payment_batch}", expect(200, "approver_cl")),
    Case("approval.payment_batch", "missing batch", lambda w: f"/payments/{w.missing}", NOBODY),
    Case("approval.payment_batch", "Chaling's batch", lambda w: f"/payments/{w.payment_batch}", expect(200, "approver_cl"), "POST", lambda w: {}),
    Case("approval.payment_batch", "missing batch", lambda w: f"/payments/{w.missing}", NOBODY, "POST", lambda w: {}),
    Case("approval.export", "Chaling's batch", lambda w: f"/payments/{w.payment_batch}/export", expect(200, "approver_cl"), "POST", lambda w: {}),
    Case("approval.export", "missing batch", lambda w: f"/payments/{w.missing}/export", NOBODY, "POST", lambda w: {}),
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
    Case("review.accept", "claim a", _claim("a", "/accept"), expect(302, "clerk"), "POST", lambda w: {}, _accepted_only_by_clerk),
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


# --- scanning pages for numbers -------------------------------------------------------------------

ID_RE = re.compile(rb"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
ACCOUNT_RE = re.compile(rb"(?<![0-9A-Za-z])\d{16,19}(?![0-9A-Za-z])")


def long_numbers(blob: bytes) -> set[str]:
    """18-character ID-like numbers and 16-19 digit account-like numbers standing on their own."""
    return {m.decode() for m in ID_RE.findall(blob)} | {m.decode() for m in ACCOUNT_RE.findall(blob)}


def all_secrets() -> dict[str, str]:
    """label -> full number, for every ID number and bank account the world files."""
    out = {}
    for key, identity in IDENTITIES.items():
        out[f"id number of {key}"] = identity.id_number
        out[f"bank account of {key}"] = identity.account
    return out
