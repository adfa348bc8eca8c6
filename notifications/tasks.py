"""Delivery tasks for the outbox: one message, and the periodic sweep.

Both take ids, never objects, and only call into ``notifications.delivery``, whose functions
do the work and are tested as plain functions. Celery may run either more than once (a
redelivery after a worker died, two sweeps at once): the claim in ``delivery`` makes that safe.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task

from notifications import delivery
from notifications.models import OutboundMessage
from panel.core.db import get_session
from panel.core.scoping import organisation_of, scoped_to


@shared_task(name="notifications.tasks.deliver_message", bind=True, acks_late=True)
def deliver_message(self: Any, message_id: int) -> str | None:
    """Deliver one outbox row (enqueued after the commit that wrote it)."""
    session = get_session()
    organisation_id = organisation_of(session, OutboundMessage, message_id)
    if organisation_id is None:
        return None  # erased since it was queued
    with scoped_to(session, organisation_id):
        state = delivery.deliver(session, message_id)
    return str(state) if state else None


@shared_task(name="notifications.tasks.deliver_due", bind=True, acks_late=True)
def deliver_due(self: Any) -> int:
    """Every 30 s (beat): retry what is due and mark interrupted sends ``unknown``, so a restart
    or an outage never strands a message."""
    return delivery.deliver_due(get_session())
