"""The SMS throughput cap: at most ``STOOP_SMS_PER_SECOND`` messages per second per sender
number (or messaging service), across every worker process.

Each message needs a **slot**: a moment at least ``1 / rate`` seconds after the previous slot of
the same sender. Claiming one is a single atomic step on a clock all workers share — a Lua
script in Redis when ``STOOP_REDIS_URL`` is set, otherwise one ``UPDATE … RETURNING`` on a row
per sender in the database (``sms_slot``) — that returns the slot and moves the sender's next
free moment on by one interval. The worker then sleeps until its slot (renewing its batch's
lease while it waits, so no other worker takes the batch over) and hands the message over. It
never fails for want of a slot: a busy sender only means a longer wait.

Slots are claimed in the worker's wall-clock time (Unix seconds); workers on several machines
need clocks in step (NTP), as they do for leases already.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from notifications.models import SmsSlot
from panel.core.config import Settings

log = logging.getLogger(__name__)

TABLE = SmsSlot.__table__
# A waiting worker wakes at least this often to renew its lease.
RENEW_EVERY = 5.0
REDIS_PREFIX = "stoop:sms-slot:"
# Atomically: the slot is the later of now and the sender's next free moment; the next free
# moment moves one interval past it. The key expires once it is in the past anyway.
CLAIM_SCRIPT = """
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local free = tonumber(redis.call('GET', KEYS[1]) or '0')
local slot = math.max(now, free)
local nxt = slot + interval
redis.call('SET', KEYS[1], string.format('%.6f', nxt), 'PX', math.ceil((nxt - now) * 1000) + 60000)
return string.format('%.6f', slot)
"""


class SlotClock(Protocol):
    """A clock shared by every worker that hands out a sender's slots."""

    def claim(self, sender: str, interval: float, now: float) -> float:
        """The next slot of ``sender`` at or after ``now`` (Unix seconds), claimed."""
        ...


class RedisSlots:
    """Slots in Redis: one key per sender holding its next free moment."""

    def __init__(self, url: str) -> None:
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self.script = self.client.register_script(CLAIM_SCRIPT)

    def claim(self, sender: str, interval: float, now: float) -> float:
        return float(self.script(keys=[REDIS_PREFIX + sender], args=[f"{now:.6f}", interval]))


class DatabaseSlots:
    """Slots in the database: a row per sender, moved on by one atomic UPDATE … RETURNING,
    committed at once on a connection of its own (a sender's row is locked only for that)."""

    def __init__(self, bind: Any, commit: Callable[[], None] | None = None) -> None:
        # An engine: each claim on a short connection of its own. A connection (the tests'
        # outer transaction): claims on it, committed by ``commit``.
        self.bind = bind
        self.commit = commit

    def claim(self, sender: str, interval: float, now: float) -> float:
        if isinstance(self.bind, sa.Engine):
            with self.bind.begin() as connection:
                return _claim_row(connection, sender, interval, now)
        slot = _claim_row(self.bind, sender, interval, now)
        if self.commit is not None:
            self.commit()
        return slot


def _claim_row(connection: Any, sender: str, interval: float, now: float) -> float:
    insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    connection.execute(
        insert(TABLE)
        .values(sender=sender, next_free_at=0.0)
        .on_conflict_do_nothing(index_elements=["sender"])
    )
    free = TABLE.c.next_free_at
    slot = sa.case((free > now, free), else_=sa.literal(now, sa.Float))
    moved = connection.execute(
        sa.update(TABLE)
        .where(TABLE.c.sender == sender)
        .values(next_free_at=slot + interval)
        .returning(TABLE.c.next_free_at)
    ).scalar_one()
    return float(moved) - interval


class FallbackSlots:
    """Redis, and the database while Redis cannot be reached (the cap then holds among the
    workers that fell back; better than no SMS at all)."""

    def __init__(self, primary: SlotClock, fallback: SlotClock) -> None:
        self.primary = primary
        self.fallback = fallback

    def claim(self, sender: str, interval: float, now: float) -> float:
        import redis

        try:
            return self.primary.claim(sender, interval, now)
        except redis.RedisError as exc:
            log.warning("SMS slots: Redis failed (%s); using the database", exc)
            return self.fallback.claim(sender, interval, now)


_redis_clocks: dict[str, RedisSlots] = {}
_redis_lock = threading.Lock()


def slot_clock(
    settings: Settings, bind: Any, commit: Callable[[], None] | None = None
) -> SlotClock:
    """Redis when ``STOOP_REDIS_URL`` is set, else the database behind ``bind``."""
    if settings.redis_url.startswith(("redis://", "rediss://", "unix://")):
        with _redis_lock:
            clock = _redis_clocks.get(settings.redis_url)
            if clock is None:
                clock = _redis_clocks[settings.redis_url] = RedisSlots(settings.redis_url)
        return FallbackSlots(clock, DatabaseSlots(bind, commit))
    return DatabaseSlots(bind, commit)


def interval(settings: Settings) -> float:
    """Seconds between two messages of one sender; 0 when there is no cap."""
    rate = settings.sms_per_second
    return 1.0 / rate if rate > 0 else 0.0


def wait_for_slot(
    clock: SlotClock,
    sender: str,
    every: float,
    *,
    renew: Callable[[], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> float:
    """Claim ``sender``'s next slot and sleep until it comes, calling ``renew`` at least every
    :data:`RENEW_EVERY` seconds meanwhile. Returns the slot (Unix seconds)."""
    if every <= 0:
        return time.time()
    slot = clock.claim(sender, every, time.time())
    waited = False
    while (delay := slot - time.time()) > 0:
        waited = True
        sleep(min(delay, RENEW_EVERY))
        if renew is not None and slot - time.time() > 0:
            renew()
    if waited:
        log.debug("SMS from %s waited for its slot", sender)
    return slot
