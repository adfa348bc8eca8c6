"""Delivery channels, one per provider, chosen per message from the current settings.

Settings are read when a message is sent, not when the app starts, so a test (or an operator)
switching ``smtp_url`` or the Twilio credentials takes effect on the next delivery.
"""

from __future__ import annotations

from notifications.channels.base import DeliveryChannel, PermanentDeliveryError
from notifications.channels.email import SmtpChannel
from notifications.channels.outbox import EmlOutboxChannel, RecordOnlyChannel
from notifications.channels.sms import TwilioSmsChannel
from notifications.models import Channel, OutboundMessage
from panel.core.config import Settings


def channel_for(message: OutboundMessage, settings: Settings) -> DeliveryChannel:
    """The channel that delivers ``message`` under ``settings``."""
    if message.channel == Channel.EMAIL:
        return EmlOutboxChannel() if settings.email_outbox else SmtpChannel()
    if message.channel == Channel.SMS:
        return RecordOnlyChannel() if settings.sms_outbox else TwilioSmsChannel()
    if message.channel == Channel.VOICE and settings.sms_outbox:
        return RecordOnlyChannel()
    raise PermanentDeliveryError(f"Stoop cannot deliver {message.channel} messages yet")
