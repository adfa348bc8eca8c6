"""The embedded default: e-mail written as ``.eml`` files, SMS and voice only recorded.

Nothing leaves the machine. The dev mailbox page (``/app/dev/outbox``) shows both.
"""

from __future__ import annotations

from notifications import mailbox
from notifications.channels.base import Receipt, TransientDeliveryError
from notifications.channels.email import build_email
from notifications.models import OutboundMessage
from panel.core.config import Settings
from panel.core.db import utcnow


class EmlOutboxChannel:
    """Writes each e-mail to ``Settings.outbox_dir`` as an RFC 822 ``.eml`` file."""

    name = "outbox"

    def send(self, message: OutboundMessage, settings: Settings) -> Receipt:
        email = build_email(message, settings)
        name = mailbox.file_name(message.organisation_id, message.id, utcnow())
        try:
            mailbox.write_mail(settings.outbox_dir, name, email.as_bytes())
        except OSError as exc:
            raise TransientDeliveryError(f"could not write to the outbox folder: {exc}") from exc
        return Receipt(provider=self.name, provider_id=email["Message-ID"])


class RecordOnlyChannel:
    """SMS and voice without Twilio: the outbox row itself is the record, marked sent."""

    name = "outbox"

    def send(self, message: OutboundMessage, settings: Settings) -> Receipt:
        return Receipt(provider=self.name, provider_id=None)
