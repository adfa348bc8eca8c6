"""Delivery channels, one per provider, chosen per batch from the current settings.

Settings are read when a batch is delivered, not when the app starts, so a test (or an
operator) switching ``smtp_url`` or the Twilio credentials takes effect on the next batch.
"""

from __future__ import annotations

from notifications.channels.base import DeliveryChannel, PermanentDeliveryError
from notifications.channels.email import SmtpChannel
from notifications.channels.outbox import EmlOutboxChannel, RecordOnlyChannel
from notifications.channels.sms import TwilioSmsChannel
from notifications.models import Channel
from notifications.senders import SenderIdentity
from panel.core.config import Settings


def open_channel(channel: Channel, settings: Settings, sender: SenderIdentity) -> DeliveryChannel:
    """The channel that delivers ``channel`` messages of ``sender``'s organisation."""
    if channel == Channel.EMAIL:
        if settings.email_outbox:
            return EmlOutboxChannel(settings, sender)
        return SmtpChannel(settings, sender)
    if channel == Channel.SMS:
        if settings.sms_outbox:
            return RecordOnlyChannel()
        return TwilioSmsChannel(settings, sender)
    if channel == Channel.VOICE and settings.sms_outbox:
        return RecordOnlyChannel()
    raise PermanentDeliveryError(f"Stoop cannot deliver {channel} messages yet")
