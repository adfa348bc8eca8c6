"""The embedded default: e-mail written as ``.eml`` files, SMS and voice only recorded.

Nothing leaves the machine. The dev mailbox page (``/app/dev/outbox``) shows both.
"""

from __future__ import annotations

from notifications import mailbox
from notifications.channels.base import Message, Receipt, TransientDeliveryError
from notifications.channels.email import email_bytes
from notifications.senders import SenderIdentity
from panel.core.config import Settings
from panel.core.db import utcnow


class EmlOutboxChannel:
    """Writes each e-mail to ``Settings.outbox_dir`` as an ``.eml`` file: the bytes SMTP would
    have carried, CRLF line endings included."""

    name = "outbox"

    def __init__(self, settings: Settings, sender: SenderIdentity) -> None:
        self.settings = settings
        self.sender = sender

    def send(self, message: Message) -> Receipt:
        data, message_id = email_bytes(message, self.sender)
        name = mailbox.file_name(message.organisation_id, message.id, utcnow())
        try:
            mailbox.write_mail(self.settings.outbox_dir, name, data)
        except OSError as exc:
            raise TransientDeliveryError(f"could not write to the outbox folder: {exc}") from exc
        return Receipt(provider=self.name, provider_id=message_id)

    def close(self) -> None:
        """Nothing to let go of."""


class RecordOnlyChannel:
    """SMS and voice without Twilio: the outbox row itself is the record, marked sent."""

    name = "outbox"

    def send(self, message: Message) -> Receipt:
        return Receipt(provider=self.name, provider_id=None)

    def close(self) -> None:
        """Nothing to let go of."""
