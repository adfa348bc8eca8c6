"""Reports' background work: the benchmark across organisations, refreshed periodically.

Safe to run twice, at once too: each organisation's rows are upserts of the same figures."""

from __future__ import annotations

import logging

from celery import shared_task

from panel.core.db import get_session
from panel.reports.benchmark import refresh

log = logging.getLogger(__name__)


@shared_task(name="panel.reports.tasks.refresh_benchmark", acks_late=True)
def refresh_benchmark() -> int:
    """Write the opted-in organisations' index figures for this quarter and the last."""
    written = refresh(get_session())
    log.info("benchmark refreshed: %s figures", written)
    return written
