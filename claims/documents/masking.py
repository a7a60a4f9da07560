"""The one masking step of the documents (quality.md 12 and 26): applied to a document's data before anything
renders, attaches or stores it, so the page, the attached JSON and the stored row hold the same masked values.

Builders fill the data with the record's own values; each field says in its metadata how it is masked
(claims/documents/data.py): `NAME` on public lists (张*国), `ID_NUMBER` (4309**********1234), `BANK` (a bank
name and account: 湖南农村信用社 6217 **** **** 4567). Every other string is still searched for what looks like a
full ID or account number (a claimant may type one into a description) and that is masked; `KEEP` marks machine
values such as a photo's SHA-256, which are hex and never personal. Masking masked data changes nothing.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Any, TypeVar

from claims.core.crypto import mask_account, mask_id_number, mask_name

MASK = "mask"
NAME = {MASK: "name"}
ID_NUMBER = {MASK: "id_number"}
BANK = {MASK: "bank"}
KEEP = {MASK: "keep"}

T = TypeVar("T")

# An ID number (15 digits, or 17 and a digit or X) or a bank account (16 to 19 digits, or typed in groups of four),
# not part of a longer word. Mobiles (11 digits) and claim numbers (430921-2026-000012) do not match.
_LONG_NUMBER = re.compile(r"(?<![0-9A-Za-z])(?:\d{17}[Xx]|\d{15,19}|\d{4}(?: \d{4}){3,4}(?: \d{1,3})?)(?![0-9A-Za-z])")
# In a bank line, the account: 9 digits or more (some passbooks are short), perhaps in groups.
_ACCOUNT = re.compile(r"(?<![0-9A-Za-z])\d[\d ]{7,}\d(?![0-9A-Za-z])")


def _mask_long_number(match: re.Match[str]) -> str:
    text = match.group(0)
    compact = text.replace(" ", "")
    if text == compact and (len(compact) == 15 or (len(compact) == 18 and compact[:17].isdigit())):
        return mask_id_number(compact)
    return mask_account(compact)


def mask_text(value: str) -> str:
    """Free text with any full ID or account number in it masked."""
    return _LONG_NUMBER.sub(_mask_long_number, value)


def mask_bank(value: str) -> str:
    """A bank name and account, the account masked: 湖南农村信用社 6217 **** **** 4567."""
    return _ACCOUNT.sub(lambda m: mask_account(m.group(0)), value)


_MASKERS: dict[str, Callable[[str], str]] = {
    "name": lambda v: mask_name(mask_text(v)),
    "id_number": mask_id_number,
    "bank": mask_bank,
    "keep": lambda v: v,
    "text": mask_text,
}


def mask_document_data(data: T) -> T:
    """A masked copy of a document's data (the builder's own object is left as it was)."""
    return _masked(data, "text")  # type: ignore[no-any-return]


def _masked(value: Any, how: str) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: _masked(getattr(value, f.name), f.metadata.get(MASK, "text")) for f in dataclasses.fields(value) if f.init}
        return dataclasses.replace(value, **changes)
    if isinstance(value, list):
        return [_masked(item, how) for item in value]
    if isinstance(value, str):
        return _MASKERS[how](value)
    return value
