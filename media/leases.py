"""Leases on clips being processed: a worker holds a clip only while it keeps renewing.

A claim (:func:`media.lifecycle.claim`) gives the worker a lease: a token unique to that claim
and an expiry :data:`LEASE_SECONDS` ahead. While the worker transcodes, a heartbeat thread
renews the lease every :data:`HEARTBEAT_SECONDS` on a connection of its own, and every saved
step of progress renews it too. A worker that dies (SIGKILL, a lost machine) stops renewing;
once the lease has lapsed any worker may claim the clip again, so a killed worker's clip is
taken over within about ``LEASE_SECONDS`` plus one sweep (:func:`media.tasks.reclaim_stalled`)
instead of waiting for the broker's visibility timeout.

Everything a worker writes about its clip is conditional on still holding the lease
(``lease_token`` unchanged), so a worker that was presumed dead but was only slow finds out
(:class:`LeaseLost`) and stops, and never overwrites the work of the one that took over.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from media.models import MediaFile, MediaStatus
from panel.core.db import utcnow

log = logging.getLogger(__name__)

LEASE_SECONDS = 30  # a lease lapses this long after its last renewal
HEARTBEAT_SECONDS = 10  # how often a live worker renews (three chances before it lapses)


class LeaseLost(RuntimeError):
    """Another worker holds the clip now (this one's lease lapsed): stop, and touch nothing."""


@dataclass
class Lease:
    """A worker's hold on one clip. ``lost`` is set by the heartbeat when renewing failed
    because the clip has another holder."""

    media_id: int
    organisation_id: int
    token: str
    lost: threading.Event = field(default_factory=threading.Event)

    def check(self) -> None:
        """Raise :class:`LeaseLost` if the heartbeat found the lease taken."""
        if self.lost.is_set():
            raise LeaseLost(f"media {self.media_id}: lease {self.token} was taken over")


def new_token() -> str:
    """A token unique to one claim (not to a worker: a worker may claim a clip twice)."""
    return secrets.token_hex(16)


def expiry(now: dt.datetime | None = None) -> dt.datetime:
    """When a lease taken or renewed now lapses."""
    return (now or utcnow()) + dt.timedelta(seconds=LEASE_SECONDS)


def held(lease: Lease) -> Any:
    """The WHERE clause of every write a lease holder makes."""
    return sa.and_(
        MediaFile.id == lease.media_id,
        MediaFile.organisation_id == lease.organisation_id,
        MediaFile.status == MediaStatus.PROCESSING,
        MediaFile.lease_token == lease.token,
    )


def renew(session: Session, lease: Lease, **values: Any) -> None:
    """Renew the lease (and write ``values``, e.g. progress) in one conditional UPDATE; commit.

    Raises :class:`LeaseLost` when the clip has another holder, or is no longer processing.
    """
    lease.check()
    now = utcnow()
    result = session.execute(
        sa.update(MediaFile)
        .where(held(lease))
        .values(lease_expires_at=expiry(now), updated_at=now, **values)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    if result.rowcount != 1:
        lease.lost.set()
        lease.check()


class Heartbeat:
    """Renews a lease from a thread while the block runs (``with Heartbeat(bind, lease):``).

    It writes on its own connection, so a long ffmpeg run or a slow download between two
    progress saves does not let the lease lapse. A session bound to a caller's connection (a
    transaction held open by a test or a script) cannot be renewed from another connection,
    which would not see its rows: then only the progress saves renew.
    """

    def __init__(self, bind: Any, lease: Lease, every: float | None = None) -> None:
        self.engine = bind if isinstance(bind, sa.Engine) else None
        self.lease = lease
        self.every = every or HEARTBEAT_SECONDS
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Heartbeat:
        if self.engine is not None:
            self._thread = threading.Thread(
                target=self._run, name=f"stoop-lease-{self.lease.media_id}", daemon=True
            )
            self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.every + 5)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                if not self.beat():
                    log.warning("media %s: lease taken over; stopping", self.lease.media_id)
                    self.lease.lost.set()
                    return
            except Exception:  # the database is unreachable: keep trying while the lease lasts
                log.warning(
                    "media %s: could not renew the lease", self.lease.media_id, exc_info=True
                )

    def beat(self) -> bool:
        """Renew once; False when the lease is no longer ours."""
        assert self.engine is not None
        now = utcnow()
        with self.engine.begin() as connection:
            result = connection.execute(
                sa.update(MediaFile.__table__)
                .where(
                    MediaFile.__table__.c.id == self.lease.media_id,
                    MediaFile.__table__.c.organisation_id == self.lease.organisation_id,
                    MediaFile.__table__.c.status == MediaStatus.PROCESSING.value,
                    MediaFile.__table__.c.lease_token == self.lease.token,
                )
                .values(lease_expires_at=expiry(now))
            )
        return result.rowcount == 1
