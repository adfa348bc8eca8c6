"""A clip's moves from state to state, each one guarded so that it happens once.

pending → uploaded (the upload arrived and passed its first checks) → processing (claimed by
one worker with a conditional UPDATE that gives it a lease, see :mod:`media.leases`) → ready |
failed. A clip whose lease lapsed (its worker died) may be claimed again, at most
:data:`MAX_ATTEMPTS` times in all. A refused clip leaves nothing in storage.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session

from media import leases
from media.capabilities import UPLOAD_LIFETIME
from media.leases import Lease
from media.models import MediaFile, MediaStatus
from media.probe import MediaInfo
from media.rejections import MediaRejected
from media.storage import Storage
from panel.core.db import utcnow

MAX_ATTEMPTS = 3  # claims of one clip before it is given up (a worker died on it each time)
LOST_AFTER = dt.timedelta(minutes=2)  # uploaded this long with no claim: its task was lost


def lapsed(now: dt.datetime) -> sa.ColumnElement[bool]:
    """Processing, with no live lease (its worker stopped renewing, or it never had one)."""
    return sa.and_(
        MediaFile.status == MediaStatus.PROCESSING,
        sa.or_(MediaFile.lease_expires_at.is_(None), MediaFile.lease_expires_at < now),
    )


def claim(session: Session, media_id: int) -> tuple[MediaFile, Lease] | None:
    """Take the clip (uploaded, or processing with a lapsed lease) with a new lease; commit.

    None when another worker holds it, it is finished, or it has had its attempts.
    """
    now = utcnow()
    token = leases.new_token()
    result = session.execute(
        sa.update(MediaFile)
        .where(
            MediaFile.id == media_id,
            MediaFile.attempts < MAX_ATTEMPTS,
            sa.or_(MediaFile.status == MediaStatus.UPLOADED, lapsed(now)),
        )
        .values(
            status=MediaStatus.PROCESSING,
            progress=0,
            attempts=MediaFile.attempts + 1,
            lease_token=token,
            lease_expires_at=leases.expiry(now),
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    session.commit()
    if result.rowcount != 1:
        return None
    media = session.get(MediaFile, media_id, populate_existing=True)
    if media is None:  # erased in between
        return None
    return media, Lease(media.id, media.organisation_id, token)


def release(session: Session, lease: Lease) -> None:
    """Hand a clip back (processing → uploaded) so a retry can claim it; commit.

    The attempt is not counted: the storage failed, not the clip.
    """
    session.execute(
        sa.update(MediaFile)
        .where(leases.held(lease))
        .values(
            status=MediaStatus.UPLOADED,
            attempts=MediaFile.attempts - 1,  # claim() counted it
            lease_token=None,
            lease_expires_at=None,
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    session.commit()


def drop_lease(session: Session, lease: Lease) -> None:
    """End the lease now, leaving the clip processing with its attempt counted: the next sweep
    treats it as a clip whose worker died. Commits."""
    session.execute(
        sa.update(MediaFile)
        .where(leases.held(lease))
        .values(lease_expires_at=utcnow(), updated_at=utcnow())
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
    fail(media, problem)
    session.commit()


def fail(media: MediaFile, problem: MediaRejected) -> None:
    """Mark the clip failed with the refusal's code and parameters (the caller has deleted its
    files). The words are made when someone reads :attr:`MediaFile.error`."""
    media.status = MediaStatus.FAILED
    media.error_code = problem.code
    media.error_params = dict(problem.params)
    media.error_text = None
    media.progress = 0
    media.original_key = None
    media.renditions = {}
    media.lease_token = None
    media.lease_expires_at = None


def mark_ready(media: MediaFile, info: MediaInfo, renditions: dict[str, str]) -> None:
    """Record what the renditions are (from the probe of the MP4 we made) and where."""
    media.status = MediaStatus.READY
    media.kind = "video" if info.has_video else "audio"
    media.duration_seconds = round(info.duration, 3)
    media.width = info.width
    media.height = info.height
    media.renditions = dict(renditions)
    media.progress = 100
    media.error_code = None
    media.error_params = None
    media.error_text = None
    media.lease_token = None
    media.lease_expires_at = None
    media.processed_at = utcnow()


def lapsed_clips(session: Session, now: dt.datetime, limit: int = 500) -> list[MediaFile]:
    """Clips in processing whose lease has lapsed (their worker is gone)."""
    return list(
        session.scalars(sa.select(MediaFile).where(lapsed(now)).order_by(MediaFile.id).limit(limit))
    )


def lost_clips(session: Session, now: dt.datetime, limit: int = 500) -> list[MediaFile]:
    """Clips uploaded more than :data:`LOST_AFTER` ago and never claimed: their task was lost
    (a broker that was down at the commit, an in-process queue at a restart)."""
    return list(
        session.scalars(
            sa.select(MediaFile)
            .where(
                MediaFile.status == MediaStatus.UPLOADED,
                MediaFile.updated_at < now - LOST_AFTER,
            )
            .order_by(MediaFile.id)
            .limit(limit)
        )
    )


def requeue(session: Session, media: MediaFile, now: dt.datetime) -> bool:
    """Put a lapsed or lost clip (back) to uploaded, unless it moved meanwhile (a worker renewed
    or claimed it). Its ``updated_at`` is reset, so the next sweep waits :data:`LOST_AFTER`
    before sending it again. The caller enqueues the task and commits."""
    result = session.execute(
        sa.update(MediaFile)
        .where(
            MediaFile.id == media.id,
            sa.or_(
                lapsed(now),
                sa.and_(
                    MediaFile.status == MediaStatus.UPLOADED,
                    MediaFile.updated_at < now - LOST_AFTER,
                ),
            ),
        )
        .values(
            status=MediaStatus.UPLOADED, lease_token=None, lease_expires_at=None, updated_at=now
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def give_up(session: Session, storage: Storage, media: MediaFile, now: dt.datetime) -> bool:
    """Fail a lapsed or lost clip that has had its :data:`MAX_ATTEMPTS`, unless it moved
    meanwhile; its files are deleted. The caller commits."""
    result = session.execute(
        sa.update(MediaFile)
        .where(
            MediaFile.id == media.id,
            MediaFile.attempts >= MAX_ATTEMPTS,
            sa.or_(lapsed(now), MediaFile.status == MediaStatus.UPLOADED),
        )
        .values(lease_token=None, lease_expires_at=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    from media import rejections

    session.refresh(media)
    discard_files(storage, media)
    fail(media, rejections.gave_up())
    return True


def pending_expired(session: Session, cutoff: dt.datetime, limit: int = 500) -> list[MediaFile]:
    """Pending uploads whose capability expired before ``cutoff`` (clips from before upload
    capabilities had an expiry count from their creation)."""
    return list(
        session.scalars(
            sa.select(MediaFile)
            .where(
                MediaFile.status == MediaStatus.PENDING,
                sa.or_(
                    MediaFile.upload_expires_at < cutoff,
                    sa.and_(
                        MediaFile.upload_expires_at.is_(None),
                        MediaFile.created_at < cutoff - UPLOAD_LIFETIME,
                    ),
                ),
            )
            .order_by(MediaFile.id)
            .limit(limit)
        )
    )
