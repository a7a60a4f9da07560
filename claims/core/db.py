"""Declarative base, column types and database-engine set-up shared by every domain."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Annotated, Any

from sqlalchemy import BigInteger, Date, DateTime, Integer, MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, mapped_column
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator

from claims.core.money import FEN
from claims.core.storage import private_file

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps no offset, so we add it back)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class local_date(FunctionElement[Any]):
    """The local (Asia/Shanghai) calendar date of a `UTCDateTime` column, computed by the database (GROUP BY a day).

    SQLite stores naive UTC: eight hours are added (China has kept UTC+8 all year since 1991, no daylight saving).
    PostgreSQL converts the timestamptz with the zone itself."""

    type = Date()
    inherit_cache = True


class local_month(FunctionElement[Any]):
    """The first day of the local (Asia/Shanghai) calendar month of a `UTCDateTime` column (GROUP BY a month), as
    `local_date` computes the day."""

    type = Date()
    inherit_cache = True


# How each database writes them: "{}" is the column. SQLite adds the eight hours; PostgreSQL converts with the zone.
LOCAL_SQL = {
    local_date: {"sqlite": "date({}, '+8 hours')", "postgresql": "CAST(timezone('Asia/Shanghai', {}) AS DATE)"},
    local_month: {
        "sqlite": "date({}, '+8 hours', 'start of month')",
        "postgresql": "CAST(date_trunc('month', timezone('Asia/Shanghai', {})) AS DATE)",
    },
}


def _compile_local(element: FunctionElement[Any], compiler: SQLCompiler, **kw: Any) -> str:
    template = LOCAL_SQL[type(element)][compiler.dialect.name]
    return template.format(compiler.process(element.clauses, **kw))


for _element in LOCAL_SQL:
    compiles(_element, "sqlite", "postgresql")(_compile_local)


class Money(TypeDecorator[Decimal]):
    """Yuan as `Decimal` in code, integer fen in the database (SQLite's NUMERIC passes through float)."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Decimal | int | None, dialect: Any) -> int | None:
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("money must not be a float")
        return int((Decimal(value) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))

    def process_result_value(self, value: int | None, dialect: Any) -> Decimal | None:
        if value is None:
            return None
        return (Decimal(value) / 100).quantize(FEN)


intpk = Annotated[int, mapped_column(Integer, primary_key=True)]


def configure_engine(engine: Engine) -> None:
    """PostgreSQL without JIT; SQLite for concurrent use: WAL, busy_timeout, foreign keys, and BEGIN IMMEDIATE for writers.

    pysqlite's own transaction handling is switched off so that we emit BEGIN ourselves: a deferred
    transaction that reads first and writes later fails at once with "database is locked", so a
    request that may write (any non-GET request, the CLI, tests) begins IMMEDIATE.
    """
    if engine.dialect.name == "postgresql":

        @event.listens_for(engine, "connect")
        def _no_jit(dbapi_conn: Any, _record: Any) -> None:
            """PostgreSQL compiles a plan with JIT when its estimated cost is high (a count over many rows):
            20-30 ms that a page never wins back. Set per connection, not as a startup option, so the options of
            DATABASE_URL or PGOPTIONS are kept and a pooler that refuses startup options still connects."""
            cur = dbapi_conn.cursor()
            cur.execute("SET jit = off")
            cur.close()
            dbapi_conn.commit()

    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "do_connect")
    def _owner_only(dialect: Any, conn_rec: Any, cargs: Any, cparams: Any) -> None:
        """The database file (and so its -wal and -shm files, which SQLite gives the same mode) is 0600, in a
        0700 folder: it holds names, mobiles and, encrypted, ID numbers. Created here, before SQLite would."""
        database = engine.url.database
        if database and database != ":memory:" and not database.startswith("file:"):
            private_file(Path(database))

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=15000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if _wants_write_lock() else "BEGIN")


def _wants_write_lock() -> bool:
    from flask import has_request_context, request

    if has_request_context():
        return request.method not in ("GET", "HEAD", "OPTIONS")
    return True


def str_enum(enum_cls: type[Any], length: int = 30) -> Any:
    """An enum stored by its value as a VARCHAR with a CHECK constraint (portable, readable in SQL)."""
    from sqlalchemy import Enum

    return Enum(
        enum_cls,
        native_enum=False,
        length=length,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
        create_constraint=True,
        name=enum_cls.__name__.lower(),
    )
