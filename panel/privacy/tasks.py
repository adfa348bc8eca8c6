"""Privacy's periodic work: retention (:mod:`panel.privacy.retention`), daily; safe to run
twice at once."""

from __future__ import annotations

from celery import shared_task

from panel.core.extensions import db
from panel.privacy import retention


@shared_task(name="panel.privacy.tasks.apply_retention", acks_late=True)
def apply_retention() -> int:
    """Delete what every organisation keeps no longer; how many things went in all."""
    done = retention.apply_retention(db.session())
    return sum(sum(counts.values()) for counts in done.values())
