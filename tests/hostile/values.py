"""The hostile inputs of the battery: what real phones, spreadsheets, mistakes and attackers send.

Each entry is (label, value). Tests post them to the fields that take them and expect a specific message in
Chinese, the typed values kept, and nothing stored that should not be.
"""

from __future__ import annotations

import json

# Text anyone may type or paste, with invisible characters that a database or a bank file chokes on.
CONTROL_TEXTS = [
    ("NUL", "张\x00三"),
    ("bell and escape", "张\x07\x1b三"),
    ("DEL and C1", "张\x7f\x85三"),
    ("right-to-left override", "张\u202e三"),
]

# Quantities that are not numbers a person means.
NOT_NUMBERS = ["NaN", "sNaN", "-NaN", "Infinity", "-Infinity", "inf", "1e999", "0x10"]

# Dates (the date input's ISO form) that no incident had.
BAD_DATES = ["1800-06-01", "0001-01-01", "1999-12-31", "9999-12-31"]

# Record ids: unknown, negative, beyond 32 and 64 bits.
BAD_IDS = ["987654", "-1", "2147483648", "99999999999999999999999"]

# Full-width (and other Unicode) digits, as Chinese input methods produce them.
FULLWIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


def fullwidth(number: str) -> str:
    return number.translate(FULLWIDTH)


def deep_json(levels: int = 1000) -> str:
    """About 2 KB of JSON nested `levels` deep: a RecursionError for a recursive parser."""
    return "[" * levels + "]" * levels


def deep_object(levels: int = 1000) -> str:
    return '{"a":' * levels + "1" + "}" * levels


assert json.loads(deep_json(10)) == [[[[[[[[[[]]]]]]]]]]  # the shape is valid JSON; only its depth is hostile
