"""Text cells a spreadsheet will not run as formulas (OWASP CSV injection): the one rule for every file we write.

A cell that starts with = + - @ (or a tab or carriage return, which some spreadsheets skip before reading a
formula) is run as a formula when the file is opened, so a claimant named `=HYPERLINK(...)` could make an
officer's spreadsheet fetch a URL. Such a text gets a leading apostrophe: the spreadsheet shows it as text.
The same holds when the dangerous sign follows leading spaces. Numbers and dates are written as numbers and
dates, never through here: "-12.50" as a number is not a formula.
"""

from __future__ import annotations

FORMULA_SIGNS = ("=", "+", "-", "@")
SKIPPED_BEFORE_A_FORMULA = ("\t", "\r")


def spreadsheet_text(value: str | None) -> str:
    """The text as a cell shows it, never as a formula: `=1+2` -> `'=1+2`; None -> ``."""
    text = value or ""
    first = text[:1]
    if first in FORMULA_SIGNS or first in SKIPPED_BEFORE_A_FORMULA or text.lstrip()[:1] in FORMULA_SIGNS:
        return "'" + text
    return text
