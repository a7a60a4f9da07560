"""Keyset pagination: every list page shows at most one page of rows, and the next page starts after the last one.

A page is ordered by a tuple of sort keys, the row id always last, so no two rows share a position and a
cursor names exactly one place in the order. The next page is the rows strictly after the cursor in that
order; no OFFSET is used, so page 10,000 costs what page 1 costs (an index on the same columns serves both).

The cursor is the query parameter `after`: the last shown row's sort-key values, in the page's key order,
joined by commas. Each value is written as

- an integer (ids): decimal digits, e.g. `1234`;
- a date: ISO `YYYY-MM-DD`, e.g. `2026-12-01`;
- a boolean: `0` or `1`;
- a text (a role, a login): percent-encoded (`urllib.parse.quote(value, safe="")`), so a comma in it is `%2C`;
- a NULL (a claim with no deadline): the empty string.

So `/queue?after=2026-12-01,1234` continues after the claim due on 1 December 2026 with id 1234, and
`/queue?after=,1234` after claim 1234 among those with no deadline (they sort last); `/claims/?after=1234`
continues a list ordered by id alone (newest first there: the ids that follow are smaller). Each page's
keys are declared beside its query (`*_KEYS` constants) and a page's `<a rel="next">` link carries the
cursor to follow. A cursor that does not parse (wrong number of parts, a letter for a number, a number
beyond 32 bits) is ignored: the first page is shown, never an error. Filters in the query string (such as
`status=`) are kept in the next link.

Reading a page: keys in one direction with no NULLs continue after the cursor with one row-value comparison,
`(due_at, id) > ('2026-12-01', 1234)`, which the database reads from an index starting at the cursor. A leading
key whose NULLs sort last is read in two parts (the rows with a value, then the NULLs), and a leading key with
`parts` (an insurer's waiting referrals before its decided ones) part by part, so that each statement is in
the plain order of an index; a page that crosses a border costs one statement more.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, Generic, TypeVar
from urllib.parse import quote, unquote, urlencode

from flask import request
from sqlalchemy import ColumnElement, Select, and_, false, literal, or_, tuple_

from claims.core.inputs import MAX_INT

T = TypeVar("T")

PAGE_SIZE = 50
QUEUE_SIZE = 20  # a to-do list: the first 20 are what one works on now
SECTION_SIZE = 10  # a section of a page with several lists; a "more" link opens the whole list page by page
MAX_CURSOR = 200  # longer than any cursor we write


@dataclass(frozen=True)
class SortKey:
    """One column of a page's order. `nulls_last` keys may hold NULL, which sorts after every value."""

    column: ColumnElement[Any]
    kind: type  # int, date, bool or str: how the cursor's text is read
    descending: bool = False
    nulls_last: bool = False
    value: Callable[[Any], Any] | None = None  # reads the key from a row; default: the attribute named like the column
    parse: Callable[[str], Any] | None = None  # reads a text key from the cursor (e.g. an enum); ValueError: first page
    # A leading key with few values may list them in order, each with the condition that selects its rows
    # (waiting referrals before decided ones): each part is then read on its own, in its own index order.
    parts: tuple[tuple[Any, ColumnElement[bool]], ...] | None = None

    def of(self, row: Any) -> Any:
        return self.value(row) if self.value is not None else getattr(row, self.column.key)  # type: ignore[attr-defined]

    def order_by(self) -> list[ColumnElement[Any]]:
        ordered = self.column.desc() if self.descending else self.column.asc()
        return [self.column.is_(None), ordered] if self.nulls_last else [ordered]


@dataclass
class Page(Generic[T]):
    rows: list[T]
    next_cursor: str | None  # `after` for the next page, None on the last page
    is_first: bool  # False when a cursor was followed: the page links back to the first

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __bool__(self) -> bool:
        return bool(self.rows)


def encode_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, date):
        return value.isoformat()[:10]
    if isinstance(value, str):
        return quote(str(value), safe="")
    return str(int(value))


def encode_cursor(values: Sequence[Any]) -> str:
    return ",".join(encode_value(v) for v in values)


def _decode_value(text: str, key: SortKey) -> Any:
    if text == "":
        if not key.nulls_last:
            raise ValueError("NULL in a key that is never NULL")
        return None
    if key.kind is bool:
        if text not in ("0", "1"):
            raise ValueError(text)
        return text == "1"
    if key.kind is date:
        return date.fromisoformat(text)
    if key.kind is str:
        value = unquote(text)
        if not value.isprintable():  # a NUL or other control character only a forged cursor holds
            raise ValueError(text)
        return key.parse(value) if key.parse is not None else value
    if not text.isascii() or not text.isdigit() or int(text) > MAX_INT:  # ids are positive 32-bit
        raise ValueError(text)
    return int(text)


def decode_cursor(raw: str | None, keys: Sequence[SortKey]) -> tuple[Any, ...] | None:
    """The cursor's values, or None (the first page) when there is none or it does not parse."""
    if not raw or len(raw) > MAX_CURSOR:
        return None
    parts = raw.split(",")
    if len(parts) != len(keys):
        return None
    try:
        values = tuple(_decode_value(text, key) for text, key in zip(parts, keys, strict=True))
    except ValueError:
        return None
    if keys[0].parts is not None and values[0] not in [value for value, _condition in keys[0].parts]:
        return None
    return values


def _after_one(key: SortKey, value: Any) -> ColumnElement[bool]:
    """Rows strictly after `value` on this key alone."""
    if value is None:  # only other NULLs tie; nothing comes after NULL
        return false()
    beyond = key.column < value if key.descending else key.column > value
    return or_(beyond, key.column.is_(None)) if key.nulls_last else beyond


def _tie(key: SortKey, value: Any) -> ColumnElement[bool]:
    return key.column.is_(None) if value is None else key.column == value


def _row_comparable(keys: Sequence[SortKey]) -> bool:
    """Keys that never hold NULL and run in one direction: "after" is one row-value comparison."""
    return all(not k.nulls_last and k.parts is None and k.descending == keys[0].descending for k in keys)


def after_clause(keys: Sequence[SortKey], values: Sequence[Any]) -> ColumnElement[bool]:
    """Rows strictly after the cursor in the lexicographic order of `keys`.

    Keys in one direction with no NULLs compare as one row value, `(k1, k2) > (v1, v2)`, which both databases
    read from an index starting at the cursor. Otherwise: (k1 > v1) or (k1 = v1 and k2 > v2) ..., with the
    first key's bound (k1 >= v1) on its own in front, so the database reads the index from the cursor on."""
    if len(keys) > 1 and _row_comparable(keys) and all(v is not None for v in values):
        columns, bound = tuple_(*(k.column for k in keys)), tuple_(*(literal(v, k.column.type) for k, v in zip(keys, values, strict=True)))
        return columns < bound if keys[0].descending else columns > bound
    alternatives = []
    for i, (key, value) in enumerate(zip(keys, values, strict=True)):
        ties = [_tie(k, v) for k, v in zip(keys[:i], values[:i], strict=True)]
        alternatives.append(and_(*ties, _after_one(key, value)))
    first, value = keys[0], values[0]
    if value is None:
        lead: ColumnElement[bool] = first.column.is_(None)
    elif first.nulls_last:
        lead = or_(first.column <= value if first.descending else first.column >= value, first.column.is_(None))
    else:
        lead = first.column <= value if first.descending else first.column >= value
    return and_(lead, or_(*alternatives))


def order_of(keys: Sequence[SortKey]) -> list[ColumnElement[Any]]:
    return [clause for key in keys for clause in key.order_by()]


def _fetch(session: Any, query: Select[Any], keys: Sequence[SortKey], values: Sequence[Any] | None, limit: int) -> list[Any]:
    """At most `limit` rows of `query` after `values` (None: from the start) in the order of `keys`.

    An index serves `ORDER BY due_at, id` from the cursor on, but not `ORDER BY due_at IS NULL, due_at, id`
    (NULLs last on every database): so a leading key that sorts NULLs last is read in two parts, the rows
    with a value in plain order, then, if the page is not full yet, the NULLs by the next keys. A key with
    `parts` is read part by part alike. Usually the first part fills the page: one statement."""
    key = keys[0]
    if key.parts is not None:
        rows: list[Any] = []
        started = values is None
        for value, condition in key.parts:
            if not started and value != values[0]:  # type: ignore[index]
                continue  # a part before the cursor's
            rest = values[1:] if not started else None  # type: ignore[index]
            started = True
            rows += _fetch(session, query.where(condition), keys[1:], rest, limit - len(rows))
            if len(rows) >= limit:
                break
        return rows
    if key.nulls_last and len(keys) > 1 and values is None and not key.descending and session.get_bind().dialect.name == "postgresql":
        # A first page on PostgreSQL: its indexes keep NULLs last already, so one statement in that order
        # reads the index from its start (a NOT NULL test would make it expect too few rows and sort them all).
        order = [key.column.asc().nulls_last(), *order_of(keys[1:])]
        return list(session.execute(query.order_by(*order).limit(limit)).scalars().unique())
    if key.nulls_last and len(keys) > 1:
        rows = []
        if values is None or values[0] is not None:
            plain = (replace(key, nulls_last=False), *keys[1:])
            # After a cursor, `(due_at, id) > (v, n)` already leaves NULLs out; saying it again would make
            # PostgreSQL count the NULLs twice, expect a few rows and sort them all instead of reading the index.
            part = query if values is not None and _row_comparable(plain) else query.where(key.column.is_not(None))
            rows = _fetch(session, part, plain, values, limit)
        if len(rows) < limit:
            rest = values[1:] if values is not None and values[0] is None else None  # else the NULLs from their start
            rows += _fetch(session, query.where(key.column.is_(None)), keys[1:], rest, limit - len(rows))
        return rows
    if values is not None:
        query = query.where(after_clause(keys, values))
    return list(session.execute(query.order_by(*order_of(keys)).limit(limit)).scalars().unique())


def paginate(query: Select[Any], keys: Sequence[SortKey], after: str | None, *, size: int = PAGE_SIZE, session: Any) -> Page[Any]:
    """One page of `query` (which must not be ordered yet) in the order of `keys`, after the cursor `after`."""
    if any(key.parts is not None for key in keys[1:]):
        raise ValueError("only the leading key may have parts")
    values = decode_cursor(after, keys)
    rows = _fetch(session, query, keys, values, size + 1)
    more = len(rows) > size
    rows = rows[:size]
    cursor = encode_cursor([key.of(rows[-1]) for key in keys]) if more else None
    return Page(rows=rows, next_cursor=cursor, is_first=values is None)


def first_rows(query: Select[Any], keys: Sequence[SortKey], *, size: int = SECTION_SIZE, session: Any) -> Page[Any]:
    """The first `size` rows of a section and whether there are more (the section links to its own paged list)."""
    return paginate(query, keys, None, size=size, session=session)


def page_url(after: str | None) -> str:
    """This page's URL with its filters kept and `after` set, or dropped (the first page) when None.

    Built from the request's own path and query, not through url_for: a query parameter named like one of
    url_for's arguments (`endpoint`, `_external`) or like a view argument would change or break the link."""
    args = [(key, value) for key, value in request.args.items(multi=True) if key != "after"]
    if after is not None:
        args.append(("after", after))
    return request.script_root + request.path + ("?" + urlencode(args) if args else "")
