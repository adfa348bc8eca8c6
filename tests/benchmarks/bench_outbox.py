"""Benchmark: queue and deliver 10,000 personal e-mails, beside the floors they are built on.

Run with ``make bench`` or ``python -m tests.benchmarks.bench_outbox``. On SQLite (a file in a
temporary folder) and on PostgreSQL (``STOOP_BENCH_DATABASE_URL``, default
``postgresql+psycopg://postgres@127.0.0.1:5432/test``: a fresh database is created, migrated,
used and dropped; skipped when unreachable), in one run, side by side:

1. **queue**: ``notifications.messages.queue`` renders the shared ``notifications/personal``
   template for 10,000 recipients (three languages, a name and a link each) and writes the
   outbox rows, then the transaction commits; beside **one executemany** of the same rows into
   the same table (a plain DBAPI ``executemany``). Target: queue ≤ 3 times executemany.
2. **deliver**: from the commit until the SMTP server has accepted all 10,000, with delivery
   tasks per batch run by 2 worker threads (the in-process executor); beside a **plain
   smtplib loop** sending the same 10,000 prepared messages (the bytes Stoop sent) over one
   connection to the same server. The SMTP server runs in a process of its own. Target:
   smtplib's time ÷ Stoop's time (queue and deliver together) ≥ 0.7.

Each measurement is taken ``--rounds`` times (default 2), alternating, and the best counts: the
machine is shared, and the least disturbed run says most about the code.

Options: ``--messages N`` (default 10,000), ``--rounds N``, ``--only sqlite|postgres``,
``--profile`` (print where the time of queueing and of delivering one batch goes, by cProfile).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import logging
import os
import pstats
import smtplib
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import sqlalchemy as sa

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
THREADS = 2
NAMES = ["Åsa Öberg", "Ĳsbrand de Vries", "Zeynep Yilmaz", "Wojciech Wróblewski"]
CONTEXT = {
    "subject": "Hur trivs du i ditt trapphus? En kort fråga från din hyresvärd",
    "paragraphs": [
        "Vi vill veta vad du tycker om trapphuset, tvättstugan och gården.",
        "Det tar två minuter. Du kan svara med text, med ett betyg eller med en kort video.",
        "Tack för att du hjälper oss att prioritera årets renoveringar!",
    ],
    "button": "Svara på frågan",
    "footer": "Du får detta e-postmeddelande eftersom du är med i hyresgästpanelen.",
}


class Sink:
    """The SMTP server process (``tests.benchmarks.smtp_sink``)."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.benchmarks.smtp_sink"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.port = int(self.process.stdout.readline().split()[1])

    def counts(self) -> tuple[int, int]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write("count\n")
        self.process.stdin.flush()
        accepted, malformed = self.process.stdout.readline().split()
        return int(accepted), int(malformed)

    def wait_for(self, total: int, timeout: float = 600.0) -> None:
        deadline = time.monotonic() + timeout
        while self.counts()[0] < total:
            if time.monotonic() > deadline:
                raise SystemExit(f"the SMTP server got {self.counts()[0]} of {total} messages")
            time.sleep(0.02)

    def cpu_seconds(self) -> float:
        """CPU time the server process has used so far (Linux ``/proc``)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write("quit\n")
        self.process.stdin.flush()
        self.process.wait(timeout=10)


@contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
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


@contextmanager
def sqlite_database() -> Iterator[str]:
    from panel.core.migrate import upgrade

    with TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.sqlite3"
        upgrade(url)
        yield url


def make_app(url: str, instance: Path, smtp_url: str) -> Any:
    from panel.app import create_app
    from panel.core.celery import InProcessExecutor
    from panel.core.config import Settings

    settings = Settings.from_env(
        environ={},
        env="testing",
        secret_key="bench-secret-key-that-is-long-enough-for-checks",
        database_url=url,
        instance_dir=str(instance),
        smtp_url=smtp_url,
        log_json=True,
    )
    app = create_app(settings)
    # Delivery tasks run on 2 worker threads, as ``stoop worker -c 2`` would.
    app.extensions["stoop.executor"] = InProcessExecutor(workers=THREADS)
    logging.getLogger("notifications").setLevel(logging.WARNING)
    return app


def new_organisation(app: Any, name: str) -> int:
    from panel.core.extensions import db
    from panel.organisations.service import create_organisation

    with app.app_context():
        session = db.session()
        organisation = create_organisation(session, name, language="sv")
        session.commit()
        return organisation.id


def recipients(count: int, batch: str) -> list[Any]:
    from notifications.messages import Recipient

    return [
        Recipient(
            address=f"hyresgast{n}@example.se",
            dedupe_key=f"{batch}:{n}",
            language=("sv", "sv", "nl", "en")[n % 4],
            values={"name": NAMES[n % 4], "link": f"https://stoop.example/a/{uuid.uuid4().hex}"},
        )
        for n in range(count)
    ]


def queue(app: Any, organisation_id: int, people: list[Any]) -> float:
    """Seconds to render, write and commit ``people``'s messages (delivery starts on commit)."""
    from notifications import messages
    from panel.core.extensions import db

    with app.app_context():
        session = db.session()
        started = time.perf_counter()
        messages.queue(
            session,
            organisation_id=organisation_id,
            template="notifications/personal",
            purpose="question",
            recipients=people,
            context=CONTEXT,
        )
        session.commit()
        return time.perf_counter() - started


def outbox_rows(app: Any, organisation_id: int) -> list[dict[str, Any]]:
    """The rows Stoop wrote, as column values (for the executemany floor)."""
    from notifications.models import OutboundMessage

    table = OutboundMessage.__table__
    skip = {"id", "organisation_id"}
    with app.app_context():
        from panel.core.extensions import db

        result = db.session().execute(
            sa.select(table).where(table.c.organisation_id == organisation_id)
        )
        return [{k: v for k, v in row._mapping.items() if k not in skip} for row in result]


def executemany(app: Any, organisation_id: int, rows: list[dict[str, Any]]) -> float:
    """Seconds for one DBAPI executemany of ``rows`` into the outbox table, and a commit."""
    from notifications.models import OutboundMessage
    from panel.core.extensions import db

    table = OutboundMessage.__table__
    with app.app_context():
        engine = db.engine
        columns = ["organisation_id", *rows[0]]
        dialect = engine.dialect
        compiled = sa.insert(table).compile(dialect=dialect, column_keys=columns)
        processors = {
            name: table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
            for name in columns
        }
        parameters: list[Any] = []
        for row in rows:
            values = {"organisation_id": organisation_id, **row}
            values["dedupe_key"] = "floor:" + values["dedupe_key"]
            bound = {n: processors[n](v) if processors[n] else v for n, v in values.items()}
            # qmark (SQLite) takes a tuple in order; pyformat (psycopg) a mapping.
            names = compiled.positiontup
            parameters.append(tuple(bound[n] for n in names) if names else bound)
        connection = engine.raw_connection()
        try:
            cursor = connection.cursor()
            started = time.perf_counter()
            cursor.executemany(str(compiled), parameters)
            connection.commit()
            return time.perf_counter() - started
        finally:
            connection.close()


def prepared_messages(app: Any, organisation_id: int) -> list[tuple[str, str, bytes]]:
    """(from, to, bytes) of every message as Stoop built it, for the smtplib floor."""
    from notifications.channels.email import email_bytes
    from notifications.models import OutboundMessage
    from notifications.senders import sender_identity
    from panel.core.extensions import db
    from panel.core.scoping import scoped_to

    with app.app_context():
        session = db.session()
        with scoped_to(session, organisation_id):
            sender = sender_identity(session, organisation_id, app.config["STOOP"])
            rows = session.scalars(sa.select(OutboundMessage).order_by(OutboundMessage.id))
            return [
                (sender.email_address, row.recipient, email_bytes(row, sender)[0]) for row in rows
            ]


def smtplib_loop(port: int, prepared: list[tuple[str, str, bytes]]) -> float:
    """Seconds to send every prepared message over one connection with plain smtplib."""
    started = time.perf_counter()
    connection = smtplib.SMTP("127.0.0.1", port, timeout=10)
    connection.ehlo()
    for sender, recipient, data in prepared:
        connection.sendmail(sender, [recipient], data)
    connection.quit()
    return time.perf_counter() - started


def postgres_cpu_seconds() -> float:
    """CPU time used so far by the PostgreSQL server processes on this machine (0 when
    there are none, or they cannot be read)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        if "(postgres)" not in text:
            continue
        fields = text.rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def commit_floor(app: Any, count: int) -> float:
    """Seconds for ``count`` durable one-row commits from THREADS threads, each on its own
    connection: the floor under delivery, which must commit once per message (mark the next
    row before handing it over, with the previous row's outcome)."""
    from notifications.models import OutboundMessage
    from panel.core.extensions import db

    with app.app_context():
        engine = db.engine
        ids = (
            db.session()
            .scalars(
                sa.select(OutboundMessage.id)
                .limit(THREADS)
                .execution_options(all_organisations=True)
            )
            .all()
        )
        db.session().commit()
    sql = str(
        sa.update(OutboundMessage.__table__)
        .where(OutboundMessage.__table__.c.id == sa.bindparam("id"))
        .values(attempts=OutboundMessage.__table__.c.attempts)
        .compile(dialect=engine.dialect)
    )

    def commits(row_id: int) -> None:
        connection = engine.raw_connection()
        try:
            cursor = connection.cursor()
            arguments: Any = (row_id,) if engine.dialect.paramstyle == "qmark" else {"id": row_id}
            for _ in range(count // THREADS):
                cursor.execute(sql, arguments)
                connection.commit()
        finally:
            connection.close()

    threads = [threading.Thread(target=commits, args=(row_id,)) for row_id in ids]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def states(app: Any, organisation_id: int) -> dict[str, int]:
    from notifications.models import OutboundMessage
    from panel.core.extensions import db

    with app.app_context():
        rows = db.session().execute(
            sa.select(OutboundMessage.state, sa.func.count())
            .where(OutboundMessage.organisation_id == organisation_id)
            .group_by(OutboundMessage.state)
            .execution_options(all_organisations=True)
        )
        return {str(state): count for state, count in rows}


def profile_queue(app: Any, organisation_id: int, count: int) -> None:
    """Where queueing ``count`` messages spends its time (delivery is held back)."""
    executor = app.extensions["stoop.executor"]
    executor.submit = lambda *args, **kwargs: None  # profile the queueing alone
    profiler = cProfile.Profile()
    profiler.enable()
    seconds = queue(app, organisation_id, recipients(count, "profile"))
    profiler.disable()
    print(f"\n-- profile: queueing {count:,} messages took {seconds:.2f} s")
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
    print(out.getvalue())
    del executor.submit
    profile_delivery(app, organisation_id)


def profile_delivery(app: Any, organisation_id: int, batch: int = 200) -> None:
    """Where delivering one batch of the messages queued above spends its time."""
    from notifications import delivery
    from notifications.models import OutboundMessage
    from panel.core.extensions import db
    from panel.core.scoping import scoped_to

    with app.app_context():
        session = db.session()
        with scoped_to(session, organisation_id):
            ids = session.scalars(sa.select(OutboundMessage.id).limit(batch)).all()
            session.commit()
            profiler = cProfile.Profile()
            started = time.perf_counter()
            profiler.enable()
            delivery.deliver_batch(session, ids)
            profiler.disable()
            seconds = time.perf_counter() - started
    print(f"\n-- profile: delivering {len(ids)} messages in one thread took {seconds:.2f} s")
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(30)
    print(out.getvalue())


def one_round(app: Any, sink: Sink, count: int, label: str, number: int) -> dict[str, float]:
    """Stoop's way and both floors once, one after the other."""
    organisation_id = new_organisation(app, f"Bostadsbolaget Ĳssel & Söner {number}")
    people = recipients(count, f"bench-{number}")
    before = sink.counts()[0]
    cpu, sink_cpu, db_cpu = time.process_time(), sink.cpu_seconds(), postgres_cpu_seconds()
    started = time.perf_counter()
    queued = queue(app, organisation_id, people)
    sink.wait_for(before + count)
    app.extensions["stoop.executor"].drain(timeout=600)
    total = time.perf_counter() - started
    cpu, sink_cpu = time.process_time() - cpu, sink.cpu_seconds() - sink_cpu
    db_cpu = postgres_cpu_seconds() - db_cpu
    found = states(app, organisation_id)
    if found.get("sent") != count:
        raise SystemExit(f"{label}: not every message was sent: {found}")
    floor_org = new_organisation(app, f"Golvbolaget {number}")
    many = executemany(app, floor_org, outbox_rows(app, organisation_id))
    prepared = prepared_messages(app, organisation_id)
    loop_cpu, loop_sink_cpu = time.process_time(), sink.cpu_seconds()
    loop = smtplib_loop(sink.port, prepared)
    loop_cpu, loop_sink_cpu = time.process_time() - loop_cpu, sink.cpu_seconds() - loop_sink_cpu
    floor = commit_floor(app, count)
    return {
        "queue": queued,
        "executemany": many,
        "total": total,
        "smtplib": loop,
        "commits": floor,
        "cpu": cpu,
        "sink_cpu": sink_cpu,
        "db_cpu": db_cpu,
        "loop_cpu": loop_cpu,
        "loop_sink_cpu": loop_sink_cpu,
    }


def run(label: str, url: str, count: int, rounds: int, profile: bool) -> dict[str, float]:
    """``rounds`` rounds on one database; the best time of each measurement counts (the
    machine is shared: the best run is the one least disturbed)."""
    sink = Sink()
    results = []
    try:
        with TemporaryDirectory() as folder:
            app = make_app(url, Path(folder), f"smtp://127.0.0.1:{sink.port}")
            if profile:
                profile_queue(app, new_organisation(app, "Profilbolaget"), count)
            for number in range(rounds):
                results.append(one_round(app, sink, count, label, number))
            _accepted, malformed = sink.counts()
            if malformed:
                raise SystemExit(f"{label}: {malformed} messages had bare line endings")
    finally:
        sink.stop()
    best = {key: min(result[key] for result in results) for key in results[0]}
    rounds_note = f", best of {rounds} rounds" if rounds > 1 else ""
    print(f"\n{label}: {count:,} personal e-mails, {THREADS} delivery threads{rounds_note}")
    for key, text in [
        ("queue", "queue (render + write + commit)"),
        ("executemany", "one executemany of the same rows"),
        ("total", "queue and deliver, to the last"),
        ("smtplib", "plain smtplib loop, one conn."),
        ("commits", f"{count:,} durable commits, {THREADS} thr."),
    ]:
        each = "  ".join(f"{result[key]:6.2f}" for result in results)
        print(f"  {text:34s} {best[key]:7.2f} s   ({each})")
    print(f"  queue ÷ executemany = {best['queue'] / best['executemany']:.2f}  (target ≤ 3)")
    print(f"  smtplib ÷ Stoop     = {best['smtplib'] / best['total']:.2f}  (target ≥ 0.7)")
    rates = f"Stoop {count / best['total']:,.0f}/s, smtplib {count / best['smtplib']:,.0f}/s"
    print(f"  messages per second: {rates}")
    per = 1000 / count
    database = f" + PostgreSQL {best['db_cpu'] * per:.2f} ms" if best["db_cpu"] else ""
    print(
        f"  CPU per message: Stoop {best['cpu'] * per:.2f} ms + SMTP server"
        f" {best['sink_cpu'] * per:.2f} ms{database}; smtplib {best['loop_cpu'] * per:.2f} ms"
        f" + SMTP server {best['loop_sink_cpu'] * per:.2f} ms"
    )
    print(f"  a durable commit: {best['commits'] * per * THREADS:.2f} ms per thread")
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--only", choices=("sqlite", "postgres"))
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if args.only != "postgres":
        with sqlite_database() as url:
            run("SQLite", url, args.messages, args.rounds, args.profile)
    if args.only != "sqlite":
        admin = os.environ.get("STOOP_BENCH_DATABASE_URL", DEFAULT_PG)
        try:
            sa.create_engine(admin).connect().close()
        except sa.exc.OperationalError:
            print(f"\nPostgreSQL at {admin} is not reachable: skipped")
            return 0
        with postgres_database(admin) as url:
            run("PostgreSQL", url, args.messages, args.rounds, args.profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
