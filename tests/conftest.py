"""Test set-up: one app per run; every test gets a fresh copy of a migrated database with the demo data.

The database under test is SQLite by default, or PostgreSQL when CLAIMS_TEST_DB holds a PostgreSQL URL
(`make test` runs the suite once on each). The template database is built once through the real
Alembic migrations and the real demo loader; each test starts from a byte copy of it (SQLite) or a
clone made with CREATE DATABASE ... TEMPLATE (PostgreSQL), so tests commit for real, concurrency tests
included, and never see each other's rows.
"""

from __future__ import annotations

import io
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Integer, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from claims import create_app
from claims.core import time as clock
from claims.extensions import db

TEST_DB = os.environ.get("CLAIMS_TEST_DB", "sqlite")
IS_PG = TEST_DB.startswith("postgres")
DEMO_PASSWORD = "Demo@2026"
TEST_KEY = "0123456789abcdef" * 4


def worker_name(name: str) -> str:
    """`name` made unique to this test process, for a database that several parallel workers (pytest-xdist) may
    otherwise create and drop at once."""
    worker = re.sub(r"\W", "", os.environ.get("PYTEST_XDIST_WORKER", "main"))
    return f"{name}_{worker}"


def _pg_url(name: str) -> str:
    url = make_url(TEST_DB.replace("postgresql://", "postgresql+psycopg://", 1).replace("postgres://", "postgresql+psycopg://", 1))
    return url.set(database=name).render_as_string(hide_password=False)


class Databases:
    """Creates the template once and restores the working database from it before each test.

    SQLite: the template is a file; each test starts from a byte copy of it. PostgreSQL: creating a
    database per test costs a checkpoint (1-2 s), so the template's rows are kept in a schema `tmpl`
    of the same database and copied back (TRUNCATE, INSERT ... SELECT, sequences reset): ~0.1 s.
    """

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        suffix = re.sub(r"\W", "", os.environ.get("PYTEST_XDIST_WORKER", "")) + str(os.getpid())
        if IS_PG:
            self.work_name = f"claims_test_{suffix}"
            self.admin = create_engine(_pg_url(make_url(TEST_DB).database or "postgres"), isolation_level="AUTOCOMMIT")
            self.url = self.template_url = _pg_url(self.work_name)
        else:
            self.template_path = workdir / "template.db"
            self.work_path = workdir / "test.db"
            self.url = f"sqlite:///{self.work_path}"
            self.template_url = f"sqlite:///{self.template_path}"

    def create_template(self) -> None:
        if IS_PG:
            with self.admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{self.work_name}" WITH (FORCE)'))
                conn.execute(text(f'CREATE DATABASE "{self.work_name}"'))

    def snapshot(self) -> None:
        """After the template data is in: keep a copy of every table's rows (PostgreSQL only)."""
        if not IS_PG:
            return
        engine = create_engine(self.url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS tmpl CASCADE"))
            conn.execute(text("CREATE SCHEMA tmpl"))
            for table in db.metadata.sorted_tables:
                conn.execute(text(f'CREATE TABLE tmpl."{table.name}" AS TABLE public."{table.name}"'))
            body = ";\n".join(_restore_statements())
            conn.execute(text(f"CREATE FUNCTION tmpl.restore_rows() RETURNS void LANGUAGE plpgsql AS $$ BEGIN\n{body};\nEND $$"))
        engine.dispose()

    def restore(self, app: Flask) -> None:
        with app.app_context():
            db.engine.dispose()
        if IS_PG:
            self._restore_pg()
        else:
            for extra in ("-wal", "-shm"):
                Path(str(self.work_path) + extra).unlink(missing_ok=True)
            shutil.copyfile(self.template_path, self.work_path)

    def _restore_pg(self) -> None:
        engine = create_engine(self.url, poolclass=NullPool)
        with engine.begin() as conn:
            conn.execute(text("SELECT tmpl.restore_rows()"))
        engine.dispose()

    def drop(self) -> None:
        if IS_PG:
            with self.admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{self.work_name}" WITH (FORCE)'))
            self.admin.dispose()


def _restore_statements() -> list[str]:
    """Every table's rows put back from the schema tmpl, run by the server as one function (one round trip per test,
    not three per table). DELETE, children first, not TRUNCATE: a TRUNCATE gives every table new files, which its
    commit syncs to disk one by one; deleting a test's few rows syncs only the WAL. Sequences then restart after
    the template's rows. Table and column names come from our own metadata, never from input."""
    tables = db.metadata.sorted_tables
    statements = [f'DELETE FROM public."{table.name}"' for table in reversed(tables)]  # noqa: S608
    for table in tables:
        statements.append(f'INSERT INTO public."{table.name}" SELECT * FROM tmpl."{table.name}"')  # noqa: S608
        for column in _serial_columns(table):
            sequence = f"pg_get_serial_sequence('public.\"{table.name}\"', '{column}')"
            statements.append(f'PERFORM setval({sequence}, COALESCE(MAX("{column}"), 0) + 1, false) FROM public."{table.name}"')
    return statements


def _serial_columns(table) -> list[str]:  # type: ignore[no-untyped-def]
    """Integer single-column primary keys, which PostgreSQL fills from a sequence."""
    columns = list(table.primary_key.columns)
    return [c.name for c in columns if len(columns) == 1 and isinstance(c.type, Integer) and c.autoincrement in (True, "auto")]


def base_config(url: str, workdir: Path) -> dict[str, object]:
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": "test-secret-key",
        "FIELD_ENCRYPTION_KEY": TEST_KEY,
        "UPLOAD_FOLDER": str(workdir / "uploads"),
        "INSTANCE_PATH": str(workdir / "instance"),
        # Tests log in hundreds of times from one address; tests/accounts/test_throttling.py turns it on.
        "RATELIMIT_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        # Background jobs run in-process right after each commit (tests/core/test_jobs.py tries rq on Redis).
        "REDIS_URL": None,
        # Webhook deliveries in the test worlds go to a loopback port where nothing listens; a short wait keeps a
        # test quick even if something does.
        "WEBHOOK_TIMEOUT": 2,
    }


@pytest.fixture(scope="session", autouse=True)
def compiled_translations() -> None:
    """Compile the message catalogs (.po to the git-ignored .mo) before any app starts, as `make translations` does.

    So the suite also runs from a clean clone with plain pytest, and never against a stale .mo. Fuzzy
    entries are left out, as pybabel does. Written atomically, since parallel workers may do this at once.
    """
    import io

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in (Path(__file__).resolve().parent.parent / "claims" / "translations").glob("*/LC_MESSAGES/*.po"):
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=po.parent.parent.name)
        buffer = io.BytesIO()
        write_mo(buffer, catalog)
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.read_bytes() != buffer.getvalue():
            partial = mo.with_name(f"{mo.stem}.{os.getpid()}.partial.mo")  # git-ignored like *.mo
            partial.write_bytes(buffer.getvalue())
            os.replace(partial, mo)


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    workdir = tmp_path_factory.mktemp("db")
    dbs = Databases(workdir)
    dbs.create_template()
    template_app = create_app(base_config(dbs.template_url, workdir))
    with template_app.app_context():
        from flask_migrate import upgrade

        from claims.demo import load_demo

        upgrade(revision="heads")
        load_demo()
        db.session.commit()
        db.engine.dispose()
    dbs.snapshot()
    yield dbs
    dbs.drop()


class ClosingClient(FlaskClient):
    """Reads each response whole and closes it, as a WSGI server does once it has sent it: a streamed file
    (a photo from the store) is then closed at once, not left to the garbage collector (a ResourceWarning)."""

    def open(self, *args, buffered: bool = True, **kwargs):  # type: ignore[no-untyped-def, override]
        response = super().open(*args, buffered=buffered, **kwargs)
        for sent in (*response.history, response):
            body = sent.request.environ.get("wsgi.input")
            if body is not None and not isinstance(body, io.BytesIO):
                body.close()  # werkzeug's test client spools a body over 500 KB to a temporary file it never closes
        return response


@pytest.fixture(scope="session")
def session_app(databases: Databases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    app = create_app(base_config(databases.url, tmp_path_factory.mktemp("app")))
    app.test_client_class = ClosingClient
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def app(session_app: Flask, databases: Databases, tmp_path: Path) -> Iterator[Flask]:
    """The app on a fresh copy of the template database, with its own upload folder.

    No app context stays pushed during the test: each request must get its own context, `g` and
    database session, as in production. Tests open `with app.app_context():` to look at the database.
    """
    databases.restore(session_app)
    session_app.config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    session_app.extensions.pop("claims_storage", None)
    session_app.extensions.pop("claims_csp", None)
    session_app.extensions.pop("claims_page_cache", None)  # parts kept by an earlier test (they name its stamp)
    session_app.extensions.pop("claims_place_tree", None)  # the filing form's places, read again for each database
    yield session_app
    clock.freeze(None)


# An S3-compatible store on loopback ------------------------------------------------------------------------
# moto's server mode (the dev extra installs it) is a real S3 HTTP API: boto3 talks to it as to MinIO or OSS.
# Without it the S3 tests are skipped with the reason, except under CI=true, where that fails the run.
S3_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true",
}
S3_REGION = "us-east-1"


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """http://127.0.0.1:<free port> of an S3-compatible server running for the whole test run."""
    try:
        from moto.server import ThreadedMotoServer
    except ImportError as exc:
        reason = f"no S3-compatible test server: moto[server] from the dev extra is not installed ({exc})"
        if os.environ.get("CI") == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    saved = {name: os.environ.get(name) for name in [*S3_ENV, "AWS_SESSION_TOKEN", "AWS_PROFILE"]}
    for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE"):
        os.environ.pop(name, None)
    os.environ.update(S3_ENV)  # boto3's own credential chain reads these, as it would in production
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture
def s3_settings(s3_endpoint: str) -> dict[str, object]:
    """The settings of a new, empty bucket (one per test), files under the prefix files/."""
    import uuid

    import boto3

    bucket = f"claims-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=s3_endpoint, region_name=S3_REGION).create_bucket(Bucket=bucket)
    return {"STORAGE_URL": f"s3://{bucket}/files", "S3_ENDPOINT_URL": s3_endpoint, "S3_REGION": S3_REGION, "S3_ADDRESSING_STYLE": "path"}


@pytest.fixture
def s3_app(app: Flask, s3_settings: dict[str, object]) -> Iterator[Flask]:
    """The app with its files in the bucket of `s3_settings`."""
    saved = {name: app.config.get(name) for name in [*s3_settings, "STORAGE_PRESIGNED_SECONDS"]}
    app.config.update(s3_settings)
    app.extensions.pop("claims_storage", None)
    yield app
    app.config.update(saved)
    app.extensions.pop("claims_storage", None)
    app.extensions.pop("claims_csp", None)


@pytest.fixture
def ctx(app: Flask) -> Iterator[None]:
    """An app context for service-level tests (each test still has its own fresh database)."""
    with app.app_context():
        yield
        db.session.remove()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    html = client.get(path).get_data(as_text=True)
    match = CSRF_RE.search(html)
    assert match, f"no CSRF token on {path}"
    return match.group(1) or match.group(2)


def login(client: FlaskClient, login_name: str, password: str = DEMO_PASSWORD) -> None:
    response = client.post("/login", data={"login": login_name, "password": password, "csrf_token": csrf_token(client)})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]


@pytest.fixture
def as_user(client: FlaskClient):  # type: ignore[no-untyped-def]
    """Log the test client in as a demo user: `as_user("clerk")`."""

    def _login(name: str) -> FlaskClient:
        login(client, name)
        return client

    return _login
