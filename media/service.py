"""What other rooms call: start an upload, receive it (local mode), complete it, get URLs.

The caller commits: ``create_upload`` and ``complete_upload`` change rows in the session and
return; processing is enqueued to start after that commit. Objects refused after an upload are
deleted from storage at once.

Upload instructions are ``{"method": "POST", "url", "fields"}``: with S3 a presigned POST
straight to the bucket (send ``fields`` first, then the file as ``file``); locally the app's own
upload URL with no fields, to which the raw file bytes are POSTed as the request body.
"""

from __future__ import annotations

import secrets
from typing import Any, BinaryIO

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from media import lifecycle, rejections, uploads
from media.captions import Cue, check_cues, cues_from_json, cues_to_json, parse_vtt, to_vtt
from media.models import MediaFile, MediaStatus
from media.rejections import MediaRejected
from media.storage import ObjectTooLarge, UploadInstructions, current_storage
from media.tasks import process_media
from panel.core.celery import enqueue_after_commit
from panel.core.config import Settings
from panel.core.errors import NotFound
from panel.core.scoping import ALL_ORGS_OPTION

PUBLIC_ID_BYTES = 24  # 192 bits, 32 URL-safe characters
LOCAL_UPLOAD_URL = "/app/media/{media_id}/upload"
PUBLIC_URL = "/media/{public_id}/{rendition}"
# Names in media_urls() → the rendition part of the public URL.
URL_RENDITIONS = {"mp4": "mp4", "poster": "poster.jpg", "audio": "audio.mp3"}


def _settings() -> Settings:
    return current_app.config["STOOP"]


def max_upload_bytes(settings: Settings | None = None) -> int:
    """The largest media upload accepted, in bytes."""
    return (settings or _settings()).media_max_upload_mb * 1024 * 1024


def new_public_id() -> str:
    """An unguessable token for the public media URLs."""
    return secrets.token_urlsafe(PUBLIC_ID_BYTES)


def create_upload(
    session: Session,
    *,
    organisation_id: int,
    filename: str,
    content_type: str,
    size: int,
    purpose: str = "question",
    max_duration_seconds: int | None = None,
    language: str | None = None,
) -> tuple[MediaFile, UploadInstructions]:
    """Check what the browser declares, create a pending MediaFile, say how to upload.

    Raises ``MediaRejected`` (a ``ValidationError``) for a type we do not accept, an empty
    file or one over the size limit. ``max_duration_seconds`` overrides the configured limit
    for this clip (an organisation's own recording limit).
    """
    limit = max_upload_bytes()
    declared = uploads.check_declared(filename, content_type, size, limit)
    media = MediaFile(
        organisation_id=organisation_id,
        public_id=new_public_id(),
        status=MediaStatus.PENDING,
        purpose=purpose[:20],
        original_filename=declared.filename,
        content_type=declared.content_type,
        size_bytes=declared.size,
        max_duration_seconds=max_duration_seconds,
        language=language,
        renditions={},
    )
    media.original_key = f"{media.storage_prefix}original.{declared.extension}"
    session.add(media)
    session.flush()
    direct = current_storage().presigned_upload(
        media.original_key, content_type=declared.content_type, max_bytes=limit
    )
    if direct is not None:
        return media, direct
    return media, {
        "method": "POST",
        "url": LOCAL_UPLOAD_URL.format(media_id=media.id),
        "fields": {},
    }


def receive_upload(
    session: Session, media: MediaFile, body: BinaryIO, content_length: int | None
) -> int:
    """Local mode: store the raw request ``body`` as the clip's original, streamed in chunks.

    Over the size limit (declared in Content-Length, or counted while streaming) the partial
    file is deleted, the clip is failed, and ``MediaRejected`` is raised; the caller commits.
    """
    limit = max_upload_bytes()
    try:
        if content_length is not None and content_length > limit:
            raise rejections.too_large(content_length, limit)
        try:
            return current_storage().put(
                media.original_key or "",
                body,
                content_type=media.content_type or "",
                max_bytes=limit,
            )
        except ObjectTooLarge:
            raise rejections.too_large(None, limit) from None
    except MediaRejected as problem:
        lifecycle.discard_files(current_storage(), media)
        lifecycle.fail(media, problem.message)
        raise


def complete_upload(session: Session, media: MediaFile) -> MediaFile:
    """Check the object that arrived, mark the clip uploaded, process it after the commit.

    A bad object (empty, too large, a web page or text, not a media format) is deleted and the
    clip failed with the reason. A clip that is no longer pending is returned as it is.
    Raises ``MediaRejected`` with code ``not_received`` when nothing arrived (still pending).
    """
    if media.status != MediaStatus.PENDING:
        return media
    storage = current_storage()
    key = media.original_key or ""
    try:
        info = storage.head(key)
        first_bytes = storage.read(key, end=uploads.SNIFF_BYTES - 1) if info.size else b""
    except FileNotFoundError:
        raise rejections.not_received() from None
    try:
        uploads.check_arrived(info, first_bytes, max_upload_bytes())
    except MediaRejected as problem:
        lifecycle.discard_files(storage, media)
        lifecycle.fail(media, problem.message)
        return media
    media.size_bytes = info.size
    media.status = MediaStatus.UPLOADED
    media.progress = 0
    enqueue_after_commit(session, process_media, media.id)
    return media


def delete_media(session: Session, media: MediaFile) -> None:
    """Erase a clip: every stored file first, then its row (the caller commits). For erasure
    of a tenant's data and for retention rules."""
    lifecycle.discard_files(current_storage(), media)
    session.delete(media)


def get_media(session: Session, media_id: int) -> MediaFile:
    """The clip with this id in the session's organisation, or ``NotFound``."""
    media = session.get(MediaFile, media_id)
    if media is None:
        raise NotFound(_("No such media file."))
    return media


def find_public(session: Session, public_id: str) -> MediaFile | None:
    """The clip a public URL's token names, whatever the session's organisation (the token
    is the secret; tenant pages have no login)."""
    return session.scalar(
        sa.select(MediaFile)
        .where(MediaFile.public_id == public_id)
        .execution_options(**{ALL_ORGS_OPTION: True})
    )


def media_urls(media: MediaFile, *, absolute: bool = False) -> dict[str, str]:
    """URLs of the renditions for ``<video>``/``<audio>``/``<track>``: ``mp4``, ``poster``,
    ``audio``, ``vtt`` — each only when the clip is ready and has it. Root-relative, or with
    ``STOOP_BASE_URL`` in front when ``absolute`` (e-mails, SMS, the phone line)."""
    if media.status != MediaStatus.READY:
        return {}
    base = _settings().base_url if absolute else ""
    names = [name for name in URL_RENDITIONS if (media.renditions or {}).get(name)]
    urls = {
        name: base + PUBLIC_URL.format(public_id=media.public_id, rendition=URL_RENDITIONS[name])
        for name in names
    }
    if media.captions_vtt:
        urls["vtt"] = base + PUBLIC_URL.format(public_id=media.public_id, rendition="captions.vtt")
    return urls


def status_of(media: MediaFile) -> dict[str, Any]:
    """What a page polling for progress needs to know."""
    return {
        "media_id": media.id,
        "status": media.status.value,
        "progress": media.progress,
        "error": media.error,
        "kind": media.kind,
        "duration": media.duration_seconds,
        "width": media.width,
        "height": media.height,
        "urls": media_urls(media),
    }


def save_captions(media: MediaFile, *, vtt: str | None = None, cues: Any = None) -> list[Cue]:
    """Replace the clip's captions with WebVTT text or the editor's cues (checked; an empty
    list clears them). Raises ``CaptionsError`` naming the first bad cue; the caller commits."""
    checked = parse_vtt(vtt) if vtt is not None else cues_from_json(cues)
    check_cues(checked, duration=media.duration_seconds)
    media.captions_vtt = to_vtt(checked) if checked else None
    return checked


def captions_of(media: MediaFile) -> dict[str, Any]:
    """The clip's captions as WebVTT text and as the editor's cues."""
    cues = parse_vtt(media.captions_vtt) if media.captions_vtt else []
    return {
        "vtt": media.captions_vtt or "",
        "cues": cues_to_json(cues),
        "transcript": media.transcript,
    }
