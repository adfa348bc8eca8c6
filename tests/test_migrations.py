"""Models and migrations do not drift: a fresh database at head matches the models exactly,
and a revision that has landed never changes again.

Runs on the database kind under test (SQLite, or PostgreSQL with STOOP_TEST_DATABASE_URL).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
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
        '(bin/new-migration "what it does"):\n' + pformat(found)
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


VERSIONS = Path(__file__).resolve().parent.parent / "panel" / "migrations" / "versions"
LANDED = VERSIONS.parent / "landed.sha256"


def landed_hashes() -> dict[str, str]:
    """File name → SHA-256 of every revision recorded in ``landed.sha256``."""
    hashes = {}
    for line in LANDED.read_text().splitlines():
        digest, _, name = line.partition("  ")
        hashes[name.strip()] = digest
    return hashes


def test_landed_revisions_never_change() -> None:
    """Databases in production ran these files as they were: a change to one would never run
    there. Change the schema with a new revision instead."""
    changed = [
        name
        for name, digest in landed_hashes().items()
        if hashlib.sha256((VERSIONS / name).read_bytes()).hexdigest() != digest
    ]
    assert not changed, f"landed revisions changed: {changed}; write a new revision instead"


def test_every_revision_is_recorded() -> None:
    files = {path.name for path in VERSIONS.glob("*.py")}
    missing = sorted(files - set(landed_hashes()))
    assert not missing, (
        f"{missing} not in panel/migrations/landed.sha256: record its hash once you have read "
        "it (bin/new-migration prints how), so that a later change to it is caught"
    )
    assert set(landed_hashes()) <= files, "landed.sha256 names a revision file that is gone"
    assert "0001" in {name.split("_")[1] for name in files}
