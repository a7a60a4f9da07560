"""The dashboards' fixture: claims filed in Nan and Chaling counties in February-April 2026 through the real services,
with the clock frozen (tests/reports/test_dashboard.py works out every figure from it by hand)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from claims.accounts.services import find_user
from claims.approval import operations, payments
from claims.approval.models import Payment, Share
from claims.core import time as clock
from claims.core.time import LOCAL_TZ
from claims.extensions import db
from claims.insurance.models import InsurerDecision
from claims.insurance.operations import decide_as_insurer
from claims.intake.models import Claim
from claims.intake.operations import withdraw_claim
from claims.intake.review import accept_claim, refuse_intake
from tests.factories import COUNTIES, advance
from tests.workflow.conftest import file_claim

SANXIANHU_VILLAGE = "430921128243"  # 三仙湖镇 (clerk)
MAOCAOJIE_VILLAGE = "430921127208"  # 茅草街镇 (clerk2)
YANTANG_VILLAGE = "430224113203"  # 严塘镇, 茶陵县 (clerk_cl)


def local(day: int, month: int, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=LOCAL_TZ)


def _filed(when: datetime, village: str, seed: int, login: str = "13800000001") -> Claim:
    clock.freeze(when)
    return file_claim(login, village_code=village, seed=seed)


def build_world() -> dict[str, int]:
    """The claims of tests/reports/test_dashboard.py's docstring; inside an app context, committed."""
    ids: dict[str, int] = {}
    # n1: 三仙湖镇, 2 March: estimate 1,500.00; valued, referred, accepted by the insurer, on notice, approved; the
    # insurer pays its share, which is the whole award: the claim is paid and closed.
    n1 = _filed(local(2, 3), SANXIANHU_VILLAGE, 1)
    n1.estimated_amount = Decimal("1500.00")  # as a bulk load would give it (the form asks for none)
    advance(n1, "valued", county="nan")
    decide_as_insurer(n1, InsurerDecision.ACCEPT, actor=find_user("insurer"))
    db.session.commit()
    operations.create_notice_batch(n1.township, [n1], clock.local_today(), actor=find_user("clerk"))
    db.session.commit()
    clock.freeze(local(12, 3))
    operations.approve(n1, actor=find_user("approver"))
    db.session.commit()
    ids["n1"] = n1.id
    # n2: 三仙湖镇, 3 March, not accepted: reported too late, and the same loss claimed before.
    n2 = _filed(local(3, 3), SANXIANHU_VILLAGE, 2)
    refuse_intake(n2, ["late_report", "duplicate"], "逾期且重复申报", actor=find_user("clerk"))
    db.session.commit()
    ids["n2"] = n2.id
    # n3: 茅草街镇, 10 March, accepted (due for the survey within the county's limit): overdue by May.
    n3 = _filed(local(10, 3), MAOCAOJIE_VILLAGE, 3)
    accept_claim(n3, actor=find_user("clerk2"))
    db.session.commit()
    ids["n3"] = n3.id
    # n4: 三仙湖镇, 2 April, withdrawn by its filer.
    n4 = _filed(local(2, 4), SANXIANHU_VILLAGE, 4)
    withdraw_claim(n4, "已私下解决", actor=find_user("13800000001"))
    db.session.commit()
    ids["n4"] = n4.id
    # n5: 三仙湖镇, 27 February: outside the period March-April.
    ids["n5"] = _filed(local(27, 2), SANXIANHU_VILLAGE, 5).id
    # c1: 严塘镇, 茶陵县, 5 March: valued (uninsured), on notice, approved, not paid.
    c1 = _filed(local(5, 3), YANTANG_VILLAGE, 6, login="13800000002")
    advance(c1, "valued", county="chaling")
    db.session.commit()
    operations.create_notice_batch(c1.township, [c1], clock.local_today(), actor=find_user(COUNTIES["chaling"].clerk))
    db.session.commit()
    clock.freeze(local(16, 3))
    operations.approve(c1, actor=find_user("approver_cl"))
    db.session.commit()
    ids["c1"] = c1.id
    clock.freeze(local(17, 3))
    insurer_payment = db.session.query(Payment).filter_by(claim_id=n1.id, share=Share.INSURER).one()
    payments.record_insurer_payment(n1, insurer_payment.amount, "ZHLH-2026-0001", actor=find_user("insurer"))
    db.session.commit()
    clock.freeze(None)
    return ids
