"""A page (or a part of one) kept for its viewer until the data changes.

A to-do list is asked for far more often than it changes: a clerk reloads it between calls, an officer's phone opens
it again after each visit. Drawing it is most of the request: the query, the rows, the badges and the frame's links
and forms (bench/README.md). A page drawn once is kept, in this process, under a key that names everything it was
drawn from:

- the viewer: account, role and area, as read with the data stamp (a role changed meanwhile gives another key);
- the request's path and query (the cursor and filters), the language and the local day (deadlines turn overdue
  at midnight, Asia/Shanghai);
- for a whole page (`kept_page`), what its frame shows besides the data: the session's CSRF secret (the forms'
  tokens are signed over it) and the cookies' choices (large text); a page with a message to show once is never kept;
- and the *data stamp*, which changes with every committed write:
  - on PostgreSQL, the statement's own snapshot (``pg_current_snapshot()``: which transactions it sees as done), which
    every commit or rollback that wrote moves on, made by this app or by anything else. Two statements with the same
    snapshot see the same data, so a page can never be kept under a snapshot newer than the data it shows;
  - on SQLite, a random value in the one-row table ``data_stamp``, set anew inside every transaction that wrote
    through the ORM (SQLite runs one writer at a time, so this costs no waiting). It is random, not a counter, so a
    database restored from a backup (or a test's fresh copy) brings back its own value and never another state's.

The stamp is read before the data (with the user, claims.accounts.session.load_user), so nothing is kept under a
stamp older than what it shows. Every process (a second worker, another node) reads the same stamp, so none serves
what another changed. A write that bypasses the ORM on SQLite (a hand-run SQL statement) is caught by the age
limit, ``PAGE_CACHE_SECONDS``. A request that wrote never keeps what it draws.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from flask import current_app, g, has_app_context, request, session
from flask_babel import get_locale
from markupsafe import Markup
from sqlalchemy import String, event, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import TextClause
from sqlalchemy.sql.functions import FunctionElement

from claims.core.db import Base
from claims.extensions import db

WROTE = "claims_wrote"
READS = re.compile(r"\s*(SELECT|EXPLAIN)\b", re.IGNORECASE)


class DataStamp(Base):
    """SQLite's data stamp (one row, id 1): a random value set anew by every transaction that writes.
    PostgreSQL reads its snapshot instead, and leaves this row alone."""

    __tablename__ = "data_stamp"

    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[str] = mapped_column(String(32))


# A database made from the models (not by the migrations, which add the row themselves) gets its row too.
event.listen(DataStamp.__table__, "after_create", lambda target, connection, **kw: connection.execute(target.insert().values(id=1, value="0")))


class current_stamp(FunctionElement[Any]):
    """The data stamp as a column, so that a statement a page runs anyway reads it too (the user with the bell's count,
    claims.accounts.session.load_user): one round trip less for a kept part."""

    type = String()
    inherit_cache = True


@compiles(current_stamp, "postgresql")
def _postgresql_stamp(element: current_stamp, compiler: SQLCompiler, **kw: Any) -> str:
    return "CAST(pg_current_snapshot() AS TEXT)"


@compiles(current_stamp, "sqlite")
def _sqlite_stamp(element: current_stamp, compiler: SQLCompiler, **kw: Any) -> str:
    return "(SELECT data_stamp.value FROM data_stamp WHERE data_stamp.id = 1)"


def data_stamp(session: Session) -> str | None:
    """What changes with every committed write, read in the request's own transaction; None: nothing to key on.
    A stamp read earlier in this request (before any of the page's data) serves: `g.data_stamp`."""
    known = g.get("data_stamp") if has_app_context() else None
    if known is not None:
        return str(known)
    return session.execute(select(current_stamp())).scalar_one_or_none()


def new_stamp() -> str:
    """16 random characters of base 32, mostly letters: never a run of digits the privacy checks would take for an
    account number (16 hex digits are all digits once in some 2,000 stamps)."""
    return base64.b32encode(secrets.token_bytes(10)).decode().lower()


@event.listens_for(Session, "after_flush")
def _flushed(session: Session, _context: Any) -> None:
    if session.new or session.dirty or session.deleted:
        session.info[WROTE] = True


@event.listens_for(Session, "do_orm_execute")
def _executed(state: Any) -> None:
    """A bulk INSERT, UPDATE or DELETE writes without a flush; so may a statement given as text."""
    statement = state.statement
    if state.is_insert or state.is_update or state.is_delete or (isinstance(statement, TextClause) and not READS.match(statement.text)):
        state.session.info[WROTE] = True


@event.listens_for(Session, "before_commit")
def _stamp_on_commit(session: Session) -> None:
    """On SQLite, a transaction that wrote sets a new stamp before it commits (so both become visible at once). A
    savepoint's commit waits for its transaction's."""
    if session.in_nested_transaction() or session.get_bind().dialect.name != "sqlite":
        return
    session.flush()  # what commit() would flush next, so that its writes count
    if session.info.get(WROTE):
        try:
            session.execute(update(DataStamp).where(DataStamp.id == 1).values(value=new_stamp()))
        except OperationalError as exc:  # a database without the app's tables (not migrated): no page is kept from it
            if "data_stamp" not in str(exc):
                raise


@event.listens_for(Session, "after_transaction_end")
def _ended(session: Session, transaction: Any) -> None:
    """The flag lives as long as the whole transaction: a savepoint rolled back leaves what was written before it."""
    if transaction.parent is None:
        session.info.pop(WROTE, None)


def _now() -> float:
    return time.monotonic()


class PageCache:
    """Rendered parts by key: the least recently used dropped beyond `entries`, any older than `seconds` drawn again."""

    def __init__(self, entries: int, seconds: float) -> None:
        self.entries = entries
        self.seconds = seconds
        self._parts: OrderedDict[Hashable, tuple[float, Markup]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Markup | None:
        with self._lock:
            found = self._parts.get(key)
            if found is None:
                return None
            if _now() - found[0] > self.seconds:
                del self._parts[key]
                return None
            self._parts.move_to_end(key)
            return found[1]

    def put(self, key: Hashable, part: Markup) -> None:
        with self._lock:
            self._parts[key] = (_now(), part)
            self._parts.move_to_end(key)
            while len(self._parts) > self.entries:
                self._parts.popitem(last=False)

    def __len__(self) -> int:
        with self._lock:
            for key in [key for key, (made, _part) in self._parts.items() if _now() - made > self.seconds]:
                del self._parts[key]
            return len(self._parts)


def page_cache() -> PageCache | None:
    """This app's cache, or None when PAGE_CACHE_ENTRIES is 0 (every part drawn on every request)."""
    entries = int(current_app.config.get("PAGE_CACHE_ENTRIES", 0))
    if entries <= 0:
        return None
    cache = current_app.extensions.get("claims_page_cache")
    if cache is None:
        cache = current_app.extensions["claims_page_cache"] = PageCache(entries, float(current_app.config.get("PAGE_CACHE_SECONDS", 60)))
    return cache  # type: ignore[no-any-return]


def kept_part(name: str, viewer: tuple[Hashable, ...], draw: Callable[[], str]) -> Markup:
    """The part `name` of this request's page, as `draw` renders it, from the cache while the data is unchanged.

    `viewer` names what the part depends on besides the data, the path and the language: the account and its role and
    area, the local day. Nothing `draw` reads may have been read before this call (the stamp must come first)."""
    cache = page_cache()
    # A request that wrote draws its page from what it has not committed yet: never kept.
    stamp = data_stamp(db.session) if cache is not None and not db.session.info.get(WROTE) else None
    if cache is None or stamp is None:
        return Markup(draw())  # noqa: S704 -- a template rendered with autoescape
    key = (name, stamp, str(get_locale()), request.full_path, *viewer)
    part = cache.get(key)
    if part is None:
        part = Markup(draw())  # noqa: S704 -- a template rendered with autoescape
        cache.put(key, part)
    return part


# What a page shows once and then forgets, kept in the session: flashed messages, and the keys of forms that arrived
# (claims.core.sync.note_arrival). A page that has any is drawn, never kept or served from the cache.
SHOWN_ONCE = ("_flashes", "arrived")


def kept_page(name: str, viewer: tuple[Hashable, ...], draw: Callable[[], str]) -> str:
    """A whole GET page from the cache, as `kept_part`, with what its frame shows besides the data in the key.

    The frame (templates/base.html) also shows: a CSRF token signed over this session's secret (any token of the
    session is valid, so the session's secret is in the key, never the token), the cookies' choices (large text), the
    bell (data), the messages shown once (never kept)."""
    if request.method != "GET" or any(key in session for key in SHOWN_ONCE):
        return draw()
    secret = session.get(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))
    if secret is None:  # the session's first page makes its CSRF secret: a client that keeps no cookie never shares it
        return draw()
    cookies = tuple(sorted((k, v) for k, v in request.cookies.items() if k != current_app.config["SESSION_COOKIE_NAME"]))
    csrf = hashlib.sha256(str(secret).encode()).hexdigest()
    return str(kept_part(name, (*viewer, csrf, cookies), draw))
