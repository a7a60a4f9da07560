"""A world with a claim in every state, for tests that render every page (this module holds no tests).

Everything is made through the real services, as users would: filing, the clerk's decisions, surveys
(with growth stages and a quantity of 20, which once printed as "2E+1"), disputes, valuation, the insurer's
adjusted decision, a public notice with an objection, one and two approvals, refusals, payment batches
exported, failed and paid, and the documents each step issues. Built once per test session and restored
for each test (tests/database.py: built_once).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from flask import Flask
from sqlalchemy import select

from claims.accounts.models import User
from claims.accounts.services import find_user
from claims.api import services as api_services
from claims.api import webhooks
from claims.api.models import ClientKind, WebhookEvent
from claims.approval import operations as approval
from claims.approval import payments
from claims.approval.models import Payment, PaymentBatch
from claims.core import time as clock
from claims.core.time import local_today, utcnow
from claims.documents.models import IssuedDocument
from claims.extensions import db
from claims.insurance.models import Insurer, InsurerDecision
from claims.insurance.operations import decide_as_insurer
from claims.insurance.services import award_lines
from claims.intake import operations as filing
from claims.intake import review
from claims.intake import services as intake
from claims.intake.models import Claim, LossCategory
from claims.lifecycle import apply_transition
from claims.regions import admin_services
from claims.survey.incidents import IncidentInput, create_incident
from claims.survey.models import Incident, SurveyOutcome
from claims.valuation.reference import import_reference
from tests.database import built_once
from tests.factories import advance, confirm_by_code, survey_input
from tests.intake.images import jpeg_bytes
from tests.security.world import CHALING_COUNTY, CHALING_TOWNSHIP, CHALING_VILLAGE, IDENTITIES, NAN_COUNTY, NAN_TOWNSHIP, NAN_VILLAGE, claim_input, region

QUANTITY = Decimal("20")  # whole numbers were shown as "2E+1"
TYPED = {"水稻", "柑橘", "野猪", "勘查员", "李四（三仙湖村）", "面积核减", "账号不存在"}  # what the world typed


@dataclass
class PagesWorld:
    claims: dict[str, int] = field(default_factory=dict)  # state name (plus a suffix) -> claim id
    notice_batches: list[int] = field(default_factory=list)
    payment_batches: list[int] = field(default_factory=list)
    documents: dict[int, list[int]] = field(default_factory=dict)  # claim id -> its documents
    batch_documents: list[int] = field(default_factory=list)
    users: dict[str, int] = field(default_factory=dict)  # login -> id
    schedules: list[int] = field(default_factory=list)
    verify_codes: list[str] = field(default_factory=list)
    webhooks: list[int] = field(default_factory=list)  # an insurer's system's endpoint, told of the approvals
    incidents: list[int] = field(default_factory=list)  # Nan's incident with its confirmed claim


def _user(login: str) -> User:
    user = find_user(login)
    assert user is not None, login
    return user


# "staff": who works the place's claims (tests/factories.py: COUNTIES).
NAN = {"county": NAN_COUNTY, "township": NAN_TOWNSHIP, "village": NAN_VILLAGE, "filer": "13800000001", "staff": "nan"}
CHALING = {"county": CHALING_COUNTY, "township": CHALING_TOWNSHIP, "village": CHALING_VILLAGE, "filer": "13800000002", "staff": "chaling"}
_IDS = [IDENTITIES[k] for k in ("a", "b", "w", "s", "r", "n", "web", "stash", "draft_a", "clerk_draft")]


def _file(place: dict, seed: int, *, submit: bool = True) -> Claim:  # type: ignore[type-arg]
    filer = _user(place["filer"])
    claim = intake.start_draft(actor=filer, submission_key=f"pages-{seed}", for_self=True)
    data = claim_input(
        _IDS[seed % len(_IDS)], name=filer.name, mobile=filer.login, county=place["county"], township=place["township"], village=place["village"]
    )
    data.losses = [
        intake.LossInput(category=LossCategory.CROP, item="水稻", quantity=QUANTITY, unit="mu"),
        intake.LossInput(category=LossCategory.ECONOMIC_TREE, item="柑橘", quantity=Decimal("12.5"), unit="plant"),
    ]
    photo = [intake.PhotoUpload(jpeg_bytes(seed=100 + seed), "damage.jpg")]
    outcome = filing.save_filing(claim, data, photo, actor=filer, submit=submit, form_ok=True)
    assert not outcome.problems and not outcome.photo_problems, (outcome.problems, outcome.photo_problems)
    return claim


def _survey(claim: Claim, place: dict, *, eligible: bool = True) -> None:  # type: ignore[type-arg]
    outcome = SurveyOutcome.ELIGIBLE if eligible else SurveyOutcome.NOT_COMPENSATED
    survey = survey_input(
        claim,
        outcome,
        rate=80,
        stage="mature",
        note="稻穗被拱",
        evidence=["tracks", "droppings"],
        in_designated_area=True,
        exclusions=[] if eligible else ["no_prevention"],
        explanation=None if eligible else "未采取防范措施。",
    )
    advance(claim, "surveyed", county=place["staff"], survey=survey)


def _value(claim: Claim, place: dict) -> None:  # type: ignore[type-arg]
    _survey(claim, place)
    advance(claim, "valued", county=place["staff"])


def _adjust(claim: Claim) -> None:
    first = award_lines(claim)[0]
    decide_as_insurer(claim, InsurerDecision.ADJUST, actor=_user("insurer"), adjustments={first.index: (first.amount - Decimal("10.00"), "面积核减")})


def _early(made: dict[str, Claim]) -> tuple[int, int]:
    """Twenty days ago: every step up to the public notices (with an objection)."""
    made["draft"] = _file(NAN, 1, submit=False)
    for i, key in enumerate(("submitted", "returned", "not_accepted", "accepted", "survey_assigned", "withdrawn"), start=2):
        made[key] = _file(NAN, i)
    clerk, officer = _user("clerk"), _user("officer")
    review.return_claim(made["returned"], ["id_number", "photos"], "请补充身份证照片。", actor=clerk)
    review.refuse_intake(made["not_accepted"], ["late_report"], "超过报告期限。", actor=clerk)
    advance(made["accepted"], "accepted")
    advance(made["survey_assigned"], "survey_assigned")
    apply_transition(made["withdrawn"], "withdraw", actor=_user("13800000001"), reason="已自行解决")
    for i, key in enumerate(("surveyed", "confirmed", "disputed", "not_compensated_survey"), start=10):
        made[key] = _file(NAN, i)
        _survey(made[key], NAN, eligible=key != "not_compensated_survey")
    advance(made["confirmed"], "confirmed")
    where = IncidentInput(utcnow() - timedelta(days=21), "三仙湖村东侧稻田", herd_size=12)
    create_incident(made["confirmed"], where, actor=officer)
    confirm_by_code(made["disputed"], officer, confirmed=False, statement="面积不止这些")
    for i, key in enumerate(("referred", "insurer_decided", "in_notice", "valued_objection", "approved", "paid", "refused_award"), start=20):
        made[key] = _file(NAN, i)
        _value(made[key], NAN)
        if key != "referred":
            _adjust(made[key])
    for i, key in enumerate(("valued", "closed", "payment_failed"), start=30):
        made[key] = _file(CHALING, i)
        _value(made[key], CHALING)
    noticed = [made[k] for k in ("in_notice", "valued_objection", "approved", "paid", "refused_award")]
    nan_notice = approval.create_notice_batch(region(NAN_TOWNSHIP), noticed, local_today(), actor=clerk)
    approval.record_objection(made["valued_objection"], "李四（三仙湖村）", "损失面积不实", actor=clerk)
    chaling = [made["closed"], made["payment_failed"]]
    chaling_notice = approval.create_notice_batch(region(CHALING_TOWNSHIP), chaling, local_today(), actor=_user("clerk_cl"))
    start = local_today() - timedelta(days=1)
    incomes = 'format: 1\nincomes:\n  - {region: "430000", year: 2025, kind: rural, amount: 21000.5, source: 湖南统计年鉴}\n'
    import_reference(incomes, actor=_user("admin"))
    admin_services.set_county_setting(region(NAN_COUNTY), "second_approval_above", "100", start, "", actor=_user("admin"))
    admin_services.set_county_setting(region(CHALING_COUNTY), "second_approval_above", "1000000", start, "", actor=_user("admin"))  # one approver
    db.session.commit()
    return nan_notice.id, chaling_notice.id


def _late(made: dict[str, Claim]) -> list[int]:
    """A day ago, the notices over: approvals (one and two approvers), a refusal, payment batches."""
    approver, approver2, approver_cl = _user("approver"), _user("approver2"), _user("approver_cl")
    for key in ("approved", "paid"):
        assert not approval.approve(made[key], actor=approver)  # the first of two
        assert approval.approve(made[key], actor=approver2)
    approval.refuse(made["refused_award"], ["other_compensation"], "已获其他补偿。", actor=approver)
    for key in ("closed", "payment_failed"):
        assert approval.approve(made[key], actor=approver_cl)
    nan_batch = payments.create_batch(region(NAN_COUNTY), actor=approver)
    payments.export_csv(nan_batch, actor=approver)
    apply_transition(made["paid"], "pay", actor=approver)
    chaling_batch = payments.create_batch(region(CHALING_COUNTY), actor=approver_cl)
    payments.export_csv(chaling_batch, actor=approver_cl)
    rows = {p.claim_id: f"{p.reference},{p.amount:.2f}" for p in chaling_batch.payments}
    report = "reference,amount,status,bank_reference,reason\r\n"
    report += f"{rows[made['closed'].id]},SUCCESS,CBS0001,\r\n{rows[made['payment_failed'].id]},FAILED,,账号不存在\r\n"
    payments.import_results(chaling_batch, report.encode(), actor=approver_cl)
    db.session.commit()
    return [nan_batch.id, chaling_batch.id]


def _insurers_system() -> int:
    """The demo insurer's system, subscribed to every event at an address where nothing listens (port 9 of loopback
    refuses at once): the approvals that follow leave deliveries waiting for `flask jobs retry-due`."""
    insurer = db.session.execute(select(Insurer).order_by(Insurer.id)).scalars().first()
    client = api_services.create_client("保险公司系统", ClientKind.INSURER, insurer=insurer, actor=None)
    api_services.issue_token(client, ["referrals:read"], utcnow() + timedelta(days=60), actor=None)
    endpoint, _secret = webhooks.add_endpoint(client, "https://127.0.0.1:9/hooks", [e.value for e in WebhookEvent], actor=None)
    db.session.commit()
    return endpoint.id


def build_pages_world(app: Flask) -> PagesWorld:
    world = PagesWorld()
    now = utcnow()
    try:
        made: dict[str, Claim] = {}
        clock.freeze(now - timedelta(days=20))
        with app.app_context():
            world.notice_batches = list(_early(made))
            ids = {key: claim.id for key, claim in made.items()}
        clock.freeze(now - timedelta(days=1))
        with app.app_context():
            again = {key: db.session.get(Claim, cid) for key, cid in ids.items()}
            world.webhooks = [_insurers_system()]
            world.payment_batches = _late(again)  # type: ignore[arg-type]
            _collect(world, ids)
    finally:
        clock.freeze(None)
    return world


def _collect(world: PagesWorld, ids: dict[str, int]) -> None:
    from claims.valuation.models import CompensationSchedule

    world.claims = ids
    for doc in db.session.execute(select(IssuedDocument).order_by(IssuedDocument.id)).scalars():
        if doc.claim_id is None:
            world.batch_documents.append(doc.id)
        else:
            world.documents.setdefault(doc.claim_id, []).append(doc.id)
        world.verify_codes.append(doc.verification_code)
    world.users = {u.login: u.id for u in db.session.execute(select(User)).scalars()}
    world.schedules = list(db.session.execute(select(CompensationSchedule.id)).scalars())
    world.incidents = list(db.session.execute(select(Incident.id)).scalars())
    assert db.session.execute(select(Payment.id)).first() and db.session.execute(select(PaymentBatch.id)).first()
    db.session.rollback()


SNAPSHOT_SCHEMA = "pages_world"  # PostgreSQL: apart from the security tests' world


def pages_world(app: Flask) -> PagesWorld:
    """The world, in this test's fresh database: built the first time, restored after."""
    return built_once(app, SNAPSHOT_SCHEMA, build_pages_world)
