"""The engine, one rule type at a time, with amounts computed by hand (the comment shows the sum)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from claims.valuation.engine import NoSchedule, allocate
from claims.valuation.lines import num
from claims.valuation.spec import input_to_json, valuation_from_json, valuation_to_json
from tests.valuation.helpers import GD_PATH, D, amounts, loss, reference, schedule, shipped, value

BANNA = "examples/xishuangbanna-2022.yaml"


# --- fixed rate per unit ----------------------------------------------------------------------------------
def test_mature_rice_at_a_fixed_rate_per_mu() -> None:
    result = value([loss("L1", "crop", "水稻", "2.5", "mu", growth_stage="mature")], shipped(BANNA))
    assert result.total == D("3845.00")  # 2.5 x 1538
    line = result.lines[0]
    assert line.rule.startswith("水稻 2.5亩 × 1538元/亩 × 损失率100% = 3845.00元（依据：西双版纳州2022年")
    assert line.schedule == "yn-xishuangbanna-2022"


def test_maize_with_a_surveyed_loss_rate() -> None:
    result = value([loss("L1", "crop", "玉米", "4.0", "mu", loss_rate=50)], shipped(BANNA))
    assert result.total == D("2034.00")  # 4.0 x 1017 x 50%


def test_per_plant_rates_ignore_the_loss_rate() -> None:
    result = value([loss("L1", "economic_tree", "橡胶", "12", "plant", loss_rate=30)], shipped(BANNA))
    assert result.total == D("420.00")  # 12 x 35


def test_rates_by_growth_stage() -> None:
    nan = shipped("nan-county-2025.yaml")
    result = value(
        [loss("L1", "crop", "水稻", "3", "mu", loss_rate=40, growth_stage="seedling"), loss("L2", "crop", "稻谷", "1", "mu", growth_stage="heading")], nan
    )
    assert amounts(result) == {"L1": D("240.00"), "L2": D("600.00")}  # 3 x 200 x 40%; after the seedling stage: 600 x 100%


def test_a_stage_without_a_rate_is_explained() -> None:
    spec = schedule("items:\n  - {key: r, category: crop, method: fixed_rate, unit: mu, stage_rates: {seedling: 200, mature: 600}}\n")
    result = value([loss("L1", "crop", "水稻", "1", "mu", growth_stage="heading")], spec)
    assert result.total == 0 and not result.lines[0].payable and "生长期" in (result.lines[0].reason or "")


def test_house_at_assessed_value_capped_per_building() -> None:
    result = value(
        [loss("L1", "property", "房屋", "1", "item", assessed_value=D("32000")), loss("L2", "property", "住房", "2", "item", assessed_value=D("18000"))],
        shipped(BANNA),
    )
    assert amounts(result) == {"L1": D("20000.00"), "L2": D("18000.00")}  # min(32000, 1 x 20000); 18000 < 2 x 20000
    assert result.lines[0].caps and "上限" in result.lines[0].caps[0]


# --- personal injury and death -----------------------------------------------------------------------------
def test_injury_medical_lost_work_and_nursing_hospital_days_no_nutrition() -> None:
    injured = loss("L1", "injury", "岩温", medical_costs=D("8650"), hospital_days=12, nutrition_costs=D("600"), lost_work_days=40)
    result = value([injured], shipped(BANNA))
    assert result.total == D("12250.00")  # 8650 x 100% + 12 x 150 + 12 x 150 x 1; nutrition excluded; only hospital days
    assert amounts(result) == {"L1.medical": D("8650.00"), "L1.lost_work": D("1800.00"), "L1.nursing": D("1800.00"), "L1.nutrition": D("0.00")}
    assert "不予补偿" in result.lines[-1].rule


def test_medical_ratio_and_claimed_days_where_the_schedule_counts_them() -> None:
    spec = schedule(
        """
        personal:
          medical: {ratio: 0.80}
          lost_work: {rate: 120, days: claimed}
          nursing: {rate: 100, days: hospital, persons: 2}
        """
    )
    result = value([loss("L1", "injury", "张三", medical_costs=D("1234.56"), hospital_days=5, lost_work_days=30)], spec)
    # 1234.56 x 0.8 = 987.648 -> 987.65; 30 x 120 = 3600; 5 x 100 x 2 = 1000
    assert amounts(result) == {"L1.medical": D("987.65"), "L1.lost_work": D("3600.00"), "L1.nursing": D("1000.00")}


GD_INCOME = {("440000", 2024, "urban"): "60000", ("440000", 2024, "all"): "50000"}
GD = """
personal:
  medical: {ratio: 1}
  lost_work: {income: {kind: urban}, days: claimed}
  disability: {income: {kind: all}, multiples: {1: 19, 2: 17, 10: 1}}
  medical_disability_cap: 900000
  death: {multiple: 20, income: {kind: all}}
caps: {per_person: 1000000}
"""


def test_lost_work_at_last_years_income_pro_rata() -> None:
    result = value(
        [loss("L1", "injury", "李四", hospital_days=3, lost_work_days=10)], schedule(GD, region="440000"), ref=reference(incomes=GD_INCOME), path=GD_PATH
    )
    assert result.total == D("1643.84")  # 60000 / 365 x 10 = 1643.835... -> 1643.84
    assert "2024年城镇居民人均可支配收入60000元 ÷ 365 × 10天" in result.lines[0].rule


def test_disability_by_grade_as_a_multiple_of_base_income_and_the_combined_cap() -> None:
    ref = reference(incomes=GD_INCOME)
    spec = schedule(GD, region="440000")
    grade2 = value([loss("L1", "injury", "王五", disability_grade=2)], spec, ref=ref, path=GD_PATH)
    assert grade2.total == D("850000.00")  # 17 x 50000
    grade1 = value([loss("L1", "injury", "王五", medical_costs=D("20000"), disability_grade=1)], spec, ref=ref, path=GD_PATH)
    # 20000 + 19 x 50000 = 970000, medical plus disability capped at 900000
    assert grade1.total == D("900000.00")
    assert amounts(grade1)["L1.cap_medical_disability"] == D("-70000.00")
    missing = value([loss("L1", "injury", "王五", disability_grade=5)], spec, ref=ref, path=GD_PATH)
    assert missing.total == 0 and "5级" in (missing.lines[0].reason or "")


def test_death_flat_or_a_multiple_of_the_previous_years_income() -> None:
    assert value([loss("L1", "death", "岩罕")], shipped(BANNA)).total == D("600000.00")
    ref = reference(incomes=GD_INCOME)
    assert value([loss("L1", "death", "陈六")], schedule(GD, region="440000"), ref=ref, path=GD_PATH).total == D("1000000.00")  # 20 x 50000
    no_income = value([loss("L1", "death", "陈六")], schedule(GD, region="440000"), path=GD_PATH)
    assert no_income.total == 0 and "2024年" in (no_income.lines[0].reason or "")


def test_per_person_cap() -> None:
    spec = schedule("personal:\n  medical: {ratio: 1}\ncaps: {per_person: 30000}\n")
    result = value([loss("L1", "injury", "甲", medical_costs=D("45000")), loss("L2", "injury", "乙", medical_costs=D("10000"))], spec)
    assert result.total == D("40000.00")  # min(45000, 30000) + 10000
    assert amounts(result)["L1.cap_person"] == D("-15000.00")


# --- market value x ratio ------------------------------------------------------------------------------------
HUNAN_PRICES = [
    ("水稻", "430000", 2024, "1050", "mu"),
    ("花生", "430900", 2024, "1800", "mu"),
    ("花生", "430000", 2024, "1700", "mu"),
    ("鸡", "430000", 2024, "60", "bird"),
]


def test_market_value_at_last_years_price_times_ratio() -> None:
    result = value([loss("L1", "crop", "早稻", "2", "mu", loss_rate=50)], shipped("hunan-default-2024.yaml"), ref=reference(HUNAN_PRICES))
    assert result.total == D("840.00")  # 2 x 1050 (2024 price for a 2025 incident) x 50% x 80%
    assert "2024年市场价1050元/亩" in result.lines[0].rule


def test_the_most_specific_regions_price_wins_and_a_missing_price_is_explained() -> None:
    result = value(
        [loss("L1", "crop", "花生", "1", "mu", loss_rate=100), loss("L2", "crop", "芝麻", "1", "mu")],
        shipped("hunan-default-2024.yaml"),
        ref=reference(HUNAN_PRICES),
    )
    assert amounts(result) == {"L1": D("1440.00"), "L2": D("0.00")}  # 1800 (Yiyang's price) x 80%; no price for sesame
    assert "缺少2024年“芝麻”的参考价格" in (result.lines[1].reason or "")


def test_killed_and_injured_animals_have_their_own_ratios() -> None:
    spec = schedule(
        """
        items:
          - {key: 山羊, category: livestock, method: market_value, unit: head, ratio_killed: 0.5, ratio_injured: 0.3}
          - {key: 鸡, category: poultry, method: market_value, unit: bird, ratio_killed: 0.6}
        """
    )
    ref = reference([("山羊", "430000", 2024, "1300", "head"), ("鸡", "430000", 2024, "60", "bird")])
    losses = [
        loss("L1", "livestock", "山羊", "2", "head", condition="killed"),
        loss("L2", "livestock", "山羊", "1", "head", condition="injured"),
        loss("L3", "poultry", "鸡", "5", "bird"),
        loss("L4", "poultry", "鸡", "1", "bird", condition="injured"),
    ]
    result = value(losses, spec, ref=ref)
    # 2 x 1300 x 50%; 1 x 1300 x 30%; 5 x 60 x 60% (killed is the default); no ratio for injured poultry
    assert amounts(result) == {"L1": D("1300.00"), "L2": D("390.00"), "L3": D("180.00"), "L4": D("0.00")}


# --- tiers, threshold, deductible ---------------------------------------------------------------------------------
SUICHUAN = """
minimum: {kind: deductible, amount: 500}
tiers:
  - {from: 300, to: 1000, ratio: 0.80}
  - {from: 1000, to: 5000, ratio: 0.70}
  - {from: 5000, to: 10000, ratio: 0.60}
caps: {per_claim: 80000}
items:
  - {key: crops, category: crop, method: fixed_rate, unit: mu, rate: 1000, tiered: true}
"""


@pytest.mark.parametrize(
    ("mu", "total"),
    [
        ("0.2", "0.00"),  # loss 200: below the first tier
        ("0.5", "0.00"),  # loss 500 x 80% = 400, less the 500 deductible
        ("2", "900.00"),  # loss 2000 x 70% = 1400 - 500
        ("6", "3100.00"),  # loss 6000 x 60% = 3600 - 500
    ],
)
def test_tiered_ratios_by_the_events_loss_and_a_deductible(mu: str, total: str) -> None:
    assert value([loss("L1", "crop", "红薯", mu, "mu")], schedule(SUICHUAN)).total == D(total)


def test_tiers_use_the_events_total_loss_for_every_tiered_line() -> None:
    result = value([loss("L1", "crop", "红薯", "0.6", "mu"), loss("L2", "crop", "花生", "0.6", "mu")], schedule(SUICHUAN))
    # together 1200 -> 70% for both lines: 420 + 420 = 840, less 500 split pro rata (250 each)
    assert amounts(result) == {"L1": D("420.00"), "L2": D("420.00"), "deductible:crop": D("-500.00")}
    assert result.total == D("340.00")


def test_threshold_below_pays_nothing_at_or_above_pays_all() -> None:
    spec = shipped("hunan-default-2024.yaml")
    ref = reference([("鸡", "430000", 2024, "60", "bird")])
    below = value([loss("L1", "poultry", "鸡", "3", "bird")], spec, ref=ref)  # loss 180 < 200
    assert below.total == 0 and "低于起赔金额200.00元" in below.reasons[0]
    at = value([loss("L1", "poultry", "鸡", "4", "bird")], spec, ref=ref)  # loss 240 >= 200: 240 x 60%
    assert at.total == D("144.00") and not at.reasons


def test_deductible_is_split_over_categories_pro_rata() -> None:
    spec = schedule(
        """
        minimum: {kind: deductible, amount: 200}
        items:
          - {key: crops, category: crop, method: fixed_rate, unit: mu, rate: 300}
          - {key: trees, category: economic_tree, method: fixed_rate, unit: plant, rate: 100}
        """
    )
    result = value([loss("L1", "crop", "玉米", "1", "mu"), loss("L2", "economic_tree", "柑橘", "1", "plant")], spec)
    # 300 + 100 = 400; 200 off: 150 from crops, 50 from trees
    assert amounts(result)["deductible:crop"] == D("-150.00") and amounts(result)["deductible:economic_tree"] == D("-50.00")
    assert result.total == D("200.00")


# --- caps ----------------------------------------------------------------------------------------------------
CAPS = """
caps:
  per_claim: 20000
  per_household_year: 30000
  categories:
    - {categories: [crop, economic_tree], amount: 15000}
items:
  - {key: crops, category: crop, method: fixed_rate, unit: mu, rate: 1000}
  - {key: trees, category: economic_tree, method: fixed_rate, unit: plant, rate: 100, cap: 4000}
  - {key: pigs, category: livestock, method: fixed_rate, unit: head, rate: 2000}
"""


def test_caps_per_item_per_category_and_event_and_per_claim() -> None:
    losses = [loss("L1", "crop", "玉米", "14", "mu"), loss("L2", "economic_tree", "柑橘", "50", "plant"), loss("L3", "livestock", "猪", "4", "head")]
    result = value(losses, schedule(CAPS))
    # trees 5000 capped at 4000; crops + trees 18000 -> 15000; + pigs 8000 = 23000 -> per claim 20000
    assert amounts(result)["L2"] == D("4000.00")
    assert result.total == D("20000.00")
    crops_and_trees = sum(line.amount for line in result.lines if line.category in ("crop", "economic_tree"))
    assert crops_and_trees <= D("15000")


def test_household_cap_per_year_counts_earlier_claims() -> None:
    result = value([loss("L1", "livestock", "猪", "5", "head")], schedule(CAPS), earlier=["12000", "9500"])
    assert result.total == D("8500.00")  # 30000 - 21500 left this year; 10000 claimed
    spent = value([loss("L1", "livestock", "猪", "5", "head")], schedule(CAPS), earlier=["31000"])
    assert spent.total == 0


def test_maximum_claims_per_household_per_year() -> None:
    spec = schedule("max_claims_per_household_year: 3\nitems:\n  - {key: crops, category: crop, method: fixed_rate, unit: mu, rate: 500}\n")
    assert value([loss("L1", "crop", "玉米", "1", "mu")], spec, earlier=["0", "100"]).total == D("500.00")
    refused = value([loss("L1", "crop", "玉米", "1", "mu")], spec, earlier=["0", "100", "0"])
    assert refused.total == 0 and "最多申请3次" in refused.reasons[0]


def test_minimum_event_size_small_or_large_animals() -> None:
    spec = schedule(
        """
        min_event_size: {categories: [livestock], small: 5, large: 2}
        items:
          - {key: 牛, category: livestock, names: [牛], method: fixed_rate, unit: head, rate: 5000, size: large}
          - {key: 羊, category: livestock, method: fixed_rate, unit: head, rate: 800}
          - {key: crops, category: crop, method: fixed_rate, unit: mu, rate: 500}
        """
    )
    four_goats = value([loss("L1", "livestock", "山羊", "4", "head"), loss("L2", "crop", "玉米", "1", "mu")], spec)
    assert amounts(four_goats) == {"L1": D("0.00"), "L2": D("500.00")}  # too few animals; the crop is still paid
    assert value([loss("L1", "livestock", "山羊", "5", "head")], spec).total == D("4000.00")
    assert value([loss("L1", "livestock", "牛", "2", "head")], spec).total == D("10000.00")


# --- rounding, layering, other rules ---------------------------------------------------------------------------------
def test_rounding_is_half_up_to_the_fen_per_line() -> None:
    spec = schedule("items:\n  - {key: x, category: crop, method: fixed_rate, unit: mu, rate: 0.01}\n")
    assert value([loss("L1", "crop", "玉米", "0.5", "mu")], spec).total == D("0.01")  # 0.005 -> 0.01 (half-even would give 0.00)


def test_rounding_at_the_total_adds_a_rounding_line() -> None:
    spec = schedule("rounding: total\nitems:\n  - {key: x, category: crop, method: fixed_rate, unit: mu, rate: 1, ratio: 0.3333}\n")
    result = value([loss(f"L{i}", "crop", "玉米", "1", "mu") for i in (1, 2, 3)], spec)
    # each line 0.3333 (shown 0.33); total 0.9999 -> 1.00; the rounding line holds the 0.01
    assert result.total == D("1.00")
    assert amounts(result)["rounding"] == D("0.01")
    assert sum(line.amount for line in result.lines) == result.total


def test_a_county_schedule_overrides_the_province_for_the_items_it_names() -> None:
    ref = reference(HUNAN_PRICES)
    result = value(
        [loss("L1", "crop", "水稻", "1", "mu", growth_stage="mature"), loss("L2", "crop", "花生", "1", "mu")],
        shipped("nan-county-2025.yaml"),
        shipped("hunan-default-2024.yaml"),
        ref=ref,
    )
    assert amounts(result) == {"L1": D("600.00"), "L2": D("1440.00")}  # Nan's rice rate; the province's peanuts at 1800 x 80%
    assert [line.schedule for line in result.lines] == ["hn-nanxian-rice-2025", "hn-default-2024"]
    assert result.schedules == ("hn-nanxian-rice-2025", "hn-default-2024")


def test_excluded_items_unknown_items_and_wrong_units_are_explained() -> None:
    spec = schedule(
        "items:\n"
        "  - {key: x, category: crop, names: [烟叶], method: fixed_rate, rate: 1, excluded: true, note: 烟草另有保险}\n"
        "  - {key: y, category: crop, names: [玉米], method: fixed_rate, unit: mu, rate: 800}\n"
    )
    result = value([loss("L1", "crop", "烟叶", "1", "mu"), loss("L2", "livestock", "猪", "1", "head"), loss("L3", "crop", "玉米", "100", "kg")], spec)
    reasons = [line.reason for line in result.lines]
    assert result.total == 0 and "烟草另有保险" in reasons[0] and "未列" in reasons[1] and "单位" in reasons[2]


def test_no_schedule_in_force_is_an_error() -> None:
    with pytest.raises(NoSchedule):
        value([loss("L1", "crop", "玉米", "1", "mu")])


def test_same_input_same_output_and_a_json_round_trip() -> None:
    losses = [loss("L1", "crop", "水稻", "2.5", "mu"), loss("L2", "injury", "岩温", medical_costs=D("100.10"), hospital_days=2)]
    first, second = value(losses, shipped(BANNA)), value(losses, shipped(BANNA))
    assert first == second
    assert valuation_from_json(valuation_to_json(first)) == first
    assert input_to_json.__name__  # the input serialiser is used by the stored valuations


def test_allocate_splits_to_the_fen_by_the_largest_remainder() -> None:
    shares = allocate(Decimal("1.00"), [("a", Decimal(1)), ("b", Decimal(1)), ("c", Decimal(1))])
    assert shares == [("a", Decimal("0.34")), ("b", Decimal("0.33")), ("c", Decimal("0.33"))]
    assert allocate(Decimal(0), [("a", Decimal(1))]) == []


def test_the_incident_year_decides_which_years_price() -> None:
    ref = reference([("水稻", "430000", 2024, "1050", "mu"), ("水稻", "430000", 2025, "1060", "mu")])
    result = value([loss("L1", "crop", "水稻", "1", "mu")], shipped("hunan-default-2024.yaml"), ref=ref, day=date(2026, 3, 1))
    assert result.total == D("848.00")  # 1060 (2025) x 80%


# --- the schedules' chain is resolved once and kept ------------------------------------------------------
def test_a_new_schedule_is_never_valued_with_the_rules_kept_for_an_earlier_one() -> None:
    rice = [loss("L1", "crop", "水稻", "2", "mu")]
    first = schedule("items:\n  - {key: r, names: [水稻], category: crop, method: fixed_rate, unit: mu, rate: 100}\n")
    assert value(rice, first).total == D("200.00")  # 2 x 100
    assert value(rice, first).total == D("200.00")  # the same schedule again: the kept chain
    # the same code and title, another rate: a new (immutable) schedule, so a new chain
    second = schedule("items:\n  - {key: r, names: [水稻], category: crop, method: fixed_rate, unit: mu, rate: 300}\ncaps:\n  per_claim: 500\n")
    assert value(rice, second).total == D("500.00")  # 2 x 300 = 600, capped per claim at 500
    del first
    third = schedule("items:\n  - {key: r, names: [水稻], category: crop, method: fixed_rate, unit: mu, rate: 50}\n")
    assert value(rice, third).total == D("100.00")  # 2 x 50, no per-claim cap: none is kept from `second`


def test_rates_are_written_alike_whatever_was_written_before() -> None:
    """`num` keeps what it wrote: equal values one text, and values it does not keep written as given."""
    assert [num(Decimal("1.50")), num(Decimal("1.5")), num(15), num(Decimal("1.5E+1")), num(Decimal("-0"))] == ["1.5", "1.5", "15", "15", "0"]
    assert num(10**31) == "10000000000000000000000000000000" and num(Decimal("1E+31")) == "1E+31"  # beyond 10^30: not kept
    assert num(Decimal("NaN")) == "NaN" and num(Decimal("sNaN")) == "sNaN"
