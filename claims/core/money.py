"""Money: amounts are `Decimal` yuan in code, integer fen in the database (`claims.core.db.Money`)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

FEN = Decimal("0.01")
"""One fen, the smallest amount paid: every amount is rounded to it."""


def to_fen(value: Decimal) -> Decimal:
    """An amount rounded to the fen, half up (the rounding the schedules and the banks use)."""
    return value.quantize(FEN, rounding=ROUND_HALF_UP)
