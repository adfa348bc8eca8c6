"""Webhook tasks: deliver one event (enqueued after the commit that wrote it, or by the sweep),
and the sweep itself, every 30 s.

Both are safe to run twice at once: a delivery is sent only by whoever claimed it
(:mod:`panel.webhooks.delivery`). They take ids, scope themselves to the delivery's
organisation, and leave the work to ``delivery``, tested as plain functions.
"""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from flask import current_app

from panel.core.celery import dispatch
from panel.core.db import get_session, utcnow
from panel.core.scoping import organisation_of, scoped_to
from panel.webhooks import delivery, sweep
from panel.webhooks.models import WebhookDelivery


@shared_task(name="panel.webhooks.tasks.deliver", acks_late=True)
def deliver(webhook_delivery_id: int) -> str | None:
    """Deliver one event to one webhook; its new state (None: nothing to do)."""
    session = get_session()
    organisation_id = organisation_of(session, WebhookDelivery, webhook_delivery_id)
    if organisation_id is None:
        return None  # deleted with its webhook
    with scoped_to(session, organisation_id):
        return delivery.deliver(session, webhook_delivery_id)


@shared_task(name="panel.webhooks.tasks.deliver_due", acks_late=True)
def deliver_due() -> int:
    """Hand due retries (and deliveries whose task was lost) to delivery; forget old ones."""
    session = get_session()
    now = utcnow()
    sweep.expire_leases(session, now)
    session.commit()
    claimed = sweep.claim_due(session, now, current_app.config["STOOP"])
    for delivery_id in claimed:
        dispatch(deliver, delivery_id)
    sweep.prune(session, now - dt.timedelta(days=sweep.KEEP_DAYS))
    return len(claimed)
