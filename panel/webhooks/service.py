"""Webhooks: registering them, and :func:`emit`, the one call that sends an event to them.

``emit(session, organisation_id, event, data)`` is called by the room where the event happens,
in its own transaction: it writes one delivery per active webhook of the organisation that
subscribed to ``event``, and the deliveries start once that transaction commits. Nothing is
sent for work that rolls back, and a broker outage only delays them (the periodic sweep finds
them). ``data`` is plain JSON; datetimes are written in ISO 8601.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from panel.core.celery import enqueue_after_commit
from panel.core.db import utcnow
from panel.core.errors import Conflict, NotFound, ValidationError
from panel.core.i18n import lazy_text as _l
from panel.core.scoping import ALL_ORGS_OPTION
from panel.privacy import audit
from panel.webhooks import health, tasks
from panel.webhooks.events import EVENTS
from panel.webhooks.guard import UnsafeUrl, check_url
from panel.webhooks.models import DeliveryState, DisabledReason, Webhook, WebhookDelivery
from panel.webhooks.signing import new_secret

MAX_WEBHOOKS = 20  # per organisation: every event is written once per webhook
MAX_DESCRIPTION = 200
DELIVERIES = WebhookDelivery.__table__
HOOKS = Webhook.__table__
# Built once, filtered by organisation itself (not by the session's scope, whose criteria cost
# more than the query): emit runs with every answer, in whatever session records it.
ACTIVE_HOOKS = (
    sa.select(HOOKS.c.id, HOOKS.c.events)
    .where(HOOKS.c.organisation_id == sa.bindparam("organisation_id"), HOOKS.c.is_active.is_(True))
    .execution_options(**{ALL_ORGS_OPTION: True})
)


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON: give webhooks plain values")


def encode(payload: Mapping[str, Any]) -> str:
    """The body of a delivery: compact JSON, UTF-8 text as it is."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=_json_value)


def emit(
    session: Session,
    organisation_id: int,
    event: str,
    data: Mapping[str, Any],
    *,
    now: dt.datetime | None = None,
) -> None:
    """Queue ``event`` with ``data`` for every active webhook of the organisation that wants
    it, in the caller's transaction; each delivery starts after the commit."""
    if event not in EVENTS:
        raise ValueError(f"unknown webhook event {event!r}; add it to panel.webhooks.events")
    wanted = session.execute(ACTIVE_HOOKS, {"organisation_id": organisation_id}).all()
    targets = [webhook_id for webhook_id, events in wanted if event in (events or ())]
    if not targets:
        return
    now = now or utcnow()
    rows = []
    for webhook_id in targets:
        delivery = str(uuid.uuid4())
        body = {"id": delivery, "event": event, "created_at": now, "data": data}
        rows.append(
            {
                "organisation_id": organisation_id,
                "uuid": delivery,
                "webhook_id": webhook_id,
                "event": event,
                "body": encode(body),
                "state": DeliveryState.PENDING.value,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
        )
    ids = session.scalars(sa.insert(DELIVERIES).returning(DELIVERIES.c.id), rows).all()
    for delivery_id in ids:
        enqueue_after_commit(session, tasks.deliver, delivery_id)


# --- registering webhooks ----------------------------------------------------------------------


def _invalid(field: str, message: Any) -> ValidationError:
    return ValidationError(message, details={field: [message]})


def clean_url(url: Any) -> str:
    """A webhook address this installation may send to (UnsafeUrl, 422, saying why not)."""
    strict = current_app.config["STOOP"].webhook_urls_strict
    try:
        return check_url((url or "").strip() if isinstance(url, str) else "", strict=strict)
    except UnsafeUrl as exc:
        exc.details = {"url": [exc.text]}
        raise


def clean_events(events: Any) -> list[str]:
    """The events asked for: at least one, each known and named once."""
    if not isinstance(events, list | tuple) or not events:
        raise _invalid("events", _l("Choose at least one event."))
    for event in events:
        if event not in EVENTS:
            raise _invalid("events", _l("Unknown event %(event)s.", event=str(event)[:40]))
    if len(set(events)) != len(events):
        raise _invalid("events", _l("Name each event once."))
    return list(events)


def clean_description(description: Any) -> str:
    text = " ".join(str(description or "").split())
    if len(text) > MAX_DESCRIPTION or "\x00" in text:
        raise _invalid(
            "description", _l("Describe it in at most %(max)s characters.", max=MAX_DESCRIPTION)
        )
    return text


def get_webhook(session: Session, webhook_id: Any) -> Webhook:
    """One of the organisation's webhooks (the session is scoped), or NotFound."""
    webhook = session.get(Webhook, webhook_id) if isinstance(webhook_id, int) else None
    if webhook is None:
        raise NotFound(_l("There is no such webhook."))
    return webhook


def create_webhook(
    session: Session, user: Any, *, url: Any, events: Any, description: Any = ""
) -> tuple[Webhook, str]:
    """Register a webhook; returns it and its signing secret (shown once, then never again)."""
    webhook = Webhook(
        url=clean_url(url),
        events=clean_events(events),
        description=clean_description(description),
        secret=new_secret(),
        created_by_id=user.id,
    )
    count = session.scalar(sa.select(sa.func.count(Webhook.id)))
    if (count or 0) >= MAX_WEBHOOKS:
        raise Conflict(
            _l("An organisation can have at most %(max)s webhooks.", max=MAX_WEBHOOKS),
            code="too_many_webhooks",
        )
    session.add(webhook)
    session.flush()
    audit.record(session, "webhook.create", target_type="webhook", target_id=webhook.id)
    return webhook, webhook.secret


def update_webhook(session: Session, webhook: Webhook, changes: Mapping[str, Any]) -> None:
    """Change the address, events or description; ``active`` switches it on or off."""
    if "url" in changes:
        webhook.url = clean_url(changes["url"])
    if "events" in changes:
        webhook.events = clean_events(changes["events"])
    if "description" in changes:
        webhook.description = clean_description(changes["description"])
    session.flush()  # switching off is a statement of its own, and reloads the row
    if changes.get("active") is True and not webhook.is_active:
        health.switch_on(session, webhook)
    elif changes.get("active") is False and webhook.is_active:
        health.disable(session, webhook.id, DisabledReason.BY_ADMIN, utcnow())
        session.refresh(webhook)


def delete_webhook(session: Session, webhook: Webhook) -> None:
    """Delete a webhook and its delivery log."""
    audit.record(
        session,
        "webhook.delete",
        target_type="webhook",
        target_id=webhook.id,
        organisation_id=webhook.organisation_id,
    )
    session.delete(webhook)
