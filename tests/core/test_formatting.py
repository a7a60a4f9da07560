"""The one formatting module (claims/core/formatting.py): numbers look like numbers, and read back exactly."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from claims.core import formatting

QUANTITIES = st.decimals(min_value=Decimal("-1000000"), max_value=Decimal("1000000"), places=3, allow_nan=False, allow_infinity=False)
AMOUNTS = st.decimals(min_value=Decimal("-100000000"), max_value=Decimal("100000000"), places=2, allow_nan=False, allow_infinity=False)
# The same values written every way a Decimal can hold them: 20, 20.000, 2E+1 (what normalize() makes).
SHAPES = st.sampled_from([lambda d: d, lambda d: d.normalize(), lambda d: d.quantize(Decimal("0.001")), lambda d: d.scaleb(0)])


@settings(max_examples=300, deadline=None)
@given(QUANTITIES, SHAPES)
def test_a_quantity_reads_back_to_the_same_value(value: Decimal, shape) -> None:  # type: ignore[no-untyped-def]
    shown = formatting.quantity(shape(value))
    plain = formatting.plain(shape(value))
    for text in (shown, plain):
        assert "E" not in text.upper() and "e" not in text
        assert Decimal(text.replace(",", "")) == value
        assert not ("." in text and text.endswith("0")) and not text.endswith(".")
    assert "," not in plain  # what an input field shows, and parses back as typed
    integer = shown.lstrip("-").split(".")[0]
    assert all(len(group) == 3 for group in integer.split(",")[1:]) and 0 < len(integer.split(",")[0]) <= 3


@settings(max_examples=300, deadline=None)
@given(AMOUNTS)
def test_an_amount_has_two_decimals_and_separators(value: Decimal) -> None:
    shown = formatting.amount(value.normalize())
    assert "E" not in shown.upper()
    assert shown.split(".")[1].isdigit() and len(shown.split(".")[1]) == 2
    assert Decimal(shown.replace(",", "")) == value
    assert formatting.money(value) == "¥" + shown


def test_examples() -> None:
    assert formatting.plain(Decimal("2E+1")) == "20"
    assert formatting.plain(Decimal("1.500")) == "1.5"
    assert formatting.plain(Decimal("0E-3")) == "0"
    assert formatting.quantity(Decimal("12345.5")) == "12,345.5"
    assert formatting.quantity(0.1) == "0.1"  # a float through its shortest repr
    assert formatting.amount(Decimal("1234.5")) == "1,234.50"
    assert formatting.amount(Decimal("0.005")) == "0.01"  # half up, not half even
    assert formatting.amount(Decimal("0.015")) == "0.02"
    assert formatting.money(None) == formatting.quantity(None) == formatting.plain(None) == ""
    assert formatting.percent(80) == "80%"
    assert formatting.amount("not a number") == "not a number"  # shown as it was, never a crash


def test_measure_names_the_unit_in_chinese(app) -> None:  # type: ignore[no-untyped-def]
    with app.test_request_context():
        assert formatting.measure(Decimal("2E+1"), "mu") == "20 亩"
        assert formatting.area(Decimal("1.50")) == "1.5 亩"
        assert formatting.measure(None, "mu") == ""


def test_the_filters_are_the_ones_pages_and_pdfs_use(app) -> None:  # type: ignore[no-untyped-def]
    from claims.documents.pdf import template_env

    for name, function in formatting.FILTERS.items():
        assert app.jinja_env.filters[name] is function, name
        assert template_env().filters[name] is function, name
