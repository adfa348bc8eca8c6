"""The contract every delivery channel keeps, and the three ways a hand-over can fail.

A channel is opened for one batch of claimed outbox rows of one organisation (so it can keep
one SMTP connection for all of them), hands each row to a provider (an SMTP server, Twilio, a
folder) and is closed at the end. It never touches the database: it returns a
:class:`Receipt` or raises one of the errors below, and ``notifications.delivery`` records the
outcome. Provider-specific exceptions never leave a channel; they are translated here into
what the delivery loop must do next.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from notifications.models import Channel


class Message(Protocol):
    """What a channel reads of an outbox row (an ``OutboundMessage``, or the plain row the
    delivery loop claims)."""

    id: int
    organisation_id: int
    channel: Channel
    recipient: str
    language: str
    subject: str
    body_text: str
    body_html: str | None
    headers: dict[str, Any]
    attempts: int


@dataclass(frozen=True)
class Receipt:
    """What a provider said when it accepted a message."""

    provider: str
    provider_id: str | None = None


class DeliveryError(Exception):
    """Base of the translated provider errors; ``reason`` is shown to staff."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TransientDeliveryError(DeliveryError):
    """Nothing was handed over and trying again later may work (connection refused, 429, 5xx)."""


class PermanentDeliveryError(DeliveryError):
    """The provider refused this message for good (an invalid number, a rejected address)."""


class UncertainDeliveryError(DeliveryError):
    """The message may or may not have been handed over (the connection broke mid-send).

    Such a message is never retried automatically: sending it twice is worse than once late.
    """


class DeliveryChannel(Protocol):
    """One way of delivering messages. ``name`` is stored as the row's ``provider``."""

    name: str

    def send(self, message: Message) -> Receipt:
        """Hand ``message`` over, or raise a :class:`DeliveryError` subclass."""
        ...

    def close(self) -> None:
        """Let go of any connection (the end of a batch)."""
        ...
