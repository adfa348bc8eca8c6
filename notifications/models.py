"""The outbox (OutboundMessage), what providers deliver to our webhooks (InboundMessage), and an
organisation's sender identity (SenderSettings, SenderNumber).

The foreign keys to ``organisation`` and ``contact`` name their tables: notifications knows
nothing of the domain, only which rows a message belongs to. ``ref`` is the domain's own short
reference to what a message is about (``"question:12"``, ``"thread:7"``), so a thread can link a
reply and an erasure can find every message to a person through ``contact_id``.
"""

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
    """queued → claimed (leased by a worker's batch) → sending (being handed over) → sent →
    delivered or undelivered (as the provider reports); or failed; or unknown when the worker
    handing it over died before recording the outcome. A claim whose lease runs out goes back
    to queued; a row that was being handed over becomes unknown and is never resent. A bulk
    message whose recipient opted out after it was queued (STOP in the middle of a send) is
    suppressed when its batch is claimed: never handed over."""

    QUEUED = "queued"
    CLAIMED = "claimed"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    UNKNOWN = "unknown"
    SUPPRESSED = "suppressed"


def _enum(cls: type[enum.Enum]) -> sa.Enum:
    return sa.Enum(
        cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e]
    )


# The predicates of the outbox's partial indexes. Queries that should use an index say the
# same words: SQLite uses a partial index only when the query's WHERE contains its predicate
# (a bound parameter in its place does not count).
QUEUED = "state = 'queued'"
LEASED = "state IN ('claimed', 'sending')"


def queued() -> sa.TextClause:
    """The queued rows, in words the partial index ``ix_outbound_message_queued`` matches."""
    return sa.text(QUEUED)


def leased() -> sa.TextClause:
    """Rows under a claim, in words the partial index ``ix_outbound_message_leased`` matches."""
    return sa.text(LEASED)


def _contact_id() -> Any:
    return mapped_column(sa.ForeignKey("contact.id", ondelete="SET NULL"), index=True)


class OutboundMessage(OrgScoped, Base):
    """One message to one recipient for one purpose. ``dedupe_key`` is unique per organisation,
    so writing the same message twice is a no-op. Delivery claims rows in batches under a
    lease (``claim_token``, ``lease_until``) and marks each row ``sending`` in a committed step
    before it goes to a provider, so it is handed over at most once."""

    __tablename__ = "outbound_message"
    __table_args__ = (
        sa.UniqueConstraint("organisation_id", "dedupe_key"),
        # Inbound replies find the message they answer; erasure finds messages to an address.
        sa.Index("ix_outbound_message_recipient", "organisation_id", "recipient"),
        # The queued rows, oldest first (the sweep), with when each is due.
        sa.Index(
            "ix_outbound_message_queued",
            "id",
            "next_attempt_at",
            postgresql_where=sa.text(QUEUED),
            sqlite_where=sa.text(QUEUED),
        ),
        # Rows under a claim, by claim token (renewal, release) and lease (the sweep).
        sa.Index(
            "ix_outbound_message_leased",
            "claim_token",
            "lease_until",
            postgresql_where=sa.text(LEASED),
            sqlite_where=sa.text(LEASED),
        ),
    )

    # Every update of a row in delivery writes an entry into each index (its state is in the
    # partial indexes' predicates, so PostgreSQL cannot update in place): the organisation is
    # indexed by the unique (organisation_id, dedupe_key) already, and needs no index of its own.
    organisation_id: Mapped[int] = mapped_column(  # type: ignore[assignment]
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), nullable=False
    )

    id: Mapped[intpk]
    channel: Mapped[Channel] = mapped_column(_enum(Channel))
    purpose: Mapped[str] = mapped_column(sa.String(60))
    dedupe_key: Mapped[str255]
    recipient: Mapped[str] = mapped_column(sa.String(254))
    contact_id: Mapped[int | None] = _contact_id()
    ref: Mapped[str | None] = mapped_column(sa.String(60), index=True)
    # The list of a bulk message (``panel-12``; ``notifications.messages.queue_bulk``); None for
    # a transactional one, which opt-outs never hold back.
    list_key: Mapped[str | None] = mapped_column(sa.String(60))
    language: Mapped[str] = mapped_column(sa.String(2), default="en")
    subject: Mapped[str] = mapped_column(sa.String(300), default="")
    body_text: Mapped[str] = mapped_column(sa.Text, default="")
    body_html: Mapped[str | None] = mapped_column(sa.Text)
    headers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    state: Mapped[DeliveryState] = mapped_column(_enum(DeliveryState), default=DeliveryState.QUEUED)
    claim_token: Mapped[str | None] = mapped_column(sa.String(32))
    lease_until: Mapped[dt.datetime | None]
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
    ``provider_id`` (MessageSid, RecordingSid, a Message-ID) is unique: a redelivery is a no-op.
    ``organisation_id`` is empty when the number or address it came to belongs to no one."""

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
    # An inbound e-mail as it came (RFC 822), for its attachments: kept with the row so that
    # whichever worker handles it can read it, and erasing the row erases it.
    raw_mime: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    contact_id: Mapped[int | None] = _contact_id()
    ref: Mapped[str | None] = mapped_column(sa.String(60), index=True)
    in_reply_to_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("outbound_message.id", ondelete="SET NULL")
    )
    received_at: Mapped[timestamp]
    handled_at: Mapped[dt.datetime | None]
    handle_attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(sa.Text)


class SenderSettings(OrgScoped, Base):
    """Who an organisation's messages come from: the e-mail sender, the domain of per-thread
    reply addresses, the Twilio messaging service, and the colour of its e-mails. One row per
    organisation at most; without one, Stoop's defaults apply (``STOOP_MAIL_FROM``'s address
    under the organisation's name, ``STOOP_TWILIO_FROM``)."""

    __tablename__ = "sender_settings"
    __table_args__ = (sa.UniqueConstraint("organisation_id"),)

    id: Mapped[intpk]
    email_from_name: Mapped[str | None] = mapped_column(sa.String(120))
    email_from_address: Mapped[str | None] = mapped_column(sa.String(254))
    reply_domain: Mapped[str | None] = mapped_column(sa.String(253))
    twilio_messaging_service_sid: Mapped[str | None] = mapped_column(sa.String(34))
    brand_colour: Mapped[str | None] = mapped_column(sa.String(7))
    updated_at: Mapped[timestamp]


class SenderNumber(OrgScoped, Base):
    """A phone number an organisation sends SMS or takes calls on. Unique across all
    organisations, so an inbound SMS or call to it finds its organisation."""

    __tablename__ = "sender_number"

    id: Mapped[intpk]
    phone_number: Mapped[str] = mapped_column(sa.String(20), unique=True)
    sms: Mapped[bool] = mapped_column(default=True)
    voice: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[timestamp]


class OptOut(OrgScoped, Base):
    """Someone said "no more" on a channel: an SMS STOP, an unsubscribe link, staff on their
    behalf. One row per organisation, channel and address (what the person wrote from or was
    written to), with the contact when one is known; bulk messages are not queued to a contact
    or address that has one. Saying yes again (START) deletes the row: the history is the
    domain's consent log, which hears of every change (``notifications.optouts``)."""

    __tablename__ = "opt_out"
    __table_args__ = (sa.UniqueConstraint("organisation_id", "channel", "address"),)

    id: Mapped[intpk]
    channel: Mapped[Channel] = mapped_column(_enum(Channel))
    address: Mapped[str] = mapped_column(sa.String(254))
    contact_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("contact.id", ondelete="CASCADE"), index=True
    )
    # sms_keyword | unsubscribe_link | one_click | staff | api
    method: Mapped[str] = mapped_column(sa.String(20))
    detail: Mapped[str] = mapped_column(sa.String(120), default="")  # "STOPP", a list key
    opted_out_at: Mapped[timestamp]


class UnsubscribeToken(OrgScoped, Base):
    """The secret in a bulk e-mail's unsubscribe link, kept only as its SHA-256: it stands for
    one contact (or, without one, the address) and one list (``list_key``, e.g. ``panel-12``).
    Written once per contact and list; every later message of the list carries the same link."""

    __tablename__ = "unsubscribe_token"
    __table_args__ = (sa.UniqueConstraint("token_hash"),)

    id: Mapped[intpk]
    token_hash: Mapped[str] = mapped_column(sa.String(64))
    list_key: Mapped[str] = mapped_column(sa.String(60))
    address: Mapped[str] = mapped_column(sa.String(254))
    contact_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("contact.id", ondelete="CASCADE"), index=True
    )
    language: Mapped[str] = mapped_column(sa.String(2), default="en")
    created_at: Mapped[timestamp]
    used_at: Mapped[dt.datetime | None]


class SmsSlot(Base):
    """The SMS throughput cap's shared clock without Redis: per sender (a number or messaging
    service), the earliest moment the next message may go. A worker claims a slot with one
    atomic ``UPDATE … RETURNING`` (``notifications.throttle``)."""

    __tablename__ = "sms_slot"

    sender: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    next_free_at: Mapped[float] = mapped_column(sa.Float, default=0.0)  # Unix time, seconds
