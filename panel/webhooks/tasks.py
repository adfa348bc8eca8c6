"""Webhook tasks: deliver one event (enqueued after the commit that wrote it, or by the sweep),
and the sweep itself, every 30 s.

Both are safe to run twice at once: a delivery is sent only by whoever claimed it
(:mod:`panel.webhooks.delivery`). They take ids, scope themselves to the delivery's
organisation, and leave the work to ``delivery``, tested as plain functions.
"""

from __future__ import annotations

import datetime as dt
import logging

import sqlalchemy as sa
from celery import shared_task
from flask import current_app

from panel.core.celery import dispatch
from panel.core.db import get_session, utcnow
from panel.core.scoping import all_organisations, organisation_of, scoped_to
from panel.webhooks import delivery
from panel.webhooks.models import DeliveryState, WebhookDelivery

log = logging.getLogger(__name__)

KEEP_DAYS = 30  # settled deliveries and their attempts are kept this long for the log
PRUNE_BATCH = 5000


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
    delivery.expire_leases(session, now)
    session.commit()
    claimed = delivery.claim_due(session, now, current_app.config["STOOP"])
    for delivery_id in claimed:
        dispatch(deliver, delivery_id)
    prune(session, now - dt.timedelta(days=KEEP_DAYS))
    return len(claimed)


def prune(session: sa.orm.Session, before: dt.datetime) -> int:
    """Delete settled deliveries made before ``before`` (their attempts go with them)."""
    table = WebhookDelivery.__table__
    old = (
        sa.select(table.c.id)
        .where(
            table.c.state.in_([DeliveryState.DELIVERED.value, DeliveryState.FAILED.value]),
            table.c.created_at < before,
        )
        .limit(PRUNE_BATCH)
    )
    with all_organisations(session):
        deleted = session.execute(
            sa.delete(table).where(table.c.id.in_(old.scalar_subquery()))
        ).rowcount
    session.commit()
    if deleted:
        log.info("deleted %s webhook deliveries older than %s days", deleted, KEEP_DAYS)
    return deleted
