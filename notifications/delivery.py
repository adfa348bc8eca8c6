"""Delivering outbox rows in batches, each at most once: claim, then per row mark, hand over,
record.

Celery redelivers a task whose worker died, and a periodic sweep picks up whatever is due, so
the same row can be offered to delivery more than once. Only our own state makes a message go
out at most once:

1. **claim** — one ``UPDATE … WHERE state='queued' … RETURNING`` moves a batch of rows to
   ``claimed`` under a fresh claim token and a **lease** (``lease_until``), committed before
   anything is sent. Whoever does not get a row does nothing with it. The worker renews the
   lease while it works through the batch.
2. per row, one commit records the previous row's outcome **and** marks this row ``sending``
   (guarded by the claim token): the one database round trip per message the guarantee needs
   (``notifications.steps``). Then the row is **handed over** to the channel, which keeps one
   SMTP connection for the whole batch.
3. the outcome is recorded with the next row's mark (or on its own after the last row):
   ``sent`` with the provider's id; back to ``queued`` with a back-off after a transient
   failure (``failed`` after the last attempt); ``failed`` after a permanent one; ``unknown``
   when the hand-over broke half-way.

A worker that dies leaves its batch behind with a lease nobody renews. Once it has expired,
:func:`expire_leases` (run by the periodic sweep) puts the rows it never started back to
``queued`` — any worker delivers them — and marks the one row it was handing over ``unknown``:
its fate cannot be known, so it is shown to staff and never resent automatically. So a killed
worker leaves at most one unknown row per thread.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from notifications import optouts, throttle
from notifications.channels import open_channel
from notifications.channels.base import (
    DeliveryChannel,
    DeliveryError,
    Message,
    PermanentDeliveryError,
    TransientDeliveryError,
    UncertainDeliveryError,
)
from notifications.models import Channel, DeliveryState, OutboundMessage, leased, queued
from notifications.senders import sender_identity
from notifications.steps import BatchSteps
from panel.core.celery import dispatch
from panel.core.config import Settings
from panel.core.db import utcnow
from panel.core.scoping import (
    UnscopedAccessError,
    all_organisations,
    current_organisation_id,
    scoped_to,
)

log = logging.getLogger(__name__)

# Seconds to wait after the 1st, 2nd, ... failed attempt; the last value repeats.
BACKOFF_SECONDS = (30, 120, 600, 1800, 3600)
MAX_ATTEMPTS = 6
# Rows the sweep hands to delivery per run, and per delivery task.
DUE_LIMIT = 2000
DUE_BATCH = 100
# Transient failures in one batch before the rest of it is put back for later (SMTP is down:
# no point in waiting out a timeout for every row).
TRANSIENT_FAILURES_PER_BATCH = 3
OPTED_OUT = "not sent: the recipient opted out of this channel after the message was queued"
INTERRUPTED = "the delivery was interrupted; it may or may not have reached the recipient"
T = OutboundMessage
TABLE = OutboundMessage.__table__
# What delivering a message reads of its row (see channels.base.Message).
MESSAGE_COLUMNS = tuple(
    TABLE.c[name]
    for name in (
        "id",
        "organisation_id",
        "channel",
        "recipient",
        "language",
        "subject",
        "body_text",
        "body_html",
        "headers",
        "attempts",
        "contact_id",
        "list_key",
    )
)


@dataclass(frozen=True)
class Claim:
    """A batch of rows of one organisation leased to one worker: its token and its lease."""

    token: str
    organisation_id: int
    lease: dt.timedelta
    lease_until: dt.datetime


def backoff(attempts: int) -> dt.timedelta:
    """How long to wait before the next attempt after ``attempts`` failed ones."""
    index = min(max(attempts, 1), len(BACKOFF_SECONDS)) - 1
    return dt.timedelta(seconds=BACKOFF_SECONDS[index])


def lease_length(settings: Settings) -> dt.timedelta:
    """How long a claim holds without renewal (``STOOP_CLAIM_LEASE_SECONDS``)."""
    return dt.timedelta(seconds=settings.claim_lease_seconds)


def _due(now: dt.datetime) -> Any:
    return sa.or_(T.next_attempt_at.is_(None), T.next_attempt_at <= now)


def _scope(session: Session) -> int:
    organisation_id = current_organisation_id(session)
    if organisation_id is None:
        raise UnscopedAccessError("delivering outbox rows needs a session scoped to their owner")
    return organisation_id


def claim(
    session: Session, ids: Sequence[int], *, now: dt.datetime, lease: dt.timedelta
) -> tuple[Claim | None, list[Message]]:
    """Claim the rows of ``ids`` that are queued and due, in one committed statement that
    also reads them back (plain rows: loading ORM objects cost more than the claim).

    The session must be scoped to one organisation (rows of another are left alone). Returns
    the claim and its rows in id order, or ``(None, [])`` when there was nothing to claim.
    """
    organisation_id = _scope(session)
    token = secrets.token_hex(16)
    until = now + lease
    rows = session.execute(
        sa.update(TABLE)
        .where(
            TABLE.c.organisation_id == organisation_id,
            TABLE.c.id.in_(list(ids)),
            TABLE.c.state == DeliveryState.QUEUED,
            sa.or_(TABLE.c.next_attempt_at.is_(None), TABLE.c.next_attempt_at <= now),
        )
        .values(state=DeliveryState.CLAIMED, claim_token=token, claimed_at=now, lease_until=until)
        .returning(*MESSAGE_COLUMNS)
    ).all()
    session.commit()
    if not rows:
        return None, []
    ordered: list[Message] = sorted(rows, key=lambda row: row.id)
    return Claim(token, organisation_id, lease, until), ordered


def claimed_rows(session: Session, ids: Sequence[int]) -> list[Any]:
    """The rows of ``ids`` still waiting under the claim the sweep made for them (the first
    row's claim: a row claimed since by another worker is not ours to deliver)."""
    rows = session.execute(
        sa.select(*MESSAGE_COLUMNS, TABLE.c.claim_token, TABLE.c.lease_until)
        .where(
            TABLE.c.organisation_id == _scope(session),
            TABLE.c.id.in_(list(ids)),
            TABLE.c.state == DeliveryState.CLAIMED,
        )
        .order_by(TABLE.c.id)
    ).all()
    session.commit()
    token = rows[0].claim_token if rows else None
    return [row for row in rows if row.claim_token == token]


def claim_of(rows: Sequence[Any], settings: Settings | None = None) -> Claim | None:
    """The claim ``rows`` were taken under (as found by :func:`claimed_rows`), or None."""
    if not rows:
        return None
    settings = settings or current_app.config["STOOP"]
    until = min(row.lease_until or utcnow() for row in rows)
    return Claim(rows[0].claim_token, rows[0].organisation_id, lease_length(settings), until)


def deliver_batch(
    session: Session,
    ids: Sequence[int],
    *,
    now: dt.datetime | None = None,
    settings: Settings | None = None,
) -> dict[DeliveryState, int]:
    """Claim the queued, due rows of ``ids`` and deliver them over one channel connection.
    Returns how many rows ended in each state."""
    settings = settings or current_app.config["STOOP"]
    found, rows = claim(session, ids, now=now or utcnow(), lease=lease_length(settings))
    if found is None:
        return {}
    return deliver_claimed(session, found, rows, settings=settings)


def deliver_claimed(
    session: Session,
    found: Claim,
    rows: Sequence[Message],
    *,
    settings: Settings | None = None,
) -> dict[DeliveryState, int]:
    """Deliver the rows of a claim one by one, over one connection per channel; whatever is
    left when the batch stops early (a bug) goes back to ``queued``, and so do the rows of a
    channel that keeps failing (after a back-off)."""
    settings = settings or current_app.config["STOOP"]
    outcomes: dict[DeliveryState, int] = {}
    rows, suppressed = suppress_opted_out(session, found, rows)
    if suppressed:
        outcomes[DeliveryState.SUPPRESSED] = suppressed
    sender = sender_identity(session, found.organisation_id, settings)
    session.commit()  # end the read: on SQLite a stale read could not write later
    run = BatchSteps(
        session,
        organisation_id=found.organisation_id,
        token=found.token,
        lease=found.lease,
        lease_until=found.lease_until,
    )
    channels: dict[Channel, DeliveryChannel] = {}
    failures: dict[Channel, int] = {}
    every = throttle.interval(settings)
    clock: throttle.SlotClock | None = None
    try:
        for row in rows:
            if failures.get(row.channel, 0) >= TRANSIENT_FAILURES_PER_BATCH:
                continue  # left claimed, put back with a back-off at the end
            if row.channel not in channels:
                channels[row.channel] = _open(row.channel, settings, sender)
            paced_by = getattr(channels[row.channel], "paced_by", None)
            if paced_by and every > 0:
                # Before the mark: a worker killed while it waits leaves the row unstarted.
                clock = clock or throttle.slot_clock(settings, *_slot_bind(session))
                throttle.wait_for_slot(clock, paced_by, every, renew=run.renew)
            if not run.mark(row):
                continue  # lost: erased, or our lease ran out and another worker has it
            values = _hand_over(channels[row.channel], row)
            run.pending = (row, values)
            state = values["state"]
            outcomes[state] = outcomes.get(state, 0) + 1
            if state == DeliveryState.QUEUED:
                failures[row.channel] = failures.get(row.channel, 0) + 1
            if "internal" in values:
                raise values.pop("internal")
    finally:
        for channel in channels.values():
            channel.close()
        failing = any(n >= TRANSIENT_FAILURES_PER_BATCH for n in failures.values())
        run.finish(
            unstarted=len(rows) - run.started,
            next_attempt_at=utcnow() + backoff(1) if failing else None,
        )
    return outcomes


def suppress_opted_out(
    session: Session, found: Claim, rows: Sequence[Message]
) -> tuple[list[Message], int]:
    """Settle the bulk rows of the claim whose recipient opted out since they were queued (a
    STOP in the middle of a send) as ``suppressed``, in one committed statement: they are never
    handed over. Returns the rows left to deliver and how many were suppressed."""
    bulk = [row for row in rows if getattr(row, "list_key", None)]
    if not bulk:
        return list(rows), 0
    held = {
        channel: optouts.suppressed(session, found.organisation_id, channel)
        for channel in {row.channel for row in bulk}
        if channel in optouts.BULK_CHANNELS
    }
    ids = [
        row.id
        for row in bulk
        if row.channel in held and held[row.channel].holds(row.contact_id, row.recipient)
    ]
    if not ids:
        session.commit()
        return list(rows), 0
    done = set(
        session.scalars(
            sa.update(TABLE)
            .where(
                TABLE.c.organisation_id == found.organisation_id,
                TABLE.c.claim_token == found.token,
                TABLE.c.state == DeliveryState.CLAIMED,
                TABLE.c.id.in_(ids),
            )
            .values(
                state=DeliveryState.SUPPRESSED,
                lease_until=None,
                status_at=utcnow(),
                error=OPTED_OUT,
            )
            .returning(TABLE.c.id)
        )
    )
    session.commit()
    log.info("%s outbound bulk messages suppressed: their recipients opted out", len(done))
    return [row for row in rows if row.id not in done], len(done)


def _slot_bind(session: Session) -> tuple[Any, Any]:
    """Where SMS slots are claimed without Redis: short connections of the engine, or the
    session's one connection (tests' outer transaction), committed through the session."""
    bind = session.get_bind()
    return (bind, None) if isinstance(bind, sa.Engine) else (session.connection(), session.commit)


def _open(channel: Channel, settings: Settings, sender: Any) -> DeliveryChannel:
    try:
        return open_channel(channel, settings, sender)
    except DeliveryError as exc:
        return _Refusing(exc)


class _Refusing:
    """A channel Stoop cannot deliver on: every message fails with the same reason."""

    name = "none"

    def __init__(self, error: DeliveryError) -> None:
        self.error = error

    def send(self, message: Message) -> Any:
        raise PermanentDeliveryError(self.error.reason)

    def close(self) -> None:
        """Nothing to let go of."""


def _hand_over(channel: DeliveryChannel, row: Message) -> dict[str, Any]:
    """Give one marked row to the channel; the values to record for it."""
    now = utcnow()
    attempt = row.attempts + 1
    try:
        receipt = channel.send(row)
    except TransientDeliveryError as exc:
        return _retry_or_give_up(attempt, exc.reason, now)
    except PermanentDeliveryError as exc:
        return _finished(DeliveryState.FAILED, error=exc.reason)
    except UncertainDeliveryError as exc:
        return _finished(DeliveryState.UNKNOWN, error=exc.reason)
    except DeliveryError as exc:
        return _finished(DeliveryState.UNKNOWN, error=exc.reason)
    except Exception as exc:  # noqa: BLE001 - recorded as unknown, then raised again
        # A bug, not a provider answer: the hand-over may have happened, so never resend.
        values = _finished(DeliveryState.UNKNOWN, error=f"internal: {exc!r}")
        values["internal"] = exc
        return values
    return _finished(
        DeliveryState.SENT,
        provider=receipt.provider,
        provider_id=receipt.provider_id,
        sent_at=now,
        status_at=now,
        error=None,
    )


def _finished(state: DeliveryState, **values: Any) -> dict[str, Any]:
    return {"state": state, **values}


def _retry_or_give_up(attempt: int, reason: str, now: dt.datetime) -> dict[str, Any]:
    if attempt >= MAX_ATTEMPTS:
        return _finished(DeliveryState.FAILED, error=f"gave up after {attempt} attempts: {reason}")
    return _finished(
        DeliveryState.QUEUED,
        next_attempt_at=now + backoff(attempt),
        claim_token=None,
        error=reason,
    )


def expire_leases(session: Session, now: dt.datetime) -> tuple[int, int]:
    """Settle the batches of workers that stopped renewing their lease, in every organisation:
    rows never started go back to ``queued``; a row that was being handed over becomes
    ``unknown``. Returns (requeued, unknown)."""
    expired = sa.and_(T.lease_until.is_not(None), T.lease_until < now)
    with all_organisations(session):
        requeued = session.execute(
            sa.update(T)
            .where(leased(), T.state == DeliveryState.CLAIMED, expired)
            .values(state=DeliveryState.QUEUED, claim_token=None, lease_until=None)
            .execution_options(synchronize_session=False)
        ).rowcount
        # The claim token stays: should the worker come back after all, it still records
        # what really happened.
        unknown = session.execute(
            sa.update(T)
            .where(leased(), T.state == DeliveryState.SENDING, expired)
            .values(state=DeliveryState.UNKNOWN, lease_until=None, error=INTERRUPTED)
            .execution_options(synchronize_session=False)
        ).rowcount
    session.commit()
    if requeued or unknown:
        log.warning(
            "expired delivery leases: %s outbound messages back in the queue, %s now unknown",
            requeued,
            unknown,
        )
    return requeued, unknown


def due_groups(
    session: Session, now: dt.datetime, limit: int = DUE_LIMIT
) -> list[tuple[int, Channel, list[int]]]:
    """Queued rows whose next attempt is due, in every organisation, oldest first: as
    (organisation, channel, ids) groups of at most :data:`DUE_BATCH`."""
    rows = session.execute(
        sa.select(T.id, T.organisation_id, T.channel)
        .where(queued(), _due(now))
        .order_by(T.id)
        .limit(limit)
        .execution_options(all_organisations=True)
    ).all()
    session.commit()
    groups: dict[tuple[int, Channel], list[int]] = {}
    for message_id, organisation_id, channel in rows:
        groups.setdefault((organisation_id, channel), []).append(message_id)
    return [
        (organisation_id, channel, ids[start : start + DUE_BATCH])
        for (organisation_id, channel), ids in groups.items()
        for start in range(0, len(ids), DUE_BATCH)
    ]


def deliver_due(session: Session, *, now: dt.datetime | None = None, limit: int = DUE_LIMIT) -> int:
    """The periodic sweep: settle expired leases, then claim what is due (retries, rows whose
    task was lost, rows put back from a dead worker's batch) and hand each claimed batch to a
    delivery task. Safe to run twice at once (the claim decides). Returns how many rows it
    claimed."""
    from notifications.tasks import deliver_claimed as deliver_claimed_task

    now = now or utcnow()
    settings: Settings = current_app.config["STOOP"]
    expire_leases(session, now)
    claimed = 0
    for organisation_id, _channel, ids in due_groups(session, now, limit):
        with scoped_to(session, organisation_id):
            found, rows = claim(session, ids, now=now, lease=lease_length(settings))
        if found is not None:
            claimed += len(rows)
            dispatch(deliver_claimed_task, [row.id for row in rows])
    return claimed
