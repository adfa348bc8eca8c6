"""A clip's moves from state to state, each one guarded so that it happens once.

pending → uploaded (the upload arrived and passed its first checks) → processing (claimed by
one worker with a conditional UPDATE, so a task delivered twice runs once) → ready | failed.
A refused clip leaves nothing in storage.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session

from media.models import MediaFile, MediaStatus
from media.probe import MediaInfo
from media.rejections import MediaRejected
from media.storage import Storage
from panel.core.db import utcnow

MAX_ATTEMPTS = 3  # claims of one clip before it is given up (a worker died on it each time)


def claim(session: Session, media_id: int) -> MediaFile | None:
    """Move the clip from uploaded to processing and commit; None if another run has it."""
    result = session.execute(
        sa.update(MediaFile)
        .where(MediaFile.id == media_id, MediaFile.status == MediaStatus.UPLOADED)
        .values(
            status=MediaStatus.PROCESSING,
            progress=0,
            error=None,
            attempts=MediaFile.attempts + 1,
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    session.commit()
    if result.rowcount != 1:
        return None
    return session.get(MediaFile, media_id, populate_existing=True)


def release(session: Session, media_id: int) -> None:
    """Hand a clip back (processing → uploaded) so a retry can claim it; commit.

    The attempt is not counted: the storage failed, not the clip.
    """
    session.execute(
        sa.update(MediaFile)
        .where(MediaFile.id == media_id, MediaFile.status == MediaStatus.PROCESSING)
        .values(
            status=MediaStatus.UPLOADED,
            attempts=MediaFile.attempts - 1,  # claim() counted it
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    session.commit()


def discard_files(storage: Storage, media: MediaFile) -> None:
    """Delete every stored file of the clip: original, renditions, leftovers."""
    for key in storage.list(media.storage_prefix):
        storage.delete(key)
    if media.original_key:
        storage.delete(media.original_key)


def reject(session: Session, storage: Storage, media: MediaFile, problem: MediaRejected) -> None:
    """Refuse the clip: its files deleted first, then failed with the reason; commit."""
    discard_files(storage, media)
    fail(media, problem.message)
    session.commit()


def fail(media: MediaFile, message: str) -> None:
    """Mark the clip failed with a message for people (the caller has deleted its files)."""
    media.status = MediaStatus.FAILED
    media.error = message
    media.progress = 0
    media.original_key = None
    media.renditions = {}


def mark_ready(media: MediaFile, info: MediaInfo, renditions: dict[str, str]) -> None:
    """Record what the renditions are (from the probe of the MP4 we made) and where."""
    media.status = MediaStatus.READY
    media.kind = "video" if info.has_video else "audio"
    media.duration_seconds = round(info.duration, 3)
    media.width = info.width
    media.height = info.height
    media.renditions = dict(renditions)
    media.progress = 100
    media.error = None
    media.processed_at = utcnow()


STUCK = (MediaStatus.UPLOADED, MediaStatus.PROCESSING)


def stalled(session: Session, cutoff: dt.datetime) -> list[MediaFile]:
    """Clips stuck in uploaded or processing with no change since ``cutoff``."""
    return list(
        session.scalars(
            sa.select(MediaFile)
            .where(MediaFile.status.in_(STUCK), MediaFile.updated_at < cutoff)
            .order_by(MediaFile.id)
            .limit(500)
        )
    )


def requeue(session: Session, media: MediaFile, cutoff: dt.datetime) -> bool:
    """Put a stalled clip back to uploaded, unless it moved since ``cutoff`` (a slow worker
    that is still alive commits its progress, and keeps its clip)."""
    result = session.execute(
        sa.update(MediaFile)
        .where(
            MediaFile.id == media.id,
            MediaFile.status.in_(STUCK),
            MediaFile.updated_at < cutoff,
        )
        .values(status=MediaStatus.UPLOADED, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1
