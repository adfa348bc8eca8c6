"""A tenant's recorded or picked clip, sent after the answer it belongs to.

The answer is stored first (with ``clip_kind`` saying a clip will follow); then the page asks
:func:`start_clip` for upload instructions from the one upload path (:mod:`media.service`:
straight to the bucket in s3 mode, the app's signed upload URL locally), sends the bytes, and
calls :func:`finish_clip`, which checks what arrived, attaches it to the answer and starts
processing after the commit. The answer's ``me_token`` is the credential of both steps; the
clip is named at the end by a receipt signed for this answer and this clip (:func:`receipt`),
so no other clip (another answer's, whose public id a shared video may show) can be finished
onto it. Only an answer that still awaits its clip takes one: a retried upload (a new start, or
the same instructions sent again) attaches one clip, never two.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.orm import Session

from media import service as media_service
from media.models import MediaFile, MediaStatus
from media.service import Upload
from media.uploads import base_type
from panel.answers.models import Answer, ClipKind
from panel.answers.service import attach_clip
from panel.core.db import utcnow
from panel.core.errors import Conflict, NotFound, StoopError, ValidationError
from panel.core.i18n import lazy_text as _l
from panel.organisations.models import Organisation

PURPOSE = "answer"
# A tenant's clip is at most two minutes from a phone: 200 MB holds even 4K video of that.
MAX_CLIP_MB = 200
# How long after the answer its clip may still come (a retry on a bad connection, not a later
# visit: a leaked link must not let anyone put a clip on an old answer).
CLIP_WINDOW = dt.timedelta(hours=24)
RECEIPT_SALT = "stoop.answers.clip-receipt"


class ClipTooLate(StoopError):
    """The answer is too old to take its clip now."""

    status = 410
    code = "clip_too_late"


@dataclass(frozen=True)
class ClipUpload:
    """How to send the clip's bytes, and the receipt to finish it with."""

    media: MediaFile
    upload: Upload
    receipt: str


def max_clip_bytes() -> int:
    """The largest clip a tenant may send (never more than the app's upload limit)."""
    return min(MAX_CLIP_MB * 1024 * 1024, media_service.max_upload_bytes())


def kind_of(content_type: str) -> str:
    """``audio/webm;codecs=opus`` → ``audio``; any other accepted type is a video."""
    return ClipKind.AUDIO.value if base_type(content_type).startswith("audio/") else "video"


def _ensure_awaited(answer: Answer, now: dt.datetime) -> None:
    if not answer.awaits_clip:
        raise Conflict(
            _l("This answer already has its recording, or was sent without one."),
            code="clip_not_awaited",
        )
    created = answer.created_at
    if created.tzinfo is None:  # SQLite gives naive UTC back
        created = created.replace(tzinfo=dt.UTC)
    if now - created > CLIP_WINDOW:
        raise ClipTooLate(_l("It is too late to add a recording to this answer."))


def _check_kind(answer: Answer, content_type: str) -> str:
    """The clip's kind by its type; one the question does not take is refused."""
    kind = kind_of(content_type)
    if kind not in (answer.question.answer_modes or ()):
        if kind == ClipKind.AUDIO:
            message = _l("This question takes video recordings only. Choose a video.")
        else:
            message = _l("This question takes sound recordings only. Choose a sound file.")
        raise ValidationError(message, code="clip_kind", details={"clip": [message]})
    return kind


def start_clip(
    session: Session,
    answer: Answer,
    *,
    filename: str,
    content_type: str,
    size: int,
    now: dt.datetime | None = None,
) -> ClipUpload:
    """Upload instructions for the clip of ``answer`` (the caller commits).

    ``Conflict`` when the answer awaits no clip, ``ClipTooLate`` past :data:`CLIP_WINDOW`,
    ``MediaRejected`` for a type, size or kind the answer cannot take.
    """
    _ensure_awaited(answer, now or utcnow())
    _check_kind(answer, content_type)
    organisation = session.get(Organisation, answer.organisation_id)
    media, upload = media_service.create_upload(
        session,
        organisation_id=answer.organisation_id,
        filename=filename,
        content_type=content_type,
        size=size,
        purpose=PURPOSE,
        max_duration_seconds=media_service.recording_limit(organisation),
        language=(answer.language or "")[:2] or None,
        max_bytes=max_clip_bytes(),
    )
    return ClipUpload(media, upload, receipt(answer, media))


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["STOOP"].secret_key, salt=RECEIPT_SALT)


def receipt(answer: Answer, media: MediaFile) -> str:
    """What names ``media`` as the clip of ``answer`` when the upload is finished."""
    return str(_serializer().dumps([answer.id, media.id]))


def _clip(session: Session, answer: Answer, signed: str) -> MediaFile:
    gone = NotFound(_l("This recording's upload no longer exists. Send it again."))
    try:
        answer_id, media_id = _serializer().loads(signed)
    except (BadSignature, TypeError, ValueError):
        raise gone from None
    if answer_id != answer.id or not isinstance(media_id, int):
        raise gone
    media = session.get(MediaFile, media_id)
    if media is None or media.purpose != PURPOSE:
        raise gone
    return media


def finish_clip(
    session: Session, answer: Answer, signed: str, *, now: dt.datetime | None = None
) -> MediaFile:
    """The clip named by the receipt ``signed`` has been sent: check it, attach it to
    ``answer``, process it after the commit (the caller commits). The same clip finished twice
    is one clip.

    A refused file is committed as failed and its refusal raised (the answer still awaits a
    clip, so another file can be sent); nothing arrived yet raises ``MediaRejected`` with
    code ``not_received`` (send the bytes, then finish again).
    """
    media = _clip(session, answer, signed)
    if answer.media_id == media.id:
        return media
    _ensure_awaited(answer, now or utcnow())
    media_service.complete_upload(session, media, max_bytes=max_clip_bytes())
    if media.status == MediaStatus.FAILED:
        session.commit()  # the refusal is the record of what happened to this file
        raise media_service.refusal(media)
    answer.clip_kind = kind_of(media.content_type or "")
    attach_clip(answer, media.id)
    return media


def clip_state(answer: Answer) -> dict[str, Any]:
    """What the page needs to know after the clip was attached."""
    media = answer.media
    return {
        "answer": answer.id,
        "clip_kind": answer.clip_kind,
        "status": media.status.value if media is not None else None,
        "awaits_clip": answer.awaits_clip,
    }
