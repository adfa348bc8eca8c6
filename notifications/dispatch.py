"""Writing outbox rows and enqueuing their delivery after commit.

The interface the rest of Stoop uses to talk to people; see ``queue_email`` and ``queue_sms``.
Both only write a row in the caller's transaction: nothing is sent if it rolls back, and the
delivery task starts once it commits. ``dedupe_key`` (unique per organisation) makes a second
call for the same recipient and purpose a no-op, so a retried request never sends twice.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from notifications.channels.email import RESERVED_HEADERS
from notifications.models import Channel, OutboundMessage
from notifications.tasks import deliver_message
from panel.core.celery import enqueue_after_commit
from panel.core.errors import ValidationError
from panel.core.scoping import ALL_ORGS_OPTION

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
HEADER_NAME = re.compile(r"^[!-9;-~]+$")  # printable ASCII without ':' (RFC 5322 field name)


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
    _check_text("subject", subject, 300, single_line=True)
    return _queue(
        session,
        organisation_id=organisation_id,
        channel=Channel.EMAIL,
        recipient=_email_address(to),
        subject=subject,
        body_text=text,
        body_html=html,
        purpose=purpose,
        dedupe_key=dedupe_key,
        language=language,
        headers=_clean_headers(headers or {}),
    )


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
    if not E164.match(to or ""):
        raise ValidationError(f"{to!r} is not a phone number in international form (+46701234567).")
    if not text.strip():
        raise ValidationError("An SMS needs a text.")
    return _queue(
        session,
        organisation_id=organisation_id,
        channel=Channel.SMS,
        recipient=to,
        body_text=text,
        purpose=purpose,
        dedupe_key=dedupe_key,
        language=language,
    )


def find_message(session: Session, organisation_id: int, dedupe_key: str) -> OutboundMessage | None:
    """The outbox row of one organisation with this dedupe key, if any."""
    return session.scalar(
        sa.select(OutboundMessage)
        .where(
            OutboundMessage.organisation_id == organisation_id,
            OutboundMessage.dedupe_key == dedupe_key,
        )
        .execution_options(**{ALL_ORGS_OPTION: True})
    )


def _queue(session: Session, **values: Any) -> OutboundMessage:
    _check_text("purpose", values["purpose"], 60, single_line=True)
    _check_text("dedupe_key", values["dedupe_key"], 255, single_line=True)
    _check_text("language", values["language"], 2, single_line=True)
    existing = find_message(session, values["organisation_id"], values["dedupe_key"])
    if existing is not None:
        return existing
    message = OutboundMessage(**values)
    try:
        # A savepoint, so losing a race for the same key leaves the caller's transaction usable.
        with session.begin_nested():
            session.add(message)
    except IntegrityError:
        existing = find_message(session, values["organisation_id"], values["dedupe_key"])
        if existing is None:
            raise
        return existing
    enqueue_after_commit(session, deliver_message, message.id)
    return message


def _email_address(to: str) -> str:
    try:
        return validate_email(to or "", check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValidationError(f"{to!r} is not a valid e-mail address: {exc}") from exc


def _check_text(name: str, value: str, max_length: int, *, single_line: bool = False) -> None:
    if not value or len(value) > max_length:
        raise ValidationError(f"{name} must be 1 to {max_length} characters long.")
    if single_line and ("\r" in value or "\n" in value):
        raise ValidationError(f"{name} must be a single line.")


def _clean_headers(headers: dict[str, Any]) -> dict[str, str]:
    cleaned: dict[str, str] = {}
    for name, value in headers.items():
        if not HEADER_NAME.match(name) or name.lower() in RESERVED_HEADERS:
            raise ValidationError(f"{name!r} cannot be set as an extra e-mail header.")
        text = str(value)
        if "\r" in text or "\n" in text:
            raise ValidationError(f"The e-mail header {name} must be a single line.")
        cleaned[name] = text
    return cleaned
