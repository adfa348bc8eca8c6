"""The SMS throughput cap holds across workers: on Redis and on the database (a fresh one of
the kind under test), with two threads and with two processes, N messages of one sender take
at least (N-1)/rate seconds and no two go out in the same slot; with the cap lifted nothing
waits. And the delivery loop honours it on the way to the Twilio double."""

from __future__ import annotations

import itertools
import multiprocessing
import threading
import time
import uuid

import pytest

from notifications import messages, throttle
from notifications.models import Channel
from panel.core.db import create_engine
from tests.conftest import normalise_url
from tests.factories import ContactFactory

RATE = 8.0  # messages per second: fast enough for a test, slow enough to measure
EVERY = 1 / RATE
SLACK = 0.015  # the time a claim and a hand-over take, at most, where a test times them


def clock_for(backend: str, url: str) -> throttle.SlotClock:
    if backend == "redis":
        return throttle.RedisSlots(url)
    return throttle.DatabaseSlots(create_engine(normalise_url(url)))


def send_many(backend: str, url: str, sender: str, count: int, start_at: float) -> list:
    """One worker: wait for ``count`` slots of ``sender`` and note when each message went."""
    clock = clock_for(backend, url)
    time.sleep(max(0.0, start_at - time.time()))
    went = []
    for _ in range(count):
        slot = throttle.wait_for_slot(clock, sender, EVERY)
        went.append((slot, time.time()))
    return went


def assert_paced(went: list, count: int, start_at: float) -> None:
    slots = sorted(slot for slot, _ in went)
    assert len(slots) == count
    gaps = [b - a for a, b in itertools.pairwise(slots)]
    assert min(gaps) >= EVERY - 1e-6, f"two messages shared a slot: {gaps}"
    # No message went before its slot, so from the start to the last message took at least
    # (N-1)/rate.
    assert all(moment >= slot for slot, moment in went)
    assert max(moment for _, moment in went) - start_at >= (count - 1) * EVERY


@pytest.fixture(params=["database", "redis"])
def backend(request, database_factory):
    if request.param == "redis":
        server = request.getfixturevalue("own_redis")
        return "redis", server.url(3)
    return "database", database_factory()


def test_two_threads_share_one_senders_slots(backend):
    kind, url = backend
    sender = f"+4670{uuid.uuid4().int % 10**7:07d}"
    start_at = time.time() + 0.3
    results: list[list] = [[], []]

    def work(index: int) -> None:
        results[index] = send_many(kind, url, sender, 6, start_at)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert_paced(results[0] + results[1], 12, start_at)


def test_two_processes_share_one_senders_slots(backend):
    kind, url = backend
    sender = "MG" + uuid.uuid4().hex
    context = multiprocessing.get_context("spawn")
    start_at = time.time() + 5  # after both have started (spawning imports the app)
    with context.Pool(2) as pool:
        runs = [pool.apply_async(send_many, (kind, url, sender, 6, start_at)) for _ in range(2)]
        went = [item for run in runs for item in run.get(timeout=60)]

    assert_paced(went, 12, start_at)
    # Both processes really took part.
    assert all(len(run.get()) == 6 for run in runs)


def test_other_senders_do_not_wait_for_each_other(backend):
    kind, url = backend
    clock = clock_for(kind, url)
    started = time.monotonic()
    for n in range(5):
        throttle.wait_for_slot(clock, f"+4670000{n:04d}{uuid.uuid4().int % 1000:03d}", EVERY)
    assert time.monotonic() - started < EVERY


def test_with_the_cap_lifted_nothing_waits(backend):
    kind, url = backend
    clock = clock_for(kind, url)
    started = time.monotonic()
    for _ in range(50):
        throttle.wait_for_slot(clock, "+46701740605", 0.0)
    assert time.monotonic() - started < 0.05


def test_a_waiting_worker_renews_its_lease():
    class Far:
        def claim(self, sender, interval, now):
            return now + 0.35

    renewals = []
    throttle.wait_for_slot(
        Far(),
        "+46701740605",
        1.0,
        renew=lambda: renewals.append(1),
        sleep=lambda s: time.sleep(0.1),
    )
    assert len(renewals) >= 2


def test_delivery_paces_sms_to_the_twilio_double(
    db_session, org, use_twilio, monkeypatch, settings
):
    monkeypatch.setattr(settings, "sms_per_second", RATE)
    contacts = [
        ContactFactory(organisation=org, name=f"Hyresgäst {n}", phone=f"+4670123450{n}")
        for n in range(6)
    ]
    started = time.monotonic()
    messages.queue_bulk(
        db_session,
        organisation_id=org.id,
        template="notifications/personal",
        purpose="question",
        list_key="area-3",
        recipients=[
            messages.Recipient(
                address=c.phone, dedupe_key=f"q:{c.id}", values={"name": c.name}, contact_id=c.id
            )
            for c in contacts
        ],
        context={"subject": "", "paragraphs": ["Hur fungerar tvättstugan?"], "button": None},
        channel=Channel.SMS,
    )
    db_session.commit()  # delivered inline, after the commit

    assert len(use_twilio.messages) == 6
    assert time.monotonic() - started >= 5 * EVERY - SLACK


def test_delivery_without_a_cap_does_not_wait(db_session, org, use_twilio, monkeypatch, settings):
    monkeypatch.setattr(settings, "sms_per_second", 0)
    started = time.monotonic()
    messages.queue_bulk(
        db_session,
        organisation_id=org.id,
        template="notifications/personal",
        purpose="question",
        list_key="area-3",
        recipients=[
            messages.Recipient(address=f"+4670123451{n}", dedupe_key=f"q:{n}", values={"name": "x"})
            for n in range(6)
        ],
        context={"subject": "", "paragraphs": ["Hur fungerar tvättstugan?"], "button": None},
        channel=Channel.SMS,
    )
    db_session.commit()

    assert len(use_twilio.messages) == 6
    assert time.monotonic() - started < 5 * EVERY
