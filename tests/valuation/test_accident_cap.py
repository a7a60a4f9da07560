"""The per-accident cap (`caps.per_accident`): alone it is the claim's own cap; across an incident's claims it is
shared pro rata, to the fen by the largest remainder (claims/valuation/accident.py). Amounts worked by hand."""

from __future__ import annotations

from datetime import date

from claims.valuation.accident import share_accident_cap
from claims.valuation.engine import value_claim
from claims.valuation.spec import IncidentShare, ReferenceData, ValuationInput, input_from_json, input_to_json
from tests.valuation.helpers import HUNAN_PATH, D, amounts, loss, schedule, value

CAPPED = """
caps: {per_accident: 10000}
items:
  - {key: crops, category: crop, method: fixed_rate, unit: mu, rate: 1000}
  - {key: pigs, category: livestock, method: fixed_rate, unit: head, rate: 2000}
"""


def test_a_claim_valued_alone_takes_the_per_accident_cap_as_its_own() -> None:
    result = value([loss("L1", "crop", "玉米", "8", "mu"), loss("L2", "livestock", "猪", "2", "head")], schedule(CAPPED))
    # 8 x 1000 + 2 x 2000 = 12000 -> 10000: 2000 off, pro rata 8000 : 4000 -> 1333.33 crops, 666.67 pigs
    assert result.total == D("10000.00")
    assert amounts(result)["cap_accident:crop"] == D("-1333.33") and amounts(result)["cap_accident:livestock"] == D("-666.67")
    assert "每次事故补偿上限10000.00元" in result.lines[-1].rule


def _in_incident(share: str | None, explanation: str = "") -> ValuationInput:
    incident = IncidentShare("SG-430224-2026-0001", D(share) if share is not None else None, explanation)
    return ValuationInput(date(2025, 6, 1), HUNAN_PATH, (loss("L1", "crop", "玉米", "8", "mu"),), (), incident=incident)


def test_a_claim_of_an_incident_takes_its_share_and_no_more() -> None:
    spec = schedule(CAPPED)
    assert value_claim(_in_incident(None), [spec], ReferenceData()).total == D("8000.00")  # not shared yet: the amount before the cap
    shared = value_claim(_in_incident("3076.92", "事故SG-430224-2026-0001……分得3076.92元"), [spec], ReferenceData())
    assert shared.total == D("3076.92")  # 8000 - 4923.08
    assert amounts(shared)["cap_accident:crop"] == D("-4923.08") and shared.lines[-1].rule.startswith("事故SG-430224-2026-0001")
    assert value_claim(_in_incident("9000.00"), [spec], ReferenceData()).total == D("8000.00")  # a share above the amount takes nothing off


def test_the_incident_survives_the_stored_input() -> None:
    inp = _in_incident("3076.92", "说明")
    assert input_from_json(input_to_json(inp)) == inp
    assert input_from_json(input_to_json(_in_incident(None))) == _in_incident(None)


def test_shares_pro_rata_to_the_fen_by_the_largest_remainder() -> None:
    amounts_before = [("A", D("8000.00")), ("B", D("6000.00")), ("C", D("4000.00")), ("D", D("3000.00")), ("E", D("5000.00"))]
    found = share_accident_cap(amounts_before, D("10000"))
    # total 26000; in fen: A 1000000 x 8000 / 26000 = 307692.31 -> 307692; B 230769.23 -> 230769; C 153846.15 -> 153846;
    # D 115384.62 -> 115384; E 192307.69 -> 192307; floors sum 999998: the 2 fen left go to the largest remainders,
    # E (.69) and D (.62)
    assert found.total == D("26000.00") and found.binds
    assert sum(found.shares.values()) == D("10000.00")
    assert found.shares == {"A": D("3076.92"), "B": D("2307.69"), "C": D("1538.46"), "D": D("1153.85"), "E": D("1923.08")}


def test_ties_go_to_the_claim_listed_first() -> None:
    found = share_accident_cap([("A", D("1.00")), ("B", D("1.00")), ("C", D("1.00"))], D("1.00"))
    assert found.shares == {"A": D("0.34"), "B": D("0.33"), "C": D("0.33")}  # 33.33 fen each, the fen left to A


def test_what_earlier_decided_claims_took_comes_off_first() -> None:
    found = share_accident_cap([("F", D("4000.00"))], D("10000"), taken=D("9000.00"), decided=5)
    assert found.room == D("1000.00") and found.shares == {"F": D("1000.00")}
    text = found.explanation("SG-430224-2026-0001", "F", D("4000.00"))
    assert text == (
        "事故SG-430224-2026-0001每次事故补偿上限10000.00元，已核定5件申请共9000.00元，上限尚余1000.00元；"
        "本次1户按上限前金额合计4000.00元，按比例分配，本户上限前4000.00元，分得1000.00元"
    )
    spent = share_accident_cap([("F", D("4000.00"))], D("10000"), taken=D("10000.00"), decided=5)
    assert spent.shares == {"F": D("0.00")}


def test_below_the_cap_each_keeps_its_amount() -> None:
    found = share_accident_cap([("A", D("3000.00")), ("B", D("2000.00"))], D("10000"), taken=D("4000"), decided=1)
    assert not found.binds and found.shares == {"A": D("3000.00"), "B": D("2000.00")}
