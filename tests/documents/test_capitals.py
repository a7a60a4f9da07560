"""Amounts in Chinese capitals: the issue's values, the People's Bank examples, and a round trip."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from claims.documents.capitals import DIGITS, amount_in_capitals, amount_in_figures
from claims.documents.formats import yuan_in_full


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        # the values the issue lists
        ("0", "人民币零元整"),
        ("0.01", "人民币壹分"),
        ("0.10", "人民币壹角"),
        ("10", "人民币壹拾元整"),
        ("100.10", "人民币壹佰元零壹角"),
        ("1000000.00", "人民币壹佰万元整"),
        ("10000000.05", "人民币壹仟万元零伍分"),
        ("12345.67", "人民币壹万贰仟叁佰肆拾伍元陆角柒分"),
        # the examples of 《正确填写票据和结算凭证的基本规定》
        ("1409.50", "人民币壹仟肆佰零玖元伍角"),
        ("6007.14", "人民币陆仟零柒元壹角肆分"),
        ("1680.32", "人民币壹仟陆佰捌拾元零叁角贰分"),
        ("107000.53", "人民币壹拾万柒仟元零伍角叁分"),
        ("16409.02", "人民币壹万陆仟肆佰零玖元零贰分"),
        ("325.04", "人民币叁佰贰拾伍元零肆分"),
        ("15.80", "人民币壹拾伍元捌角"),
        # zeros across the 万 and 亿 sections
        ("0.05", "人民币伍分"),
        ("0.11", "人民币壹角壹分"),
        ("1", "人民币壹元整"),
        ("20", "人民币贰拾元整"),
        ("1001", "人民币壹仟零壹元整"),
        ("10010", "人民币壹万零壹拾元整"),
        ("50500", "人民币伍万零伍佰元整"),
        ("110000", "人民币壹拾壹万元整"),
        ("1000001", "人民币壹佰万零壹元整"),
        ("10100000", "人民币壹仟零壹拾万元整"),
        ("100000001", "人民币壹亿零壹元整"),
        ("200000000.20", "人民币贰亿元零贰角"),
        ("999999999999.99", "人民币玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
        ("100000000000", "人民币壹仟亿元整"),
        (12, "人民币壹拾贰元整"),
    ],
)
def test_known_amounts(amount: str | int, words: str) -> None:
    assert amount_in_capitals(Decimal(amount)) == words


@pytest.mark.parametrize("bad", [Decimal("-0.01"), Decimal("0.001"), Decimal("NaN"), Decimal("Infinity"), Decimal(10) ** 12])
def test_refuses_what_cannot_be_written_exactly(bad: Decimal) -> None:
    with pytest.raises(ValueError):
        amount_in_capitals(bad)


def test_refuses_floats() -> None:
    with pytest.raises(TypeError):
        amount_in_capitals(0.1)  # type: ignore[arg-type]


def test_figures_and_capitals_together() -> None:
    assert amount_in_figures(Decimal("12345.6")) == "12,345.60"
    assert yuan_in_full(Decimal("12345.67")) == "人民币12,345.67元（大写：人民币壹万贰仟叁佰肆拾伍元陆角柒分）"


VALUES = {ch: i for i, ch in enumerate(DIGITS)}
SMALL = {"拾": 10, "佰": 100, "仟": 1000}
BIG = (("亿", 10**8), ("万", 10**4))


def read_capitals(text: str) -> Decimal:
    """An independent reader of the words (the test's inverse), strict about the 人民币 and 整 forms."""
    assert text.startswith("人民币")
    body = text.removeprefix("人民币")
    if body.endswith("整"):
        assert body.endswith("元整"), text
        body = body.removesuffix("整")
    integer, _, cents = body.rpartition("元") if "元" in body else ("", "", body)
    fen = 0
    digit = 0
    for ch in cents:
        if ch in VALUES:
            digit = VALUES[ch]
        elif ch == "角":
            fen += digit * 10
        elif ch == "分":
            fen += digit
    return Decimal(_read_integer(integer)) + Decimal(fen) / 100


def _read_integer(text: str) -> int:
    for word, unit in BIG:
        if word in text:
            high, _, low = text.partition(word)
            return _read_integer(high) * unit + _read_integer(low)
    total, digit = 0, 0
    for ch in text:
        if ch in VALUES:
            digit = VALUES[ch]
        elif ch in SMALL:
            total += digit * SMALL[ch]
            digit = 0
    return total + digit


@given(st.decimals(min_value=0, max_value=Decimal("999999999999.99"), places=2, allow_nan=False, allow_infinity=False))
def test_round_trip(amount: Decimal) -> None:
    words = amount_in_capitals(amount)
    assert read_capitals(words) == amount
    assert ("零零" not in words and not words.removeprefix("人民币").startswith("零")) or amount == 0
    assert words.endswith(("整", "角", "分"))
    assert words.endswith("元整") == (amount == amount.to_integral_value() and amount > 0) or amount == 0
