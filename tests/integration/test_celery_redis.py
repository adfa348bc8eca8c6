"""A real Celery worker process on Redis delivers the outbox.

``stoop worker`` runs as a subprocess against a fresh, migrated database (it is another
process, so it only sees committed rows) and the loopback SMTP server. The test app enqueues
through Redis exactly as the web processes do in production.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from notifications.dispatch import queue_email
from notifications.models import DeliveryState, OutboundMessage
from tests.conftest import TEST_SECRET, redis_test_db
from tests.factories import OrganisationFactory, system_session

pytestmark = pytest.mark.integration

REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
REDIS_DB = redis_test_db(11)  # numbers: tests/conftest.py
BROKER_URL = f"redis://{REDIS_HOST}:{REDIS_PORT}/{REDIS_DB}"
STOOP = Path(sys.executable).with_name("stoop")
READY_TIMEOUT = 60.0
DELIVERY_TIMEOUT = 30.0


def _redis_reachable() -> bool:
    try:
        with socket.create_connection((REDIS_HOST, REDIS_PORT), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def broker_url() -> str:
    if not _redis_reachable():
        reason = f"Redis is not reachable at {REDIS_HOST}:{REDIS_PORT}"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI must run the Celery integration tests")
        pytest.skip(f"{reason} (start redis-server to run the Celery integration tests)")
    import redis

    redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=REDIS_DB).flushdb()
    return BROKER_URL


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    database_url: str
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def received(self, task: str) -> int:
        """How many times the worker logged receiving ``task``."""
        return sum(
            1
            for line in self.output().splitlines()
            if f"Task {task}[" in line and line.endswith("] received")
        )


def _wait_until_ready(worker: Worker) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while "ready." not in worker.output():
        if worker.process.poll() is not None:
            pytest.fail(f"the worker exited ({worker.process.returncode}):\n{worker.output()}")
        if time.monotonic() > deadline:
            pytest.fail(f"the worker was not ready within {READY_TIMEOUT} s:\n{worker.output()}")
        time.sleep(0.1)


def _stop(process: subprocess.Popen[bytes]) -> None:
    # The worker has pool threads and maybe children: end the whole process group it leads.
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)
    except ProcessLookupError:
        pass


@pytest.fixture(scope="module")
def worker(
    broker_url: str,
    database_factory,
    _smtp_server_session,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Worker]:
    folder = tmp_path_factory.mktemp("worker")
    database_url = database_factory()
    env = {
        **os.environ,
        "STOOP_ENV": "testing",
        "STOOP_SECRET_KEY": TEST_SECRET,
        "STOOP_BROKER_URL": broker_url,
        "STOOP_DATABASE_URL": database_url,
        "STOOP_SMTP_URL": _smtp_server_session.url,
        "STOOP_INSTANCE_DIR": str(folder / "instance"),
        "STOOP_LOG_JSON": "0",
    }
    log = folder / "worker.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(STOOP), "worker", "-c", "2", "--without-gossip", "--without-mingle"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    running = Worker(process, database_url, log)
    try:
        _wait_until_ready(running)
        yield running
    finally:
        _stop(process)


@pytest.fixture
def worker_app(make_app, worker, broker_url, smtp_server):
    """An app that shares the worker's database and broker (no in-process executor)."""
    app = make_app(
        database_url=worker.database_url, broker_url=broker_url, smtp_url=smtp_server.url
    )
    assert "stoop.executor" not in app.extensions
    return app


def _wait_for_state(app, message_id: int, state: DeliveryState) -> OutboundMessage:
    deadline = time.monotonic() + DELIVERY_TIMEOUT
    while True:
        with app.app_context():
            message = system_session().get(OutboundMessage, message_id)
            if message is not None and message.state == state:
                return message
        if time.monotonic() > deadline:
            found = message.state if message else "no row"
            raise AssertionError(f"message {message_id} is {found}, expected {state}")
        time.sleep(0.1)


def test_the_worker_delivers_a_committed_email_over_smtp(worker_app, worker, smtp_server):
    with worker_app.app_context():
        session = system_session()
        org = OrganisationFactory()
        message = queue_email(
            session,
            organisation_id=org.id,
            to="anna@example.org",
            subject="Delivered by a worker",
            text="Hej!",
            purpose="test",
            dedupe_key="worker-1",
        )
        session.commit()
        message_id = message.id

    [mail] = smtp_server.wait_for(1, timeout=DELIVERY_TIMEOUT)
    assert mail["Subject"] == "Delivered by a worker"
    assert mail["To"] == "anna@example.org"
    sent = _wait_for_state(worker_app, message_id, DeliveryState.SENT)
    assert (sent.provider, sent.attempts) == ("smtp", 1)
    assert sent.provider_id == mail["Message-ID"]


def test_a_rolled_back_transaction_enqueues_nothing(worker_app, worker, smtp_server):
    before = worker.received("notifications.tasks.deliver_batch")
    with worker_app.app_context():
        session = system_session()
        org = OrganisationFactory()
        queue_email(
            session,
            organisation_id=org.id,
            to="never@example.org",
            subject="Rolled back",
            text="This must never arrive.",
            purpose="test",
            dedupe_key="worker-rolled-back",
        )
        session.rollback()
        # A committed message after it: once it has arrived, the rolled-back one had its chance.
        queue_email(
            session,
            organisation_id=org.id,
            to="anna@example.org",
            subject="Committed",
            text="Hej!",
            purpose="test",
            dedupe_key="worker-committed",
        )
        session.commit()

    smtp_server.wait_for(1, timeout=DELIVERY_TIMEOUT)
    time.sleep(1.0)
    assert [m["Subject"] for m in smtp_server.messages] == ["Committed"]
    assert worker.received("notifications.tasks.deliver_batch") == before + 1
    with worker_app.app_context():
        rows = system_session().scalars(sa.select(OutboundMessage.dedupe_key)).all()
    assert "worker-rolled-back" not in rows
