"""Touchpoints' periodic job: the funnel counts buffered in Redis go to the database."""

from __future__ import annotations

from celery import shared_task

from panel.core.extensions import db
from touchpoints import counting


@shared_task(name="touchpoints.tasks.flush_funnel", acks_late=True)
def flush_funnel() -> int:
    """Move the funnel counts buffered in Redis into the funnel's table (none without Redis)."""
    return counting.flush(db.session())
