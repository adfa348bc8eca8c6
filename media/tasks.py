"""Media processing tasks."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="media.tasks.reclaim_stalled")
def reclaim_stalled() -> int:
    """Re-queue media stuck in processing (placeholder until media processing lands)."""
    return 0
