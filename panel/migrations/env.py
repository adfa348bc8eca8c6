"""Alembic environment: the metadata of every room; SQLite altered in batch mode."""

from __future__ import annotations

from alembic import context

from panel.core.db import UTCDateTime, create_engine
from panel.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()
    if connection.in_transaction():
        connection.commit()


def _render_item(kind: str, item: object, autogen_context: object) -> str | bool:
    # A revision must not import the app: modules move, and a landed revision never changes.
    # UTCDateTime is a DateTime(timezone=True) in the database; the conversion is Python's.
    if kind == "type" and isinstance(item, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


run_migrations_online()
