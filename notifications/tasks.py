"""Delivery tasks for the outbox."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="notifications.tasks.deliver_due")
def deliver_due() -> int:
    """Deliver every queued message that is due (placeholder until the outbox lands)."""
    return 0
