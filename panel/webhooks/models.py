"""Webhook (an address another system gave us, and the events it wants), WebhookDelivery (one
event on its way to one address) and WebhookAttempt (one POST of it, as it went).

A delivery is ``pending`` (waiting for its next attempt, ``next_attempt_at``) → ``claimed``
(handed to a task by the periodic sweep, until ``lease_until``) → ``sending`` (taken by one
worker under ``claim_token`` until ``lease_until``) → ``delivered`` (a 2xx), or back to
``pending`` after a failed attempt, and ``failed`` once the attempts are used up or its webhook
is switched off. A task enqueued right after the commit takes a ``pending`` one directly.
``body`` is the exact JSON sent, written once: every attempt signs and sends the same bytes.
"""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from panel.core.db import Base, TimestampMixin, intpk, timestamp
from panel.core.scoping import OrgScoped


class DeliveryState(enum.StrEnum):
    PENDING = "pending"
    CLAIMED = "claimed"
    SENDING = "sending"
    DELIVERED = "delivered"
    FAILED = "failed"


class DisabledReason(enum.StrEnum):
    """Why a webhook is switched off."""

    FAILED_DELIVERIES = "failed_deliveries"  # too many deliveries failed for good in a row
    FAILING_DAYS = "failing_days"  # every attempt failed for longer than the grace period
    BY_ADMIN = "by_admin"


class Webhook(OrgScoped, TimestampMixin, Base):
    """An address of another system that Stoop POSTs signed events to.

    ``secret`` signs every delivery (HMAC-SHA256). It is kept as it is, since signing needs it;
    people see it once, when the webhook is made. ``failure_streak`` counts deliveries that
    failed for good since the last success; ``failing_since`` is the first failed attempt since
    then. Either switches the webhook off (see :mod:`panel.webhooks.health`).
    """

    __tablename__ = "webhook"

    id: Mapped[intpk]
    url: Mapped[str] = mapped_column(sa.String(2000))
    description: Mapped[str] = mapped_column(sa.String(200), default="")
    events: Mapped[list[str]] = mapped_column(default=list)
    secret: Mapped[str] = mapped_column(sa.String(80))
    is_active: Mapped[bool] = mapped_column(default=True)
    disabled_at: Mapped[dt.datetime | None]
    disabled_reason: Mapped[str | None] = mapped_column(sa.String(20))
    failure_streak: Mapped[int] = mapped_column(default=0)
    failing_since: Mapped[dt.datetime | None]
    last_success_at: Mapped[dt.datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )


class WebhookDelivery(OrgScoped, Base):
    """One event for one webhook, with the state of its delivery."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        sa.Index("ix_webhook_delivery_due", "state", "next_attempt_at"),
        sa.Index("ix_webhook_delivery_webhook_id_id", "webhook_id", "id"),
        sa.Index("ix_webhook_delivery_created_at", "created_at"),
    )

    id: Mapped[intpk]
    uuid: Mapped[str] = mapped_column(sa.String(36), unique=True)
    webhook_id: Mapped[int] = mapped_column(sa.ForeignKey("webhook.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(sa.String(40))
    body: Mapped[str] = mapped_column(sa.Text)
    state: Mapped[str] = mapped_column(sa.String(10), default=DeliveryState.PENDING.value)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime | None]
    claim_token: Mapped[str | None] = mapped_column(sa.String(32))
    lease_until: Mapped[dt.datetime | None]
    last_status: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[timestamp]
    delivered_at: Mapped[dt.datetime | None]

    log: Mapped[list[WebhookAttempt]] = relationship(order_by="WebhookAttempt.id", viewonly=True)


class WebhookAttempt(OrgScoped, Base):
    """One POST of a delivery: when, the status code (None: no answer), what went wrong, and
    how long it took."""

    __tablename__ = "webhook_attempt"

    id: Mapped[intpk]
    delivery_id: Mapped[int] = mapped_column(
        sa.ForeignKey("webhook_delivery.id", ondelete="CASCADE"), index=True
    )
    attempted_at: Mapped[timestamp]
    status_code: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(sa.String(500))
    duration_ms: Mapped[int] = mapped_column(default=0)
