"""Media tasks: process an uploaded clip, transcribe a ready one; and the periodic sweeps that
reclaim clips whose worker died or whose task was lost, and delete unfinished uploads.

Enqueued only through ``panel.core.celery.enqueue_after_commit``. Ids, never objects. Every task is
safe to run twice: a clip is claimed with a conditional UPDATE (a lease) before any work starts,
and every sweep's change is a conditional UPDATE too.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import sqlalchemy as sa
from celery import shared_task
from flask import current_app

from media import lifecycle, processing, transcribe, workfolders
from media.capabilities import EXPIRED_GRACE
from media.models import MediaFile, MediaStatus, TranscriptState
from media.storage import StorageUnavailable, current_storage
from panel.core.celery import SPEECH_QUEUE, dispatch, enqueue_after_commit
from panel.core.config import Settings
from panel.core.db import get_session, utcnow
from panel.core.scoping import all_organisations, organisation_of, scoped_to

log = logging.getLogger(__name__)

RETRY_DELAYS = (30, 120, 600)  # seconds before the 1st, 2nd and 3rd retry
# Longer than a queue of transcripts takes to clear, so a waiting one is not queued twice.
TRANSCRIPT_GRACE = dt.timedelta(minutes=20)


@shared_task(name="media.tasks.process_media", bind=True, acks_late=True, max_retries=3)
def process_media(self: Any, media_id: int) -> str | None:
    """uploaded → processing → ready | failed; a storage outage is retried."""
    session = get_session()
    settings: Settings = current_app.config["STOOP"]
    organisation_id = organisation_of(session, MediaFile, media_id)
    if organisation_id is None:
        return None  # erased since it was uploaded
    with scoped_to(session, organisation_id):
        try:
            media = processing.process(
                session, media_id, storage=current_storage(), settings=settings
            )
        except StorageUnavailable as exc:  # the clip was handed back (uploaded) already
            delay = RETRY_DELAYS[min(self.request.retries, len(RETRY_DELAYS) - 1)]
            raise self.retry(exc=exc, countdown=delay) from exc
        if media is None:
            return None
        if media.status == MediaStatus.READY and transcribe.wants_transcript(settings, media):
            media.transcript_state = TranscriptState.QUEUED
            enqueue_after_commit(session, transcribe_media, media.id)
            session.commit()
        return media.status.value


@shared_task(
    name="media.tasks.transcribe_media",
    bind=True,
    acks_late=True,
    max_retries=2,
    queue=SPEECH_QUEUE,
)
def transcribe_media(self: Any, media_id: int) -> bool:
    """Transcribe a ready clip; the transcript pre-fills its captions when it has none."""
    session = get_session()
    organisation_id = organisation_of(session, MediaFile, media_id)
    if organisation_id is None:
        return False
    with scoped_to(session, organisation_id):
        try:
            return transcribe.transcribe_clip(
                session, media_id, storage=current_storage(), settings=current_app.config["STOOP"]
            )
        except StorageUnavailable as exc:
            session.rollback()
            raise self.retry(exc=exc, countdown=60) from exc


@shared_task(name="media.tasks.reclaim_stalled")
def reclaim_stalled() -> int:
    """Send the clips no worker is doing to the queue again; returns how many were sent.

    Runs every few seconds (see ``media/__init__.py``). Two kinds: clips in processing whose
    lease lapsed (their worker died: SIGKILL, a lost machine), and clips uploaded minutes ago
    that no worker claimed (their task was lost: a broker that was down at the commit, the
    in-process queue at a restart). After :data:`~media.lifecycle.MAX_ATTEMPTS` claims a clip
    is failed instead of tried forever. Temporary folders of dead claims are removed.
    """
    session = get_session()
    settings: Settings = current_app.config["STOOP"]
    now = utcnow()
    requeued = 0
    with all_organisations(session):
        stuck = lifecycle.lapsed_clips(session, now) + lifecycle.lost_clips(session, now)
    for media in stuck:
        with scoped_to(session, media.organisation_id):
            if media.attempts >= lifecycle.MAX_ATTEMPTS:
                if lifecycle.give_up(session, current_storage(), media, now):
                    log.warning("media %s given up after %s attempts", media.id, media.attempts)
            elif lifecycle.requeue(session, media, now):
                enqueue_after_commit(session, process_media, media.id)
                requeued += 1
            session.commit()
    workfolders.remove_dead(session, settings)
    session.commit()
    return requeued


@shared_task(name="media.tasks.expire_uploads")
def expire_uploads() -> int:
    """Delete uploads never finished: pending clips whose upload capability expired (with a
    grace for an upload still arriving), with whatever bytes arrived. Returns how many."""
    session = get_session()
    cutoff = utcnow() - EXPIRED_GRACE
    with all_organisations(session):
        expired = lifecycle.pending_expired(session, cutoff)
    deleted = 0
    for media in expired:
        with scoped_to(session, media.organisation_id):
            lifecycle.discard_files(current_storage(), media)
            session.delete(media)
            session.commit()
            deleted += 1
    if deleted:
        log.info("deleted %s unfinished uploads", deleted)
    return deleted


@shared_task(name="media.tasks.transcribe_missed")
def transcribe_missed() -> int:
    """Queue again the transcripts whose task was lost (a restart of the embedded default, a
    broker that was down at the commit): clips waiting for one for over ``TRANSCRIPT_GRACE``.
    Returns how many."""
    return queue_waiting_transcripts(utcnow() - TRANSCRIPT_GRACE)


def queue_waiting_transcripts(processed_before: dt.datetime | None = None) -> int:
    """Hand the clips marked as waiting for a transcript (processed before the given time, or
    all) to the speech queue; at most 100 at a time. Returns how many."""
    session = get_session()
    query = sa.select(MediaFile.id).where(
        MediaFile.status == MediaStatus.READY,
        MediaFile.transcript_state == TranscriptState.QUEUED,
    )
    if processed_before is not None:
        query = query.where(MediaFile.processed_at < processed_before)
    with all_organisations(session):
        waiting = session.scalars(query.order_by(MediaFile.id).limit(100)).all()
    for media_id in waiting:
        dispatch(transcribe_media, media_id)
    return len(waiting)
