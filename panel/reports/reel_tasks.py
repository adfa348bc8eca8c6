"""The highlight reel's tasks: render one reel as an MP4, and the sweep that hands a render
whose task was lost to the queue again and fails one whose worker died.

Rendering is heavy (ffmpeg on every clip, minutes for a long reel), so it runs on the
``speech`` queue: the queue of heavy, one-at-a-time work (``stoop worker -Q speech -c 1``, and
one thread of its own in the embedded default), never ahead of sends or clip processing on the
default queue. Enqueued only through ``enqueue_after_commit``; ids, never objects. A render is
claimed with a conditional UPDATE before any work starts, so one delivered twice runs once.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import sqlalchemy as sa
from celery import shared_task

from media.storage import StorageUnavailable, current_storage
from panel.core.celery import SPEECH_QUEUE, dispatch
from panel.core.db import get_session, utcnow
from panel.core.scoping import all_organisations, organisation_of, scoped_to
from panel.reports import reel_render
from panel.reports.models import ReelRender

log = logging.getLogger(__name__)

# A queued render older than this was lost (a restart of the embedded default, a broker down at
# the commit) or waits behind a long queue: handed over again (the claim makes it harmless).
LOST_AFTER = dt.timedelta(minutes=10)
# A render still rendering after this had its worker die under it.
DEAD_AFTER = dt.timedelta(hours=1)


@shared_task(
    name="panel.reports.reel_tasks.render_reel",
    bind=True,
    acks_late=True,
    max_retries=2,
    queue=SPEECH_QUEUE,
)
def render_reel(self: Any, reel_render_id: int) -> str | None:
    """Render a queued reel to an MP4 in media storage; returns the render's state."""
    render_id = reel_render_id
    session = get_session()
    organisation_id = organisation_of(session, ReelRender, render_id)
    if organisation_id is None:
        return None  # its report was deleted since
    with scoped_to(session, organisation_id):
        if not reel_render.claim(session, render_id):
            return None  # another worker has it, or it is done
        try:
            return reel_render.render(session, render_id, storage=current_storage())
        except StorageUnavailable as exc:
            session.rollback()
            session.execute(
                sa.update(ReelRender)
                .where(ReelRender.id == render_id)
                .values(state=reel_render.QUEUED, progress=0)
                .execution_options(synchronize_session=False)
            )
            session.commit()
            raise self.retry(exc=exc, countdown=60) from exc


@shared_task(name="panel.reports.reel_tasks.render_missed")
def render_missed() -> int:
    """Queue again renders queued for over ``LOST_AFTER``; fail those rendering for over
    ``DEAD_AFTER``. Returns how many were queued again."""
    session = get_session()
    now = utcnow()
    with all_organisations(session):
        lost = session.scalars(
            sa.select(ReelRender.id).where(
                ReelRender.state == reel_render.QUEUED, ReelRender.created_at < now - LOST_AFTER
            )
        ).all()
        session.execute(
            sa.update(ReelRender)
            .where(
                ReelRender.state == reel_render.RENDERING,
                ReelRender.started_at < now - DEAD_AFTER,
            )
            .values(state=reel_render.FAILED, error="The render stopped half-way.", finished_at=now)
            .execution_options(synchronize_session=False)
        )
        session.commit()
    for render_id in lost:
        dispatch(render_reel, render_id)
    return len(lost)
