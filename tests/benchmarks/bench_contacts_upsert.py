"""Benchmark: contact bulk upsert of 100,000 rows through the API, beside raw psycopg.

Run with ``make bench`` or ``python -m tests.benchmarks.bench_contacts_upsert``. Needs PostgreSQL:
``STOOP_BENCH_DATABASE_URL`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``) is
used to create a fresh database, which is migrated, used and dropped at the end.

Through the real app (Flask test client, bearer token, JSON, validation, organisation scoping):
``POST /api/v1/contacts/bulk`` in batches of 5,000 — once creating every contact, once changing
every contact, once changing nothing. Then the same rows with psycopg's ``COPY`` and
``executemany`` into the same table for fresh organisations, as the floor to compare with.
Prints seconds, rows/s, the ratio to COPY, peak RSS, and the peak of Python allocations during
one 5,000-row request (tracemalloc).

Options: ``--rows N`` (default 100,000), ``--batch N`` (default 5,000).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import resource
import sys
import time
import tracemalloc
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import psycopg
import sqlalchemy as sa

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
COLUMNS = ("organisation_id", "name", "email", "phone", "language", "tags")


@dataclass
class Result:
    label: str
    rows: int
    seconds: float
    note: str = ""

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds else float("inf")


def item(index: int, generation: int = 0) -> dict[str, Any]:
    """Contact number ``index``; a later ``generation`` changes its name and tags."""
    suffix = f" ({generation})" if generation else ""
    return {
        "name": f"Hyresgäst {index}{suffix}",
        "email": f"hyresgast{index}@example.se",
        "phone": f"+4670{index:07d}",
        "language": ("sv", "sv", "sv", "en", "nl")[index % 5],
        "tags": ["panel"] if generation == 0 else ["panel", f"omgång {generation}"],
    }


def rss_mib() -> float:
    """Peak resident set size of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextmanager
def fresh_database(admin_url: str) -> Iterator[str]:
    """A new, migrated database next to ``admin_url``; dropped afterwards."""
    from panel.core.migrate import upgrade

    name = f"stoop_bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def make_app(url: str, instance: Path) -> Any:
    from panel.app import create_app
    from panel.core.config import Settings

    settings = Settings.from_env(
        environ={},
        env="testing",
        secret_key="bench-secret-key-that-is-long-enough-for-checks",
        database_url=url,
        instance_dir=str(instance),
        tasks_inline=True,
        log_json=True,
    )
    app = create_app(settings)
    # One access-log line per 5,000-row request would drown the figures.
    logging.getLogger("stoop.request").setLevel(logging.WARNING)
    return app


def new_organisation(app: Any, name: str) -> tuple[int, str]:
    """An organisation with an admin; returns its id and an API token for the admin."""
    from panel.accounts.models import Role
    from panel.accounts.service import create_user
    from panel.accounts.tokens import create_token
    from panel.core.extensions import db
    from panel.organisations.service import create_organisation

    with app.app_context():
        session = db.session()
        organisation = create_organisation(session, name, language="sv")
        email = f"admin-{uuid.uuid4().hex[:8]}@example.se"
        user = create_user(session, organisation, email, Role.ADMIN, None, name="Bench")
        _token, secret = create_token(session, user, "bench")
        session.commit()
        return organisation.id, secret


def api_upsert(
    client: Any, token: str, rows: int, batch: int, generation: int, label: str
) -> Result:
    """Send every row through ``POST /api/v1/contacts/bulk``; check what it says it did."""
    headers = {"Authorization": f"Bearer {token}"}
    counts = {"created": 0, "updated": 0, "unchanged": 0, "failed": 0}
    started = time.perf_counter()
    for start in range(0, rows, batch):
        items = [item(i, generation) for i in range(start, min(start + batch, rows))]
        response = client.post("/api/v1/contacts/bulk", json={"items": items}, headers=headers)
        if response.status_code != 200:
            raise SystemExit(f"bulk upsert failed: {response.status_code} {response.text[:500]}")
        for key in counts:
            counts[key] += response.json[key]
    seconds = time.perf_counter() - started
    if counts["failed"]:
        raise SystemExit(f"{counts['failed']} rows failed: the benchmark data is wrong")
    note = ", ".join(f"{v:,} {k}" for k, v in counts.items() if v)
    return Result(label, rows, seconds, note)


def request_peak(client: Any, token: str, batch: int) -> float:
    """Peak Python allocations (MiB) during one bulk request of ``batch`` new contacts."""
    items = [item(i) for i in range(batch)]
    headers = {"Authorization": f"Bearer {token}"}
    tracemalloc.start()
    response = client.post("/api/v1/contacts/bulk", json={"items": items}, headers=headers)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert response.status_code == 200 and response.json["created"] == batch, response.text
    return peak / (1024 * 1024)


def raw_rows(organisation_id: int, rows: int) -> Iterator[tuple[Any, ...]]:
    for i in range(rows):
        data = item(i)
        yield (
            organisation_id,
            data["name"],
            data["email"],
            data["phone"],
            data["language"],
            json.dumps(data["tags"]),
        )


def libpq_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def raw_copy(url: str, organisation_id: int, rows: int) -> Result:
    """The same rows with ``COPY ... FROM STDIN``: the fastest way into PostgreSQL."""
    now = dt.datetime.now(dt.UTC)
    started = time.perf_counter()
    with psycopg.connect(libpq_url(url)) as conn, conn.cursor() as cursor:
        columns = ", ".join((*COLUMNS, "created_at", "updated_at"))
        with cursor.copy(f"COPY contact ({columns}) FROM STDIN") as copy:
            for row in raw_rows(organisation_id, rows):
                copy.write_row((*row, now, now))
    return Result("psycopg COPY", rows, time.perf_counter() - started, "one transaction")


def raw_executemany(url: str, organisation_id: int, rows: int) -> Result:
    """The same rows with ``executemany`` of a plain INSERT (psycopg 3 pipelines it)."""
    now = dt.datetime.now(dt.UTC)
    columns = ", ".join((*COLUMNS, "created_at", "updated_at"))
    marks = ", ".join(["%s"] * (len(COLUMNS) + 2))
    started = time.perf_counter()
    with psycopg.connect(libpq_url(url)) as conn, conn.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO contact ({columns}) VALUES ({marks})",  # noqa: S608 - constant names
            [(*row, now, now) for row in raw_rows(organisation_id, rows)],
        )
    return Result("psycopg executemany", rows, time.perf_counter() - started, "one transaction")


def print_table(results: list[Result], floor: Result) -> None:
    print(f"\n{'':<34}{'seconds':>9}{'rows/s':>11}{'COPY is':>10}  note")
    for result in results:
        ratio = result.seconds / floor.seconds if floor.seconds else float("inf")
        print(
            f"{result.label:<34}{result.seconds:>9.2f}{result.rate:>11,.0f}"
            f"{ratio:>9.1f}x  {result.note}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=5_000)
    args = parser.parse_args(argv)
    admin_url = os.environ.get("STOOP_BENCH_DATABASE_URL", DEFAULT_URL)
    if admin_url.startswith("postgresql://"):
        admin_url = "postgresql+psycopg://" + admin_url[len("postgresql://") :]
    try:
        sa.create_engine(admin_url).connect().close()
    except sa.exc.OperationalError as exc:
        print(f"PostgreSQL is not reachable at {admin_url}: {exc}", file=sys.stderr)
        return 1

    with TemporaryDirectory() as tmp, fresh_database(admin_url) as url:
        app = make_app(url, Path(tmp) / "instance")
        client = app.test_client()
        with app.extensions["stoop.db"].engine.connect() as conn:
            server = conn.dialect.server_version_info
        print(
            f"contact bulk upsert: {args.rows:,} rows in batches of {args.batch:,}, "
            f"PostgreSQL {'.'.join(map(str, server or ()))}, Python {sys.version.split()[0]}"
        )
        _org, token = new_organisation(app, "Bench API")
        rss_before = rss_mib()
        results = [
            api_upsert(client, token, args.rows, args.batch, 0, "API bulk upsert: create"),
            api_upsert(client, token, args.rows, args.batch, 1, "API bulk upsert: update all"),
            api_upsert(client, token, args.rows, args.batch, 1, "API bulk upsert: unchanged"),
        ]
        rss_after = rss_mib()
        _org, peak_token = new_organisation(app, "Bench tracemalloc")
        peak = request_peak(client, peak_token, args.batch)
        copy_org, _ = new_organisation(app, "Bench COPY")
        many_org, _ = new_organisation(app, "Bench executemany")
        app.extensions["stoop.db"].engine.dispose()
        floor = raw_copy(url, copy_org, args.rows)
        results += [floor, raw_executemany(url, many_org, args.rows)]

    print_table(results, floor)
    print(
        f"\npeak RSS of this process: {rss_before:.0f} MiB before the API runs, "
        f"{rss_after:.0f} MiB after (+{rss_after - rss_before:.0f} MiB)"
    )
    print(f"peak Python allocations during one {args.batch:,}-row request: {peak:.1f} MiB")
    create = results[0]
    print(
        f"API create: {create.rate:,.0f} rows/s, {create.seconds / floor.seconds:.1f}x "
        "the time of a raw COPY of the same rows"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
