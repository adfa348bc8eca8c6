"""Send (a live question to a panel or a segment) and Invitation (one person asked to answer
one question, with a personal link)."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from panel.core.db import Base, TimestampMixin, intpk, timestamp
from panel.core.scoping import OrgScoped


class SendStatus(enum.StrEnum):
    """scheduled → sending (recipients being written) → sent; or cancelled before it starts."""

    SCHEDULED = "scheduled"
    SENDING = "sending"
    SENT = "sent"
    CANCELLED = "cancelled"


class SkipReason(enum.StrEnum):
    """Why a member of the panel got no invitation from a send."""

    FATIGUE = "fatigue"  # reached the organisation's cap of questions a month
    OPTED_OUT = "opted_out"  # said no to every channel the send uses
    NO_CHANNEL = "no_channel"  # has no address on any channel the send uses
    ASKED_BEFORE = "asked_before"  # already invited to this question


def _enum(kind: type[enum.Enum]) -> sa.Enum:
    return sa.Enum(
        kind, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e]
    )


class Send(OrgScoped, TimestampMixin, Base):
    """A live question sent to a panel (or one of its segments) over e-mail and/or SMS, now or
    at ``scheduled_at``. ``channels`` is the preference order: each member gets the invitation
    on the first channel they can be reached on. Reminders go to those who have not answered
    ``remind_after_days`` after the invitation, at most ``max_reminders`` times."""

    __tablename__ = "send"
    __table_args__ = (sa.Index("ix_send_due", "status", "scheduled_at"),)

    id: Mapped[intpk]
    question_id: Mapped[int] = mapped_column(
        sa.ForeignKey("question.id", ondelete="CASCADE"), index=True
    )
    panel_id: Mapped[int] = mapped_column(sa.ForeignKey("panel.id", ondelete="CASCADE"), index=True)
    segment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("segment.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    channels: Mapped[list[str]] = mapped_column(default=list)
    status: Mapped[SendStatus] = mapped_column(_enum(SendStatus), default=SendStatus.SCHEDULED)
    scheduled_at: Mapped[dt.datetime] = mapped_column()
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]
    remind_after_days: Mapped[int | None]
    max_reminders: Mapped[int] = mapped_column(default=0)
    # Written when the send starts: how many were invited, and skipped per SkipReason.
    invited: Mapped[int] = mapped_column(default=0)
    skipped: Mapped[dict[str, int]] = mapped_column(sa.JSON, default=dict)

    question = relationship("Question", lazy="joined")
    panel = relationship("Panel", lazy="joined")
    segment = relationship("Segment")

    @property
    def skipped_total(self) -> int:
        return sum((self.skipped or {}).values())


class Invitation(OrgScoped, Base):
    """One person asked to answer one question: from a send, or by a touchpoint's trigger.

    ``token`` (≥ 128 bits, random) is the personal link ``/a/<token>``: it opens the question
    for this person until ``expires_at`` and says nothing about them or the organisation.
    ``external_ref`` is the calling system's reference (a repair order); the answer carries it.
    """

    __tablename__ = "invitation"
    __table_args__ = (
        sa.UniqueConstraint("send_id", "contact_id"),
        sa.UniqueConstraint("organisation_id", "idempotency_key"),
        sa.Index("ix_invitation_contact_created", "contact_id", "created_at"),
    )

    id: Mapped[intpk]
    token: Mapped[str] = mapped_column(sa.String(43), unique=True)
    question_id: Mapped[int] = mapped_column(
        sa.ForeignKey("question.id", ondelete="CASCADE"), index=True
    )
    contact_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contact.id", ondelete="SET NULL"))
    send_id: Mapped[int | None] = mapped_column(sa.ForeignKey("send.id", ondelete="CASCADE"))
    touchpoint_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("touchpoint.id", ondelete="SET NULL"), index=True
    )
    channel: Mapped[str] = mapped_column(sa.String(10))
    external_ref: Mapped[str | None] = mapped_column(sa.String(120))
    idempotency_key: Mapped[str | None] = mapped_column(sa.String(120))
    created_at: Mapped[timestamp]
    expires_at: Mapped[dt.datetime]
    opened_at: Mapped[dt.datetime | None]
    answered_at: Mapped[dt.datetime | None]
    reminders_sent: Mapped[int] = mapped_column(default=0)
    last_reminded_at: Mapped[dt.datetime | None]

    question = relationship("Question")
    contact = relationship("Contact")
