"""Exports prepared in the background: the answers behind a report too large to write within
a web request (a year of a large housing company's answers), as CSV or XLSX.

- :func:`answer_count`: how many answers an export would hold; the share page offers the
  direct download up to ``STOOP_EXPORT_DIRECT_ROWS`` (10,000) answers and a prepared file
  beyond.
- :func:`request_export`: a queued :class:`~panel.reports.models.ReportExport`, handed to the
  default queue after the commit.
- :func:`write`: the task's work. Claimed with a conditional UPDATE (delivered twice, written
  once); the answers are read in batches and written to a temporary file, the progress
  committed through a session of its own every batch (so the page's poll sees it while the
  answers are still being read); the file goes to media storage under
  ``report-exports/<organisation>/<report>/<export>.<format>``.
- The files hold personal data: each is kept for :data:`KEEP` and then deleted by the sweep
  (:func:`sweep`), which also queues again an export whose task was lost, fails one whose worker
  died, and deletes files no export row holds any more (a deleted report's).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from media.storage import Storage
from panel.core.celery import dispatch, enqueue_after_commit
from panel.core.db import utcnow
from panel.core.extensions import db
from panel.core.scoping import all_organisations, scoped_to
from panel.organisations.models import Organisation
from panel.reports import exports, service, sharing
from panel.reports.figures import answers_of
from panel.reports.models import Report, ReportExport

log = logging.getLogger(__name__)

QUEUED, WRITING, DONE, FAILED, EXPIRED = "queued", "writing", "done", "failed", "expired"
FORMATS = ("csv", "xlsx")
CONTENT_TYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
PREFIX = "report-exports/"
KEEP = dt.timedelta(hours=24)  # a prepared file (personal data) is deleted after this
LOST_AFTER = dt.timedelta(minutes=10)  # queued this long: its task was lost; queued again
DEAD_AFTER = dt.timedelta(hours=1)  # writing this long: its worker died; failed


def answer_count(session: Session, report: Report) -> int:
    """How many answers the report's export holds."""
    ids = answers_of(service.filter_of(report), session).subquery()
    return int(session.scalar(sa.select(sa.func.count()).select_from(ids)) or 0)


def direct_limit() -> int:
    """The most answers exported within a request (``STOOP_EXPORT_DIRECT_ROWS``)."""
    return int(current_app.config["STOOP"].export_direct_rows)


def exports_of(session: Session, report_id: int, limit: int = 10) -> list[ReportExport]:
    """The report's latest exports, newest first."""
    return list(
        session.scalars(
            sa.select(ReportExport)
            .where(ReportExport.report_id == report_id)
            .order_by(ReportExport.created_at.desc(), ReportExport.id.desc())
            .limit(limit)
        )
    )


def get_export(session: Session, report_id: int, export_id: int) -> ReportExport | None:
    return session.scalar(
        sa.select(ReportExport).where(
            ReportExport.id == export_id, ReportExport.report_id == report_id
        )
    )


def request_export(
    session: Session, report: Report, file_format: str, *, user_id: int | None
) -> ReportExport:
    """A new export of the report's answers, queued; the task starts after the commit."""
    from panel.reports.export_tasks import prepare_export  # the task module imports this one

    export = ReportExport(
        organisation_id=report.organisation_id,
        report_id=report.id,
        format=file_format,
        state=QUEUED,
        total=answer_count(session, report),
        created_by_id=user_id,
    )
    session.add(export)
    session.flush()
    enqueue_after_commit(session, prepare_export, export.id)
    return export


def storage_key(export: ReportExport) -> str:
    return f"{PREFIX}{export.organisation_id}/{export.report_id}/{export.id}.{export.format}"


def claim(session: Session, export_id: int) -> bool:
    """queued → writing, in one conditional UPDATE (committed): True when this worker has it."""
    claimed = session.execute(
        sa.update(ReportExport)
        .where(ReportExport.id == export_id, ReportExport.state == QUEUED)
        .values(state=WRITING, started_at=utcnow(), progress=0, rows=0)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.commit()
    return bool(claimed)


def write(session: Session, export_id: int, storage: Storage) -> str:
    """Write one claimed export to storage; its final state."""
    export = session.scalar(sa.select(ReportExport).where(ReportExport.id == export_id))
    report = (
        session.scalar(sa.select(Report).where(Report.id == export.report_id)) if export else None
    )
    if export is None or report is None:
        return FAILED
    organisation = session.get(Organisation, report.organisation_id)
    zone = sharing.zone_of(organisation)
    report_filter = service.filter_of(report)
    commit_progress = _progress_writer(export.id, export.organisation_id, export.total)
    written = [0]

    def progress(rows: int) -> None:
        written[0] = rows
        commit_progress(rows)

    try:
        if export.format == "xlsx":
            handle = exports.write_xlsx(session, report_filter, zone, report.title, progress)
        else:
            handle = exports.write_csv(session, report_filter, zone, progress)
        key = storage_key(export)
        with handle:
            size = storage.put(key, handle, content_type=CONTENT_TYPES[export.format])
    except Exception:
        log.exception("report export %s failed", export_id)
        session.rollback()
        _finish(session, export_id, state=FAILED, error="The file could not be written.")
        raise
    _finish(
        session,
        export_id,
        state=DONE,
        storage_key=key,
        size=size,
        rows=written[0],
        total=written[0],
        progress=100,
        keep=True,
    )
    return DONE


def _finish(session: Session, export_id: int, *, keep: bool = False, **values: Any) -> None:
    """The export's last state; ``keep``: its file is kept for :data:`KEEP` from now."""
    now = utcnow()
    if keep:
        values["expires_at"] = now + KEEP
    session.execute(
        sa.update(ReportExport)
        .where(ReportExport.id == export_id)
        .values(finished_at=now, **values)
        .execution_options(synchronize_session=False)
    )
    session.commit()


def _progress_writer(export_id: int, organisation_id: int, total: int) -> Callable[[int], None]:
    """Commits the rows written so far through a session of its own (the task's session is
    in the middle of reading the answers)."""
    factory = db.state(current_app).session_factory

    def progress(rows: int) -> None:
        percent = min(99, 100 * rows // total) if total else 0
        with factory() as own, scoped_to(own, organisation_id):
            own.execute(
                sa.update(ReportExport)
                .where(ReportExport.id == export_id)
                .values(rows=rows, progress=percent)
                .execution_options(synchronize_session=False)
            )
            own.commit()

    return progress


def sweep(session: Session, storage: Storage) -> dict[str, int]:
    """Delete expired files, queue lost exports again, fail dead ones, delete files no export
    holds; what it did, counted. Runs across organisations (beat)."""
    from panel.reports.export_tasks import prepare_export  # the task module imports this one

    now = utcnow()
    done = {"expired": 0, "requeued": 0, "failed": 0, "orphans": 0}
    with all_organisations(session):
        for export in session.scalars(
            sa.select(ReportExport).where(ReportExport.state == DONE, ReportExport.expires_at < now)
        ).all():
            if export.storage_key:
                storage.delete(export.storage_key)
            export.state, export.storage_key = EXPIRED, None
            done["expired"] += 1
        done["failed"] = session.execute(
            sa.update(ReportExport)
            .where(ReportExport.state == WRITING, ReportExport.started_at < now - DEAD_AFTER)
            .values(state=FAILED, error="The export stopped half-way.", finished_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        lost = session.scalars(
            sa.select(ReportExport.id).where(
                ReportExport.state == QUEUED, ReportExport.created_at < now - LOST_AFTER
            )
        ).all()
        # The files of exports that are, or may yet be, written (one being written is
        # stored before its row says so).
        held = {
            storage_key(export)
            for export in session.scalars(
                sa.select(ReportExport).where(ReportExport.state.in_((QUEUED, WRITING, DONE)))
            )
        }
        session.commit()
    for key in storage.list(PREFIX):
        if key not in held:
            storage.delete(key)
            done["orphans"] += 1
    for export_id in lost:
        dispatch(prepare_export, export_id)
    done["requeued"] = len(lost)
    return done
