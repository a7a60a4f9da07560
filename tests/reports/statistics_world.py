"""The reports' fixture: claims of two counties at every stage, built through the real services (no tests here).

The clock is frozen at fixed local times, so years and months are the test's own. Valuations come from the demo
schedules (tests/valuation; tests/reports/test_exports.py says the same figures):
- a claim filed by tests.factories.file_claim loses rice 2.5 mu: in 南县 2.5 x 600 x 100% = 1,500.00 (crop);
- one filed by tests.workflow.conftest.file_claim adds 3 chickens: in 茶陵县 rice 2.5 x 1,060 x 100% x 80% = 2,120.00
  (crop) + chickens 3 x 60 x 60% = 108.00 (poultry) = 2,228.00.

南县 (益阳市; insured: policy PYYY2025430921000001, 2025-08-01 to 2026-07-31, every category, no deductible):
  key  household  species          township   incident (local)  what happens
  N1   A          wild boar        三仙湖镇   2026-03-01        submitted
  N2   B          common pheasant  茅草街镇   2026-03-01        not accepted at intake
  N3   A          unknown          三仙湖镇   2026-03-01        withdrawn after submission
  N4   C          wild boar        三仙湖镇   2026-03-01        valued 2 March, referred: the insurer has not decided
  N5   D          wild boar        三仙湖镇   2026-03-01        valued and referred 2 March, accepted by the insurer 3 March,
                                                               on notice 3 March, approved 12 March, the insurer pays 3 April
  N6   E          wild boar        三仙湖镇   2025-12-31 23:30  submitted: counts in 2025
  N7   F          wild boar        三仙湖镇   2026-01-01 00:30  submitted: counts in 2026 (16:30 UTC on 31 December)
  N8   C          wild boar        三仙湖镇   2026-03-01        valued and referred 2 March, declined by the insurer 3 March
                                                               (the government pays all; it waits for the public notice)
  N9   D          wild boar        三仙湖镇   2026-03-01        valued and referred 2 March, accepted by the insurer 3 March,
                                                               on notice with N5, refused by the county 12 March
茶陵县 (株洲市; uninsured): C1, C2, both household A (the same ID number), wild boar, 严塘镇, incident 2026-03-01:
  valued 2 March, on notice, approved 12 March (government share 2,228.00 each); C1 paid through the bank file on
  13 March, C2 not yet.
Household A is the same person in both counties: 南县 has 5 households in 2026 (A B C D F; C and D claimed twice), 茶陵县
1 (A), the province 5.

A second insurer (B, "平安") holds a policy of 茶陵县 with no claim referred; its adjuster is `insurer_b`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import Flask
from sqlalchemy import select

from claims.accounts.models import Role
from claims.accounts.services import find_user
from claims.approval import operations as approval
from claims.approval import payments
from claims.approval.models import Payment, PaymentStatus, Share
from claims.core import time as clock
from claims.core.time import LOCAL_TZ
from claims.extensions import db
from claims.insurance.models import InsurancePolicy, Insurer, InsurerDecision, InsurerMember
from claims.insurance.operations import decide_as_insurer
from claims.intake import review
from claims.intake.models import Claim
from claims.lifecycle import apply_transition
from claims.regions.models import Region
from tests.approval.conftest import pay_through_the_bank, valued_claim
from tests.database import built_once
from tests.factories import MAOCAOJIE_VILLAGE, SANXIANHU_VILLAGE, advance, file_claim, new_staff, resident_id

NAN_POLICY = "PYYY2025430921000001"
IDS = {k: resident_id(body) for k, body in (("B", "43092119700101123"), ("C", "43092119710202123"), ("D", "43092119720303123"))}
IDS |= {k: resident_id(body) for k, body in (("E", "43092119730404123"), ("F", "43092119740505123"))}
IDS["A"] = resident_id()  # the default of every factory


def local(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LOCAL_TZ)


@dataclass
class ReportsWorld:
    claims: dict[str, int] = field(default_factory=dict)
    numbers: dict[str, str] = field(default_factory=dict)
    policies: dict[str, int] = field(default_factory=dict)  # nan (insurer A's), chaling_b (insurer B's)


def _region(code: str) -> Region:
    return db.session.execute(select(Region).where(Region.code == code)).scalar_one()


def _filed(made: dict[str, Claim]) -> None:
    incident = local(2026, 3, 1, 8)
    made["N1"] = file_claim("13800000001", incident_utc=incident, id_number=IDS["A"])
    made["N2"] = file_claim("13800000002", village=MAOCAOJIE_VILLAGE, species="common_pheasant", incident_utc=incident, id_number=IDS["B"])
    made["N3"] = file_claim("13800000001", species=None, incident_utc=incident, id_number=IDS["A"])
    made["N4"] = file_claim("clerk", incident_utc=incident, id_number=IDS["C"])
    made["N5"] = file_claim("clerk", incident_utc=incident, id_number=IDS["D"])
    made["N6"] = file_claim("clerk", village=SANXIANHU_VILLAGE, incident_utc=local(2025, 12, 31, 23, 30), id_number=IDS["E"])
    made["N7"] = file_claim("clerk", incident_utc=local(2026, 1, 1, 0, 30), id_number=IDS["F"])
    made["N8"] = file_claim("clerk", incident_utc=incident, id_number=IDS["C"])
    made["N9"] = file_claim("clerk", incident_utc=incident, id_number=IDS["D"])
    db.session.commit()
    review.refuse_intake(made["N2"], ["late_report"], "超过报告期限。", actor=find_user("clerk2"))
    apply_transition(made["N3"], "withdraw", actor=find_user("13800000001"), reason="已自行解决")
    db.session.commit()


def _march(made: dict[str, Claim]) -> None:
    clock.freeze(local(2026, 3, 2))
    advance(made["N4"], "valued")
    advance(made["N5"], "valued")
    advance(made["N8"], "valued")
    advance(made["N9"], "valued")
    db.session.commit()
    made["C1"], made["C2"] = (valued_claim("chaling", seed=seed, filer=filer) for seed, filer in ((3, "13800000001"), (4, "13800000002")))
    clock.freeze(local(2026, 3, 3))
    decide_as_insurer(made["N5"], InsurerDecision.ACCEPT, actor=find_user("insurer"))
    decide_as_insurer(made["N9"], InsurerDecision.ACCEPT, actor=find_user("insurer"))
    decide_as_insurer(made["N8"], InsurerDecision.DECLINE, actor=find_user("insurer"), decline_reason="insufficient_evidence")
    approval.create_notice_batch(made["N5"].township, [made["N5"], made["N9"]], clock.local_today(), actor=find_user("clerk"))
    approval.create_notice_batch(made["C1"].township, [made["C1"], made["C2"]], clock.local_today(), actor=find_user("clerk_cl"))
    db.session.commit()
    clock.freeze(local(2026, 3, 12))
    if not approval.approve(made["N5"], actor=find_user("approver")):
        assert approval.approve(made["N5"], actor=find_user("approver2"))
    approval.refuse(made["N9"], ["other_compensation"], "已获其他补偿。", actor=find_user("approver"))
    for key in ("C1", "C2"):
        assert approval.approve(made[key], actor=find_user("approver_cl"))
    db.session.commit()
    clock.freeze(local(2026, 3, 13))
    pay_through_the_bank(made["C1"])


def _april(made: dict[str, Claim]) -> None:
    clock.freeze(local(2026, 4, 3))
    payment = db.session.execute(select(Payment).where(Payment.claim_id == made["N5"].id, Payment.share == Share.INSURER)).scalar_one()
    assert payment.status == PaymentStatus.PENDING
    payments.record_insurer_payment(made["N5"], payment.amount, "PICC-0001", actor=find_user("insurer"))
    db.session.commit()


def _insurer_b() -> int:
    insurer = Insurer(name="中国平安财产保险股份有限公司株洲中心支公司", short_name="平安")
    db.session.add(insurer)
    db.session.flush()
    adjuster = new_staff(login="insurer_b", name="钱保", role=Role.INSURER, region=None)  # type: ignore[arg-type]
    db.session.add(InsurerMember(user_id=adjuster.id, insurer_id=insurer.id))
    policy = InsurancePolicy(
        number="PAZZ2026430224000001",
        insurer_id=insurer.id,
        policyholder_region_id=_region("430224").id,
        term_start=date(2026, 1, 1),
        term_end=date(2026, 12, 31),
        categories=["crop"],
        species=[],
        limits={},
    )
    db.session.add(policy)
    db.session.flush()
    return policy.id


def build(app: Flask) -> ReportsWorld:
    made: dict[str, Claim] = {}
    try:
        with app.app_context():
            clock.freeze(local(2026, 3, 1, 12))
            _filed(made)
            _march(made)
            _april(made)
            world = ReportsWorld(claims={k: c.id for k, c in made.items()}, numbers={k: c.number or "" for k, c in made.items()})
            nan = db.session.execute(select(InsurancePolicy).where(InsurancePolicy.number == NAN_POLICY)).scalar_one()
            world.policies = {"nan": nan.id, "chaling_b": _insurer_b()}
            db.session.commit()
    finally:
        clock.freeze(None)
    return world


def reports_world(app: Flask) -> ReportsWorld:
    return built_once(app, "reports_world", build)


def claim(key: str, world: ReportsWorld) -> Claim:
    found = db.session.get(Claim, world.claims[key])
    assert found is not None
    return found


def at(moment: datetime) -> None:
    """Freeze the clock for what a test does next (the fixture's dates are in 2026)."""
    clock.freeze(moment)


ONE_DAY = timedelta(days=1)
