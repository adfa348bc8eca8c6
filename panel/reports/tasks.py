"""Reports' background work: the benchmark across organisations, refreshed periodically, and
the answers' rollup merged.

Safe to run twice, at once too: each organisation's benchmark rows are upserts of the same
figures; a second merge of the rollup finds it locked or nothing left to merge."""

from __future__ import annotations

import logging

from celery import shared_task

from panel.core.db import get_session
from panel.reports import rollup
from panel.reports.benchmark import refresh

log = logging.getLogger(__name__)


@shared_task(name="panel.reports.tasks.refresh_benchmark", acks_late=True)
def refresh_benchmark() -> int:
    """Write the opted-in organisations' index figures for this quarter and the last."""
    written = refresh(get_session())
    log.info("benchmark refreshed: %s figures", written)
    return written


@shared_task(name="panel.reports.tasks.compact_rollup", acks_late=True)
def compact_rollup() -> int:
    """Merge the answers' rollup's rows of changes (PostgreSQL; nothing to do elsewhere)."""
    merged = rollup.compact(get_session())
    if merged:
        log.info("answer rollup: %s keys merged", merged)
    return merged
