"""Incidents: one event, several households' claims, the per-accident cap shared across them (issue 16, item 4).

Chaling (uninsured) values rice by the 2025 market price, 1060 yuan a mu, at 80% (hunan-default-2024.yaml); each
household lost 2.5 mu at the loss rate its survey found, so before the cap it gets 2.5 x 1060 x rate x 80%:
100% 2120.00, 80% 1696.00, 60% 1272.00, 40% 848.00, 20% 424.00. A prefecture schedule (株洲市) caps each accident
at 5500 yuan, which those five together (6360.00) exceed.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from claims.accounts.services import find_user
from claims.approval import operations, payments
from claims.approval.documents import compensation_decision
from claims.core import time as clock
from claims.extensions import db
from claims.intake.models import Claim
from claims.regions.admin_services import declare_relative
from claims.survey import mass_event
from claims.survey.incidents import IncidentInput, add_once, create_incident, incident_claims, join_incident, new_incident
from claims.survey.models import Incident, IncidentClaim
from claims.valuation.operations import value_claim_step
from claims.valuation.schedules import import_schedule, publish_schedule
from claims.valuation.services import compute_valuation, current_valuation
from claims.workflow.models import AuditEvent
from claims.workflow.services import WorkflowError
from claims.workflow.states import ClaimStatus
from tests.conftest import csrf_token
from tests.factories import YANTANG_VILLAGE, advance, file_claim, resident_id, survey_input

D = Decimal
TODAY = datetime(2026, 6, 15, 2, 0, tzinfo=UTC)  # incidents on 2026-06-14: 2025 reference prices
PER_ACCIDENT = """format: 1
code: t-zhuzhou-accident
title: 测试每次事故上限
region: "430200"
document: {title: 测试文件, number: 测〔2026〕2号}
effective_from: 2026-01-01
caps:
  per_accident: 5500
"""


@pytest.fixture
def capped(ctx):  # type: ignore[no-untyped-def]
    clock.freeze(TODAY)
    admin = find_user("admin")
    publish_schedule(import_schedule(PER_ACCIDENT, actor=admin), actor=admin)
    db.session.commit()


def household(n: int, rate: int, to: str = "confirmed") -> Claim:
    """A household of 和吕村 (its own resident ID) whose claim the clerk files and the county takes up to `to`
    (confirmed: surveyed at `rate` % lost and confirmed)."""
    claim = file_claim(
        "clerk_cl",
        village=YANTANG_VILLAGE,
        name=f"户主{n}",
        mobile=f"1370001{n:04d}",
        id_number=resident_id(f"43022419700101{n:03d}"),
        incident_utc=TODAY - timedelta(hours=20),
    )
    advance(claim, to, county="chaling", survey=survey_input(claim, rate=rate) if to == "confirmed" else None)
    db.session.commit()
    return claim


def in_one_incident(claims: list[Claim]) -> Incident:
    officer = find_user("officer_cl")
    where = IncidentInput(TODAY - timedelta(hours=20), "和吕村后山稻田", species_id=claims[0].species_id, herd_size=6)
    incident = create_incident(claims[0], where, actor=officer)
    for claim in claims[1:]:
        join_incident(claim, incident, actor=officer)
    db.session.commit()
    return incident


def value_all(claims: list[Claim]) -> None:
    for claim in claims:
        compute_valuation(claim, actor=find_user("officer_cl"))
        db.session.commit()


def approve_all(claims: list[Claim]) -> None:
    for claim in claims:
        value_claim_step(claim, actor=find_user("officer_cl"))
    db.session.commit()
    operations.create_notice_batch(claims[0].township, claims, clock.local_today(), actor=find_user("clerk_cl"))
    db.session.commit()
    clock.freeze(clock.utcnow() + timedelta(days=8))
    for claim in claims:
        assert operations.approve(claim, actor=find_user("approver_cl"))
    db.session.commit()


def test_five_households_share_a_binding_per_accident_cap_through_to_payment(capped) -> None:  # type: ignore[no-untyped-def]
    claims = [household(n, rate) for n, rate in enumerate((100, 80, 60, 40, 20), start=1)]
    incident = in_one_incident(claims)
    assert incident.number == "SG-430224-2026-0001" and incident_claims(incident) == claims
    value_all(claims)
    # 6360.00 before the cap > 5500: in fen, 550000 x amount / 636000 is 183333.33, 146666.67, 110000, 73333.33,
    # 36666.67; the floors leave 2 fen, to the largest remainders (.67), the second and the fifth household
    shares = [D("1833.33"), D("1466.67"), D("1100.00"), D("733.33"), D("366.67")]
    assert [current_valuation(c).total for c in claims] == shares
    assert sum(shares) == D("5500.00")
    first = current_valuation(claims[0])
    assert first.computed_total == D("1833.33")  # the engine's own figure, the share applied inside it
    cap_line = next(line for line in first.result["lines"] if line["id"].startswith("cap_accident"))
    assert cap_line["amount"] == "-286.67"  # 2120.00 - 1833.33
    explanation = "事故SG-430224-2026-0001每次事故补偿上限5500.00元；本次5户按上限前金额合计6360.00元，按比例分配，本户上限前2120.00元，分得1833.33元"
    assert cap_line["rule"].startswith(explanation)
    approve_all(claims)
    assert [c.status for c in claims] == [ClaimStatus.APPROVED] * 5
    decision = compensation_decision(claims[0])
    assert decision.total == D("1833.33") and decision.shared_cap == explanation  # type: ignore[attr-defined]
    assert any(line.basis.startswith(explanation) and line.amount == D("-286.67") for line in decision.lines)  # type: ignore[attr-defined]
    treasurer = find_user("approver_cl")
    batch = payments.create_batch(claims[0].county, actor=treasurer)
    rows = list(csv.DictReader(io.StringIO(payments.export_csv(batch, actor=treasurer).decode("utf-8-sig"))))
    assert sorted(D(r["amount"]) for r in rows) == sorted(shares)
    result = "reference,status,amount,bank_reference\r\n" + "".join(f"{r['reference']},SUCCESS,{r['amount']},CBS{i}\r\n" for i, r in enumerate(rows))
    assert payments.import_results(batch, result.encode(), actor=treasurer).paid == 5
    db.session.commit()
    assert {c.status for c in claims} <= {ClaimStatus.PAID, ClaimStatus.CLOSED}


def test_a_household_joining_after_others_were_approved_shares_what_the_cap_has_left(capped) -> None:  # type: ignore[no-untyped-def]
    early = [household(n, rate) for n, rate in enumerate((100, 80, 60), start=1)]
    incident = in_one_incident(early)
    value_all(early)
    assert [current_valuation(c).total for c in early] == [D("2120.00"), D("1696.00"), D("1272.00")]  # 5088.00 <= 5500: the cap does not bind
    approve_all(early)
    late = household(4, 100)
    join_incident(late, incident, actor=find_user("officer_cl"))
    db.session.commit()
    value_all([late])
    valuation = current_valuation(late)
    assert valuation.total == D("412.00")  # 5500 - 5088.00 left after three approved claims; 2120.00 before the cap
    text = (
        "事故SG-430224-2026-0001每次事故补偿上限5500.00元，已核定3件申请共5088.00元，上限尚余412.00元；"
        "本次1户按上限前金额合计2120.00元，按比例分配，本户上限前2120.00元，分得412.00元"
    )
    assert valuation.input_snapshot["incident"]["explanation"] == text
    assert [current_valuation(c).total for c in early] == [D("2120.00"), D("1696.00"), D("1272.00")]  # frozen: theirs


def test_a_claim_joining_after_it_was_valued_must_be_valued_again(capped) -> None:  # type: ignore[no-untyped-def]
    first, second = household(1, 100), household(2, 80)
    incident = in_one_incident([first])
    value_all([first, second])
    assert current_valuation(second).total == D("1696.00")  # alone: 1696.00 < 5500
    join_incident(second, incident, actor=find_user("officer_cl"))
    db.session.commit()
    with pytest.raises(WorkflowError):
        value_claim_step(second, actor=find_user("officer_cl"))
    db.session.rollback()
    compute_valuation(second, actor=find_user("officer_cl"), reason="并入同一事故")
    db.session.commit()
    assert current_valuation(second).total == D("1696.00")  # 2120 + 1696 = 3816.00 <= 5500: each keeps its amount
    actions = {e.action for e in db.session.query(AuditEvent).filter(AuditEvent.claim_id == second.id)}
    assert {"incident_joined", "valuation_recomputed"} <= actions


def test_only_an_officer_of_the_county_puts_a_claim_in_an_incident_once(capped) -> None:  # type: ignore[no-untyped-def]
    claim = household(1, 100)
    where = IncidentInput(TODAY - timedelta(hours=20), "和吕村")
    for login in ("clerk_cl", "officer", "approver_cl"):
        with pytest.raises(WorkflowError):
            create_incident(claim, where, actor=find_user(login))
        db.session.rollback()
    incident = create_incident(claim, where, actor=find_user("officer_cl"))
    db.session.commit()
    with pytest.raises(WorkflowError):
        join_incident(claim, incident, actor=find_user("officer_cl"))
    db.session.rollback()


def test_the_officer_creates_and_joins_an_incident_from_the_claim_page(app, as_user) -> None:  # type: ignore[no-untyped-def]
    clock.freeze(TODAY)
    with app.app_context():
        admin = find_user("admin")
        publish_schedule(import_schedule(PER_ACCIDENT, actor=admin), actor=admin)
        first, second = (household(n, rate).id for n, rate in ((1, 100), (2, 80)))
        db.session.remove()
    client = as_user("officer_cl")
    page = client.get(f"/claims/{first}").get_data(as_text=True)
    assert 'id="incident-panel"' in page and "以本申请新建事故" in page
    token = csrf_token(client, f"/claims/{first}")
    form = {"csrf_token": token, "occurred_at": "2026-06-14T14:00", "place": "和吕村后山稻田", "herd_size": "六"}
    refused = client.post(f"/claims/{first}/incident", data=form)
    assert refused.status_code == 422 and "请输入整数" in refused.get_data(as_text=True) and "和吕村后山稻田" in refused.get_data(as_text=True)
    assert client.post(f"/claims/{first}/incident", data=form | {"herd_size": "6"}).status_code == 302
    with app.app_context():
        incident = db.session.execute(select(Incident)).scalar_one()
        assert (incident.number, incident.place, incident.herd_size) == ("SG-430224-2026-0001", "和吕村后山稻田", 6)
        incident_id = incident.id
    page = client.get(f"/claims/{second}").get_data(as_text=True)
    assert "SG-430224-2026-0001 和吕村后山稻田" in page and "并入本县已有事故" in page
    assert client.post(f"/claims/{second}/incident/join", data={"csrf_token": token, "incident": str(incident_id)}).status_code == 302
    for claim_id in (first, second):
        assert client.post(f"/claims/{claim_id}/valuation", data={"csrf_token": token}).status_code == 302
    page = client.get(f"/claims/{first}").get_data(as_text=True)
    assert "本申请是事故SG-430224-2026-0001的一户" in page and 'id="incident-share"' in page
    assert "本次2户按上限前金额合计3816.00元" in page  # 2120.00 + 1696.00, within the cap of 5500: each keeps its amount
    assert client.post(f"/claims/{second}/incident/join", data={"csrf_token": token, "incident": str(incident_id)}).status_code == 302
    with app.app_context():
        assert len(incident_claims(db.session.get(Incident, incident_id))) == 2  # joining twice changes nothing


def test_mass_event_tags_assigns_and_values_many_claims_in_runs(app, as_user) -> None:  # type: ignore[no-untyped-def]
    """The mass event pages: find the county's claims of the day, tag them, assign their surveys, value them in one run."""
    clock.freeze(TODAY)
    with app.app_context():
        admin = find_user("admin")
        publish_schedule(import_schedule(PER_ACCIDENT, actor=admin), actor=admin)
        claims = [household(n, 100, "accepted") for n in (1, 2, 3)]
        other_day = file_claim("clerk_cl", village=YANTANG_VILLAGE, name="户主9", mobile="13700000109", incident_utc=TODAY - timedelta(days=3))
        db.session.commit()
        ids, other_id = [c.id for c in claims], other_day.id
        officer2 = find_user("officer_cl2").id
        officer1 = find_user("officer_cl").id
        db.session.remove()
    client = as_user("officer_cl")
    token = csrf_token(client, "/incidents")
    refused = client.post("/incidents", data={"csrf_token": token, "occurred_at": "2026-06-14T14:00", "place": ""})
    assert refused.status_code == 422 and "请填写事故发生地点" in refused.get_data(as_text=True)
    created = client.post("/incidents", data={"csrf_token": token, "occurred_at": "2026-06-14T14:00", "place": "严塘镇和吕村", "herd_size": "14"})
    assert created.status_code == 302
    incident_id = int(created.headers["Location"].rsplit("/", 1)[1])
    search = {"date_from": "2026-06-14", "date_to": "2026-06-14"}
    page = client.get(f"/incidents/{incident_id}", query_string=search | {"search": "1"}).get_data(as_text=True)
    with app.app_context():
        numbers = [db.session.get(Claim, i).number for i in ids]
        other_number = db.session.get(Claim, other_id).number
    assert all(number in page for number in numbers) and other_number not in page  # filed for the day before: not found
    bad = client.get(f"/incidents/{incident_id}", query_string={"search": "1", "date_from": "2026-06-14", "date_to": "2026-06-01"})
    assert bad.status_code == 422 and "结束日期早于开始日期" in bad.get_data(as_text=True)
    report = client.post(f"/incidents/{incident_id}/tag", data=search | {"csrf_token": token}).get_data(as_text=True)
    assert "3件中3件已完成" in report
    assigned = client.post(f"/incidents/{incident_id}/assign", data={"csrf_token": token, "surveyors": [str(officer1), str(officer2)]})
    assert "3件中3件已完成" in assigned.get_data(as_text=True)
    with app.app_context():
        for claim_id in ids:
            claim = db.session.get(Claim, claim_id)
            assert claim.status == ClaimStatus.SURVEY_ASSIGNED
            advance(claim, "confirmed", county="chaling", survey=survey_input(claim, rate=100))
        db.session.commit()
        db.session.remove()
    valued = client.post(f"/incidents/{incident_id}/value", data={"csrf_token": token}).get_data(as_text=True)
    # 3 x 2120.00 = 6360.00 > 5500: 550000 x 2120 / 6360 = 183333.33 fen each; the fen left goes to the first (a tie)
    assert "3件中3件已完成" in valued and valued.count("¥1,833.33") == 2 and valued.count("¥1,833.34") == 1
    with app.app_context():
        assert [current_valuation(db.session.get(Claim, i)).total for i in ids] == [D("1833.34"), D("1833.33"), D("1833.33")]
        events = db.session.query(AuditEvent).filter(AuditEvent.action == "incident_tagged").count()
        assert events == 3


def test_a_mass_run_is_bounded_and_reports_each_refusal(capped, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    claims = [household(n, 100, "accepted") for n in (1, 2, 3)]
    county = claims[0].county
    monkeypatch.setattr(mass_event, "MAX_BULK", 2)
    with pytest.raises(WorkflowError, match="超过2件申请"):
        mass_event.claims_to_tag(mass_event.ClaimFilter(county.id))
    monkeypatch.setattr(mass_event, "MAX_BULK", 1000)
    officer = find_user("officer_cl")
    incident = new_incident(county, IncidentInput(TODAY - timedelta(hours=20), "和吕村"), actor=officer)
    outcomes = mass_event.tag_claims(incident, mass_event.claims_to_tag(mass_event.ClaimFilter(county.id)), actor=officer)
    assert [o.problem for o in outcomes] == [None, None, None]
    db.session.commit()
    # the same officer alone: the county needs two surveyors, so each claim is refused with the reason, none assigned
    outcomes = mass_event.assign_surveys(mass_event.claims_in(incident, ClaimStatus.ACCEPTED), [officer], actor=officer)
    assert len(outcomes) == 3 and all(o.problem for o in outcomes)
    assert {c.status for c in claims} == {ClaimStatus.ACCEPTED}


CAP_FROM_14 = """format: 1
code: t-zhuzhou-accident-later
title: 测试每次事故上限
region: "430200"
document: {title: 测试文件, number: 测〔2026〕3号}
effective_from: 2026-06-14
caps:
  per_accident: 1000
"""


def test_the_incidents_cap_is_the_smallest_of_its_claims_and_applies_to_each(ctx) -> None:  # type: ignore[no-untyped-def]
    """Review #1: the first claim (incident date 06-12) has no per-accident cap in force, the second (06-14) has
    1000. The incident's cap is the smallest its claims carry, 1000, shared by both: each 2120.00 before the cap,
    1000 x 2120 / 4240 = 500.00 each (before the fix the second kept 2120.00 with no share and was let through)."""
    clock.freeze(TODAY)
    admin = find_user("admin")
    publish_schedule(import_schedule(CAP_FROM_14, actor=admin), actor=admin)
    db.session.commit()
    officer = find_user("officer_cl")

    def filed(n: int, when: datetime) -> Claim:
        claim = file_claim(
            "clerk_cl", village=YANTANG_VILLAGE, name=f"户主{n}", mobile=f"1370001{n:04d}", id_number=resident_id(f"43022419700101{n:03d}"), incident_utc=when
        )
        advance(claim, "confirmed", county="chaling", survey=survey_input(claim, rate=100))
        db.session.commit()
        return claim

    early, late = filed(1, TODAY - timedelta(days=3)), filed(2, TODAY - timedelta(hours=20))
    value_all([late])
    assert current_valuation(late).total == D("1000.00")  # alone: 2120.00 capped at its own 1000
    incident = create_incident(early, IncidentInput(TODAY - timedelta(hours=20), "和吕村"), actor=officer)
    join_incident(late, incident, actor=officer)
    db.session.commit()
    compute_valuation(early, actor=officer)
    compute_valuation(late, actor=officer, reason="并入事故")
    db.session.commit()
    assert [current_valuation(c).total for c in (early, late)] == [D("500.00"), D("500.00")]
    # valued without sharing (share=False) while the cap applies: the value step asks for a new computation
    compute_valuation(late, actor=officer, reason="再算", share=False)
    db.session.commit()
    assert current_valuation(late).input_snapshot["incident"].get("share") is None
    with pytest.raises(WorkflowError, match="请重新计算核定金额"):
        value_claim_step(late, actor=officer)
    db.session.rollback()


def test_households_valued_one_at_a_time_share_the_cap_pro_rata(capped) -> None:  # type: ignore[no-untyped-def]
    """Review #2: five households tagged at once, each valued as its survey is confirmed. None may be submitted
    while another is not valued; once all are, the shares are pro rata whoever is submitted first:
    5500 x (2120, 1696, 1272, 848, 424) / 6360 = 1833.33, 1466.67, 1100.00, 733.33, 366.67 (not 2120, 1696,
    1272, 412, 0 as when the first submitted took its whole amount)."""
    claims = [household(1, 100)] + [household(n, rate, to="accepted") for n, rate in enumerate((80, 60, 40, 20), start=2)]
    incident = in_one_incident(claims)
    officer = find_user("officer_cl")
    value_all(claims[:1])
    with pytest.raises(WorkflowError, match=f"事故{incident.number}还有4户尚未核算"):
        value_claim_step(claims[0], actor=officer)
    db.session.rollback()
    for claim, rate in zip(claims[1:], (80, 60, 40, 20), strict=True):
        advance(claim, "confirmed", county="chaling", survey=survey_input(claim, rate=rate))
        db.session.commit()
        value_all([claim])
    for claim in claims:
        value_claim_step(claim, actor=officer)
        db.session.commit()
    assert [current_valuation(c).total for c in claims] == [D("1833.33"), D("1466.67"), D("1100.00"), D("733.33"), D("366.67")]
    assert {c.status for c in claims} == {ClaimStatus.VALUED}


BOTH_CAPS = """format: 1
code: t-zhuzhou-both
title: 测试每次事故与每户年度上限
region: "430200"
document: {title: 测试文件, number: 测〔2026〕4号}
effective_from: 2026-01-01
caps:
  per_accident: 5500
  per_household_year: 1000
"""


def test_the_household_cap_is_not_reported_as_the_accident_cap(ctx) -> None:  # type: ignore[no-untyped-def]
    """Review #5: per accident 5500, per household and year 1000; one household of an incident, 2120.00 before
    the caps. The accident cap weighs it at 2120.00 (what it holds at that step) and takes nothing (2120 <= 5500);
    the household cap then takes 1120.00 off: total 1000.00."""
    clock.freeze(TODAY)
    admin = find_user("admin")
    publish_schedule(import_schedule(BOTH_CAPS, actor=admin), actor=admin)
    db.session.commit()
    claim = household(1, 100)
    in_one_incident([claim])
    value_all([claim])
    valuation = current_valuation(claim)
    assert valuation.total == D("1000.00")
    deductions = {line["id"].split(":")[0]: D(line["amount"]) for line in valuation.result["lines"] if line["kind"] == "deduction"}
    assert "cap_accident" not in deductions and deductions["cap_household"] == D("-1120.00")
    assert valuation.input_snapshot["incident"]["explanation"].endswith("本户上限前2120.00元，分得2120.00元")


def test_a_household_whose_share_changes_gets_a_new_version(capped) -> None:  # type: ignore[no-untyped-def]
    """Review #7: valuing the fifth household lowers the four others' shares; their claims' versions move on, so a
    form loaded with the old amount (an officer about to submit it) is refused as stale."""
    claims = [household(n, rate) for n, rate in enumerate((100, 80, 60, 40, 20), start=1)]
    in_one_incident(claims)
    value_all(claims[:4])  # 2120 + 1696 + 1272 + 848 = 5936 > 5500: already shared
    versions = [c.version for c in claims[:4]]
    value_all(claims[4:])
    assert [current_valuation(c).total for c in claims] == [D("1833.33"), D("1466.67"), D("1100.00"), D("733.33"), D("366.67")]
    assert all(c.version > v for c, v in zip(claims[:4], versions, strict=True)), ([c.version for c in claims[:4]], versions)


def test_two_officers_linking_one_claim_at_once_are_told_and_the_transaction_goes_on(capped) -> None:  # type: ignore[no-untyped-def]
    """Review #8: the second link of a claim (the other officer's, committed a moment before) is refused in a
    savepoint, with a message instead of a 500, and the rest of the transaction still commits."""
    first, second = household(1, 100), household(2, 80)
    incident = in_one_incident([first])
    with pytest.raises(WorkflowError, match="请重试"):
        add_once(IncidentClaim(claim_id=first.id, incident_id=incident.id, joined_by_id=find_user("officer_cl").id))
    join_incident(second, incident, actor=find_user("officer_cl"))
    db.session.commit()
    assert [c.id for c in incident_claims(incident)] == [first.id, second.id]


def test_a_household_taken_out_of_the_incident_leaves_the_cap_to_the_others(app, as_user) -> None:  # type: ignore[no-untyped-def]
    """A claim tagged by mistake is taken out, with a reason, from its claim page. Five households valued under the
    5500 cap got 1833.33, 1466.67, 1100.00, 733.33, 366.67; without the fifth (424.00 before the cap) the four share
    5500 x (2120, 1696, 1272, 848) / 5936 = 196428.571, 157142.857, 117857.142, 78571.428 fen, the two fen left to
    the largest remainders: 1964.29, 1571.43, 1178.57, 785.71. The fifth is valued again, alone: 424.00."""
    clock.freeze(TODAY)
    with app.app_context():
        admin = find_user("admin")
        publish_schedule(import_schedule(PER_ACCIDENT, actor=admin), actor=admin)
        claims = [household(n, rate) for n, rate in enumerate((100, 80, 60, 40, 20), start=1)]
        incident = in_one_incident(claims)
        value_all(claims)
        ids, out, incident_id = [c.id for c in claims], claims[4].id, incident.id
        db.session.remove()
    client = as_user("officer_cl")
    page = client.get(f"/claims/{out}").get_data(as_text=True)
    assert 'id="incident-leave-form"' in page
    token = csrf_token(client, f"/claims/{out}")
    refused = client.post(f"/claims/{out}/incident/leave", data={"csrf_token": token, "reason": "  "})
    assert refused.status_code == 422 and "请说明移出事故的理由" in refused.get_data(as_text=True)
    assert client.post(f"/claims/{out}/incident/leave", data={"csrf_token": token, "reason": "另一群野猪所致，误标"}).status_code == 302
    with app.app_context():
        incident = db.session.get(Incident, incident_id)
        claims = [db.session.get(Claim, i) for i in ids]
        assert [c.id for c in incident_claims(incident)] == ids[:4]
        assert [current_valuation(c).total for c in claims[:4]] == [D("1964.29"), D("1571.43"), D("1178.57"), D("785.71")]
        event = db.session.query(AuditEvent).filter_by(claim_id=out, action="incident_left").one()
        assert (event.reason, event.changes) == ("另一群野猪所致，误标", {"incident": incident.number})
        assert current_valuation(claims[4]).total == D("424.00")  # valued again alone on leaving: 2120 x 20 %
        assert current_valuation(claims[4]).reason == "本申请已移出事故" + incident.number + "，单独重新核算。"
        value_claim_step(claims[4], actor=find_user("officer_cl"))
        db.session.commit()
        db.session.remove()
    again = client.post(f"/claims/{out}/incident/leave", data={"csrf_token": token, "reason": "再次移出"}, follow_redirects=True)
    assert "本申请不属于任何事故" in again.get_data(as_text=True)


def test_the_mass_search_needs_a_condition(app, as_user) -> None:  # type: ignore[no-untyped-def]
    """Searching (and so tagging) every open claim of the county at once is refused in Chinese."""
    clock.freeze(TODAY)
    with app.app_context():
        officer = find_user("officer_cl")
        incident = new_incident(officer.region, IncidentInput(TODAY, "严塘镇"), actor=officer)
        db.session.commit()
        incident_id = incident.id
    client = as_user("officer_cl")
    page = client.get(f"/incidents/{incident_id}", query_string={"search": "1"})
    assert page.status_code == 422 and "请至少给出一个条件" in page.get_data(as_text=True)
    token = csrf_token(client, f"/incidents/{incident_id}")
    assert client.post(f"/incidents/{incident_id}/tag", data={"csrf_token": token}).status_code == 400


def test_a_claim_taken_out_and_tagged_in_again_keeps_no_old_share(capped) -> None:  # type: ignore[no-untyped-def]
    """Review: the fifth household (424.00) leaves, and the township's search tags it in again. Leaving valued it
    again alone, so it holds no share of the incident: it must be valued again before submission, and the five
    submitted together stay within the 5500 cap (1833.33 + 1466.67 + 1100.00 + 733.33 + 366.67)."""
    claims = [household(n, rate) for n, rate in enumerate((100, 80, 60, 40, 20), start=1)]
    incident = in_one_incident(claims)
    value_all(claims)
    officer = find_user("officer_cl")
    mass_event.leave_incident(claims[4], actor=officer, reason="误标")
    db.session.commit()
    assert current_valuation(claims[4]).total == D("424.00") and current_valuation(claims[4]).input_snapshot.get("incident") is None
    found = mass_event.claims_to_tag(mass_event.ClaimFilter(claims[0].county_id, township_id=claims[0].township_id))
    assert [o.problem for o in mass_event.tag_claims(incident, found, actor=officer)] == [None]
    db.session.commit()
    with pytest.raises(WorkflowError):
        value_claim_step(claims[4], actor=officer)  # valued alone: computed again in the incident first
    db.session.rollback()
    compute_valuation(claims[4], actor=officer, reason="重新加入事故")
    db.session.commit()
    for claim in claims:
        value_claim_step(claim, actor=officer)
    db.session.commit()
    assert [current_valuation(c).total for c in claims] == [D("1833.33"), D("1466.67"), D("1100.00"), D("733.33"), D("366.67")]


def test_an_officer_related_to_any_household_may_not_take_another_out(capped) -> None:  # type: ignore[no-untyped-def]
    """Review: taking one household out raises the others' shares, so an officer related to any household of the
    incident may not do it (the relative's 1833.33 would become 1964.29)."""
    claims = [household(n, rate) for n, rate in enumerate((100, 80, 60, 40, 20), start=1)]
    in_one_incident(claims)
    value_all(claims)
    officer = find_user("officer_cl")
    declare_relative(officer, resident_id("43022419700101001"), "兄弟")
    db.session.commit()
    with pytest.raises(WorkflowError, match="亲属"):
        mass_event.leave_incident(claims[4], actor=officer, reason="误标")
    db.session.rollback()
    assert current_valuation(claims[0]).total == D("1833.33")
    mass_event.leave_incident(claims[4], actor=find_user("officer_cl2"), reason="误标")  # another officer may
    db.session.commit()
    assert current_valuation(claims[0]).total == D("1964.29")


def test_a_refused_leave_keeps_the_reason_typed(app, as_user) -> None:  # type: ignore[no-untyped-def]
    """Another officer changed the claim while the form was open: the claim page comes back with the reason as typed
    and the claim as it is now (409); sent again from there, the claim leaves."""
    clock.freeze(TODAY)
    with app.app_context():
        claims = [household(n, rate) for n, rate in enumerate((100, 80), start=1)]
        in_one_incident(claims)
        out = claims[1].id
        db.session.remove()
    client = as_user("officer_cl")
    page = client.get(f"/claims/{out}").get_data(as_text=True)
    token = csrf_token(client, f"/claims/{out}")
    form = re.search(r'<form[^>]*id="incident-leave-form".*?</form>', page, re.S)
    assert form is not None
    hidden = dict(re.findall(r'<input[^>]*name="(incident|version)"[^>]*value="(\d+)"', form.group(0)))
    assert set(hidden) == {"incident", "version"}, form.group(0)
    with app.app_context():
        claim = db.session.get(Claim, out)
        claim.version += 1  # someone else's step in between
        db.session.commit()
        db.session.remove()
    reason = "另一群野猪所致，误标"
    refused = client.post(f"/claims/{out}/incident/leave", data={"csrf_token": token, "reason": reason, **hidden})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 409 and "已被其他人修改" in html
    again = re.search(r'<form[^>]*id="incident-leave-form".*?</form>', html, re.S)
    assert again is not None and reason in again.group(0)  # the reason is still in the box
    moved = dict(re.findall(r'<input[^>]*name="(incident|version)"[^>]*value="(\d+)"', again.group(0)))
    assert int(moved["version"]) == int(hidden["version"]) + 1
    assert client.post(f"/claims/{out}/incident/leave", data={"csrf_token": token, "reason": reason, **moved}).status_code == 302
    with app.app_context():
        assert db.session.query(AuditEvent).filter_by(claim_id=out, action="incident_left").one().reason == reason
