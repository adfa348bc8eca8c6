"""Shared fixtures: a database per test session (SQLite, or PostgreSQL when
STOOP_TEST_DATABASE_URL is set), migrated once, and a savepoint rolled back after each test.

Servers that stand in for providers (SMTP, S3, Twilio), the live server and the browser live in
``tests/fixtures/`` and are loaded here as plugins.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import socket
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.globals import _cv_app
from flask.testing import FlaskClient

from panel.app import create_app
from panel.core.config import Settings
from panel.core.extensions import db, limiter
from panel.core.migrate import upgrade
from panel.core.scoping import ALL_ORGS_KEY

pytest_plugins = [
    "tests.fixtures.network",
    "tests.fixtures.people",
    "tests.fixtures.servers",
    "tests.fixtures.browser",
    "tests.fixtures.outages",
]

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
TEST_SECRET = "test-secret-key-that-is-long-enough-for-production-checks"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """`make test` runs the SQLite and PostgreSQL suites side by side and says so with
    STOOP_BOTH_SUITES: tests marked ``once`` (slow, and the same whatever the database) then
    run in the PostgreSQL suite only, which keeps the two suites about as long as each other."""
    if not os.environ.get("STOOP_BOTH_SUITES") or os.environ.get("STOOP_TEST_DATABASE_URL"):
        return
    kept = [item for item in items if item.get_closest_marker("once") is None]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in kept])
        items[:] = kept


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _create_postgres_database(admin_url: str) -> tuple[str, str]:
    """Create a fresh database next to the one in ``admin_url``; returns (url, name)."""
    name = f"stoop_test_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    url = sa.engine.make_url(admin_url).set(database=name)
    return url.render_as_string(hide_password=False), name


def _drop_postgres_database(admin_url: str, name: str) -> None:
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def normalise_url(url: str) -> str:
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


@pytest.fixture(scope="session")
def database_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Makes fresh, migrated databases of the kind under test; drops them at the end."""
    admin_url = os.environ.get("STOOP_TEST_DATABASE_URL")
    made: list[str] = []

    def make() -> str:
        if admin_url:
            url, name = _create_postgres_database(normalise_url(admin_url))
            made.append(name)
        else:
            path = tmp_path_factory.mktemp("db") / "stoop.sqlite3"
            url = f"sqlite:///{path}"
        upgrade(url)
        return url

    yield make
    for name in made:
        _drop_postgres_database(normalise_url(admin_url or ""), name)


@pytest.fixture(scope="session")
def database_url(database_factory: Any) -> str:
    """The session's shared database, migrated to the newest revision."""
    return database_factory()


@pytest.fixture(scope="session")
def is_postgres(database_url: str) -> bool:
    return database_url.startswith("postgresql")


TEST_MODELS_DIR = Path(tempfile.gettempdir()) / "stoop-test-models"


def redis_test_db(number: int) -> int:
    """A Redis database number of this run's own: the SQLite and the PostgreSQL suites run
    side by side in ``make test``, so the PostgreSQL run's tests take the database ten below.
    Numbers in use: 11 speech and Celery, 12 ops and outbox, 13 media and throttle, 14
    touchpoint counting, 15 sends."""
    offset = 10 if os.environ.get("STOOP_TEST_DATABASE_URL") else 0
    return number - offset


def redis_test_url(number: int) -> str:
    """The URL of ``redis_test_db(number)`` on the Redis at 127.0.0.1:6379."""
    return f"redis://127.0.0.1:6379/{redis_test_db(number)}"


def make_test_settings(tmp_path: Path, database_url: str, **overrides: Any) -> Settings:
    """Settings for an app under test: embedded defaults in a temporary instance folder."""
    values: dict[str, Any] = {
        "env": "testing",
        "secret_key": TEST_SECRET,
        "database_url": database_url,
        "instance_dir": str(tmp_path / "instance"),
        "base_url": "http://127.0.0.1:5000",
        "tasks_inline": True,
        "log_json": True,
        # No SMS throughput cap: tests of the cap set it (tests/notifications/test_throttle.py).
        "sms_per_second": 0,
        # Pages drawn afresh: a test that changes a question sees the change at once (the
        # page cache has its own test, tests/touchpoints/test_page_cache.py).
        "page_cache_seconds": 0,
        # No speech model unless a test asks for it (tests/media/test_speech.py): loading one
        # takes a second and 300 MB.
        "transcriber": "none",
        # No embeddings nor sentiment either, unless a test asks (tests/themes/): every answer
        # would be read by them, inline, in every test that makes one.
        "embedder": "none",
        "sentiment": False,
        # Bundled models are joined once for every run on this machine (checked at each load).
        "models_dir": str(TEST_MODELS_DIR),
    }
    values.update(overrides)
    return Settings.from_env(environ={}, **values)


class IsolatedClient(FlaskClient):
    """A test client whose every request runs in a fresh app context, as in production.

    Flask reuses an app context that is already pushed (the test's own, from ``db_session``),
    which would share ``g``, the logged-in user and the database session across requests.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        return contextvars.copy_context().run(self._open_in_fresh_context, *args, **kwargs)

    def _open_in_fresh_context(self, *args: Any, **kwargs: Any) -> Any:
        _cv_app.set(None)  # type: ignore[arg-type]
        return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Flask:
    """The app under test (session-wide; CSRF off so tests post forms directly)."""
    application = create_app(make_test_settings(tmp_path_factory.mktemp("app"), database_url))
    application.config["WTF_CSRF_ENABLED"] = False
    application.test_client_class = IsolatedClient
    return application


@contextlib.contextmanager
def savepoint_binding(app: Flask) -> Iterator[sa.orm.Session]:
    """Bind ``app``'s sessions to one connection whose outer transaction is rolled back at the
    end, and yield the session of an app context pushed for the block."""
    state = db.state(app)
    connection = state.engine.connect()
    outer = connection.begin()
    state.session_factory.configure(bind=connection, join_transaction_mode="create_savepoint")
    limiter.reset()
    ctx = app.app_context()
    ctx.push()
    try:
        session = db.session()
        # The test itself is the system: it sets up rows of any organisation it likes. The code
        # under test runs in sessions of its own (requests, tasks), which fail closed.
        session.info[ALL_ORGS_KEY] = True
        yield session
    finally:
        db.session.remove()
        ctx.pop()
        state.session_factory.configure(
            bind=state.engine, join_transaction_mode="conservative_savepoint"
        )
        if outer.is_active:
            outer.rollback()
        connection.close()


@pytest.fixture
def db_session(app: Flask) -> Iterator[sa.orm.Session]:
    """A session inside one transaction that is rolled back after the test.

    Every session the app opens during the test (requests, inline tasks) joins the same
    connection with a savepoint, so commits in the code under test are real commits of
    savepoints, and nothing outlives the test.
    """
    with savepoint_binding(app) as session:
        yield session


@pytest.fixture
def client(app: Flask, db_session: sa.orm.Session) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def make_app(tmp_path: Path, database_url: str) -> Any:
    """Build another app with overridden settings (s3 mode, a broker, CSRF on...)."""

    def make(**overrides: Any) -> Flask:
        url = overrides.pop("database_url", database_url)
        application = create_app(make_test_settings(tmp_path, url, **overrides))
        application.test_client_class = IsolatedClient
        return application

    return make
