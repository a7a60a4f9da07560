"""How numbers are written, everywhere: pages, PDFs, form inputs. The one place for it.

A `Decimal` that went through `normalize()` prints 20 as "2E+1"; `format(x, ",.2f")` scattered over
templates rounds half-even. Every quantity, amount and area a user reads goes through these functions,
registered as Jinja filters for the pages (`register_filters`) and the PDF environment
(claims/documents/pdf.py), and used by the forms for their input values (`QuantityField`-style
`_value`) and by the document builders.

- `plain(20)` -> "20", `plain(Decimal("1.50"))` -> "1.5": no exponent, no trailing zeros, no separators
  (what an input field shows and parses back).
- `quantity(12345.5)` -> "12,345.5": the same with thousands separators, for reading.
- `amount(1234.5)` -> "1,234.50": yuan, two decimals rounded half up, thousands separators.
- `money(1234.5)` -> "¥1,234.50".
- `measure(20, "mu")` -> "20 亩": a quantity with its unit's name.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from flask import Flask
from flask_babel import lazy_gettext as _l

from claims.core.money import FEN

Number = Decimal | int | float | str


def to_decimal(value: Number) -> Decimal:
    """A Decimal of the value; a float goes through its shortest repr (0.1 -> 0.1, not 0.1000000000000000055)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)


def _fixed(value: Number, grouping: bool) -> str:
    try:
        number = to_decimal(value)
    except (InvalidOperation, ValueError):
        return str(value)
    if not number.is_finite() or abs(number.adjusted()) > 30:  # never write out a number no form accepts (1e999999999)
        return str(value)
    text = format(number, ",f" if grouping else "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def plain(value: Number | None) -> str:
    """20 -> "20", 1.50 -> "1.5", 0.001 -> "0.001": fixed point, no exponent, no trailing zeros, no separators."""
    return "" if value is None else _fixed(value, grouping=False)


def quantity(value: Number | None) -> str:
    """12345.5 -> "12,345.5": as `plain`, with thousands separators."""
    return "" if value is None else _fixed(value, grouping=True)


def amount(value: Number | None) -> str:
    """1234.5 -> "1,234.50": yuan to the fen, rounded half up, with thousands separators."""
    if value is None:
        return ""
    try:
        number = to_decimal(value)
    except (InvalidOperation, ValueError):
        return str(value)
    if not number.is_finite():
        return str(value)
    return format(number.quantize(FEN, rounding=ROUND_HALF_UP), ",f")


def money(value: Number | None) -> str:
    """1234.5 -> "¥1,234.50"."""
    return "" if value is None else f"¥{amount(value)}"


# The units a loss is counted in: stored code -> its name (the filing and survey forms offer these).
UNITS = {
    "mu": _l("mu"),
    "plant": _l("plants"),
    "head": _l("head"),
    "bird": _l("birds"),
    "hive": _l("hives"),
    "kg": _l("kg"),
    "m2": _l("square metres"),
    "item": _l("items"),
    "person": _l("persons"),
}


def unit_name(code: str | None) -> str:
    """A loss line's unit as the user reads it (亩, not the stored code "mu")."""
    return str(UNITS.get(code, code)) if code else ""


def measure(value: Number | None, unit: str | None) -> str:
    """20, "mu" -> "20 亩"; an empty string when there is no quantity."""
    if value is None or value == "":
        return ""
    return f"{quantity(value)} {unit_name(unit)}".strip()


def area(value: Number | None) -> str:
    """An area in mu: 1.5 -> "1.5 亩"."""
    return measure(value, "mu")


def percent(value: Number | None) -> str:
    """A rate in percent: 80 -> "80%", 12.50 -> "12.5%"."""
    return "" if value is None else f"{quantity(value)}%"


FILTERS: dict[str, Any] = {
    "plain": plain,
    "quantity": quantity,
    "amount": amount,
    "money": money,
    "measure": measure,
    "area": area,
    "percent": percent,
    "unit": unit_name,
}


def register_filters(app: Flask) -> None:
    app.jinja_env.filters.update(FILTERS)
