"""Writing outbox rows, one or ten thousand, and enqueuing their delivery after commit.

Every message Stoop sends is a row written here in the caller's transaction: nothing is sent if
it rolls back, and delivery starts once it commits. ``dedupe_key`` (unique per organisation)
makes writing the same message twice a no-op, so a retried request never sends twice.

Rows are written with one ``INSERT … ON CONFLICT (organisation_id, dedupe_key) DO NOTHING``
for the whole lot (the driver sends it as a few multi-row statements), and delivery is enqueued
as one task per batch of :data:`DELIVERY_BATCH` new rows, never one per message. Templates are
rendered before this (``notifications.messages``); this module takes finished texts.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from notifications.channels.email import RESERVED_HEADERS
from notifications.driver import compiled, driver_connection
from notifications.models import Channel, DeliveryState, OutboundMessage
from notifications.tasks import deliver_batch
from panel.core.celery import enqueue_after_commit
from panel.core.db import utcnow
from panel.core.errors import ValidationError
from panel.core.scoping import ALL_ORGS_OPTION, CrossOrganisationError, current_organisation_id

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
HEADER_NAME = re.compile(r"^[!-9;-~]+$")  # printable ASCII without ':' (RFC 5322 field name)
REF = re.compile(r"^[a-z_]+:[A-Za-z0-9_.-]+$")
# Most addresses have this plain shape: a dot-atom local part and an ASCII domain of
# letter-digit-hyphen labels (no punycode) under an alphabetic top-level domain. Checked with
# this expression, they skip email_validator's full parse (~50 µs each: most of the time of
# queueing ten thousand messages) and come out exactly as it would normalise them.
ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
LABEL = r"(?!xn--)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
PLAIN_ADDRESS = re.compile(rf"^{ATOM}(?:\.{ATOM})*@(?:{LABEL}\.)+[A-Za-z]{{2,63}}$")
# One delivery task per this many new rows: one claim, one SMTP connection, one lease.
DELIVERY_BATCH = 100
TABLE = OutboundMessage.__table__
# The columns a queued message sets (see _row).
ROW_COLUMNS = (
    "organisation_id",
    "channel",
    "recipient",
    "purpose",
    "dedupe_key",
    "language",
    "subject",
    "body_text",
    "body_html",
    "headers",
    "contact_id",
    "ref",
    "list_key",
)


@dataclass(frozen=True)
class Outgoing:
    """One finished message to write: who, what, and why (``purpose`` and ``dedupe_key``)."""

    channel: Channel
    recipient: str
    purpose: str
    dedupe_key: str
    body_text: str
    subject: str = ""
    body_html: str | None = None
    language: str = "en"
    headers: Mapping[str, Any] = field(default_factory=dict)
    contact_id: int | None = None
    ref: str | None = None
    list_key: str | None = None  # a bulk message's list (see messages.queue_bulk)


def queue_messages(
    session: Session, organisation_id: int, messages: Iterable[Outgoing]
) -> list[int]:
    """Write messages to the outbox in one statement and deliver them after the session
    commits. Returns the ids of the rows written; a message whose ``dedupe_key`` was used
    before (or twice in ``messages``) is skipped. Bad input raises ``ValidationError`` before
    anything is written."""
    scope = current_organisation_id(session)
    if scope is not None and scope != organisation_id:
        raise CrossOrganisationError("outbox rows for another organisation")
    rows = [_row(organisation_id, message) for message in messages]
    if not rows:
        return []
    ids = _insert(session, rows)
    for start in range(0, len(ids), DELIVERY_BATCH):
        enqueue_after_commit(session, deliver_batch, ids[start : start + DELIVERY_BATCH])
    return ids


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
    contact_id: int | None = None,
    ref: str | None = None,
) -> OutboundMessage:
    """Write one e-mail to the outbox (a no-op returning the existing row if ``dedupe_key`` was
    used before) and deliver it after the session commits."""
    message = Outgoing(
        channel=Channel.EMAIL,
        recipient=to,
        subject=subject,
        body_text=text,
        body_html=html,
        purpose=purpose,
        dedupe_key=dedupe_key,
        language=language,
        headers=headers or {},
        contact_id=contact_id,
        ref=ref,
    )
    return _queue_one(session, organisation_id, message)


def queue_sms(
    session: Session,
    *,
    organisation_id: int,
    to: str,
    text: str,
    purpose: str,
    dedupe_key: str,
    language: str = "en",
    contact_id: int | None = None,
    ref: str | None = None,
) -> OutboundMessage:
    """Write one SMS (``to`` in E.164) to the outbox and deliver it after the session commits."""
    message = Outgoing(
        channel=Channel.SMS,
        recipient=to,
        body_text=text,
        purpose=purpose,
        dedupe_key=dedupe_key,
        language=language,
        contact_id=contact_id,
        ref=ref,
    )
    return _queue_one(session, organisation_id, message)


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


def _queue_one(session: Session, organisation_id: int, message: Outgoing) -> OutboundMessage:
    queue_messages(session, organisation_id, [message])
    row = find_message(session, organisation_id, message.dedupe_key)
    assert row is not None  # written now, or before
    return row


def _insert(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """``INSERT … ON CONFLICT (organisation_id, dedupe_key) DO NOTHING RETURNING id`` for
    every row at once; the ids of the rows written."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        now = utcnow()
        full = [{**NEW_ROW, "created_at": now, **row} for row in rows]
        statement = compiled(_postgresql_insert(), connection.dialect)
        return statement.run_many(driver_connection(connection), full)
    # SQLite: SQLAlchemy sends multi-row VALUES pages of up to 1,000 rows.
    insert = (
        sqlite.insert(TABLE)
        .on_conflict_do_nothing(index_elements=["organisation_id", "dedupe_key"])
        .returning(TABLE.c.id)
    )
    return list(session.scalars(insert, rows))


# What a new row holds besides its message (the model's defaults, given explicitly to the
# driver-level insert).
NEW_ROW = {"state": DeliveryState.QUEUED, "attempts": 0}


@functools.cache
def _postgresql_insert() -> Any:
    names = (*ROW_COLUMNS, *NEW_ROW, "created_at")
    return (
        postgresql.insert(TABLE)
        .values({name: sa.bindparam(name, type_=TABLE.c[name].type) for name in names})
        .on_conflict_do_nothing(index_elements=["organisation_id", "dedupe_key"])
        .returning(TABLE.c.id)
    )


def _row(organisation_id: int, message: Outgoing) -> dict[str, Any]:
    """The column values of one message, checked."""
    _check_text("purpose", message.purpose, 60, single_line=True)
    _check_text("dedupe_key", message.dedupe_key, 255, single_line=True)
    _check_text("language", message.language, 2, single_line=True)
    if message.ref is not None and (len(message.ref) > 60 or not REF.match(message.ref)):
        raise ValidationError(
            f"ref must look like 'thread:7' (at most 60 characters): {message.ref!r}"
        )
    if message.channel == Channel.EMAIL:
        recipient = email_address(message.recipient)
        _check_text("subject", message.subject, 300, single_line=True)
        headers = _clean_headers(message.headers)
    else:
        recipient = phone_number(message.recipient)
        if not message.body_text.strip():
            raise ValidationError("An SMS needs a text.")
        headers = {}
    return {  # the keys are ROW_COLUMNS
        "organisation_id": organisation_id,
        "channel": message.channel,
        "recipient": recipient,
        "purpose": message.purpose,
        "dedupe_key": message.dedupe_key,
        "language": message.language,
        "subject": message.subject,
        "body_text": message.body_text,
        "body_html": message.body_html,
        "headers": headers,
        "contact_id": message.contact_id,
        "ref": message.ref,
        "list_key": message.list_key,
    }


def email_address(to: str) -> str:
    """``to`` as a normalised e-mail address, or a ``ValidationError`` saying what is wrong."""
    plain = _plain_address(to or "")
    if plain is not None:
        return plain
    try:
        return validate_email(to or "", check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValidationError(f"{to!r} is not a valid e-mail address: {exc}") from exc


def _plain_address(to: str) -> str | None:
    if len(to) > 254 or not PLAIN_ADDRESS.match(to):
        return None
    local, _, domain = to.rpartition("@")
    domain = domain.lower()
    if len(local) > 64 or any(len(label) > 63 for label in domain.split(".")):
        return None
    if any(domain == name or domain.endswith("." + name) for name in SPECIAL_USE_DOMAIN_NAMES):
        return None  # email_validator refuses these, with a reason
    return f"{local}@{domain}"


def phone_number(to: str) -> str:
    """``to`` if it is a phone number in E.164, else a ``ValidationError``."""
    if not E164.match(to or ""):
        raise ValidationError(f"{to!r} is not a phone number in international form (+46701234567).")
    return to


def _check_text(name: str, value: str, max_length: int, *, single_line: bool = False) -> None:
    if not value or len(value) > max_length:
        raise ValidationError(f"{name} must be 1 to {max_length} characters long.")
    if single_line and ("\r" in value or "\n" in value):
        raise ValidationError(f"{name} must be a single line.")


def _clean_headers(headers: Mapping[str, Any]) -> dict[str, str]:
    cleaned: dict[str, str] = {}
    for name, value in headers.items():
        if not HEADER_NAME.match(name) or name.lower() in RESERVED_HEADERS:
            raise ValidationError(f"{name!r} cannot be set as an extra e-mail header.")
        text = str(value)
        if "\r" in text or "\n" in text:
            raise ValidationError(f"The e-mail header {name} must be a single line.")
        cleaned[name] = text
    return cleaned
