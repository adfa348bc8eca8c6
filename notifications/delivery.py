"""Delivering outbox rows at most once: claim, hand over, record.

Celery redelivers a task whose worker died, and a periodic sweep picks up whatever is due, so
the same row can be offered to delivery more than once. Only our own state makes a message go
out at most once:

1. **claim** — one ``UPDATE ... WHERE state='queued'`` moves the row to ``sending`` with a fresh
   claim token, committed on its own before anything is sent; whoever does not get the row
   does nothing;
2. **hand over** to the channel (SMTP, Twilio, the outbox folder);
3. **record** the outcome, guarded by the claim token: ``sent`` with the provider's id; back to
   ``queued`` with a back-off after a transient failure (``failed`` after the last attempt);
   ``failed`` with the reason after a permanent one; ``unknown`` when the hand-over broke
   half-way.

A row still ``sending`` long after its claim belongs to a worker that died mid-send: its fate
cannot be known, so :func:`give_up_on_stale_claims` marks it ``unknown`` and it is never resent
automatically.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from notifications.channels import channel_for
from notifications.channels.base import (
    PermanentDeliveryError,
    TransientDeliveryError,
    UncertainDeliveryError,
)
from notifications.models import DeliveryState, OutboundMessage
from panel.core.config import Settings
from panel.core.db import utcnow
from panel.core.scoping import all_organisations, scoped_to

log = logging.getLogger(__name__)

# Seconds to wait after the 1st, 2nd, ... failed attempt; the last value repeats.
BACKOFF_SECONDS = (30, 120, 600, 1800, 3600)
MAX_ATTEMPTS = 6
# Far longer than any hand-over can take (SMTP and Twilio calls time out after 10 s).
STALE_CLAIM_AFTER = dt.timedelta(minutes=10)
DUE_BATCH = 100
# Transient failures of one channel in one sweep before the sweep leaves that channel alone.
SWEEP_FAILURES_PER_CHANNEL = 3


def backoff(attempts: int) -> dt.timedelta:
    """How long to wait before the next attempt after ``attempts`` failed ones."""
    index = min(max(attempts, 1), len(BACKOFF_SECONDS)) - 1
    return dt.timedelta(seconds=BACKOFF_SECONDS[index])


def claim(session: Session, message_id: int, now: dt.datetime) -> str | None:
    """Claim a due, queued row for delivery in its own committed step.

    Returns the claim token, or None when the row is not queued, not due, or was claimed by
    someone else first. One statement, so it is safe on PostgreSQL and SQLite alike.
    """
    token = secrets.token_hex(16)
    result = session.execute(
        sa.update(OutboundMessage)
        .where(
            OutboundMessage.id == message_id,
            OutboundMessage.state == DeliveryState.QUEUED,
            sa.or_(
                OutboundMessage.next_attempt_at.is_(None),
                OutboundMessage.next_attempt_at <= now,
            ),
        )
        .values(
            state=DeliveryState.SENDING,
            claim_token=token,
            claimed_at=now,
            attempts=OutboundMessage.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return token if result.rowcount == 1 else None


def deliver(
    session: Session,
    message_id: int,
    *,
    now: dt.datetime | None = None,
    settings: Settings | None = None,
) -> DeliveryState | None:
    """Deliver one outbox row if it is queued and due. Returns its new state, or None when
    there was nothing to do (already sent, not due, claimed by another worker, gone)."""
    now = now or utcnow()
    settings = settings or current_app.config["STOOP"]
    token = claim(session, message_id, now)
    if token is None:
        return None
    message = session.get(OutboundMessage, message_id, populate_existing=True)
    # End the read before the (slow) hand-over: on SQLite a transaction that read before
    # another writer committed cannot write afterwards ("database is locked").
    session.commit()
    if message is None:  # deleted between claim and read (an erasure)
        return None
    try:
        receipt = channel_for(message, settings).send(message, settings)
    except TransientDeliveryError as exc:
        return _record(session, message, token, **_retry_or_give_up(message, exc.reason, now))
    except PermanentDeliveryError as exc:
        return _record(session, message, token, state=DeliveryState.FAILED, error=exc.reason)
    except UncertainDeliveryError as exc:
        return _record(session, message, token, state=DeliveryState.UNKNOWN, error=exc.reason)
    except Exception as exc:
        # A bug, not a provider answer: the hand-over may have happened, so never resend.
        _record(session, message, token, state=DeliveryState.UNKNOWN, error=f"internal: {exc!r}")
        raise
    return _record(
        session,
        message,
        token,
        state=DeliveryState.SENT,
        provider=receipt.provider,
        provider_id=receipt.provider_id,
        sent_at=now,
        status_at=now,
        error=None,
    )


def _retry_or_give_up(message: OutboundMessage, reason: str, now: dt.datetime) -> dict[str, Any]:
    if message.attempts >= MAX_ATTEMPTS:
        return {
            "state": DeliveryState.FAILED,
            "error": f"gave up after {message.attempts} attempts: {reason}",
        }
    return {
        "state": DeliveryState.QUEUED,
        "next_attempt_at": now + backoff(message.attempts),
        "claim_token": None,
        "error": reason,
    }


def _record(
    session: Session, message: OutboundMessage, token: str, **values: Any
) -> DeliveryState | None:
    """Store a delivery outcome, only while our claim still holds the row."""
    result = session.execute(
        sa.update(OutboundMessage)
        .where(
            OutboundMessage.id == message.id,
            OutboundMessage.claim_token == token,
            OutboundMessage.state.in_([DeliveryState.SENDING, DeliveryState.UNKNOWN]),
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    state: DeliveryState = values["state"]
    if result.rowcount != 1:
        log.warning("outbound message %s: claim lost before recording %s", message.id, state)
        return None
    log.info(
        "outbound message %s (%s) %s",
        message.id,
        message.channel,
        state,
        extra={"message_id": message.id, "state": str(state), "error": values.get("error")},
    )
    return state


def give_up_on_stale_claims(session: Session, now: dt.datetime) -> int:
    """Mark rows stuck in ``sending`` since before the cutoff as ``unknown``, in every
    organisation; returns how many."""
    with all_organisations(session):
        result = session.execute(
            sa.update(OutboundMessage)
            .where(
                OutboundMessage.state == DeliveryState.SENDING,
                OutboundMessage.claimed_at < now - STALE_CLAIM_AFTER,
            )
            .values(
                state=DeliveryState.UNKNOWN,
                error="the delivery was interrupted; it may or may not have reached the recipient",
            )
            .execution_options(synchronize_session=False)
        )
    session.commit()
    if result.rowcount:
        log.warning("%s outbound messages were interrupted mid-send: now unknown", result.rowcount)
    return result.rowcount


def due_message_ids(session: Session, now: dt.datetime, limit: int = DUE_BATCH) -> list[Any]:
    """(id, channel, organisation_id) of queued rows whose next attempt is due, oldest first,
    in every organisation."""
    rows = session.execute(
        sa.select(OutboundMessage.id, OutboundMessage.channel, OutboundMessage.organisation_id)
        .where(
            OutboundMessage.state == DeliveryState.QUEUED,
            sa.or_(
                OutboundMessage.next_attempt_at.is_(None),
                OutboundMessage.next_attempt_at <= now,
            ),
        )
        .order_by(OutboundMessage.id)
        .limit(limit)
        .execution_options(all_organisations=True)
    ).all()
    session.commit()
    return list(rows)


def deliver_due(session: Session, *, now: dt.datetime | None = None, limit: int = DUE_BATCH) -> int:
    """The periodic sweep: give up on stale claims, then deliver what is due. Safe to run
    twice at once (the claim decides). Returns how many messages were sent."""
    now = now or utcnow()
    give_up_on_stale_claims(session, now)
    failures: dict[str, int] = {}
    sent = 0
    for message_id, channel, organisation_id in due_message_ids(session, now, limit):
        # A channel that keeps failing (SMTP down) is left for the next sweep instead of
        # waiting out a timeout for every row of the batch.
        if failures.get(channel, 0) >= SWEEP_FAILURES_PER_CHANNEL:
            continue
        with scoped_to(session, organisation_id):
            state = deliver(session, message_id, now=now)
        if state == DeliveryState.QUEUED:
            failures[channel] = failures.get(channel, 0) + 1
        elif state == DeliveryState.SENT:
            sent += 1
    return sent
