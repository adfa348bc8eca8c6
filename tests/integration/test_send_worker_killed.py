"""A send of 2,000 (half e-mail, half SMS) through a Celery worker on Redis, the worker killed
with SIGKILL in the middle and another started: no tenant gets the question twice, every
message ends ``sent`` or ``unknown``, the SMTP server and the Twilio double hold exactly the
``sent`` ones plus at most the ``unknown`` ones, and there is at most one ``unknown`` per
worker thread of the kill.
"""

from __future__ import annotations

import collections
import os
import signal
import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from notifications.models import DeliveryState, OutboundMessage
from panel.contacts.bulk import UpsertItem, upsert_contacts
from panel.core.db import utcnow
from panel.core.scoping import scoped_to
from panel.panels.service import add_members
from panel.questions.models import QuestionStatus
from panel.sends.service import create_send
from tests.conftest import TEST_SECRET, redis_test_db
from tests.factories import OrganisationFactory, UserFactory, make_panel, system_session
from tests.fixtures.servers import SmtpServer
from tests.integration.test_celery_redis import REDIS_HOST, REDIS_PORT, _redis_reachable, _stop
from tests.integration.test_outbox_worker_killed import THREADS, start_worker
from tests.questions.conftest import make_question

pytestmark = pytest.mark.integration

REDIS_DB = redis_test_db(15)  # numbers: tests/conftest.py
BROKER_URL = f"redis://{REDIS_HOST}:{REDIS_PORT}/{REDIS_DB}"
LEASE_SECONDS = 5
RECIPIENTS = 2_000
SETTLE_TIMEOUT = 180.0


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
    """An SMTP server of this test's own that thinks 20 ms over every message."""
    server = SmtpServer().start()
    server.delay = 0.02
    yield server
    server.stop()


def _seed(app) -> int:
    """A live question and a panel of 2,000: the even ones by e-mail, the odd ones by SMS."""
    with app.app_context():
        session = system_session()
        organisation = OrganisationFactory(name="Bostadsbolaget Ängsbacken")
        staff = UserFactory(organisation=organisation, name="Anna Berg")
        question = make_question(
            staff,
            title="Hur trivs du i ditt trapphus?",
            status=QuestionStatus.LIVE,
            published_at=utcnow(),
        )
        items = [
            UpsertItem(
                {"name": f"Hyresgäst Åström {n}", "email": f"hyresgast{n}@example.se"}
                if n % 2 == 0
                else {"name": f"Hyresgäst Öberg {n}", "phone": f"+4670{n:07d}"}
            )
            for n in range(RECIPIENTS)
        ]
        panel = make_panel(organisation)
        with scoped_to(session, organisation.id):
            ids = upsert_contacts(session, organisation, items, method="api").ids
            panel = session.merge(panel)
            add_members(session, panel, ids, source="contacts")
            session.commit()
            send = create_send(session, staff, session.merge(question), panel)
            session.commit()  # the start goes to the broker after this commit
        return send.id


def _states(app, send_id: int) -> collections.Counter[str]:
    with app.app_context():
        rows = system_session().scalars(
            sa.select(OutboundMessage.state).where(OutboundMessage.ref == f"send:{send_id}")
        )
        return collections.Counter(str(state) for state in rows)


def test_a_send_survives_a_killed_worker_without_sending_anything_twice(
    make_app, database_factory, broker_url, slow_smtp, twilio_double, tmp_path
):
    database_url = database_factory()
    twilio = {f"STOOP_{k.upper()}": v for k, v in twilio_double.settings().items()}
    env = {
        **os.environ,
        **twilio,
        "STOOP_ENV": "testing",
        "STOOP_SECRET_KEY": TEST_SECRET,
        "STOOP_BROKER_URL": broker_url,
        "STOOP_DATABASE_URL": database_url,
        "STOOP_SMTP_URL": slow_smtp.url,
        "STOOP_SMS_PER_SECOND": "0",
        "STOOP_INSTANCE_DIR": str(tmp_path / "instance"),
        "STOOP_CLAIM_LEASE_SECONDS": str(LEASE_SECONDS),
        "STOOP_LOG_JSON": "0",
    }
    app = make_app(
        database_url=database_url,
        broker_url=broker_url,
        smtp_url=slow_smtp.url,
        claim_lease_seconds=LEASE_SECONDS,
        **twilio_double.settings(),
    )
    first = start_worker(env, tmp_path / "first.log")
    second = None
    try:
        send_id = _seed(app)
        celery = app.extensions["celery"]
        # Mid-send: invitations written, e-mails going out one by one. (Beat's start_due would
        # start the send, should the task sent after the commit not have reached the broker.)
        deadline = time.monotonic() + 90
        while len(slow_smtp.received) < 150:
            if time.monotonic() > deadline:
                raise AssertionError(f"the send did not get going: {_states(app, send_id)}")
            celery.send_task("panel.sends.tasks.start_due")
            time.sleep(1.0)
        os.killpg(first.process.pid, signal.SIGKILL)
        first.process.wait(timeout=10)
        at_kill = _states(app, send_id)
        assert sum(at_kill.values()) == RECIPIENTS, at_kill  # every row was written at once
        assert at_kill["sending"] <= THREADS, at_kill

        second = start_worker(env, tmp_path / "second.log")
        deadline = time.monotonic() + SETTLE_TIMEOUT
        while True:
            # What beat does every 30 s: settle expired leases, hand what is due to delivery.
            celery.send_task("notifications.tasks.deliver_due")
            found = _states(app, send_id)
            if found["sent"] + found["unknown"] == RECIPIENTS:
                break
            if time.monotonic() > deadline:
                raise AssertionError(f"not settled in {SETTLE_TIMEOUT} s: {found}")
            time.sleep(2.0)
    finally:
        _stop(first.process)
        if second is not None:
            _stop(second.process)

    received = collections.Counter(item.rcpt_tos[0] for item in slow_smtp.received)
    received.update(message.to for message in twilio_double.messages)
    with app.app_context():
        rows = (
            system_session()
            .scalars(sa.select(OutboundMessage).where(OutboundMessage.ref == f"send:{send_id}"))
            .all()
        )
    sent = {row.recipient for row in rows if row.state == DeliveryState.SENT}
    unknown = {row.recipient for row in rows if row.state == DeliveryState.UNKNOWN}

    assert max(received.values()) == 1, "a tenant got the question twice"
    assert all(received[address] == 1 for address in sent), "a sent row never arrived"
    assert set(received) <= sent | unknown
    assert len(unknown) <= THREADS, f"{len(unknown)} unknown rows for {THREADS} threads"
    assert len(sent) + len(unknown) == RECIPIENTS
    assert len(received) - len(sent) <= len(unknown)
