"""Tasks of the exports prepared in the background: write one, and the sweep (expired files
deleted, lost exports queued again, dead ones failed). Enqueued only through
``enqueue_after_commit``; ids, never objects; a delivery twice writes once (the claim)."""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from celery import shared_task

from media.storage import StorageUnavailable, current_storage
from panel.core.db import get_session
from panel.core.scoping import organisation_of, scoped_to
from panel.reports import export_jobs
from panel.reports.models import ReportExport

log = logging.getLogger(__name__)


@shared_task(
    name="panel.reports.export_tasks.prepare_export", bind=True, acks_late=True, max_retries=2
)
def prepare_export(self: Any, report_export_id: int) -> str | None:
    """Write a queued export to media storage; returns its final state."""
    export_id = report_export_id
    session = get_session()
    organisation_id = organisation_of(session, ReportExport, export_id)
    if organisation_id is None:
        return None  # its report was deleted since
    with scoped_to(session, organisation_id):
        if not export_jobs.claim(session, export_id):
            return None  # another worker has it, or it is done
        try:
            return export_jobs.write(session, export_id, current_storage())
        except StorageUnavailable as exc:
            session.execute(
                sa.update(ReportExport)
                .where(ReportExport.id == export_id)
                .values(state=export_jobs.QUEUED, progress=0, rows=0, error=None)
                .execution_options(synchronize_session=False)
            )
            session.commit()
            raise self.retry(exc=exc, countdown=60) from exc


@shared_task(name="panel.reports.export_tasks.sweep_exports")
def sweep_exports() -> dict[str, int]:
    """Expired files deleted, lost exports queued again, dead ones failed."""
    done = export_jobs.sweep(get_session(), current_storage())
    if any(done.values()):
        log.info("report exports swept: %s", done)
    return done
