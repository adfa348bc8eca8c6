"""Statements compiled once by SQLAlchemy and run on the driver's (DBAPI) cursor.

For the two hot paths of the outbox — a statement per message while delivering, ten thousand
rows in one INSERT while queueing — SQLAlchemy's execution machinery cost more CPU than the
database's own work (and psycopg re-parsed SQLAlchemy's multi-row INSERT pages, 15,000
placeholders each, on every call). Here SQLAlchemy still writes the SQL and converts the values
(UTC datetimes, enums, JSON); the driver runs it, in the caller's transaction, on the caller's
connection.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa


class DriverStatement:
    """One statement compiled for one dialect, with the bind conversions of its parameters."""

    def __init__(self, statement: Any, dialect: sa.Dialect) -> None:
        compiled_statement = statement.compile(dialect=dialect)
        self.sql = str(compiled_statement)
        self.positions = compiled_statement.positiontup  # qmark (SQLite): a tuple in order
        self.defaults = compiled_statement.params  # the values written into the statement
        self.processors = {
            compiled_statement.bind_names[bind]: processor
            for bind in compiled_statement.binds.values()
            if (processor := bind.type.dialect_impl(dialect).bind_processor(dialect))
        }

    def arguments(self, params: dict[str, Any]) -> Any:
        """The driver's arguments for ``params``: converted, and in order for qmark."""
        values = {**self.defaults, **params}
        for key, processor in self.processors.items():
            values[key] = processor(values[key])
        return tuple(values[key] for key in self.positions) if self.positions else values

    def run(self, driver: Any, params: dict[str, Any]) -> list[Any]:
        """Execute once on ``driver``; the first column of what it returns."""
        cursor = driver.cursor()
        try:
            cursor.execute(self.sql, self.arguments(params))
            return [row[0] for row in cursor.fetchall()]
        finally:
            cursor.close()

    def run_many(self, driver: Any, rows: Sequence[dict[str, Any]]) -> list[Any]:
        """Execute for every row in one ``executemany`` (psycopg pipelines it), collecting the
        first column of what each returns. Needs a driver that returns from executemany
        (psycopg 3); SQLite's does not."""
        cursor = driver.cursor()
        try:
            cursor.executemany(self.sql, [self.arguments(row) for row in rows], returning=True)
            found = []
            while True:
                found.extend(row[0] for row in cursor.fetchall())
                if not cursor.nextset():
                    return found
        finally:
            cursor.close()


_compiled: dict[tuple[int, str], DriverStatement] = {}


def compiled(statement: Any, dialect: sa.Dialect) -> DriverStatement:
    """``statement`` (a long-lived object) compiled for ``dialect``, once per process."""
    key = (id(statement), dialect.name)
    found = _compiled.get(key)
    if found is None:
        found = _compiled[key] = DriverStatement(statement, dialect)
    return found


def driver_connection(connection: sa.Connection) -> Any:
    """The DBAPI connection under a SQLAlchemy connection."""
    return connection.connection.driver_connection
