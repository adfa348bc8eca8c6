"""What other rooms call: start an upload, receive it, complete it, ingest from a URL, get URLs.

One upload path for everyone (staff pages, the API, later tenants): :func:`create_upload` checks
what the client declares, makes a pending clip and answers upload instructions
``{"method": "POST", "url", "fields", "expires_at"}``: with S3 a presigned POST straight to the
bucket (send ``fields`` first, then the file as ``file``); locally an upload capability, the
app's own ``/media/uploads/<signed token>`` (see :mod:`media.capabilities`), to which the raw
bytes are POSTed as the body with no login. Then :func:`complete_upload` checks what arrived
and starts processing. Files fetched by the server itself (a phone recording from Twilio) come
in through :func:`media.ingest.ingest_url` and end the same way.

The caller commits: these functions change rows in the session and return; processing is
enqueued to start after that commit. Objects refused after an upload are deleted from storage
at once.
"""

from __future__ import annotations

import secrets
from typing import Any, BinaryIO, NoReturn, Protocol, TypedDict

import sqlalchemy as sa
from flask import current_app
from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from media import capabilities, lifecycle, rejections, uploads
from media.capabilities import InvalidCapability, UploadCapability
from media.captions import Cue, check_cues, cues_from_json, cues_to_json, parse_vtt, to_vtt
from media.models import MediaFile, MediaStatus
from media.rejections import MediaRejected
from media.storage import ObjectTooLarge, current_storage
from media.tasks import process_media
from panel.core.celery import enqueue_after_commit
from panel.core.config import Settings
from panel.core.db import utcnow
from panel.core.errors import Conflict, NotFound, StoopError
from panel.core.scoping import ALL_ORGS_OPTION

PUBLIC_ID_BYTES = 24  # 192 bits, 32 URL-safe characters
PUBLIC_URL = "/media/{public_id}/{rendition}"
# Names in media_urls() → the rendition part of the public URL.
URL_RENDITIONS = {
    "mp4": "mp4",
    "poster": "poster.jpg",
    "audio": "audio.mp3",
    "picture": "picture.jpg",
}
# The one rule for how long a recording may be: an organisation's `max_recording_seconds`
# setting when it is a whole number in this range, else STOOP_MEDIA_MAX_DURATION_SECONDS.
RECORDING_SECONDS_RANGE = (5, 900)


class UploadExpired(StoopError):
    """An upload capability used after it expired."""

    status = 410
    code = "upload_expired"


class Upload(TypedDict):
    """How a client sends a clip's bytes, and until when it may start."""

    method: str
    url: str
    fields: dict[str, str]
    expires_at: str


class HasSettings(Protocol):
    """An organisation, as far as media cares: it has settings."""

    def setting(self, key: str, default: Any = None) -> Any: ...


def _settings() -> Settings:
    return current_app.config["STOOP"]


def max_upload_bytes(settings: Settings | None = None) -> int:
    """The largest media upload accepted, in bytes."""
    return (settings or _settings()).media_max_upload_mb * 1024 * 1024


def recording_limit(organisation: HasSettings | None, settings: Settings | None = None) -> int:
    """The longest recording (seconds) for ``organisation``: what every recorder page, upload
    and API call uses, and what the worker enforces."""
    default = (settings or _settings()).media_max_duration_seconds
    value = organisation.setting("max_recording_seconds", default) if organisation else default
    low, high = RECORDING_SECONDS_RANGE
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        return default
    return value


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
    max_bytes: int | None = None,
) -> tuple[MediaFile, Upload]:
    """Check what the client declares, create a pending MediaFile, say how to upload.

    Raises ``MediaRejected`` (a ``ValidationError``) for a type we do not accept, an empty
    file or one over the size limit. ``max_duration_seconds`` is the clip's recording limit
    (give :func:`recording_limit` of the organisation). ``max_bytes`` lowers the size limit
    for this upload (a tenant's answer takes less than a staff member's question); it can never
    raise it. The instructions expire after :data:`~media.capabilities.UPLOAD_LIFETIME`; an
    upload never completed is deleted later.
    """
    limit = min(max_bytes or max_upload_bytes(), max_upload_bytes())
    declared = uploads.check_declared(filename, content_type, size, limit)
    expires_at = (utcnow() + capabilities.UPLOAD_LIFETIME).replace(microsecond=0)
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
        upload_expires_at=expires_at,
    )
    media.original_key = f"{media.storage_prefix}original.{declared.extension}"
    session.add(media)
    session.flush()
    lifetime = int((expires_at - utcnow()).total_seconds())
    direct = current_storage().presigned_upload(
        media.original_key, content_type=declared.content_type, max_bytes=limit, expires_in=lifetime
    )
    if direct is None:
        capability = UploadCapability(media.id, media.public_id, limit, expires_at)
        token = capabilities.issue(_settings().secret_key, capability)
        direct = {"method": "POST", "url": capabilities.upload_path(token), "fields": {}}
    return media, {**direct, "expires_at": expires_at.isoformat()}


def read_capability(token: str) -> UploadCapability:
    """The capability of an upload token, or ``NotFound`` for one we did not sign."""
    try:
        return capabilities.read(_settings().secret_key, token)
    except InvalidCapability:
        raise NotFound(
            _("This upload link is not valid. Start the upload again to get a new one.")
        ) from None


def upload_target(session: Session, capability: UploadCapability) -> MediaFile:
    """The clip a capability is for, whatever the session's organisation (the token is the
    authority): ``NotFound`` when it is gone, ``UploadExpired`` past its expiry."""
    media = session.scalar(
        sa.select(MediaFile)
        .where(MediaFile.id == capability.media_id, MediaFile.public_id == capability.public_id)
        .execution_options(**{ALL_ORGS_OPTION: True})
    )
    if media is None:
        raise NotFound(_("This upload no longer exists. Start the upload again."))
    if capability.expired():
        raise UploadExpired(
            _(
                "This upload link expired at %(time)s. Start the upload again to get a new one.",
                time=format_datetime(capability.expires_at, "short"),
            )
        )
    return media


def receive_upload(
    session: Session,
    media: MediaFile,
    capability: UploadCapability,
    body: BinaryIO,
    content_length: int | None,
) -> int:
    """Store the raw ``body`` as the clip's original, streamed in chunks; returns its size.

    The session must be scoped to the clip's organisation. Over the capability's size limit
    (declared in Content-Length, or counted while streaming) or empty, the partial file is
    deleted, the clip is failed and committed, and ``MediaRejected`` is raised. ``Conflict``
    when the clip is no longer pending. No transaction stays open while the bytes arrive.
    """
    ensure_pending(media)
    limit = capability.max_bytes
    if content_length is not None and content_length > limit:
        refuse_upload(session, media, rejections.too_large(content_length, limit))
    key, content_type = media.original_key or "", media.content_type or ""
    session.commit()  # no transaction held open for the minutes an upload may take
    storage = current_storage()
    try:
        size = storage.put(key, body, content_type=content_type, max_bytes=limit)
    except ObjectTooLarge:
        refuse_upload(session, media, rejections.too_large(None, limit))
    # While the bytes arrived the clip may have expired and been swept, or been completed.
    if session.get(MediaFile, media.id, populate_existing=True) is None:
        storage.delete(key)
        raise NotFound(_("This upload no longer exists. Start the upload again."))
    ensure_pending(media)
    if size == 0:
        refuse_upload(session, media, rejections.empty())
    return size


def ensure_pending(media: MediaFile) -> None:
    """``Conflict`` unless the clip still waits for its bytes."""
    if media.status != MediaStatus.PENDING:
        raise Conflict(_("This upload is already finished. Start a new one to send another file."))


def refuse_upload(session: Session, media: MediaFile, problem: MediaRejected) -> NoReturn:
    """Fail a pending upload with ``problem``: its files deleted, committed, then raised.
    ``Conflict`` (and nothing changed) when the clip is no longer pending."""
    ensure_pending(media)
    lifecycle.discard_files(current_storage(), media)
    lifecycle.fail(media, problem)
    session.commit()
    raise problem


def complete_upload(
    session: Session, media: MediaFile, *, max_bytes: int | None = None
) -> MediaFile:
    """Check the object that arrived, mark the clip uploaded, process it after the commit.

    A bad object (empty, too large, a web page or text, not a media format) is deleted and the
    clip failed with the reason; ``max_bytes`` is the lower limit the upload was started with,
    if any (a bucket may not enforce its POST policy). A clip that is no longer pending is
    returned as it is. Raises ``MediaRejected`` with code ``not_received`` when nothing arrived
    (still pending).
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
        limit = min(max_bytes or max_upload_bytes(), max_upload_bytes())
        uploads.check_arrived(info, first_bytes, limit)
    except MediaRejected as problem:
        lifecycle.discard_files(storage, media)
        lifecycle.fail(media, problem)
        return media
    media.size_bytes = info.size
    media.status = MediaStatus.UPLOADED
    media.progress = 0
    media.upload_expires_at = None
    enqueue_after_commit(session, process_media, media.id)
    return media


def refusal(media: MediaFile) -> MediaRejected:
    """A failed clip's refusal as an error to raise (worded in the current language)."""
    problem = MediaRejected(media.error_code or "refused", **(media.error_params or {}))
    if not media.error_code and media.error_text:  # refused before refusals had codes
        problem.message = media.error_text
    return problem


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
    """URLs of the renditions for ``<video>``/``<audio>``/``<track>``/``<img>``: ``mp4``,
    ``poster``, ``audio``, ``vtt``, ``picture`` — each only when the clip is ready and has it.
    Root-relative, or with ``STOOP_BASE_URL`` in front when ``absolute`` (e-mails, SMS, the
    phone line)."""
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
        "error_code": media.error_code,
        "error_params": media.error_params or {},
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
