"""MediaFile: one uploaded clip, where it is in its life, and its renditions."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from panel.core.db import Base, TimestampMixin, intpk, str255
from panel.core.scoping import OrgScoped


class MediaStatus(enum.StrEnum):
    """pending (upload not finished) → uploaded → processing → ready | failed.

    A pending clip has an upload capability until ``upload_expires_at``; past it, the clip and
    whatever arrived are deleted. A processing clip is leased: the worker renews
    ``lease_expires_at``, and once it lapses any worker may take the clip over.
    """

    PENDING = "pending"
    UPLOADED = "uploaded"
    PROCESSING = "processing"
    READY = "ready"
    FAILED = "failed"


class TranscriptState(enum.StrEnum):
    """Where a clip's transcript is: asked for, made by the machine (a draft), corrected by a
    person, no speech found, or failed (``transcript_error`` says why)."""

    QUEUED = "queued"
    DRAFT = "draft"
    CORRECTED = "corrected"
    EMPTY = "empty"
    FAILED = "failed"


class MediaFile(OrgScoped, TimestampMixin, Base):
    """An audio or video clip.

    ``original_key`` is the upload as it arrived (removed once the renditions are ready, unless
    the organisation keeps originals); ``renditions`` maps a rendition name (``mp4``, ``poster``,
    ``audio``) to its storage key. ``public_id`` is the unguessable token of the public media URLs.

    A refused clip keeps why as ``error_code`` and ``error_params`` (see
    :mod:`media.rejections`); :attr:`error` words them in the reader's language. The ``error``
    column (``error_text``) only holds the English words of clips refused before codes existed.
    """

    __tablename__ = "media_file"
    __table_args__ = (sa.Index("ix_media_file_status_updated_at", "status", "updated_at"),)

    id: Mapped[intpk]
    public_id: Mapped[str] = mapped_column(sa.String(32), unique=True)
    purpose: Mapped[str] = mapped_column(sa.String(20), default="question")
    status: Mapped[MediaStatus] = mapped_column(
        sa.Enum(
            MediaStatus,
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=MediaStatus.PENDING,
    )
    original_key: Mapped[str255 | None]
    original_filename: Mapped[str | None] = mapped_column(sa.String(255))
    content_type: Mapped[str | None] = mapped_column(sa.String(100))
    size_bytes: Mapped[int | None] = mapped_column(sa.BigInteger)
    max_duration_seconds: Mapped[int | None]
    language: Mapped[str | None] = mapped_column(sa.String(2))
    kind: Mapped[str | None] = mapped_column(sa.String(10))  # video | audio
    duration_seconds: Mapped[float | None]
    width: Mapped[int | None]
    height: Mapped[int | None]
    renditions: Mapped[dict[str, Any]] = mapped_column(default=dict)
    progress: Mapped[int] = mapped_column(default=0)
    attempts: Mapped[int] = mapped_column(default=0)
    error_text: Mapped[str | None] = mapped_column("error", sa.Text)
    error_code: Mapped[str | None] = mapped_column(sa.String(40))
    error_params: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    upload_expires_at: Mapped[dt.datetime | None]
    lease_token: Mapped[str | None] = mapped_column(sa.String(32))
    lease_expires_at: Mapped[dt.datetime | None]
    captions_vtt: Mapped[str | None] = mapped_column(sa.Text)
    # The transcript is the record: the machine's draft until a person corrects it. The draft
    # (text and timed segments) is kept as made, with the engine that made it.
    transcript: Mapped[str | None] = mapped_column(sa.Text)
    transcript_state: Mapped[str | None] = mapped_column(sa.String(12))  # TranscriptState
    transcript_draft: Mapped[str | None] = mapped_column(sa.Text)
    transcript_segments: Mapped[list[dict[str, Any]] | None] = mapped_column(sa.JSON)
    transcript_engine: Mapped[str | None] = mapped_column(sa.String(80))
    transcript_error: Mapped[str | None] = mapped_column(sa.Text)
    transcript_corrected_at: Mapped[dt.datetime | None]
    transcript_corrected_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    processed_at: Mapped[dt.datetime | None]

    @property
    def error(self) -> str | None:
        """Why the clip was refused, in the current language (None when it was not)."""
        if self.error_code:
            from media.rejections import describe

            return describe(self.error_code, self.error_params or {})
        return self.error_text

    @error.setter
    def error(self, words: str | None) -> None:
        """Words with no code (a clip refused elsewhere, old data): shown as they are, in
        whatever language they were written. Refusals of ours store a code instead
        (:func:`media.lifecycle.fail`)."""
        self.error_text = words
        self.error_code = None
        self.error_params = None

    @property
    def is_ready(self) -> bool:
        return self.status == MediaStatus.READY

    @property
    def storage_prefix(self) -> str:
        """The folder of every stored file of this clip: ``<organisation>/<public_id>/``."""
        return f"{self.organisation_id}/{self.public_id}/"
