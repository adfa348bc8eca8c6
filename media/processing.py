"""The body of the processing task: download, probe, transcode, store the renditions.

Testable as a plain function (:func:`process`) with a session, a storage and the settings; the
Celery task in :mod:`media.tasks` only adds retries. Work happens in a temporary folder of the
worker (:mod:`media.workfolders`), so it is the same for the local and the S3 backend. The
worker holds the clip by a lease (:mod:`media.leases`) that a heartbeat renews; if the lease is
lost to another worker, this one stops at its next step and writes nothing more.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.orm import Session

from media import leases, lifecycle, rejections, workfolders
from media.leases import Heartbeat, Lease, LeaseLost
from media.models import MediaFile
from media.probe import Limits, MediaInfo, describe, probe
from media.rejections import MediaRejected
from media.storage import Storage, StorageUnavailable
from media.transcode import (
    FfmpegError,
    ProgressCallback,
    audio_args,
    m4a_args,
    mp4_args,
    poster_args,
    run_ffmpeg,
)
from panel.core.config import Settings

log = logging.getLogger(__name__)

TRANSCODE_TIMEOUT = 30 * 60  # far beyond a 2-minute clip; a hung ffmpeg must not hold a worker
SAVE_EVERY = 5  # percent of progress between commits
# Rendition file names and the content type each is served with.
CONTENT_TYPES = {
    "video.mp4": "video/mp4",
    "audio.m4a": "audio/mp4",
    "poster.jpg": "image/jpeg",
    "audio.mp3": "audio/mpeg",
    "picture.jpg": "image/jpeg",  # a picture sent with an answer (media.pictures)
}


def limits_for(media: MediaFile, settings: Settings) -> Limits:
    """The clip's own duration limit (set when the upload began), else the configured one."""
    return Limits(
        max_bytes=settings.media_max_upload_mb * 1024 * 1024,
        max_duration=float(media.max_duration_seconds or settings.media_max_duration_seconds),
    )


def content_type_of(key: str) -> str:
    """The content type a rendition key is served with."""
    return CONTENT_TYPES.get(key.rpartition("/")[2], "application/octet-stream")


def process(
    session: Session, media_id: int, *, storage: Storage, settings: Settings
) -> MediaFile | None:
    """Process one uploaded clip to ready or failed; None when it was not ours to process.

    Storage outages (``StorageUnavailable``) propagate for the task to retry (the clip is
    handed back first); everything the clip itself is to blame for ends as ``failed`` with a
    reason, its files deleted. A clip whose lease was taken over is left to its new worker.
    """
    claimed = lifecycle.claim(session, media_id)
    if claimed is None:
        return None
    media, lease = claimed
    # A worker that died on this clip left its folder behind: it is dead now, remove it.
    workfolders.remove_dead(session, settings)
    # No transaction stays open through the transcode (an idle transaction on PostgreSQL
    # holds back its vacuum); the heartbeat writes on its own connection meanwhile.
    session.commit()
    folder = workfolders.folder_for(settings, lease)
    try:
        with Heartbeat(session.get_bind(), lease):
            return _process_claimed(
                session, media, lease, folder, storage=storage, settings=settings
            )
    except LeaseLost:
        session.rollback()
        log.warning("media %s: another worker took the clip over; this run stops", media_id)
        return None
    except StorageUnavailable:
        session.rollback()
        lifecycle.release(session, lease)  # the storage failed, not the clip: not an attempt
        raise
    except Exception:
        # A fault of ours: let the lease lapse now, so the sweep tries again soon (the attempt
        # counts: a clip that breaks every worker ends failed).
        session.rollback()
        lifecycle.drop_lease(session, lease)
        raise
    finally:
        workfolders.remove(folder)


def _process_claimed(
    session: Session,
    media: MediaFile,
    lease: Lease,
    folder: Path,
    *,
    storage: Storage,
    settings: Settings,
) -> MediaFile:
    saver = ProgressSaver(session, lease)
    try:
        renditions, info = _make_and_store(
            media, folder, storage=storage, settings=settings, saver=saver
        )
    except MediaRejected as problem:
        leases.renew(session, lease)  # still ours: only then delete files and fail it
        lifecycle.reject(session, storage, media, problem)
        return media
    leases.renew(session, lease)
    lifecycle.mark_ready(media, info, renditions)
    session.commit()
    if not settings.media_keep_original and media.original_key:
        storage.delete(media.original_key)
        media.original_key = None
        session.commit()
    return media


def _make_and_store(
    media: MediaFile, folder: Path, *, storage: Storage, settings: Settings, saver: ProgressSaver
) -> tuple[dict[str, str], MediaInfo]:
    original = folder / ("original" + Path(media.original_key or "").suffix)
    try:
        storage.download(media.original_key or "", original)
    except FileNotFoundError as exc:
        raise rejections.not_received() from exc
    info = probe(original, limits_for(media, settings))
    saver(5)
    try:
        files = make_renditions(original, folder / "out", info, on_progress=saver.span(5, 95))
        made = describe(files["mp4"])
    except FfmpegError as exc:
        log.warning("media %s: ffmpeg failed: %s", media.id, exc.stderr[-2000:])
        raise rejections.conversion_failed() from exc
    renditions = {}
    for name, path in files.items():
        saver.lease.check()  # never overwrite what a worker that took over has stored
        key = f"{media.storage_prefix}{path.name}"
        storage.put(key, path, content_type=content_type_of(key))
        renditions[name] = key
    return renditions, made


def make_renditions(
    src: Path, folder: Path, info: MediaInfo, *, on_progress: ProgressCallback | None = None
) -> dict[str, Path]:
    """The renditions of a probed clip in ``folder``: ``mp4`` (H.264/AAC MP4 for video, AAC
    M4A for sound only), ``poster`` (video only), ``audio`` (mono MP3, when there is sound)."""
    folder.mkdir(parents=True, exist_ok=True)
    report = on_progress or (lambda _percent: None)
    if info.has_video:
        mp4 = transcode_mp4(src, folder / "video.mp4", info, on_progress=_span(report, 0, 90))
        poster = folder / "poster.jpg"
        run_ffmpeg(poster_args(mp4, poster, duration=info.duration), timeout=TRANSCODE_TIMEOUT)
        if not poster.exists() or poster.stat().st_size == 0:
            # A browser recording's picture may end before its sound: no frame 1 s in, so the
            # poster is the first frame.
            run_ffmpeg(poster_args(mp4, poster, duration=0.0), timeout=TRANSCODE_TIMEOUT)
        files = {"mp4": mp4, "poster": poster}
    else:
        m4a = folder / "audio.m4a"
        run_ffmpeg(
            m4a_args(src, m4a),
            duration=info.duration,
            on_progress=_span(report, 0, 90),
            timeout=TRANSCODE_TIMEOUT,
        )
        files = {"mp4": m4a}
    report(92)
    if info.has_audio:
        mp3 = folder / "audio.mp3"
        run_ffmpeg(audio_args(files["mp4"], mp3), timeout=TRANSCODE_TIMEOUT)
        files["audio"] = mp3
    report(100)
    return files


def transcode_mp4(
    src: Path, dst: Path, info: MediaInfo, *, on_progress: ProgressCallback | None = None
) -> Path:
    """The MP4 step alone (what the benchmark times against plain ffmpeg)."""
    run_ffmpeg(
        mp4_args(src, dst),
        duration=info.duration,
        on_progress=on_progress,
        timeout=TRANSCODE_TIMEOUT,
    )
    return dst


def _span(report: ProgressCallback, low: int, high: int) -> ProgressCallback:
    """Map a step's 0-100 onto ``low..high`` of the whole."""
    return lambda percent: report(low + (high - low) * percent // 100)


class ProgressSaver:
    """Writes a clip's progress every few percent, renewing its lease with each write (and
    raising :class:`~media.leases.LeaseLost` when the clip has another worker now)."""

    def __init__(self, session: Session, lease: Lease, every: int = SAVE_EVERY) -> None:
        self.session = session
        self.lease = lease
        self.every = every
        self.saved = 0

    def __call__(self, percent: int) -> None:
        self.lease.check()
        if percent >= self.saved + self.every or (percent == 100 and self.saved < 100):
            leases.renew(self.session, self.lease, progress=percent)
            self.saved = percent

    def span(self, low: int, high: int) -> Callable[[int], None]:
        return _span(self, low, high)
