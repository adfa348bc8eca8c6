"""Database: the declarative base, column types, and one session per app context.

Plain SQLAlchemy 2 rather than Flask-SQLAlchemy: tests bind the same session factory to a
connection with a savepoint per test, and Celery tasks use it inside their app context.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import orjson
import sqlalchemy as sa
from flask import Flask, current_app
from flask.globals import app_ctx
from sqlalchemy import event
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    mapped_column,
    scoped_session,
    sessionmaker,
)

from panel.core.scoping import OrgScopedSession

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    """The current time, timezone-aware in UTC (never naive)."""
    return dt.datetime.now(dt.UTC)


class UTCDateTime(sa.types.TypeDecorator[dt.datetime]):
    """A timezone-aware datetime stored as UTC; SQLite hands back aware values too."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value


intpk = Annotated[int, mapped_column(primary_key=True)]
str40 = Annotated[str, 40]
str120 = Annotated[str, 120]
str255 = Annotated[str, 255]
timestamp = Annotated[dt.datetime, mapped_column(UTCDateTime(), default=utcnow)]


class Base(DeclarativeBase):
    """The one declarative base of every room's models."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        dt.datetime: UTCDateTime(),
        str40: sa.String(40),
        str120: sa.String(120),
        str255: sa.String(255),
        dict[str, Any]: sa.JSON(),
        list[str]: sa.JSON(),
    }


class TimestampMixin:
    """``created_at`` and ``updated_at``, set by the database session."""

    created_at: Mapped[timestamp]
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


def _app_ctx_key() -> int:
    # One session per app context: a request, a task, a CLI command.
    return id(app_ctx._get_current_object()) if app_ctx else 0


class AppDatabase:
    """One app's engine and session factory (apps do not share engines)."""

    def __init__(self, url: str) -> None:
        self.engine = create_engine(url)
        self.session_factory = sessionmaker(
            bind=self.engine, class_=OrgScopedSession, expire_on_commit=False
        )


class Database:
    """The session of the current app context, made from the current app's factory."""

    def __init__(self) -> None:
        self.session = scoped_session(self._new_session, scopefunc=_app_ctx_key)

    def init_app(self, app: Flask, url: str) -> None:
        app.extensions["stoop.db"] = AppDatabase(url)
        app.teardown_appcontext(self._remove_session)

    @staticmethod
    def _new_session() -> Session:
        return current_app.extensions["stoop.db"].session_factory()

    @staticmethod
    def state(app: Flask | None = None) -> AppDatabase:
        """The engine and session factory of ``app`` (default: the current app)."""
        return (app or current_app).extensions["stoop.db"]

    @property
    def engine(self) -> sa.Engine:
        return self.state().engine

    def _remove_session(self, exc: BaseException | None = None) -> None:
        self.session.remove()


def create_engine(url: str) -> sa.Engine:
    """An engine tuned per dialect: SQLite in WAL mode with a busy timeout."""
    if url.startswith("sqlite"):
        database = sa.engine.make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": 5, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "savepoint", _sqlite_begin_before_savepoint)
        return engine
    # orjson reads the JSON columns (answer modes, choices, renditions): a list of 50
    # questions decodes 150 of them, and the standard library took a sixth of its time.
    return sa.create_engine(
        url, pool_pre_ping=True, pool_size=5, max_overflow=10, json_deserializer=orjson.loads
    )


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode NORMAL syncs at checkpoints, not at every commit: a commit survives the
    # process being killed (what the outbox's at-most-once claims rely on), only a power cut
    # can lose the last ones; FULL made each commit cost a disk flush (~2.5 ms here).
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def _sqlite_begin_before_savepoint(conn: sa.Connection, _name: str) -> None:
    # pysqlite opens a transaction only right before a write (which keeps SQLite's write lock
    # short). A SAVEPOINT sent while none is open starts one of its own, and its RELEASE then
    # commits everything at once: a begin_nested() that comes first (an import row, the
    # per-test savepoint) could not be undone. Open the real transaction first.
    driver = conn.connection.driver_connection
    if driver is not None and not driver.in_transaction:
        driver.execute("BEGIN")


def get_session() -> Session:
    """The session of the current app context."""
    from panel.core.extensions import db

    return db.session()
