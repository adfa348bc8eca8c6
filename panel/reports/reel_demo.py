"""The demo's highlight reel: the demo report's clips rendered as an MP4, so the reel page of
"Demo Bostäder" offers a download from the start.

Runs in the room's ``demo`` after :func:`panel.reports.demo.seed_demo_report`, which picks the
clips. The render is queued as a row and handed over by the periodic sweep
(:func:`panel.reports.reel_tasks.render_missed`), not at the seed's commit: in ``make demo`` the
embedded default's scheduler runs the sweep at the first request, after ``stoop demo`` has
queued the clips' transcripts on the same one-at-a-time speech queue, so the reel is rendered
with their captions; and a seed run inline (the tests') stays quick. With a broker, the beat's
first tick hands it to the speech worker.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil

import sqlalchemy as sa
from sqlalchemy.orm import Session

from panel.core.db import utcnow
from panel.core.scoping import scoped_to
from panel.organisations.models import Organisation
from panel.reports.models import ReelRender, Report, ReportItem
from panel.reports.reel import Plan
from panel.reports.reel_renders import queue_render, reusable
from panel.reports.reel_service import current_plan
from panel.reports.reel_tasks import LOST_AFTER

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
                return reusable(session, plan) or _left_for_the_sweep(session, plan)
    log.info("demo reel: no report of %s has clips to show", organisation.name)
    return None


def _left_for_the_sweep(session: Session, plan: Plan) -> ReelRender:
    render = queue_render(session, plan, send=False)
    # Queued as long ago as a lost render: the sweep's first run hands it over.
    render.created_at = utcnow() - LOST_AFTER - dt.timedelta(seconds=1)
    return render
