"""quality.md 26: a PDF says nothing its page does not. Every document kind, issued through the real steps from
claims that hold full ID numbers and bank accounts: the attached JSON and the stored data are the page's own
words (one masking step before both), and no full ID or account number is anywhere in them."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from pypdf import PdfReader
from sqlalchemy import select

from claims.core import formatting
from claims.core import time as clock
from claims.documents.masking import mask_bank, mask_document_data
from claims.documents.models import DocumentKind, IssuedDocument
from claims.documents.services import document_bytes
from claims.extensions import db
from claims.intake.models import Claim
from tests.documents.conftest import attachment, flat, notice_list

# Machine identifiers the data carries beside what it prints (not personal data): a reason's code beside its
# printed title, a photo's SHA-256 beside the photo itself, the document kind beside its printed title.
MACHINE_KEYS = {"code", "sha256", "kind"}
# Issue 13's law-citation item (a change made in parallel) has these documents cite the law and the provincial
# measures their data carries. Until it lands they do not: each pair below is checked to be still missing, so this
# test fails the day one is printed, and the pair is then removed from here.


def _strings(value: Any, key: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v, key)
    elif isinstance(value, str) and value:
        yield key, value


def _as_printed(value: str) -> str:
    """How the page prints a string of the JSON: an amount with thousands separators, a date in Chinese."""
    if re.fullmatch(r"-?\d+\.\d\d", value):
        return formatting.amount(Decimal(value))
    if re.fullmatch(r"\d{4}-\d\d-\d\d", value):
        day = date.fromisoformat(value)
        return f"{day.year}年{day.month}月{day.day}日"
    if re.fullmatch(r"\d{4}-\d\d-\d\dT[\d:.]+\+00:00", value):
        day = clock.to_local(datetime.fromisoformat(value)).date()
        return f"{day.year}年{day.month}月{day.day}日"
    return value


def _full_numbers() -> set[str]:
    claims = db.session.execute(select(Claim)).scalars()
    return {n for c in claims for n in (c.claimant_id_number, c.bank_account) if n}


@pytest.mark.parametrize("kind", list(DocumentKind))
def test_the_attached_json_is_what_the_page_shows(every_kind: dict[DocumentKind, int], ctx: None, kind: DocumentKind) -> None:
    document = db.session.get(IssuedDocument, every_kind[kind])
    assert document is not None
    body = document_bytes(document)
    page = flat("".join(p.extract_text() for p in PdfReader(io.BytesIO(body)).pages))
    attached = attachment(body)
    assert attached == document.data  # the stored data is the attachment, masked alike
    missing = [(key, value) for key, value in _strings(attached) if key not in MACHINE_KEYS and flat(_as_printed(value)) not in page]
    assert missing == []
    numbers = _full_numbers()
    assert len(numbers) >= 2
    for number in numbers:
        assert number not in page and number not in str(attached), number


def test_the_public_notice_list_carries_masked_names_only(every_kind: dict[DocumentKind, int], ctx: None) -> None:
    document = db.session.get(IssuedDocument, every_kind[DocumentKind.NOTICE_LIST])
    assert document is not None
    (entry,) = document.data["data"]["entries"]
    assert entry["name"] == "张*国"  # the villager 张建国 who filed it
    assert "张建国" not in str(attachment(document_bytes(document)))


def test_one_masking_step_for_every_kind(app: Flask) -> None:
    """Names on the public list, ID numbers, and accounts inside any text (a bank line, a claimant's own words)."""
    data = notice_list(4)
    data.entries[0].name = "欧阳明月"
    data.place = "三仙湖村（申请人账号6217995500001234567，身份证430921196503151234）"
    masked = mask_document_data(data)
    assert [e.name for e in masked.entries] == ["欧**月", "李*英", "欧**月", "王*"]
    assert masked.place == "三仙湖村（申请人账号6217 **** **** 4567，身份证4309**********1234）"
    assert data.entries[1].name == "李秀英"  # the builder's data is left as it was
    assert mask_document_data(masked) == masked  # masking twice changes nothing
    assert mask_bank("湖南农村信用社 6217995500001234567") == mask_bank("湖南农村信用社 6217 **** **** 4567") == "湖南农村信用社 6217 **** **** 4567"
