"""Delivering webhook events: claim, POST, record; retry with back-off; sweep what is due.

A delivery is POSTed only by the worker that **claimed** it: one committed ``UPDATE … WHERE
state IN (pending and due, claimed)`` moves it to ``sending`` under a fresh token and a lease.
A task that runs twice (a redelivery) finds nothing to take, so a delivered event is never sent
again. The periodic sweep claims due deliveries for tasks (``pending`` → ``claimed``, one
statement, so two sweeps at once never claim the same row) and enqueues one task per row.

The outcome is recorded, guarded by the token, with one attempt row for the log: ``delivered``
on a 2xx; otherwise ``pending`` again after a back-off of 1, 5, 30, 120, 360 and 720 times
``STOOP_WEBHOOK_RETRY_BASE_SECONDS`` (60 s); ``failed`` after :data:`MAX_ATTEMPTS`.

A worker that dies mid-POST leaves its delivery ``sending``; once its lease runs out the sweep
puts it back to ``pending``, so it is sent again: webhooks are at-least-once, and receivers
drop repeats by the ``Stoop-Delivery`` id (docs/webhooks.md).
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from panel.core.config import Settings
from panel.core.db import utcnow
from panel.core.scoping import required_organisation
from panel.webhooks import health, transport
from panel.webhooks.models import DeliveryState, Webhook, WebhookAttempt, WebhookDelivery
from panel.webhooks.signing import signature_header

BACKOFF_STEPS = (1, 5, 30, 120, 360, 720)  # times the retry base: 1 min … 12 h
MAX_ATTEMPTS = len(BACKOFF_STEPS) + 1
USER_AGENT = "Stoop-Webhooks/1"
D = WebhookDelivery.__table__
HOOKS = Webhook.__table__
ATTEMPTS = WebhookAttempt.__table__
CLAIMED_COLUMNS = (D.c.id, D.c.uuid, D.c.webhook_id, D.c.event, D.c.body, D.c.attempts)


@dataclass(frozen=True)
class Claimed:
    """A delivery this worker holds: its row as claimed, and the claim's token."""

    row: Any
    token: str


def backoff(attempts: int, settings: Settings) -> dt.timedelta:
    """How long to wait after ``attempts`` failed attempts."""
    step = BACKOFF_STEPS[min(attempts, len(BACKOFF_STEPS)) - 1]
    return dt.timedelta(seconds=step * settings.webhook_retry_base_seconds)


def lease(settings: Settings) -> dt.timedelta:
    """How long a claim holds: the outbox's lease, and well beyond one attempt's timeout."""
    return dt.timedelta(
        seconds=max(settings.claim_lease_seconds, 3 * settings.webhook_timeout_seconds)
    )


def claim(
    session: Session, delivery_id: int, now: dt.datetime, settings: Settings
) -> Claimed | None:
    """Take a delivery to send it: one that is pending and due, or one the sweep claimed for a
    task; committed. None when it is not there to take (delivered, or another worker's)."""
    token = secrets.token_hex(16)
    waiting = sa.or_(
        sa.and_(D.c.state == DeliveryState.PENDING.value, D.c.next_attempt_at <= now),
        D.c.state == DeliveryState.CLAIMED.value,
    )
    row = session.execute(
        sa.update(D)
        .where(
            D.c.id == delivery_id,
            D.c.organisation_id == required_organisation(session, "Claiming a delivery"),
            waiting,
        )
        .values(
            state=DeliveryState.SENDING.value, claim_token=token, lease_until=now + lease(settings)
        )
        .returning(*CLAIMED_COLUMNS)
    ).one_or_none()
    session.commit()
    return Claimed(row, token) if row is not None else None


def deliver(session: Session, delivery_id: int) -> str | None:
    """Claim one delivery, POST it, record the attempt. Returns the delivery's new state, or
    None when there was nothing to claim. The session is scoped to the delivery's owner."""
    settings: Settings = current_app.config["STOOP"]
    claimed = claim(session, delivery_id, utcnow(), settings)
    if claimed is None:
        return None
    hook = session.execute(
        sa.select(HOOKS.c.url, HOOKS.c.secret, HOOKS.c.is_active).where(
            HOOKS.c.id == claimed.row.webhook_id
        )
    ).one_or_none()
    session.commit()  # no transaction stays open while the receiver thinks
    if hook is None:
        return None  # deleted with its webhook meanwhile
    if not hook.is_active:
        return _finish(session, claimed, DeliveryState.FAILED, last_error=health.SWITCHED_OFF)
    try:
        outcome = transport.post(
            hook.url,
            claimed.row.body.encode("utf-8"),
            _headers(claimed.row, hook.secret),
            strict=settings.webhook_urls_strict,
            timeout=settings.webhook_timeout_seconds,
        )
    except Exception as exc:  # a bug, not the receiver: logged as a failed attempt, then raised
        broken = transport.Outcome(None, f"internal error: {exc!r}"[:500], 0)
        record(session, claimed, broken, utcnow(), settings)
        raise
    return record(session, claimed, outcome, utcnow(), settings)


def _headers(row: Any, secret: str) -> dict[str, str]:
    body = row.body.encode("utf-8")
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Stoop-Event": row.event,
        "Stoop-Delivery": row.uuid,
        "Stoop-Signature": signature_header(secret, body),
    }


def record(
    session: Session,
    claimed: Claimed,
    outcome: transport.Outcome,
    now: dt.datetime,
    settings: Settings,
) -> str:
    """Log the attempt and move the delivery on; the webhook's health follows. Committed."""
    attempts = claimed.row.attempts + 1
    session.execute(
        sa.insert(ATTEMPTS).values(
            organisation_id=required_organisation(session, "Recording a webhook attempt"),
            delivery_id=claimed.row.id,
            attempted_at=now,
            status_code=outcome.status,
            error=outcome.error,
            duration_ms=outcome.duration_ms,
        )
    )
    values = {"attempts": attempts, "last_status": outcome.status, "last_error": outcome.error}
    webhook_id = claimed.row.webhook_id
    if outcome.ok:
        health.record_success(session, webhook_id, now)
        return _finish(session, claimed, DeliveryState.DELIVERED, delivered_at=now, **values)
    gave_up = attempts >= MAX_ATTEMPTS
    still_on = health.record_failure(session, webhook_id, gave_up=gave_up, now=now)
    if gave_up or not still_on:
        return _finish(session, claimed, DeliveryState.FAILED, **values)
    retry_at = now + backoff(attempts, settings)
    return _finish(session, claimed, DeliveryState.PENDING, next_attempt_at=retry_at, **values)


def _finish(session: Session, claimed: Claimed, state: DeliveryState, **values: Any) -> str:
    """Settle the claim (only if it is still ours) and commit; the new state."""
    values.setdefault("next_attempt_at", None)
    session.execute(
        sa.update(D)
        .where(D.c.id == claimed.row.id, D.c.claim_token == claimed.token)
        .values(state=state.value, claim_token=None, lease_until=None, **values)
    )
    session.commit()
    return state.value
