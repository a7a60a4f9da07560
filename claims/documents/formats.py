"""How dates, times and amounts are written in the documents (Chinese, local time)."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal

from markupsafe import Markup, escape

from claims.core.time import to_local
from claims.documents.capitals import amount_in_capitals, amount_in_figures


def cn_date(value: date | datetime | None) -> str:
    """2026年3月5日 (a datetime is shown on its local date)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_local(value)
    return f"{value.year}年{value.month}月{value.day}日"


def cn_datetime(value: datetime | None) -> str:
    """2026年3月5日21时30分, local time."""
    if value is None:
        return ""
    local = to_local(value)
    assert local is not None
    return f"{cn_date(local)}{local.hour}时{local.minute:02d}分"


def yuan(value: Decimal | None) -> str:
    """12,345.67元"""
    return "" if value is None else f"{amount_in_figures(value)}元"


def yuan_in_full(value: Decimal) -> str:
    """人民币12,345.67元（大写：人民币壹万贰仟叁佰肆拾伍元陆角柒分）: figures and capitals together."""
    return f"人民币{amount_in_figures(value)}元（大写：{amount_in_capitals(value)}）"


MASKED_ACCOUNT = re.compile(r"(?:\d{4}|\*{4})(?: (?:\d{4}|\*{4}))+$")


def account_unbroken(value: str) -> Markup:
    """ "湖南农村信用社 6217 **** **** 4567" with the masked account kept on one line when the cell wraps."""
    match = MASKED_ACCOUNT.search(value)
    if match is None:
        return escape(value)
    return escape(value[: match.start()]) + Markup('<span class="nowrap">%s</span>') % match.group()


BOOK_TITLE = re.compile(r"《([^》]+)》")


def cite(title: str, number: str = "") -> str:
    """A rule as a document cites it: its title in 《》 and, if it has one, its number in （）."""
    title = title.strip()
    if not title:
        return ""
    if not BOOK_TITLE.search(title):
        title = f"《{title}》"
    return f"{title}（{number.strip()}）" if number.strip() else title


def legal_basis(citations: list[str]) -> str:
    """The rules cited, in order, joined by "；": empty ones dropped, and a rule whose 《title》 was already cited
    left out (a county that applies the provincial measures as its schedule would otherwise cite them twice)."""
    seen: set[str] = set()
    kept = []
    for citation in citations:
        titles = set(BOOK_TITLE.findall(citation)) or {citation}
        if citation and not titles & seen:
            kept.append(citation)
            seen |= titles
    return "；".join(kept)


NUMERALS = "零一二三四五六七八九"


def cn_ordinal(n: int) -> str:
    """（一）, （二）, ... （十一）: how a Chinese document numbers its items (1-99)."""
    if not 0 < n < 100:
        raise ValueError("item numbers run from 1 to 99")
    tens, units = divmod(n, 10)
    text = ("" if tens == 1 else NUMERALS[tens]) + "十" if tens else ""
    return f"（{text}{NUMERALS[units] if units else ''}）"


FILTERS = {
    "cn_ordinal": cn_ordinal,
    "cn_date": cn_date,
    "cn_datetime": cn_datetime,
    "yuan": yuan,
    "yuan_in_full": yuan_in_full,
    "capitals": amount_in_capitals,
    "account_unbroken": account_unbroken,
    "cite": cite,
    "legal_basis": legal_basis,
}
