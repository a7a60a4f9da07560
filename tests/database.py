"""The test database as a whole: worlds built once and restored for each test, and every table's rows.

A world of claims (tests/security/world.py, tests/pages_world.py) takes seconds to build (photos, PDFs):
it is built once per test session, its rows (and stored files) kept aside, and put back for each test
that asks for it, over the fresh database tests/conftest.py made. Checksums of every table show that a
request changed nothing, or name the tables it changed; where a test posts hundreds of requests,
`committed_writes` names the tables that committed writes touched, without reading every row after each.
"""

from __future__ import annotations

import atexit
import copy
import hashlib
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from flask import Flask
from sqlalchemy import Integer, event, make_url, text

from claims.extensions import db

T = TypeVar("T")

_SNAPSHOTS: dict[tuple[str, str], tuple[Any, Path]] = {}


def built_once(app: Flask, schema: str, build: Callable[[Flask], T]) -> T:
    """`build(app)`'s world in this test's fresh database: built the first time, restored after.

    `schema` names the world (on PostgreSQL, the schema its rows are kept in); each test gets its own copy
    of the object `build` returned.
    """
    key = (app.config["SQLALCHEMY_DATABASE_URI"], schema)
    if key not in _SNAPSHOTS:
        world = build(app)
        folder = Path(tempfile.mkdtemp(prefix=f"{schema.replace('_', '-')}-"))
        atexit.register(shutil.rmtree, folder, True)
        save_database(app, folder, schema)
        shutil.copytree(app.config["UPLOAD_FOLDER"], folder / "uploads")
        _SNAPSHOTS[key] = (world, folder)
        return copy.deepcopy(world)
    world, folder = _SNAPSHOTS[key]
    restore_database(app, folder, schema)
    shutil.copytree(folder / "uploads", app.config["UPLOAD_FOLDER"], dirs_exist_ok=True)
    return copy.deepcopy(world)


def _sqlite_path(app: Flask) -> Path:
    return Path(make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database or "")


def save_database(app: Flask, folder: Path, schema: str) -> None:
    """Keep every row aside: a copy of the SQLite file in `folder`, or a copy of each table in `schema` (PostgreSQL)."""
    with app.app_context():
        db.engine.dispose()
        if db.engine.dialect.name == "sqlite":
            for suffix in ("", "-wal"):
                source = Path(str(_sqlite_path(app)) + suffix)
                if source.exists():
                    shutil.copyfile(source, folder / f"world.db{suffix}")
            return
        with db.engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {schema}"))
            for table in db.metadata.sorted_tables:
                conn.execute(text(f'CREATE TABLE {schema}."{table.name}" AS TABLE public."{table.name}"'))
        db.engine.dispose()


def restore_database(app: Flask, folder: Path, schema: str) -> None:
    """Put back what `save_database` kept, over whatever the database holds now."""
    with app.app_context():
        db.engine.dispose()
        if db.engine.dialect.name == "sqlite":
            target = _sqlite_path(app)
            for suffix in ("-wal", "-shm"):
                Path(str(target) + suffix).unlink(missing_ok=True)
            shutil.copyfile(folder / "world.db", target)
            if (folder / "world.db-wal").exists():
                shutil.copyfile(folder / "world.db-wal", str(target) + "-wal")
            return
        tables = db.metadata.sorted_tables
        with db.engine.begin() as conn:
            conn.execute(text("TRUNCATE " + ", ".join(f'public."{t.name}"' for t in tables) + " RESTART IDENTITY CASCADE"))
            for table in tables:  # names from our own metadata
                conn.execute(text(f'INSERT INTO public."{table.name}" SELECT * FROM {schema}."{table.name}"'))  # noqa: S608
                pk = list(table.primary_key.columns)
                if len(pk) == 1 and isinstance(pk[0].type, Integer) and pk[0].autoincrement in (True, "auto"):
                    sequence = f"pg_get_serial_sequence('public.\"{table.name}\"', '{pk[0].name}')"
                    conn.execute(text(f'SELECT setval({sequence}, COALESCE(MAX("{pk[0].name}"), 0) + 1, false) FROM public."{table.name}"'))  # noqa: S608
        db.engine.dispose()


# --- every row ----------------------------------------------------------------------------------------


def table_rows(app: Flask) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table in the metadata, raw (ciphertext as stored), ordered by primary key."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with app.app_context():
        for table in db.metadata.sorted_tables:
            order = ", ".join(f'"{c.name}"' for c in table.primary_key.columns) or "1"
            out[table.name] = [tuple(row) for row in db.session.execute(text(f'SELECT * FROM "{table.name}" ORDER BY {order}'))]  # noqa: S608
        db.session.rollback()
    return out


# Tables that say when something was written, not what: SQLite's data stamp (claims/core/pagecache.py) is set anew by
# every transaction that wrote, whatever it wrote (a refused form's stash too).
BOOKKEEPING = ("data_stamp",)


def checksum(app: Flask, *, skip: tuple[str, ...] = ()) -> dict[str, str]:
    """One SHA-256 per table (but the bookkeeping), so that a difference names the table that changed."""
    skipped = (*skip, *BOOKKEEPING)
    return {name: hashlib.sha256(repr(rows).encode()).hexdigest() for name, rows in table_rows(app).items() if name not in skipped}


def changed_tables(before: Mapping[str, str], after: Mapping[str, str]) -> list[str]:
    return sorted(name for name in set(before) | set(after) if before.get(name) != after.get(name))


_WRITE = re.compile(r'^\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM)\s+"?(?:\w+"?\."?)?(\w+)', re.IGNORECASE)


@contextmanager
def committed_writes(app: Flask) -> Iterator[set[str]]:
    """The tables that committed INSERT, UPDATE and DELETE statements wrote to while the block runs, on the app's
    engine (statements of a transaction or savepoint rolled back do not count; nor does the bookkeeping). Clear the set
    between requests."""
    committed: set[str] = set()
    pending: dict[int, list[list[str]]] = {}  # connection -> [transaction's writes, each open savepoint's writes...]

    def execute(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        found = _WRITE.match(statement)
        if found and found.group(1).lower() not in BOOKKEEPING:
            pending.setdefault(id(conn), [[]])[-1].append(found.group(1).lower())

    def savepoint(conn, name):  # type: ignore[no-untyped-def]
        pending.setdefault(id(conn), [[]]).append([])

    def rollback_savepoint(conn, name, context):  # type: ignore[no-untyped-def]
        levels = pending.get(id(conn))
        if levels and len(levels) > 1:
            levels.pop()

    def release_savepoint(conn, name, context):  # type: ignore[no-untyped-def]
        levels = pending.get(id(conn))
        if levels and len(levels) > 1:
            levels[-2].extend(levels.pop())

    def commit(conn):  # type: ignore[no-untyped-def]
        for level in pending.pop(id(conn), []):
            committed.update(level)

    def rollback(conn):  # type: ignore[no-untyped-def]
        pending.pop(id(conn), None)

    listeners = {
        "before_cursor_execute": execute,
        "savepoint": savepoint,
        "rollback_savepoint": rollback_savepoint,
        "release_savepoint": release_savepoint,
        "commit": commit,
        "rollback": rollback,
    }
    with app.app_context():
        engine = db.engine
    for name, listener in listeners.items():
        event.listen(engine, name, listener)
    try:
        yield committed
    finally:
        for name, listener in listeners.items():
            event.remove(engine, name, listener)
