"""Properties of the engine over random claims and schedules (Hypothesis).

- the total never exceeds any applicable cap (per item, per person, per person's property, per category
  and event, per claim, per household and year less what earlier claims got);
- a deductible before the ratio never pays less than the same deductible after it (but for each line's rounding);
- the total is the sum of the lines, each rounded to the fen;
- more verified loss never lowers the amount (schedules without tiers);
- the same input always gives the same output.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from claims.core.money import FEN
from claims.valuation.engine import value_claim
from claims.valuation.spec import (
    CategoryCap,
    DailyRule,
    EarlierClaim,
    ItemRule,
    LossIn,
    Minimum,
    Personal,
    Price,
    PriceRef,
    ReferenceData,
    ScheduleSpec,
    ValuationInput,
)

PATH = ("430000", "430900", "430921")
REF = ReferenceData({("鸡", "430000", 2024): Price(Decimal("61.5"), "bird"), ("花生", "430000", 2024): Price(Decimal("1733.33"), "mu")})
ITEMS = (
    ItemRule("rice", "crop", "fixed_rate", names=("水稻",), unit="mu", rate=Decimal("1538"), stage_rates={"seedling": Decimal("200")}),
    ItemRule("crops", "crop", "market_value", unit="mu", price=PriceRef(), ratio=Decimal("0.8")),
    ItemRule("trees", "economic_tree", "fixed_rate", unit="plant", rate=Decimal("38"), use_loss_rate=False, cap=Decimal("3000")),
    ItemRule("poultry", "poultry", "market_value", unit="bird", price=PriceRef(), ratio_killed=Decimal("0.6"), ratio_injured=Decimal("0.3")),
    ItemRule("house", "property", "assessed_value", unit="item", cap_per_unit=Decimal("20000")),
)

money = st.decimals(min_value=0, max_value=200000, places=2)
quantity = st.decimals(min_value=Decimal("0.001"), max_value=500, places=3)


@st.composite
def losses(draw: st.DrawFn) -> tuple[LossIn, ...]:
    out = []
    for i in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["rice", "crop", "tree", "poultry", "house", "injury"]))
        line = f"L{i + 1}"
        if kind == "rice":
            out.append(LossIn(line, "crop", "水稻", draw(quantity), "mu", draw(st.integers(0, 100)), draw(st.sampled_from([None, "seedling"]))))
        elif kind == "crop":
            out.append(LossIn(line, "crop", "花生", draw(quantity), "mu", draw(st.none() | st.integers(0, 100))))
        elif kind == "tree":
            out.append(LossIn(line, "economic_tree", "芒果", draw(quantity), "plant"))
        elif kind == "poultry":
            out.append(LossIn(line, "poultry", "鸡", draw(quantity), "bird", condition=draw(st.sampled_from(["killed", "injured"]))))
        elif kind == "house":
            out.append(LossIn(line, "property", "房屋", Decimal(draw(st.integers(1, 3))), "item", assessed_value=draw(money)))
        else:
            out.append(LossIn(line, "injury", f"伤者{i}", medical_costs=draw(money), hospital_days=draw(st.integers(0, 60))))
    return tuple(out)


caps = st.none() | st.decimals(min_value=0, max_value=300000, places=2)


@st.composite
def schedules(draw: st.DrawFn) -> ScheduleSpec:
    minimum = draw(
        st.sampled_from([None, "threshold", "deductible"]).map(
            lambda k: (
                None
                if k is None
                else Minimum(k, draw(st.decimals(min_value=0, max_value=2000, places=2)), order=draw(st.sampled_from(["after_ratio", "before_ratio"])))
            )
        )
    )
    category_cap = draw(st.none() | st.builds(lambda a: (CategoryCap(("crop", "economic_tree"), a),), st.decimals(min_value=0, max_value=100000, places=2)))
    personal = Personal(
        medical_ratio=draw(st.sampled_from([Decimal("0.8"), Decimal("1")])),
        lost_work=DailyRule(rate=Decimal("150")),
        nursing=DailyRule(rate=Decimal("150")),
        medical_disability_cap=draw(caps),
    )
    return ScheduleSpec(
        "prop",
        "性质测试",
        "430000",
        date(2024, 1, 1),
        items=ITEMS,
        rounding="line",
        minimum=minimum,
        per_claim=draw(caps),
        per_person=draw(caps),
        per_person_property=draw(caps),
        per_household_year=draw(caps),
        category_caps=category_cap,
        personal=personal,
    )


earlier = st.lists(st.decimals(min_value=0, max_value=100000, places=2).map(lambda t: EarlierClaim("#", t)), max_size=3).map(tuple)


def run(spec: ScheduleSpec, items: tuple[LossIn, ...], history: tuple[EarlierClaim, ...]):  # type: ignore[no-untyped-def]
    return value_claim(ValuationInput(date(2025, 5, 20), PATH, items, history), [spec], REF)


@settings(max_examples=300, deadline=None)
@given(schedules(), losses(), earlier)
def test_total_never_exceeds_an_applicable_cap(spec: ScheduleSpec, items: tuple[LossIn, ...], history: tuple[EarlierClaim, ...]) -> None:
    result = run(spec, items, history)
    assert result.total >= 0
    if spec.per_claim is not None:
        assert result.total <= spec.per_claim
    if spec.per_household_year is not None:
        assert result.total <= max(Decimal(0), spec.per_household_year - sum((c.total for c in history), Decimal(0)))
    if spec.per_person_property is not None:  # every property line is the claimant's here
        assert sum((line.amount for line in result.lines if line.category not in ("injury", "death")), Decimal(0)) <= spec.per_person_property
    for cap in spec.category_caps or ():
        assert sum((line.amount for line in result.lines if line.category in cap.categories), Decimal(0)) <= cap.amount
    for line in result.lines:
        if line.kind == "loss" and line.category == "economic_tree":
            assert line.amount <= Decimal("3000")
        if line.kind == "loss" and line.category == "property" and line.quantity is not None:
            assert line.amount <= line.quantity * 20000
    persons = {line.source_line for line in result.lines if line.category == "injury"}
    for person in persons:
        held = sum((line.amount for line in result.lines if line.source_line == person), Decimal(0))
        if spec.per_person is not None:
            assert held <= spec.per_person


@settings(max_examples=300, deadline=None)
@given(schedules(), losses(), earlier)
def test_total_is_the_sum_of_the_rounded_lines(spec: ScheduleSpec, items: tuple[LossIn, ...], history: tuple[EarlierClaim, ...]) -> None:
    result = run(spec, items, history)
    assert all(line.amount == line.amount.quantize(FEN) for line in result.lines)
    assert result.total == sum((line.amount for line in result.lines), Decimal(0))
    assert all(line.amount >= 0 for line in result.lines if line.kind != "deduction")


@settings(max_examples=300, deadline=None)
@given(schedules(), losses(), earlier, st.data())
def test_more_verified_loss_never_lowers_the_amount(
    spec: ScheduleSpec, items: tuple[LossIn, ...], history: tuple[EarlierClaim, ...], data: st.DataObject
) -> None:
    before = run(spec, items, history).total
    i = data.draw(st.integers(0, len(items) - 1))
    line = items[i]
    more = data.draw(st.decimals(min_value=Decimal("0.001"), max_value=100, places=3))
    if line.category == "injury":
        bigger = replace(line, medical_costs=(line.medical_costs or Decimal(0)) + more, hospital_days=(line.hospital_days or 0) + 1)
    elif line.category == "property":
        bigger = replace(line, assessed_value=(line.assessed_value or Decimal(0)) + more)
    else:
        bigger = replace(line, quantity=(line.quantity or Decimal(0)) + more)
    after = run(spec, (*items[:i], bigger, *items[i + 1 :]), history).total
    assert after >= before


@settings(max_examples=200, deadline=None)
@given(schedules(), losses(), st.decimals(min_value=0, max_value=2000, places=2))
def test_a_deductible_before_the_ratio_never_pays_less_than_after(spec: ScheduleSpec, items: tuple[LossIn, ...], amount: Decimal) -> None:
    after = run(replace(spec, minimum=Minimum("deductible", amount, order="after_ratio")), items, ()).total
    before = run(replace(spec, minimum=Minimum("deductible", amount, order="before_ratio")), items, ()).total
    assert before >= after - Decimal("0.01") * len(items)  # each line rounds (loss - share) x ratio on its own


@settings(max_examples=100, deadline=None)
@given(schedules(), losses(), earlier)
def test_same_input_same_output(spec: ScheduleSpec, items: tuple[LossIn, ...], history: tuple[EarlierClaim, ...]) -> None:
    assert run(spec, items, history) == run(spec, items, history)


@settings(max_examples=200, deadline=None)
@given(st.decimals(min_value=0, max_value=10**9, places=4))
def test_money_is_rounded_half_up_to_the_fen(amount: Decimal) -> None:
    from claims.core.money import to_fen as fen

    rounded = fen(amount)
    assert abs(rounded - amount) <= Decimal("0.005")
    if (amount * 1000) % 10 == 5 and (amount * 10000) % 10 == 0:
        assert rounded > amount  # exactly half a fen goes up


MARGINAL_CAPPED = """
tier_method: marginal
tiers:
  - {from: 0, to: 1000, ratio: 1}
  - {from: 1000, to: 5000, ratio: 0.5}
  - {from: 5000, ratio: 0.10}
items:
  - {key: a, category: crop, names: [甲], method: fixed_rate, unit: mu, rate: 1000, tiered: true, cap: 100}
  - {key: b, category: crop, names: [乙], method: fixed_rate, unit: mu, rate: 700, tiered: true, cap_per_unit: 300}
  - {key: c, category: economic_tree, names: [丙], method: fixed_rate, unit: plant, rate: 50, tiered: true}
"""


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from([("crop", "甲", "mu"), ("crop", "乙", "mu"), ("economic_tree", "丙", "plant")]), quantity), min_size=1, max_size=4),
    st.sampled_from(["line", "total"]),
    st.data(),
)
def test_more_loss_under_marginal_tiers_and_item_caps_never_lowers_the_amount(rows, rounding: str, data: st.DataObject) -> None:  # type: ignore[no-untyped-def]
    from tests.valuation.helpers import schedule

    spec = schedule(f"rounding: {rounding}\n" + MARGINAL_CAPPED)
    items = [LossIn(f"L{i}", category, item, q, unit) for i, ((category, item, unit), q) in enumerate(rows)]
    before = run(spec, tuple(items), ()).total
    i = data.draw(st.integers(0, len(items) - 1))
    items[i] = replace(items[i], quantity=items[i].quantity + data.draw(st.decimals(min_value=Decimal("0.001"), max_value=100, places=3)))
    assert run(spec, tuple(items), ()).total >= before
