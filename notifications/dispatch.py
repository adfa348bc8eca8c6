"""Writing outbox rows and enqueuing their delivery after commit.

The interface the rest of Stoop uses to talk to people; see ``queue_email`` and ``queue_sms``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from notifications.models import OutboundMessage


def queue_email(
    session: Session,
    *,
    organisation_id: int,
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    purpose: str,
    dedupe_key: str,
    language: str = "en",
    headers: dict[str, Any] | None = None,
) -> OutboundMessage:
    """Write one e-mail to the outbox (a no-op returning the existing row if ``dedupe_key`` was
    used before) and deliver it after the session commits."""
    raise NotImplementedError


def queue_sms(
    session: Session,
    *,
    organisation_id: int,
    to: str,
    text: str,
    purpose: str,
    dedupe_key: str,
    language: str = "en",
) -> OutboundMessage:
    """Write one SMS (``to`` in E.164) to the outbox and deliver it after the session commits."""
    raise NotImplementedError
