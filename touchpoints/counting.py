"""Counting a visit without holding up the visitor.

With Redis configured (``STOOP_REDIS_URL``), a view, start or answer adds one to a field of a
Redis hash, and a periodic job (:func:`flush`, every :data:`FLUSH_EVERY` seconds) moves the
sums into the funnel's table in one transaction: a busy touchpoint page then writes nothing to
the database per visit. Without Redis, or when it does not answer, the count goes straight to
the database (:func:`touchpoints.funnel.record`), as the embedded default does.

The job takes the pending hash by renaming it (atomic: a visit counted meanwhile starts a new
one), writes it, commits, then deletes it. A flush that died half-way leaves its renamed hash,
which a later flush takes once it is :data:`STALE_AFTER` old. A flush that died between its
commit and the delete would count that batch twice; the funnel is a trend, and that window is
a few milliseconds.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from typing import Any

from flask import current_app
from sqlalchemy.orm import Session

from panel.core.cache import redis_client
from panel.core.scoping import scoped_to
from touchpoints import funnel

log = logging.getLogger(__name__)

PENDING = "stoop:funnel:pending"
FLUSHING = "stoop:funnel:flushing:"
FLUSH_EVERY = 30.0
STALE_AFTER = 300  # seconds before a renamed hash counts as abandoned


def _client() -> Any | None:
    return redis_client(current_app.config["STOOP"].redis_url or "")


def count(
    session: Session,
    touchpoint_id: int,
    src: Any,
    event: str,
    *,
    organisation_id: int,
    day: dt.date,
) -> bool:
    """Count one event. Returns True when it went to the database (the caller commits)."""
    client = _client()
    if client is not None:
        field = (
            f"{organisation_id}|{touchpoint_id}|{day.isoformat()}|{funnel.source_of(src)}|{event}"
        )
        try:
            client.hincrby(PENDING, field, 1)
            return False
        except Exception as exc:  # noqa: BLE001 - any Redis trouble: count in the database
            log.warning("funnel: Redis unavailable (%s); counting in the database", exc)
    funnel.record(session, touchpoint_id, src, event, organisation_id=organisation_id, day=day)
    return True


def flush(session: Session) -> int:
    """Move buffered counts into the database; returns how many counters changed."""
    client = _client()
    if client is None:
        return 0
    moved = 0
    for name in _abandoned(client):
        moved += _write(session, client, name)
    name = f"{FLUSHING}{int(time.time())}:{uuid.uuid4().hex}"
    try:
        client.rename(PENDING, name)
    except Exception as exc:  # noqa: BLE001 - "no such key": nothing was counted
        if "no such key" not in str(exc).lower():
            log.warning("funnel: could not take the pending counts (%s)", exc)
        return moved
    return moved + _write(session, client, name)


def _abandoned(client: Any) -> list[str]:
    """Renamed hashes an earlier flush left behind, each taken by renaming it again (only one
    flush wins the rename)."""
    taken = []
    now = time.time()
    for raw in client.scan_iter(f"{FLUSHING}*"):
        name = raw.decode() if isinstance(raw, bytes) else raw
        try:
            started = int(name[len(FLUSHING) :].split(":", 1)[0])
        except ValueError:
            continue
        if now - started < STALE_AFTER:
            continue
        mine = f"{FLUSHING}{int(now)}:{uuid.uuid4().hex}"
        try:
            client.rename(name, mine)
        except Exception:  # noqa: BLE001, S112 - another flush took it
            continue
        taken.append(mine)
    return taken


def _write(session: Session, client: Any, name: str) -> int:
    counts = client.hgetall(name)
    by_organisation: dict[int, list[tuple[int, dt.date, str, str, int]]] = {}
    for raw_field, raw_count in counts.items():
        field = raw_field.decode() if isinstance(raw_field, bytes) else raw_field
        try:
            org, touchpoint, day, source, event = field.split("|")
            row = (int(touchpoint), dt.date.fromisoformat(day), source, event, int(raw_count))
            by_organisation.setdefault(int(org), []).append(row)
        except ValueError:
            log.warning("funnel: dropped a malformed counter %r", field)
    for organisation_id, rows in by_organisation.items():
        with scoped_to(session, organisation_id):
            for touchpoint_id, day, source, event, amount in rows:
                funnel.record(
                    session,
                    touchpoint_id,
                    source,
                    event,
                    day=day,
                    organisation_id=organisation_id,
                    amount=amount,
                )
            session.flush()
    session.commit()
    client.delete(name)
    return sum(len(rows) for rows in by_organisation.values())
