"""Models and migrations do not drift: a fresh database at head matches the models exactly.

Runs on the database kind under test (SQLite, or PostgreSQL with STOOP_TEST_DATABASE_URL).
"""

from __future__ import annotations

from collections.abc import Callable
from pprint import pformat

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from panel.core.db import create_engine
from panel.core.migrate import alembic_config
from panel.models import Base


@pytest.fixture(scope="module")
def head_url(database_factory: Callable[[], str]) -> str:
    """A fresh database, upgraded to head by the migrations alone."""
    return database_factory()


def differences(url: str, metadata: sa.MetaData) -> list[object]:
    """What autogenerate would write to bring the database to ``metadata``."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return compare_metadata(context, metadata)
    finally:
        engine.dispose()


def test_upgrade_head_matches_the_models(head_url: str) -> None:
    found = differences(head_url, Base.metadata)

    assert found == [], (
        "the models and the migrations disagree; write a migration "
        "(until the first release: bin/regen-migration):\n" + pformat(found)
    )


def test_the_comparison_sees_a_drift(head_url: str) -> None:
    drifted = sa.MetaData(naming_convention=Base.metadata.naming_convention)
    for table in Base.metadata.tables.values():
        table.to_metadata(drifted)
    drifted.tables["contact"].append_column(sa.Column("shoe_size", sa.Integer))

    found = differences(head_url, drifted)

    assert [d[0] for d in found] == ["add_column"]
    assert found[0][3].name == "shoe_size"


def test_database_is_at_the_single_head(head_url: str) -> None:
    heads = ScriptDirectory.from_config(alembic_config(head_url)).get_heads()
    assert len(heads) == 1, f"several migration heads, merge them: {heads}"
    engine = create_engine(head_url)
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_heads()
            tables = set(sa.inspect(connection).get_table_names())
    finally:
        engine.dispose()
    assert set(current) == set(heads)
    assert set(Base.metadata.tables) <= tables
