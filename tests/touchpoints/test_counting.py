"""With Redis, visits are counted in Redis and reach the funnel's table with the periodic flush:
nothing counted is lost or counted twice, a flush that died half-way is picked up later, and a
Redis that does not answer sends the count to the database instead."""

from __future__ import annotations

import datetime as dt
import time

import pytest
import redis
import sqlalchemy as sa

from tests.conftest import redis_test_url
from tests.factories import system_session
from touchpoints import counting
from touchpoints.models import FunnelCount
from touchpoints.tasks import flush_funnel

REDIS_URL = redis_test_url(14)
LONG_AGO = dt.date(2020, 1, 1)


@pytest.fixture
def buffered(app, monkeypatch):
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.flushdb()
    except redis.ConnectionError:
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    monkeypatch.setattr(app.config["STOOP"], "redis_url", REDIS_URL)
    yield client
    client.flushdb()


def _counts(touchpoint_id):
    session = system_session()
    session.expire_all()
    rows = session.scalars(sa.select(FunnelCount).where(FunnelCount.touchpoint_id == touchpoint_id))
    return {(row.source, row.event): row.count for row in rows}


def test_visits_wait_in_redis_until_the_flush(client, buffered, touchpoint_factory, live_question):
    touchpoint = touchpoint_factory(schedule=[(live_question.id, LONG_AGO)])
    for _ in range(3):
        assert client.get(f"/t/{touchpoint.slug}?src=qr").status_code == 200
    client.get(f"/t/{touchpoint.slug}?src=embed&embed=1")
    assert client.post(f"/t/{touchpoint.slug}/started?src=qr").status_code == 204
    assert _counts(touchpoint.id) == {}

    assert flush_funnel.run() == 3
    assert _counts(touchpoint.id) == {("qr", "view"): 3, ("embed", "view"): 1, ("qr", "start"): 1}
    client.get(f"/t/{touchpoint.slug}?src=qr")
    flush_funnel.run()
    assert flush_funnel.run() == 0  # nothing pending: nothing written twice
    assert _counts(touchpoint.id)[("qr", "view")] == 4


def test_a_flush_that_died_is_picked_up_later(client, buffered, touchpoint_factory, live_question):
    touchpoint = touchpoint_factory(schedule=[(live_question.id, LONG_AGO)])
    client.get(f"/t/{touchpoint.slug}?src=qr")
    # A flush took the counts and died before writing them, ten minutes ago...
    buffered.rename(counting.PENDING, f"{counting.FLUSHING}{int(time.time()) - 600}:dead")
    client.get(f"/t/{touchpoint.slug}?src=qr")
    flush_funnel.run()
    assert _counts(touchpoint.id) == {("qr", "view"): 2}
    assert list(buffered.scan_iter(f"{counting.FLUSHING}*")) == []


def test_without_redis_answering_the_count_goes_to_the_database(
    client, app, monkeypatch, touchpoint_factory, live_question
):
    monkeypatch.setattr(app.config["STOOP"], "redis_url", "redis://127.0.0.1:1/0")
    touchpoint = touchpoint_factory(schedule=[(live_question.id, LONG_AGO)])
    assert client.get(f"/t/{touchpoint.slug}?src=qr").status_code == 200
    assert _counts(touchpoint.id) == {("qr", "view"): 1}
