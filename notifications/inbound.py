"""Messages people send us (an SMS, a recorded call, an e-mail reply), and the one registered
handler that turns each into domain work.

Every provider webhook does the same three things through this module: store what arrived
(:func:`receive`, deduplicated by the provider's id, linked to the outbound message it answers),
commit, and let a task give it to the handler (:func:`handle`). Notifications knows nothing of
questions or threads: ``create_app`` registers the handler (:func:`register_handler`), which
runs scoped to the message's organisation in the same transaction that marks the message
handled — a handler that fails leaves the message stored and unhandled, and the periodic sweep
offers it again (:func:`handle_due`), up to :data:`MAX_HANDLE_ATTEMPTS` times.

A new channel plugs in with a route that builds a :class:`Received` and calls :func:`receive`;
nothing else changes (inbound e-mail does: :mod:`notifications.email_inbound`).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from notifications.models import Channel, InboundMessage, OutboundMessage
from panel.core.celery import enqueue_after_commit
from panel.core.db import utcnow
from panel.core.scoping import ALL_ORGS_OPTION, scoped_to

log = logging.getLogger(__name__)

Handler = Callable[[Session, InboundMessage], None]
HANDLER_KEY = "notifications.inbound_handler"
MAX_HANDLE_ATTEMPTS = 5
# The sweep leaves fresh messages to their own task.
SWEEP_AFTER = dt.timedelta(minutes=1)
SWEEP_LIMIT = 100
TABLE = InboundMessage.__table__


@dataclass(frozen=True)
class Received:
    """What a provider delivered, as plain values (built by a webhook)."""

    channel: Channel
    provider: str
    provider_id: str
    sender: str
    recipient: str = ""
    body: str = ""
    payload: dict[str, Any] = field(default_factory=dict)
    raw_mime: bytes | None = None  # an e-mail as it came, for its attachments


def register_handler(app: Flask, handler: Handler) -> None:
    """Make ``handler(session, message)`` the one that turns this app's inbound messages into
    domain work. It runs scoped to the message's organisation; whatever it writes commits with
    the mark that the message was handled, or not at all."""
    app.extensions[HANDLER_KEY] = handler


def store_only(session: Session, message: InboundMessage) -> None:
    """The default handler while no domain takes answers: the message stays stored, handled."""
    log.info("inbound %s message %s kept (no handler acts on it)", message.channel, message.id)


def receive(
    session: Session, received: Received, *, organisation_id: int | None
) -> InboundMessage | None:
    """Store one inbound message (in the caller's transaction) and hand it to the handler
    after commit. Returns None when the provider delivered it before (a retried webhook).

    The message is linked to the last outbound message of the organisation to its sender on
    the same channel: its contact and domain reference, so a reply finds its thread.
    """
    values = {
        "organisation_id": organisation_id,
        "channel": received.channel,
        "provider": received.provider,
        "provider_id": received.provider_id,
        "sender": received.sender,
        "recipient": received.recipient,
        "body": received.body,
        "payload": received.payload,
        "raw_mime": received.raw_mime,
        "received_at": utcnow(),
    }
    if organisation_id is not None:
        values.update(_reply_link(session, organisation_id, received))
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    inbound_id = session.scalar(
        insert(TABLE)
        .values(values)
        .on_conflict_do_nothing(index_elements=["provider", "provider_id"])
        .returning(TABLE.c.id)
    )
    if inbound_id is None:
        return None
    from notifications.tasks import handle_inbound

    enqueue_after_commit(session, handle_inbound, inbound_id)
    return session.get(InboundMessage, inbound_id)


def _reply_link(session: Session, organisation_id: int, received: Received) -> dict[str, Any]:
    row = session.execute(
        sa.select(OutboundMessage.id, OutboundMessage.contact_id, OutboundMessage.ref)
        .where(
            OutboundMessage.organisation_id == organisation_id,
            OutboundMessage.channel == received.channel,
            OutboundMessage.recipient == received.sender,
        )
        .order_by(OutboundMessage.id.desc())
        .limit(1)
        .execution_options(**{ALL_ORGS_OPTION: True})
    ).first()
    if row is None:
        return {}
    return {"in_reply_to_id": row.id, "contact_id": row.contact_id, "ref": row.ref}


def handle(session: Session, inbound_id: int, *, app: Flask | None = None) -> bool:
    """Give one stored, unhandled message to the registered handler. Returns True when it was
    handled now; False when it was handled before (or by someone else), is gone, or the
    handler failed (the message stays for the sweep)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    handler: Handler = app.extensions.get(HANDLER_KEY, store_only)
    # Taking the row is the transaction's first statement: a second worker waits for this
    # one to finish, then finds it handled (on SQLite too: no stale read to upgrade).
    taken = session.execute(
        sa.update(InboundMessage)
        .where(InboundMessage.id == inbound_id, InboundMessage.handled_at.is_(None))
        .values(handle_attempts=InboundMessage.handle_attempts + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not taken:
        session.rollback()
        return False
    message = session.get(InboundMessage, inbound_id, populate_existing=True)
    assert message is not None
    try:
        if message.organisation_id is None:
            message.error = f"no organisation sends from {message.recipient or 'this address'}"
            log.warning("inbound message %s: %s", message.id, message.error)
        else:
            with scoped_to(session, message.organisation_id):
                handler(session, message)
                session.flush()  # what the handler wrote is written in its organisation
                message.error = None
        message.handled_at = utcnow()
        session.commit()
        return True
    except Exception as exc:
        session.rollback()
        log.exception("inbound message %s: the handler failed", inbound_id)
        _record_failure(session, inbound_id, exc)
        return False


def _record_failure(session: Session, inbound_id: int, exc: Exception) -> None:
    session.execute(
        sa.update(InboundMessage)
        .where(InboundMessage.id == inbound_id, InboundMessage.handled_at.is_(None))
        .values(handle_attempts=InboundMessage.handle_attempts + 1, error=f"handler: {exc!r}")
        .execution_options(synchronize_session=False)
    )
    session.commit()


def handle_due(session: Session, *, now: dt.datetime | None = None) -> int:
    """Offer unhandled messages (their task was lost, or the handler failed) to the handler
    again, oldest first; returns how many were handled now."""
    now = now or utcnow()
    ids = session.scalars(
        sa.select(InboundMessage.id)
        .where(
            InboundMessage.handled_at.is_(None),
            InboundMessage.handle_attempts < MAX_HANDLE_ATTEMPTS,
            InboundMessage.received_at < now - SWEEP_AFTER,
        )
        .order_by(InboundMessage.id)
        .limit(SWEEP_LIMIT)
    ).all()
    session.commit()
    return sum(handle(session, inbound_id) for inbound_id in ids)
