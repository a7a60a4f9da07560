"""The security tests' world: claims in every step the routes act on, and the people who try them (no tests here).

`build_world` files a few claims through the real services, across two counties and three townships,
so that every role has its own, a foreign and a missing object to try; `world_for` gives each test a
fresh copy of it. tests/security/routes.py holds the authorisation matrix that is tried on it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from claims.accounts.models import Role, User
from claims.accounts.services import create_user, find_user
from claims.api import services as api_services
from claims.api import webhooks
from claims.api.models import ClientKind, DeliveryStatus, WebhookDelivery
from claims.core import time as clock
from claims.core.jobs import Job, JobStatus
from claims.core.time import local_now, local_today, utcnow
from claims.extensions import db
from claims.insurance.models import InsurancePolicy, Insurer
from claims.intake import operations as filing
from claims.intake import services as intake
from claims.intake.models import Claim, LossCategory
from claims.regions.models import Region, Species
from claims.survey.incidents import IncidentInput, new_incident
from claims.workflow.models import Notification
from tests.conftest import DEMO_PASSWORD, csrf_token, login
from tests.database import built_once
from tests.factories import advance
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
    failed_job: int = 0  # a background job that failed (re-rendering a stored document: a retry does nothing)
    nan_policy: int = 0  # the demo's 2025 policy of Nan county, the insurer's (claims/demo.py)
    api_clients: dict[str, int] = field(default_factory=dict)  # insurer (the demo insurer's system), chaling (Chaling's platform)
    api_tokens: dict[str, int] = field(default_factory=dict)  # one token of each client
    webhooks: dict[str, int] = field(default_factory=dict)  # one endpoint of each client (nothing listens there)
    deliveries: dict[str, int] = field(default_factory=dict)  # one delivered event of each endpoint
    incident: int = 0  # an incident of Nan county (no claim in it)
    clerk_notice: int = 0  # a notice to Nan's clerk about claim A
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
            advance(made["s"], "survey_assigned")
            advance(made["r"], "valued")
            advance(made["n"], "valued", county="chaling")
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
            world.photos = {key: db.session.get(Claim, made_ids[key]).photos[0].id for key in ("a", "b", "draft_a", "r")}  # type: ignore[union-attr]
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
            failed = Job(
                kind="render_document",
                key="security-world:failed",
                args={"document_id": world.documents["r"], "data_type": "ReceiptData", "photos": {}},
                status=JobStatus.FAILED,
                attempts=5,
                last_error="RuntimeError",
            )
            db.session.add(failed)
            db.session.flush()
            world.failed_job = failed.id
            db.session.commit()
            schedules = db.session.execute(select(CompensationSchedule)).scalars().all()
            world.schedules = {
                "hunan": next(x.id for x in schedules if x.region.code == "430000"),
                "nan": next(x.id for x in schedules if x.region.code == NAN_COUNTY),
            }
            world.nan_policy = db.session.execute(select(InsurancePolicy.id).order_by(InsurancePolicy.id)).scalars().first() or 0
            about_a = {"number": world.numbers.get("a", ""), "status": "submitted"}
            notice = Notification(user_id=world.users["clerk"], claim_id=world.claims["a"], kind="submit", params=about_a)
            db.session.add(notice)
            db.session.commit()
            world.clerk_notice = notice.id
            world.incident = _incident()
            _add_api_clients(world)
    finally:
        clock.freeze(None)
    return world


def _incident() -> int:
    """An incident of Nan county that Nan's officer created on the mass event page."""
    officer = db.session.execute(select(User).where(User.login == "officer")).scalar_one()
    where = IncidentInput(utcnow() - timedelta(days=2), "三仙湖村东侧稻田", herd_size=12)
    incident = new_incident(region(NAN_COUNTY), where, actor=officer)
    db.session.commit()
    return incident.id


def _add_api_clients(world: World) -> None:
    """An insurer's system (only province-wide administrators manage it) and Chaling county's platform, a token each."""
    insurer = db.session.execute(select(Insurer).order_by(Insurer.id)).scalars().first()
    made = {
        "insurer": api_services.create_client("保险公司系统", ClientKind.INSURER, insurer=insurer, actor=None),
        "chaling": api_services.create_client("茶陵县平台", ClientKind.PLATFORM, region=region(CHALING_COUNTY), actor=None),
    }
    for key, client in made.items():
        world.api_clients[key] = client.id
        world.api_tokens[key] = api_services.issue_token(client, ["claims:read"], utcnow() + timedelta(days=30), actor=None).token.id
        # Port 9 of loopback refuses at once: a replay in a test is sent nowhere and fails fast.
        endpoint, _secret = webhooks.add_endpoint(client, "https://127.0.0.1:9/hooks", ["claim.approved"], actor=None)
        delivery = WebhookDelivery(endpoint_id=endpoint.id, event_id=f"msg_{key}", event="claim.approved", body="{}", status=DeliveryStatus.DELIVERED)
        db.session.add(delivery)
        db.session.flush()
        world.webhooks[key], world.deliveries[key] = endpoint.id, delivery.id
    db.session.commit()


SNAPSHOT_SCHEMA = "security_world"


def world_for(app: Flask) -> World:
    """The world of `build_world`, in this test's fresh database: built the first time, restored after."""
    return built_once(app, SNAPSHOT_SCHEMA, build_world)


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
