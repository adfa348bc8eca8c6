"""Media tasks: process an uploaded clip, transcribe a ready one, reclaim stalled ones.

Enqueued only through ``panel.core.celery.enqueue_after_commit``. Ids, never objects. Every task is
safe to run twice: a clip is claimed with a conditional UPDATE before any work starts.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from celery import shared_task
from flask import current_app

from media import lifecycle, processing, rejections, transcribe
from media.models import MediaFile, MediaStatus
from media.storage import StorageUnavailable, current_storage
from panel.core.celery import enqueue_after_commit
from panel.core.config import Settings
from panel.core.db import get_session, utcnow
from panel.core.scoping import all_organisations, organisation_of, scoped_to

log = logging.getLogger(__name__)

STALLED_AFTER = dt.timedelta(minutes=15)
RETRY_DELAYS = (30, 120, 600)  # seconds before the 1st, 2nd and 3rd retry


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
        except StorageUnavailable as exc:
            session.rollback()
            lifecycle.release(session, media_id)
            delay = RETRY_DELAYS[min(self.request.retries, len(RETRY_DELAYS) - 1)]
            raise self.retry(exc=exc, countdown=delay) from exc
        if media is None:
            return None
        if media.status == MediaStatus.READY and _wants_transcript(settings, media):
            enqueue_after_commit(session, transcribe_media, media.id)
            session.commit()
        return media.status.value


@shared_task(name="media.tasks.transcribe_media", bind=True, acks_late=True, max_retries=2)
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
    """Clips with no change for 15 minutes in uploaded or processing go back to the queue.

    A worker that died mid-transcode leaves its clip in processing; a lost message (the
    in-process queue at a restart, retries used up) leaves it in uploaded. After
    :data:`~media.lifecycle.MAX_ATTEMPTS` claims a clip is failed instead of tried forever.
    Returns how many clips were queued again.
    """
    session = get_session()
    cutoff = utcnow() - STALLED_AFTER
    requeued = 0
    with all_organisations(session):
        stalled = lifecycle.stalled(session, cutoff)
    for media in stalled:
        with scoped_to(session, media.organisation_id):
            if media.attempts >= lifecycle.MAX_ATTEMPTS:
                log.warning("media %s given up after %s attempts", media.id, media.attempts)
                lifecycle.reject(session, current_storage(), media, rejections.gave_up())
            elif lifecycle.requeue(session, media, cutoff):
                enqueue_after_commit(session, process_media, media.id)
                requeued += 1
            session.commit()
    return requeued


def _wants_transcript(settings: Settings, media: MediaFile) -> bool:
    return settings.transcriber != "none" and bool(media.language)
