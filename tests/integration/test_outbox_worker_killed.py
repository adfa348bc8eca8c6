"""A worker killed (SIGKILL) in the middle of delivering a batch: another worker takes over its
expired leases, nothing is sent twice, nothing is lost, and at most one row per worker thread
ends ``unknown``.

Real parts throughout: ``stoop worker`` subprocesses (2 threads each) on Redis (database 12),
a fresh migrated database of the kind under test, and an SMTP server on loopback that takes a
little time over each message, so the kill lands mid-batch.
"""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from notifications.dispatch import DELIVERY_BATCH, Outgoing, queue_messages
from notifications.models import Channel, DeliveryState, OutboundMessage
from tests.conftest import TEST_SECRET, redis_test_db
from tests.factories import OrganisationFactory, system_session
from tests.fixtures.servers import SmtpServer
from tests.integration.test_celery_redis import (
    REDIS_HOST,
    REDIS_PORT,
    STOOP,
    Worker,
    _redis_reachable,
    _stop,
    _wait_until_ready,
)

pytestmark = pytest.mark.integration

REDIS_DB = redis_test_db(12)  # numbers: tests/conftest.py
BROKER_URL = f"redis://{REDIS_HOST}:{REDIS_PORT}/{REDIS_DB}"
THREADS = 2
LEASE_SECONDS = 5
MESSAGES = 4 * DELIVERY_BATCH
SETTLE_TIMEOUT = 120.0


@pytest.fixture
def broker_url() -> Iterator[str]:
    if not _redis_reachable():
        if os.environ.get("CI"):
            pytest.fail("Redis is not reachable; CI must run the worker integration tests")
        pytest.skip("Redis is not reachable (start redis-server to run this test)")
    import redis

    client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=REDIS_DB)
    client.flushdb()
    yield BROKER_URL
    client.flushdb()


@pytest.fixture
def slow_smtp() -> Iterator[SmtpServer]:
    """An SMTP server of this test's own that thinks 30 ms over every message."""
    server = SmtpServer().start()
    server.delay = 0.03
    yield server
    server.stop()


def start_worker(env: dict[str, str], log: Path) -> Worker:
    with log.open("ab") as out:
        process = subprocess.Popen(
            [str(STOOP), "worker", "-c", str(THREADS), "--without-gossip", "--without-mingle"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    worker = Worker(process, env["STOOP_DATABASE_URL"], log)
    _wait_until_ready(worker)
    return worker


def states(app) -> collections.Counter[str]:
    with app.app_context():
        rows = system_session().scalars(sa.select(OutboundMessage.state)).all()
    return collections.Counter(str(state) for state in rows)


def test_a_worker_killed_mid_batch_leaves_nothing_sent_twice_and_nothing_lost(
    make_app, database_factory, broker_url, slow_smtp, tmp_path
):
    database_url = database_factory()
    env = {
        **os.environ,
        "STOOP_ENV": "testing",
        "STOOP_SECRET_KEY": TEST_SECRET,
        "STOOP_BROKER_URL": broker_url,
        "STOOP_DATABASE_URL": database_url,
        "STOOP_SMTP_URL": slow_smtp.url,
        "STOOP_INSTANCE_DIR": str(tmp_path / "instance"),
        "STOOP_CLAIM_LEASE_SECONDS": str(LEASE_SECONDS),
        "STOOP_LOG_JSON": "0",
    }
    app = make_app(
        database_url=database_url,
        broker_url=broker_url,
        smtp_url=slow_smtp.url,
        claim_lease_seconds=LEASE_SECONDS,
    )
    first = start_worker(env, tmp_path / "first.log")
    second = None
    try:
        with app.app_context():
            session = system_session()
            org = OrganisationFactory()
            queue_messages(
                session,
                org.id,
                [
                    Outgoing(
                        channel=Channel.EMAIL,
                        recipient=f"hyresgast{n}@example.se",
                        subject=f"Fråga {n}",
                        body_text=f"Hej hyresgäst {n}! Vad tycker du om gården?\n",
                        purpose="question",
                        dedupe_key=f"killed-worker:{n}",
                        language="sv",
                    )
                    for n in range(MESSAGES)
                ],
            )
            session.commit()

        # Both threads are in the middle of a batch of 100 (30 ms a message).
        slow_smtp.wait_for(40, timeout=60)
        os.killpg(first.process.pid, signal.SIGKILL)
        first.process.wait(timeout=10)
        at_kill = states(app)
        assert at_kill["sending"] <= THREADS
        assert at_kill["claimed"] > 0, at_kill  # rows of the batches that were cut short

        second = start_worker(env, tmp_path / "second.log")
        celery = app.extensions["celery"]
        deadline = time.monotonic() + SETTLE_TIMEOUT
        while True:
            # What beat does every 30 s: settle expired leases, hand what is due to delivery.
            celery.send_task("notifications.tasks.deliver_due")
            found = states(app)
            if found["sent"] + found["unknown"] == MESSAGES:
                break
            if time.monotonic() > deadline:
                raise AssertionError(f"not settled in {SETTLE_TIMEOUT} s: {found}")
            time.sleep(2.0)
    finally:
        _stop(first.process)
        if second is not None:
            _stop(second.process)

    received = collections.Counter(item.rcpt_tos[0] for item in slow_smtp.received)
    with app.app_context():
        rows = system_session().scalars(sa.select(OutboundMessage)).all()
    sent = {row.recipient for row in rows if row.state == DeliveryState.SENT}
    unknown = {row.recipient for row in rows if row.state == DeliveryState.UNKNOWN}

    assert max(received.values()) == 1, "a message was sent twice"
    assert all(received[address] == 1 for address in sent), "a sent row never arrived"
    assert len(unknown) <= THREADS, f"{len(unknown)} unknown rows for {THREADS} threads"
    assert set(received) <= sent | unknown
    assert len(sent) >= MESSAGES - THREADS
    assert all("interrupted" in row.error for row in rows if row.state == DeliveryState.UNKNOWN)
