"""Answer: one tenant's reply to one question through one channel.

An answer is written the moment the tenant presses send, before anything else happens to it; a
recorded clip follows by upload (``clip_kind`` says one is coming, ``media_id`` is set when it
has arrived). The tenant's consent travels with the answer and can be changed from ``/me``.
"""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from media.models import MediaFile
from panel.core.db import Base, intpk, timestamp
from panel.core.scoping import OrgScoped


class AnswerChannel(enum.StrEnum):
    """How the answer came: the web page behind a link or an embed, a QR flyer, a personal
    link from an e-mail or SMS, an SMS reply, or a phone call."""

    WEB = "web"
    EMBED = "embed"
    QR = "qr"
    EMAIL = "email"
    SMS = "sms"
    VOICE = "voice"


class ClipKind(enum.StrEnum):
    VIDEO = "video"
    AUDIO = "audio"


class Answer(OrgScoped, Base):
    """One answer. ``submission_key`` (a form's one-time key) and ``provider_id`` (Twilio's
    ``MessageSid`` or ``RecordingSid``) make a repeated delivery the same answer; a personal
    link takes one answer. ``me_token`` opens the tenant's own page ``/me/<token>``."""

    __tablename__ = "answer"
    __table_args__ = (
        sa.UniqueConstraint("organisation_id", "submission_key"),
        sa.Index("ix_answer_organisation_created", "organisation_id", "created_at"),
        sa.Index("ix_answer_question_created", "question_id", "created_at"),
    )

    id: Mapped[intpk]
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("question.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(sa.String(10))
    language: Mapped[str] = mapped_column(sa.String(5))
    text: Mapped[str | None] = mapped_column(sa.Text)
    score: Mapped[int | None]
    choice: Mapped[str | None] = mapped_column(sa.String(200))
    clip_kind: Mapped[str | None] = mapped_column(sa.String(5))
    media_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("media_file.id", ondelete="SET NULL"), index=True
    )
    place_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("place.id", ondelete="SET NULL"), index=True
    )
    contact_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("contact.id", ondelete="SET NULL"), index=True
    )
    invitation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("invitation.id", ondelete="SET NULL"), unique=True
    )
    touchpoint_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("touchpoint.id", ondelete="SET NULL"), index=True
    )
    source: Mapped[str | None] = mapped_column(sa.String(10))
    external_ref: Mapped[str | None] = mapped_column(sa.String(120))
    # Left on a touchpoint's form by someone who is not a contact (all optional).
    respondent_name: Mapped[str | None] = mapped_column(sa.String(120))
    respondent_email: Mapped[str | None] = mapped_column(sa.String(254))
    respondent_phone: Mapped[str | None] = mapped_column(sa.String(20))
    may_contact: Mapped[bool] = mapped_column(default=False)
    # The tenant's consent, in the words the form used: the asker may see who answered, the
    # answer may be quoted in reports, the clip may be shown to colleagues or at a workshop.
    consent_identity: Mapped[bool] = mapped_column(default=False)
    consent_quote: Mapped[bool] = mapped_column(default=False)
    consent_show_clip: Mapped[bool] = mapped_column(default=False)
    consent_changed_at: Mapped[dt.datetime | None]
    submission_key: Mapped[str | None] = mapped_column(sa.String(64))
    provider_id: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    me_token: Mapped[str] = mapped_column(sa.String(43), unique=True)
    created_at: Mapped[timestamp]

    question = relationship("Question", lazy="joined")
    media: Mapped[MediaFile | None] = relationship()
    place = relationship("Place")
    contact = relationship("Contact")
    pictures: Mapped[list[AnswerPicture]] = relationship(
        order_by="AnswerPicture.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    @property
    def awaits_clip(self) -> bool:
        """A clip was announced and has not arrived (the upload failed or is under way)."""
        return self.clip_kind is not None and self.media_id is None


class AnswerPicture(OrgScoped, Base):
    """A picture the tenant sent with an answer (the photos of an MMS), in the order sent.
    The picture is a MediaFile of kind ``picture`` (see :mod:`media.pictures`)."""

    __tablename__ = "answer_picture"
    __table_args__ = (sa.UniqueConstraint("answer_id", "media_id"),)

    id: Mapped[intpk]
    answer_id: Mapped[int] = mapped_column(sa.ForeignKey("answer.id", ondelete="CASCADE"))
    media_id: Mapped[int] = mapped_column(
        sa.ForeignKey("media_file.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)

    media: Mapped[MediaFile] = relationship(lazy="joined")
