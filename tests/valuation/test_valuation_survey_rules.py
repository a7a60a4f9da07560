"""The schedule rules that read what the survey records (issue 16, item 3): prevention measures and missing
animals, with the personal fields a survey now verifies; each amount worked out by hand in the comment."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from claims.survey.models import PreventionMeasure
from claims.valuation.fileformat import FileError, parse_schedule
from claims.valuation.spec import PREVENTION_MEASURES, ValuationInput, input_from_json, input_to_json
from tests.valuation.helpers import HUNAN_PATH, D, amounts, header, loss, schedule, value

PREVENTION = """
prevention:
  - {categories: [crop, economic_tree], measures: [fence, electric_fence, guarding, scaring], ratio: 0.50}
  - {categories: [livestock, poultry], measures: [penned, herded], refuse: true, note: 牲畜未圈养或放牧无人看管}
items:
  - {key: 水稻, category: crop, names: [水稻], rate: 1538, unit: mu, ratio: 0.80}
  - {key: 羊, category: livestock, names: [羊], rate: 800, unit: head}
"""
RICE = loss("L1", "crop", "水稻", "2", "mu", loss_rate=80)
GOATS = loss("L2", "livestock", "羊", "3", "head")


def test_the_survey_checklist_and_the_schedule_know_the_same_measures() -> None:
    assert set(PREVENTION_MEASURES) == {m.value for m in PreventionMeasure}


def test_one_measure_of_the_rule_in_place_pays_in_full() -> None:
    result = value([RICE, GOATS], schedule(PREVENTION), prevention=("scaring", "herded"))
    # rice 2 x 1538 x 80% x 80% = 1968.64; goats 3 x 800 = 2400
    assert amounts(result) == {"L1": D("1968.64"), "L2": D("2400.00")}
    assert result.total == D("4368.64")


def test_no_measure_in_place_halves_crops_and_refuses_animals() -> None:
    result = value([RICE, GOATS], schedule(PREVENTION), prevention=())
    # rice 2 x 1538 x 80% x 80% x 50% = 984.32; goats refused
    assert amounts(result) == {"L1": D("984.32"), "L2": D("0.00")}
    assert result.total == D("984.32")
    rice, goats = result.lines
    assert "× 未采取防范措施（围栏或围网、电围栏、看守或夜间值守、驱赶装置，至少其一）按50%计 = 984.32元" in rice.rule
    assert rice.ratio == D("0.40")  # 80% x 50%
    assert not goats.payable
    assert goats.reason == "未采取防范措施（圈养或夜间入圈、放牧有人看管，至少其一；牲畜未圈养或放牧无人看管），不符合补偿条件"


def test_a_measure_of_another_rule_does_not_count() -> None:
    # penned is the animals' measure, not the crops': rice is still halved (984.32), the goats are paid (2400)
    result = value([RICE, GOATS], schedule(PREVENTION), prevention=("penned",))
    assert result.total == D("3384.32")  # 984.32 + 2400


def test_no_checklist_recorded_meets_every_rule() -> None:
    # a survey before the checklist (prevention None): 1968.64 + 2400, as before the rule existed
    assert value([RICE, GOATS], schedule(PREVENTION)).total == D("4368.64")


def test_the_reduced_line_is_capped_and_deducted_like_any_other() -> None:
    spec = schedule(
        """
        minimum: {kind: deductible, amount: 200, order: before_ratio}
        prevention:
          - {categories: [crop], measures: [fence], ratio: 0.50}
        items:
          - {key: 玉米, category: crop, names: [玉米], rate: 1000, unit: mu, ratio: 0.80, cap: 300}
        """
    )
    # 1 mu without a fence: ratio 80% x 50% = 40%; 1000 x 40% = 400, capped at 300; the deductible before the
    # ratio gives (1000 - 200) x 40% = 320, still above the cap: the line keeps 300
    assert value([loss("L1", "crop", "玉米", "1", "mu")], spec, prevention=()).total == D("300.00")
    # 0.5 mu: 500 x 40% = 200; (500 - 200) x 40% = 120
    assert value([loss("L1", "crop", "玉米", "0.5", "mu")], spec, prevention=()).total == D("120.00")


def test_a_refused_line_adds_nothing_to_the_tiered_total() -> None:
    spec = schedule(
        """
        prevention:
          - {categories: [livestock], measures: [penned], refuse: true}
        tiers:
          - {from: 0, to: 1000, ratio: 0.80}
          - {from: 1000, ratio: 0.50}
        items:
          - {key: 玉米, category: crop, names: [玉米], rate: 1000, unit: mu, tiered: true}
          - {key: 猪, category: livestock, names: [猪], rate: 1000, unit: head, tiered: true}
        """
    )
    result = value([loss("L1", "crop", "玉米", "0.5", "mu"), loss("L2", "livestock", "猪", "1", "head")], spec, prevention=())
    # the pig is refused, so the tiered total is the maize's 500 alone: 500 x 80% = 400 (not the 1500 tier's 50%)
    assert amounts(result) == {"L1": D("400.00"), "L2": D("0.00")}


MARGINAL = """
prevention:
  - {categories: [crop], measures: [fence], ratio: 0.50}
tier_method: marginal
tiers:
  - {from: 0, to: 1000, ratio: 0.80}
  - {from: 1000, ratio: 0.50}
items:
  - {key: 玉米, category: crop, names: [玉米], rate: 1000, unit: mu, tiered: true}
"""


def test_marginal_tier_share_is_reduced_too() -> None:
    spec = schedule(MARGINAL)
    # 2 mu = 2000: 1000 x 80% + 1000 x 50% = 1300, x 50% without a fence = 650
    assert value([loss("L1", "crop", "玉米", "2", "mu")], spec, prevention=()).total == D("650.00")


def test_marginal_tiers_under_a_deductible_before_the_ratio_keep_the_prevention_ratio() -> None:
    spec = schedule("minimum: {kind: deductible, amount: 500, order: before_ratio}" + MARGINAL)
    maize = loss("L1", "crop", "玉米", "2", "mu")
    # with a fence: 2000 - 500 = 1500; 1000 x 80% + 500 x 50% = 1050
    assert value([maize], spec, prevention=("fence",)).total == D("1050.00")
    # without: 2000 x slices = 1300 x 50% = 650 before the deductible; (800 + 250) x 50% = 525 after it,
    # a deduction line of 650 - 525 = 125 (the review found 650 and no deduction line)
    result = value([maize], spec, prevention=())
    assert result.total == D("525.00")
    assert [(line.kind, line.amount) for line in result.lines] == [("loss", D("650.00")), ("deduction", D("-125.00"))]


MISSING = "  - {key: 羊, category: livestock, names: [羊], rate: 800, unit: head, ratio_killed: 0.60, ratio_injured: 0.30}\n"


@pytest.mark.parametrize(
    ("setting", "total", "text"),
    [
        ("", "0.00", "牲畜失踪，本标准未规定失踪牲畜的补偿"),  # not paid by default
        ("missing: not_paid\n", "0.00", "牲畜失踪，本标准未规定失踪牲畜的补偿"),
        ("missing: killed\n", "960.00", "补偿比例60%（失踪，按死亡计）"),  # 2 x 800 x 60%
        ("missing: injured\n", "480.00", "补偿比例30%（失踪，按受伤计）"),  # 2 x 800 x 30%
    ],
)
def test_missing_animals(setting: str, total: str, text: str) -> None:
    result = value([loss("L1", "livestock", "羊", "2", "head", condition="missing")], schedule(setting + "items:\n" + MISSING))
    assert result.total == D(total)
    assert text in result.lines[0].rule


def test_killed_and_injured_animals_keep_their_ratios() -> None:
    spec = schedule("missing: killed\nitems:\n" + MISSING)
    lines = [loss("L1", "livestock", "羊", "2", "head", condition="killed"), loss("L2", "livestock", "羊", "1", "head", condition="injured")]
    # 2 x 800 x 60% = 960; 1 x 800 x 30% = 240
    assert amounts(value(lines, spec)) == {"L1": D("960.00"), "L2": D("240.00")}


def test_the_county_missing_setting_wins_over_the_province() -> None:
    province = schedule("missing: killed\nitems:\n" + MISSING, code="t-prov")
    county = schedule("missing: not_paid\n", code="t-county", region="430921")
    result = value([loss("L1", "livestock", "羊", "2", "head", condition="missing")], county, province)
    assert result.total == D("0.00")


def test_a_grade_a_survey_verified_prices_the_animal() -> None:
    spec = schedule(
        "items:\n  - {key: 牛, category: livestock, names: [牛], rate: 3000, unit: head, ratio_killed: 0.60, grades: {成年母牛: 8500, 犊牛: 3000}}\n"
    )
    # 1 x 8500 x 60% = 5100
    assert value([loss("L1", "livestock", "牛", "1", "head", condition="killed", grade="成年母牛")], spec).total == D("5100.00")


@pytest.mark.parametrize(
    ("rule", "problem"),
    [
        ("prevention:\n  - {categories: [crop], measures: [moat], ratio: 0.5}\n", "prevention[0].measures"),
        ("prevention:\n  - {categories: [injury], measures: [fence], ratio: 0.5}\n", "prevention[0].categories"),
        ("prevention:\n  - {categories: [crop], measures: [fence]}\n", "prevention[0].ratio"),
        ("prevention:\n  - {categories: [crop], measures: [fence], ratio: 0.5, refuse: true}\n", "prevention[0].ratio"),
        ("prevention:\n  - {categories: [crop], measures: [fence], ratio: 1.5}\n", "prevention[0].ratio"),
        ("missing: lost\n", "missing"),
    ],
)
def test_bad_rules_are_refused_naming_the_field(rule: str, problem: str) -> None:
    with pytest.raises(FileError) as caught:
        parse_schedule(header() + rule)
    assert problem in [p.field for p in caught.value.problems]


def test_the_stored_input_keeps_the_survey_findings() -> None:
    inp = ValuationInput(date(2025, 6, 1), HUNAN_PATH, (RICE,), (), prevention=("fence",), in_protection_zone=True)
    again = input_from_json(input_to_json(inp))
    assert again.prevention == ("fence",) and again.in_protection_zone is True


def _docs_block(word: str) -> str:
    text = (Path(__file__).resolve().parents[2] / "docs" / "schedules.md").read_text(encoding="utf-8")
    section = text.split("## Rule types, each with a worked example")[1].split("## A complete example")[0]
    return next(b for b in re.findall(r"```yaml\n(.*?)```", section, re.S) if b.startswith(word))


def test_the_worked_examples_in_the_docs() -> None:
    prevention = parse_schedule(header() + _docs_block("prevention:")).spec
    # 2 mu of rice at 80% lost: 2 x 1538 x 80% x 80% = 1968.64 with a scaring device, x 50% = 984.32 without
    assert value([RICE], prevention, prevention=("scaring",)).total == D("1968.64")
    assert value([RICE], prevention, prevention=()).total == D("984.32")
    # three goats: refused with nothing ticked, 3 x 800 = 2400 when herded
    assert value([GOATS], prevention, prevention=()).total == D("0.00")
    assert value([GOATS], prevention, prevention=("herded",)).total == D("2400.00")
    missing = parse_schedule(header() + _docs_block("missing:")).spec
    # two missing goats as killed: 2 x 800 x 60% = 960
    assert value([loss("L1", "livestock", "羊", "2", "head", condition="missing")], missing).total == D("960.00")
