"""Delivery and inbound tasks: a batch of new rows, a batch the sweep claimed, the periodic
sweep, and handing an inbound message to the registered handler.

They take ids, never objects, scope themselves to the organisation of their rows,
and only call into ``notifications.delivery`` and ``notifications.inbound``, whose functions do
the work and are tested as plain functions. Celery may run any of them more than once (a
redelivery after a worker died, two sweeps at once): claims and leases make that safe.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task

from notifications import delivery, inbound
from notifications.models import DeliveryState, OutboundMessage
from panel.core.db import get_session
from panel.core.scoping import organisation_of, scoped_to


def _counts(outcomes: dict[DeliveryState, int]) -> dict[str, int]:
    return {str(state): count for state, count in outcomes.items()}


@shared_task(name="notifications.tasks.deliver_batch", bind=True, acks_late=True)
def deliver_batch(self: Any, message_ids: list[int]) -> dict[str, int]:
    """Deliver a batch of outbox rows written together (enqueued after their commit)."""
    if not message_ids:
        return {}
    session = get_session()
    organisation_id = organisation_of(session, OutboundMessage, message_ids[0])
    if organisation_id is None:
        return {}  # erased since it was queued
    with scoped_to(session, organisation_id):
        return _counts(delivery.deliver_batch(session, message_ids))


@shared_task(name="notifications.tasks.deliver_message", bind=True, acks_late=True)
def deliver_message(self: Any, message_id: int) -> dict[str, int]:
    """One outbox row (tasks enqueued before batches existed still arrive by this name)."""
    return deliver_batch.run(message_ids=[message_id])


@shared_task(name="notifications.tasks.deliver_claimed", bind=True, acks_late=True)
def deliver_claimed(self: Any, message_ids: list[int]) -> dict[str, int]:
    """Deliver rows the sweep claimed (due retries, rows put back from a dead worker)."""
    if not message_ids:
        return {}
    session = get_session()
    organisation_id = organisation_of(session, OutboundMessage, message_ids[0])
    if organisation_id is None:
        return {}
    with scoped_to(session, organisation_id):
        rows = delivery.claimed_rows(session, message_ids)
        found = delivery.claim_of(rows)
        if found is None:
            return {}  # the lease ran out before this task started; the sweep has them again
        return _counts(delivery.deliver_claimed(session, found, rows))


@shared_task(name="notifications.tasks.deliver_due", bind=True, acks_late=True)
def deliver_due(self: Any) -> int:
    """Every 30 s (beat): settle expired leases, hand what is due to delivery, and retry
    inbound messages no handler has taken yet, so a restart or an outage strands nothing."""
    session = get_session()
    claimed = delivery.deliver_due(session)
    inbound.handle_due(session)
    return claimed


@shared_task(name="notifications.tasks.handle_inbound", bind=True, acks_late=True)
def handle_inbound(self: Any, inbound_id: int) -> bool:
    """Give one stored inbound message to the registered handler (enqueued after the commit
    that stored it)."""
    return inbound.handle(get_session(), inbound_id)
