"""The demo's highlight reel: the demo report's clips rendered as an MP4, so the reel page of
"Demo Bostäder" offers a download from the start.

Runs in the room's ``demo`` after :func:`panel.reports.demo.seed_demo_report`, which picks the
clips. The render is queued after the seed's commit and runs like any render: on the speech
queue's thread in the embedded default (``make demo``), on the speech worker with a broker.
"""

from __future__ import annotations

import logging
import shutil

import sqlalchemy as sa
from sqlalchemy.orm import Session

from panel.core.scoping import scoped_to
from panel.organisations.models import Organisation
from panel.reports.models import ReelRender, Report, ReportItem
from panel.reports.reel_renders import queue_render, reusable
from panel.reports.reel_service import current_plan

log = logging.getLogger(__name__)


def render_demo_reel(session: Session, organisation: Organisation) -> ReelRender | None:
    """Queue the render of the first report of ``organisation`` with clips that may be shown
    (None when there is none, or no ffmpeg to render with)."""
    if shutil.which("ffmpeg") is None:
        log.warning("demo reel: ffmpeg is not installed; the reel is not rendered")
        return None
    with scoped_to(session, organisation.id):
        session.flush()
        reports = session.scalars(
            sa.select(Report)
            .where(Report.id.in_(sa.select(ReportItem.report_id).where(ReportItem.kind == "clip")))
            .order_by(Report.id)
        ).all()
        for report in reports:
            plan = current_plan(session, report)
            if plan.clips:
                return reusable(session, plan) or queue_render(session, plan)
    log.info("demo reel: no report of %s has clips to show", organisation.name)
    return None
