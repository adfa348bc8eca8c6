"""OutboundMessage (the outbox) and InboundMessage (what providers deliver to our webhooks)."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from panel.core.db import Base, intpk, str255, timestamp
from panel.core.scoping import OrgScoped


class Channel(enum.StrEnum):
    EMAIL = "email"
    SMS = "sms"
    VOICE = "voice"


class DeliveryState(enum.StrEnum):
    """queued → sending → sent → delivered (or undelivered, as the provider reports); or failed;
    or unknown when a worker died after handing the message to the provider but before
    recording that it had."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    UNKNOWN = "unknown"


def _enum(cls: type[enum.Enum]) -> sa.Enum:
    return sa.Enum(
        cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e]
    )


class OutboundMessage(OrgScoped, Base):
    """One message to one recipient for one purpose. ``dedupe_key`` is unique per organisation,
    so writing the same message twice is a no-op, and a row is claimed (``sending``) in its own
    committed step before it goes to a provider, so it is handed over at most once."""

    __tablename__ = "outbound_message"
    __table_args__ = (
        sa.UniqueConstraint("organisation_id", "dedupe_key"),
        sa.Index(
            "ix_outbound_message_queued",
            "next_attempt_at",
            postgresql_where=sa.text("state = 'queued'"),
            sqlite_where=sa.text("state = 'queued'"),
        ),
    )

    id: Mapped[intpk]
    channel: Mapped[Channel] = mapped_column(_enum(Channel))
    purpose: Mapped[str] = mapped_column(sa.String(60))
    dedupe_key: Mapped[str255]
    recipient: Mapped[str] = mapped_column(sa.String(254))
    language: Mapped[str] = mapped_column(sa.String(2), default="en")
    subject: Mapped[str] = mapped_column(sa.String(300), default="")
    body_text: Mapped[str] = mapped_column(sa.Text, default="")
    body_html: Mapped[str | None] = mapped_column(sa.Text)
    headers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    state: Mapped[DeliveryState] = mapped_column(_enum(DeliveryState), default=DeliveryState.QUEUED)
    claim_token: Mapped[str | None] = mapped_column(sa.String(32))
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime | None]
    provider: Mapped[str | None] = mapped_column(sa.String(20))
    provider_id: Mapped[str | None] = mapped_column(sa.String(80), index=True)
    error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[timestamp]
    claimed_at: Mapped[dt.datetime | None]
    sent_at: Mapped[dt.datetime | None]
    status_at: Mapped[dt.datetime | None]


class InboundMessage(Base):
    """A message a provider delivered to a webhook, kept before anything acts on it.
    ``provider_id`` (MessageSid, RecordingSid, a Message-ID) is unique: a redelivery is a no-op."""

    __tablename__ = "inbound_message"
    __table_args__ = (sa.UniqueConstraint("provider", "provider_id"),)

    id: Mapped[intpk]
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[Channel] = mapped_column(_enum(Channel))
    provider: Mapped[str] = mapped_column(sa.String(20))
    provider_id: Mapped[str] = mapped_column(sa.String(120))
    sender: Mapped[str] = mapped_column(sa.String(254))
    recipient: Mapped[str] = mapped_column(sa.String(254), default="")
    body: Mapped[str] = mapped_column(sa.Text, default="")
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    received_at: Mapped[timestamp]
    handled_at: Mapped[dt.datetime | None]
