"""The rule types added by issue 16, each with amounts computed by hand (the comment shows the sum)."""

from __future__ import annotations

from datetime import date

import pytest

from tests.valuation.helpers import D, amounts, loss, reference, schedule, value

CROPS_80 = "  - {key: crops, category: crop, method: fixed_rate, unit: mu, rate: 1000, ratio: 0.80}\n"


# --- deductible before the ratio (Chaling: subtract 200 from the loss, then pay 80%) ---------------------
@pytest.mark.parametrize(
    ("order", "total"),
    [
        ("", "600.00"),  # today's order, still the default: 1000 x 80% = 800, less 200 = 600
        ("order: after_ratio", "600.00"),
        ("order: before_ratio", "640.00"),  # (1000 - 200) x 80% = 640
    ],
)
def test_chaling_deductible_comes_off_the_loss_before_the_ratio(order: str, total: str) -> None:
    spec = schedule(f"minimum: {{kind: deductible, amount: 200, {order}}}\nitems:\n" + CROPS_80)
    result = value([loss("L1", "crop", "玉米", "1", "mu")], spec)
    assert result.total == D(total)


def test_deductible_before_the_ratio_is_shared_over_lines_by_loss_value() -> None:
    spec = schedule(
        """
        minimum: {kind: deductible, amount: 200, order: before_ratio}
        items:
          - {key: crops, category: crop, method: fixed_rate, unit: mu, rate: 1000, ratio: 0.80}
          - {key: pigs, category: livestock, method: fixed_rate, unit: head, rate: 400, ratio_killed: 0.60}
        """
    )
    result = value([loss("L1", "crop", "玉米", "0.6", "mu"), loss("L2", "livestock", "猪", "1", "head")], spec)
    # losses 600 and 400 share the 200 as 120 and 80: (600 - 120) x 80% = 384; (400 - 80) x 60% = 192
    # deductions: 600 x 80% - 384 = 96 off crops, 400 x 60% - 192 = 48 off livestock
    assert amounts(result) == {"L1": D("480.00"), "L2": D("240.00"), "deductible:crop": D("-96.00"), "deductible:livestock": D("-48.00")}
    assert result.total == D("576.00")  # 384 + 192
    assert "先从损失价值中扣除" in result.lines[2].rule


def test_deductible_before_the_ratio_never_goes_below_nothing_and_respects_item_caps() -> None:
    spec = schedule("minimum: {kind: deductible, amount: 200, order: before_ratio}\nitems:\n" + CROPS_80.replace("}", ", cap: 500}"))
    assert value([loss("L1", "crop", "玉米", "0.15", "mu")], spec).total == D("0.00")  # loss 150 < 200: (150 - 150) x 80%
    # 1000 x 80% = 800, capped at 500; (1000 - 200) x 80% = 640 is still above the cap: nothing comes off
    assert amounts(value([loss("L1", "crop", "玉米", "1", "mu")], spec)) == {"L1": D("500.00")}


def test_deductible_before_the_ratio_with_marginal_tiers_takes_the_slices_of_the_reduced_loss() -> None:
    spec = schedule(
        """
        minimum: {kind: deductible, amount: 200, order: before_ratio}
        tier_method: marginal
        tiers:
          - {from: 0, to: 1000, ratio: 0.80}
          - {from: 1000, ratio: 0.50}
        items:
          - {key: crops, category: crop, method: fixed_rate, unit: mu, rate: 1000, tiered: true}
          - {key: pigs, category: livestock, method: fixed_rate, unit: head, rate: 500, ratio_killed: 0.60}
        """
    )
    # loss 2000, less 200 = 1800: 1000 x 80% + 800 x 50% = 800 + 400 = 1200 (not 1800 x the average 65% = 1170)
    # without the deductible: 800 + 1000 x 50% = 1300, so the deduction line takes 100 off the crops
    result = value([loss("L1", "crop", "玉米", "2", "mu")], spec)
    assert amounts(result) == {"L1": D("1300.00"), "deductible:crop": D("-100.00")}
    assert result.total == D("1200.00")
    # with a pig (loss 500) the 200 is shared 2000 : 500 -> 160 off the crops, 40 off the pig:
    # crops 1840: 800 + 840 x 50% = 1220 (deduction 80); pig (500 - 40) x 60% = 276 (deduction 24)
    result = value([loss("L1", "crop", "玉米", "2", "mu"), loss("L2", "livestock", "猪", "1", "head")], spec)
    assert amounts(result) == {"L1": D("1300.00"), "L2": D("300.00"), "deductible:crop": D("-80.00"), "deductible:livestock": D("-24.00")}
    assert result.total == D("1496.00")  # 1220 + 276


# --- marginal tiers --------------------------------------------------------------------------------------
TIERS = """
tiers:
  - {from: 300, to: 1000, ratio: 0.80}
  - {from: 1000, to: 5000, ratio: 0.70}
  - {from: 5000, to: 10000, ratio: 0.60}
  - {from: 10000, ratio: 0.50}
items:
  - {key: crops, category: crop, method: fixed_rate, unit: mu, rate: 1000, tiered: true}
"""


def test_marginal_tiers_pay_each_slice_at_its_own_ratio() -> None:
    bracket, marginal = schedule(TIERS), schedule("tier_method: marginal\n" + TIERS)
    losses = [loss("L1", "crop", "玉米", "5", "mu"), loss("L2", "crop", "花生", "3", "mu")]
    assert value(losses, bracket).total == D("4800.00")  # bracket: the whole 8000 at 60%
    result = value(losses, marginal)
    # 0-300 not paid; 700 x 80% = 560; 4000 x 70% = 2800; 3000 x 60% = 1800: 5160
    # shared by loss value: 5160 x 5000 / 8000 = 3225; 5160 x 3000 / 8000 = 1935
    assert amounts(result) == {"L1": D("3225.00"), "L2": D("1935.00")}
    assert "700元 × 80% + 4000元 × 70% + 3000元 × 60% = 5160.00元" in result.lines[0].rule


def test_marginal_tiers_below_the_first_tier_and_above_the_last() -> None:
    spec = schedule("tier_method: marginal\n" + TIERS)
    below = value([loss("L1", "crop", "玉米", "0.2", "mu")], spec)
    assert below.total == 0 and "低于分段补偿的起点" in (below.lines[0].reason or "")
    # 12000: 700 x 80% + 4000 x 70% + 5000 x 60% + 2000 x 50% = 560 + 2800 + 3000 + 1000 = 7360
    assert value([loss("L1", "crop", "玉米", "12", "mu")], spec).total == D("7360.00")


# --- disability assessed in money, capped together with medical costs -------------------------------------
ASSESSED = """
personal:
  medical: {ratio: 1}
  disability: {method: assessed}
  medical_disability_cap: 300000
"""


def test_assessed_disability_and_medical_capped_together_at_300000() -> None:
    result = value([loss("L1", "injury", "张三", medical_costs=D("120000"), disability_amount=D("210000"))], schedule(ASSESSED))
    # 120000 x 100% + 210000 = 330000, over the 300000 cap: 30000 off
    assert amounts(result) == {"L1.medical": D("120000.00"), "L1.disability": D("210000.00"), "L1.cap_medical_disability": D("-30000.00")}
    assert result.total == D("300000.00")
    assert "核定伤残赔偿金额210000.00元" in result.lines[1].rule


def test_assessed_disability_with_a_ratio_and_the_missing_figure_explained() -> None:
    spec = schedule(ASSESSED.replace("{method: assessed}", "{method: assessed, ratio: 0.5}"))
    assert value([loss("L1", "injury", "张三", disability_amount=D("80001"))], spec).total == D("40000.50")  # 80001 x 50%
    graded_only = value([loss("L1", "injury", "张三", disability_grade=7)], spec)
    assert graded_only.total == 0 and graded_only.lines[0].reason == "尚未核定伤残赔偿金额"
    by_grade = schedule("personal:\n  disability: {income: {kind: all}, multiples: {7: 7}}\n")
    amount_only = value([loss("L1", "injury", "张三", disability_amount=D("5000"))], by_grade)
    assert amount_only.total == 0 and "尚未评定伤残等级" in (amount_only.lines[0].reason or "")


# --- claimed days, at most the hospital days ----------------------------------------------------------------
def test_claimed_days_up_to_the_hospital_days_with_a_line_for_the_days_left_out() -> None:
    spec = schedule(
        """
        personal:
          lost_work: {rate: 150, days: claimed_up_to_hospital}
          nursing: {rate: 120, days: claimed_up_to_hospital}
        """
    )
    result = value([loss("L1", "injury", "岩温", hospital_days=12, lost_work_days=40, nursing_days=10)], spec)
    # lost work: 40 claimed, 12 in hospital: 12 x 150 = 1800; nursing: 10 claimed, within 12: 10 x 120 = 1200
    assert amounts(result) == {"L1.lost_work": D("1800.00"), "L1.lost_work_over": D("0.00"), "L1.nursing": D("1200.00")}
    assert result.total == D("3000.00")
    over = next(line for line in result.lines if line.id == "L1.lost_work_over")
    assert not over.payable and over.reason == "申报40天，按标准以住院12天为限" and "超出住院天数的28天" in over.rule


def test_claimed_days_default_to_the_hospital_days() -> None:
    spec = schedule("personal:\n  lost_work: {rate: 150, days: claimed_up_to_hospital}\n")
    result = value([loss("L1", "injury", "岩温", hospital_days=5)], spec)
    assert result.total == D("750.00") and "L1.lost_work_over" not in amounts(result)  # 5 x 150; nursing not in this schedule


# --- per-person property caps -------------------------------------------------------------------------------
def test_property_per_person_cap_for_the_claimant_and_each_named_owner() -> None:
    spec = schedule(
        """
        caps: {per_person_property: 5000}
        items:
          - {key: crops, category: crop, method: fixed_rate, unit: mu, rate: 1000}
          - {key: pigs, category: livestock, method: fixed_rate, unit: head, rate: 1000}
        """
    )
    losses = [loss("L1", "crop", "玉米", "3", "mu"), loss("L2", "livestock", "猪", "4", "head"), loss("L3", "crop", "花生", "2", "mu", owner="李四")]
    result = value(losses, spec)
    # the claimant: 3000 + 4000 = 7000, 2000 over the cap, split 3000 : 4000 -> 857.14 and 1142.86 (largest remainder)
    # 李四: 2000, within the cap
    assert amounts(result)["cap_person_property:crop"] == D("-857.14") and amounts(result)["cap_person_property:livestock"] == D("-1142.86")
    assert result.total == D("7000.00")  # 5000 + 2000
    assert "申请人财产损失补偿合计7000.00元" in result.lines[3].rule


# --- mixed minimum event size ---------------------------------------------------------------------------------
SIZES = """
min_event_size: {categories: [livestock], small: 5, large: 2, count: together}
items:
  - {key: pigs, category: livestock, names: [猪], method: fixed_rate, unit: head, rate: 1000}
  - {key: cattle, category: livestock, names: [牛], method: fixed_rate, unit: head, rate: 5000, size: large}
"""


def test_small_and_large_animals_counted_together() -> None:
    three_and_one = [loss("L1", "livestock", "猪", "3", "head"), loss("L2", "livestock", "牛", "1", "head")]
    # 3 / 5 + 1 / 2 = 1.1 >= 1: payable, 3 x 1000 + 5000
    assert value(three_and_one, schedule(SIZES)).total == D("8000.00")
    # counted separately (the default) neither 3 >= 5 nor 1 >= 2
    assert value(three_and_one, schedule(SIZES.replace(", count: together", ""))).total == 0
    two_and_one = value([loss("L1", "livestock", "猪", "2", "head"), loss("L2", "livestock", "牛", "1", "head")], schedule(SIZES))
    # 2 / 5 + 1 / 2 = 0.9 < 1
    assert two_and_one.total == 0 and "小牲畜2÷5 + 大牲畜1÷2 = 0.90，不足1" in two_and_one.reasons[0]


# --- several market prices for one item ------------------------------------------------------------------------
def test_two_cows_of_different_value_by_price_grade() -> None:
    spec = schedule(
        """
        items:
          - key: 牛
            category: livestock
            names: [牛, 黄牛]
            method: market_value
            unit: head
            ratio_killed: 0.60
            grades: {成年母牛: 牛（成年母牛）, 犊牛: 牛（犊牛）}
        """
    )
    ref = reference(
        [("牛（成年母牛）", "430000", 2024, "8500", "head"), ("牛（犊牛）", "430000", 2024, "3000", "head"), ("牛", "430000", 2024, "6000", "head")]
    )
    cows = [loss("L1", "livestock", "黄牛", "1", "head", grade="成年母牛"), loss("L2", "livestock", "牛", "1", "head", grade="犊牛")]
    result = value([*cows, loss("L3", "livestock", "牛", "1", "head")], spec, ref=ref, day=date(2025, 6, 1))
    # 1 x 8500 x 60% = 5100; 1 x 3000 x 60% = 1800; no grade: the item's own price 6000 x 60% = 3600
    assert amounts(result) == {"L1": D("5100.00"), "L2": D("1800.00"), "L3": D("3600.00")}
    assert "2024年“牛（成年母牛）”市场价8500元/头" in result.lines[0].rule
    unknown = value([loss("L1", "livestock", "牛", "1", "head", grade="种公牛")], spec, ref=ref)
    assert unknown.total == 0 and unknown.lines[0].reason == "本标准该项没有“种公牛”这一价格等级（可选：成年母牛、犊牛）"


def test_fixed_rate_grades() -> None:
    spec = schedule("items:\n  - {key: 羊, category: livestock, method: fixed_rate, unit: head, rate: 800, grades: {成年: 1200, 羔羊: 400}}\n")
    sheep = [loss("L1", "livestock", "山羊", "2", "head", grade="羔羊"), loss("L2", "livestock", "山羊", "1", "head")]
    assert amounts(value(sheep, spec)) == {"L1": D("800.00"), "L2": D("800.00")}  # 2 x 400; no grade: 1 x 800


def test_a_threshold_that_refuses_the_lines_takes_their_property_cap_with_them() -> None:
    spec = schedule("minimum: {kind: threshold, amount: 200}\ncaps: {per_person_property: 50}\nitems:\n" + CROPS_80)
    result = value([loss("L1", "crop", "玉米", "0.1", "mu")], spec)
    # loss 100 < 200: not payable, and no deduction line is left behind (the total is 0, never -50)
    assert result.total == D("0.00") and [line.id for line in result.lines] == ["L1"]


# --- negative zero -----------------------------------------------------------------------------------------
def test_a_quantity_of_minus_zero_is_zero() -> None:
    # -0.0 mu x 1000 x 80% is 0: the line says 0.00元, never -0.00元
    result = value([loss("L1", "crop", "玉米", "-0.0", "mu")], schedule("items:\n" + CROPS_80))
    assert str(result.lines[0].amount) == "0.00" and "-0" not in result.lines[0].rule
    assert str(result.total) == "0.00"


def test_the_reader_reads_minus_zero_as_zero() -> None:
    from claims.valuation.fileformat_reader import Reader

    assert str(Reader().number({"x": "-0.00"}, "x", "p")) == "0.00"


def test_an_owner_is_trimmed_and_the_claimant_named_as_owner_is_the_claimant() -> None:
    spec = schedule("caps: {per_person_property: 5000}\nitems:\n  - {key: crops, category: crop, method: fixed_rate, unit: mu, rate: 1000}\n")
    # 张三 with spaces is one owner: 4000 + 4000 = 8000, capped at 5000
    result = value([loss("L1", "crop", "玉米", "4", "mu", owner="张三"), loss("L2", "crop", "玉米", "4", "mu", owner=" 张三 ")], spec)
    assert result.total == D("5000.00")
    assert value([loss("L1", "crop", "玉米", "4", "mu", owner="李  四"), loss("L2", "crop", "玉米", "4", "mu", owner="李 四 ")], spec).total == D("5000.00")
    # an empty owner is the claimant: 4000 + 4000 = 8000, capped at 5000
    assert value([loss("L1", "crop", "玉米", "4", "mu"), loss("L2", "crop", "玉米", "4", "mu", owner="  ")], spec).total == D("5000.00")


# --- marginal tiers and item caps --------------------------------------------------------------------------
CAPPED_TIERS = """
tier_method: marginal
tiers:
  - {from: 0, to: 1000, ratio: 1}
  - {from: 1000, ratio: 0.10}
items:
  - {key: a, category: crop, names: [甲], method: fixed_rate, unit: mu, rate: 1000, tiered: true, cap: 100}
  - {key: b, category: crop, names: [乙], method: fixed_rate, unit: mu, rate: 1000, tiered: true}
"""


@pytest.mark.parametrize(
    ("mu", "a", "b"),
    [
        # A 1 mu: 1000 + 1000 x 10% = 1100, shared 550 : 550; A is cut to its cap 100, the 450 goes to B,
        # which takes at most its own loss value 1000: B 1000, total 1100
        ("1", "100.00", "1000.00"),
        # A 10 mu: 1000 + 10000 x 10% = 2000, shared 1818.18 : 181.82; A 100, B takes 1900 of the rest up to
        # its loss value: 1000, total 1100 (sharing alone gave 281.82: more loss, less money)
        ("10", "100.00", "1000.00"),
    ],
)
def test_marginal_tiers_give_what_an_item_cap_cuts_to_the_other_tiered_lines(mu: str, a: str, b: str) -> None:
    result = value([loss("L1", "crop", "甲", mu, "mu"), loss("L2", "crop", "乙", "1", "mu")], schedule(CAPPED_TIERS))
    assert (amounts(result)["L1"], amounts(result)["L2"]) == (D(a), D(b))
