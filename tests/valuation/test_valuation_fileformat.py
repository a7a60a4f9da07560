"""Schedule and reference-data files: every error names the line and the field."""

from __future__ import annotations

from decimal import Decimal

import pytest

from claims.valuation.fileformat import FileError, parse_schedule
from claims.valuation.reference import parse_reference
from tests.valuation.helpers import header, loss, value


def problems(text: str, parse=parse_schedule) -> list[str]:  # type: ignore[no-untyped-def]
    with pytest.raises(FileError) as caught:
        parse(text)
    return [str(p) for p in caught.value.problems]


def test_a_bad_number_names_its_line_and_field() -> None:
    text = header() + "items:\n  - key: a\n    category: crop\n    rate: 100\n  - key: b\n    category: crop\n    names: [玉米]\n    rate: lots\n"
    assert problems(text) == ["Line 14, field items[1].rate: must be a number"]


def test_missing_and_unknown_fields() -> None:
    text = 'format: 1\ntitle: 测试\nregion: "430000"\neffective_from: 2024-01-01\nitmes: []\n'
    found = problems(text)
    assert "Line 5, field itmes: is not a field of this format" in found
    assert "Line 1, field code: is required" in found
    assert "Line 1, field document: is required" in found


def test_wrong_choices_dates_and_ratios() -> None:
    text = (
        header()
        + "effective_to: 2023-12-31\nminimum: {kind: sometimes, amount: 200}\nitems:\n  - {key: a, category: crops, method: fixed_rate, rate: 1, ratio: 1.5}\n"
    )
    found = problems(text)
    assert "Line 7, field effective_to: is before effective_from" in found
    assert "Line 8, field minimum.kind: must be one of: threshold, deductible, none" in found
    assert "Line 10, field items[0].category: must be one of: crop, economic_tree, livestock, poultry, property" in found
    assert "Line 10, field items[0].ratio: must be between 0 and 1" in found


def test_yaml_syntax_and_duplicate_keys() -> None:
    assert problems("code: a\ntitle: [unclosed\n")[0].startswith("Line 3, field -: Not a valid YAML or JSON file")
    assert problems("code: a\ncode: b\n") == ["Line 2, field code: appears twice"]


def test_tiers_must_follow_each_other() -> None:
    text = header() + "tiers:\n  - {from: 300, to: 1000, ratio: 0.8}\n  - {from: 2000, to: 5000, ratio: 0.7}\n"
    assert problems(text) == ["Line 9, field tiers[1].from: must equal the previous tier's to (tiers follow each other without gaps)"]


def test_json_is_accepted_and_numbers_are_decimals() -> None:
    text = '{"code": "t-json", "title": "T", "region": "430000", "document": {"title": "D"}, "effective_from": "2024-01-01",'
    text += ' "items": [{"key": "a", "category": "crop", "unit": "mu", "rate": 1538.5, "ratio": 0.8}]}'
    spec = parse_schedule(text).spec
    assert spec.items[0].rate == Decimal("1538.5") and spec.items[0].ratio == Decimal("0.8")


def test_reference_file_errors_name_line_and_field() -> None:
    text = (
        "format: 1\nprices:\n"
        "  - {item: 水稻, region: '430000', year: 2024, price: 1050, unit: mu, source: x}\n"
        "  - {item: 玉米, region: '4300', year: 24, price: -1, unit: mu, source: x}\n"
        "incomes:\n  - {region: '430000', year: 2024, amount: 49243, source: y}\n"
    )
    found = problems(text, parse_reference)
    assert "Line 4, field prices[1].region: must be a 6-digit division code of a province, prefecture or county" in found
    assert "Line 4, field prices[1].year: must be a whole number between 1990 and 2100" in found
    assert "Line 4, field prices[1].price: must be between 0 and 100000000" in found
    assert "Line 6, field incomes[0].kind: is required" in found


def test_the_complete_example_in_the_docs_parses() -> None:
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "schedules.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", text, re.S)
    example = next(b for b in blocks if b.startswith("format: 1\ncode:"))
    spec = parse_schedule(example).spec
    assert spec.code == "demo-county-2026" and len(spec.items) == 7 and spec.personal is not None and spec.personal.disability is not None
    assert len(parse_reference(blocks[-1]).prices) == 2


# --- the keys added by issue 16: each malformed use names its line and field ------------------------------------
NEW_KEYS_BAD = """minimum: {kind: threshold, amount: 200, order: before_ratio}
tier_method: progressive
caps: {per_person_property: lots}
min_event_size: {small: 5, large: 2, count: weighted}
personal:
  lost_work: {rate: 150, days: every}
  disability: {method: assessed, multiples: {1: 19}, ratio: 2}
items:
  - {key: h, category: property, method: assessed_value, grades: {新: 100}}
  - {key: c, category: livestock, names: [牛], unit: head, rate: 1, grades: {犊牛: cheap}}
  - {key: m, category: livestock, method: market_value, unit: head, grades: {犊牛: [a]}}
"""


def test_malformed_new_keys_name_their_line_and_field() -> None:
    assert problems(header() + NEW_KEYS_BAD) == [
        "Line 15, field items[0].grades: price grades are for fixed-rate and market-value items",
        "Line 16, field items[1].grades.犊牛: must be a number",
        "Line 17, field items[2].grades.犊牛: must be text",
        "Line 7, field minimum.order: applies only to a deductible (kind: deductible)",
        "Line 8, field tier_method: must be one of: bracket, marginal",
        "Line 9, field caps.per_person_property: must be a number",
        "Line 10, field min_event_size.count: must be one of: separate, together",
        "Line 12, field personal.lost_work.days: must be one of: hospital, claimed, claimed_up_to_hospital",
        "Line 13, field personal.disability.multiples: an assessed disability amount takes no multiples",
        "Line 13, field personal.disability.ratio: must be between 0 and 1",
    ]


def test_a_graded_disability_takes_no_ratio_and_orders_are_choices() -> None:
    text = header() + "minimum: {kind: deductible, amount: 200, order: first}\npersonal:\n  disability: {income: {kind: all}, multiples: {1: 19}, ratio: 0.5}\n"
    assert problems(text) == [
        "Line 7, field minimum.order: must be one of: after_ratio, before_ratio",
        "Line 9, field personal.disability.ratio: only an assessed disability amount (method: assessed) takes a ratio",
    ]


def test_the_new_keys_errors_are_translated(app) -> None:  # type: ignore[no-untyped-def]
    from flask_babel import force_locale

    with app.app_context(), force_locale("zh"):
        found = problems(header() + NEW_KEYS_BAD)
    assert "第15行，字段 items[0].grades：价格等级只适用于固定标准和市场价的项目" in found
    assert "第7行，字段 minimum.order：只适用于免赔额（kind: deductible）" in found
    assert "第13行，字段 personal.disability.multiples：按核定金额计算的伤残赔偿不用 multiples" in found
    assert "第9行，字段 caps.per_person_property：必须是数字" in found


def test_new_keys_read_into_the_spec() -> None:
    text = header() + (
        "minimum: {kind: deductible, amount: 200, order: before_ratio}\ntier_method: marginal\ncaps: {per_person_property: 50000}\n"
        "min_event_size: {small: 5, large: 2, count: together}\npersonal:\n  nursing: {rate: 100, days: claimed_up_to_hospital}\n"
        "  disability: {method: assessed, ratio: 0.8}\nitems:\n  - {key: c, category: livestock, unit: head, rate: 1, grades: {犊牛: 3000.5}}\n"
    )
    spec = parse_schedule(text).spec
    assert spec.minimum is not None and spec.minimum.order == "before_ratio" and spec.tier_method == "marginal"
    assert spec.per_person_property == Decimal("50000") and spec.min_event_size is not None and spec.min_event_size.count == "together"
    assert spec.personal is not None and spec.personal.nursing is not None and spec.personal.nursing.days == "claimed_up_to_hospital"
    assert spec.personal.disability is not None and spec.personal.disability.method == "assessed" and spec.personal.disability.ratio == Decimal("0.8")
    assert spec.items[0].grades == {"犊牛": Decimal("3000.5")}


def test_the_rule_type_examples_in_the_docs_parse() -> None:
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "schedules.md").read_text(encoding="utf-8")
    section = text.split("## Rule types, each with a worked example")[1].split("## A complete example")[0]
    blocks = re.findall(r"```yaml\n(.*?)```", section, re.S)
    assert len(blocks) == 11  # with the fixed-rate grades: {成年: 1200, 羔羊: 400}, prevention, missing animals and the per-accident cap
    for block in blocks:
        assert parse_schedule(header() + block).spec.code == "t-test"
    lambs = next(b for b in blocks if "羔羊" in b)
    # two lambs at the grade's rate: 2 x 400 = 800
    assert value([loss("L1", "livestock", "羊", "2", "head", grade="羔羊")], parse_schedule(header() + lambs).spec).total == Decimal("800.00")
    per_accident = next(b for b in blocks if "per_accident" in b)
    assert parse_schedule(header() + per_accident).spec.per_accident == Decimal("5500")


GRADES_BAD = """items:
  - {key: c, category: livestock, names: [牛], unit: head, rate: 1, grades: {"a": 1, " a ": 2}}
  - {key: m, category: livestock, method: market_value, unit: head, grades: {犊牛: 3000}}
"""


def test_grades_the_same_once_trimmed_and_a_number_for_a_price_key_are_refused(app) -> None:  # type: ignore[no-untyped-def]
    from flask_babel import force_locale

    assert problems(header() + GRADES_BAD) == [
        'Line 8, field items[0].grades. a : the grade "a" is listed twice',
        "Line 9, field items[1].grades.犊牛: must be the key of a reference price (text), not a number",
    ]
    with app.app_context(), force_locale("zh"):
        found = problems(header() + GRADES_BAD)
    assert found == [
        "第8行，字段 items[0].grades. a ：价格等级“a”重复",
        "第9行，字段 items[1].grades.犊牛：必须是参考价格的名称（文字），不能是数字",
    ]
