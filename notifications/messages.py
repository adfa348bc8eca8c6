"""Message templates, and the one call that renders and queues them: :func:`queue`.

A message is a pair of Jinja templates named by a path without suffix: ``<name>.txt`` (the
plain text, with the subject in ``{% block subject %}``) and, for e-mail, ``<name>.html``. Both
extend the shared layouts of ``notifications/templates/notifications/`` (``email.txt``,
``email.html``: the organisation's name and colour, a button) and are rendered in the
recipient's language. Templates see:

- the ``context`` given to :func:`queue` (anything; shared by every recipient),
- ``brand`` — the organisation's sender identity (``brand.name``, ``brand.colour``,
  ``brand.text_on_colour``),
- ``to`` — the recipient's own values (``to.name``, ``to.link``; ``to.address`` always;
  ``to.unsubscribe`` in a bulk e-mail, which the shared layouts put in the footer).
- ``bulk`` — True when the message is queued by :func:`queue_bulk`.

Rendering ten thousand personal e-mails one by one spent most of its time in Jinja and
gettext, saying the same sentences over and over. So a template is rendered **once per
language**, with each ``to.<name>`` standing in as a marker, and each recipient's message is
that result with the markers replaced by their values (HTML-escaped in the HTML part). The
price: ``to.*`` values are text to print, not to test or filter (``{% if to.name %}`` is
always true; put such logic in ``context``, or send one message per call, as the account
e-mails do).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, current_app
from flask_babel import force_locale
from jinja2 import Template, TemplateNotFound
from markupsafe import escape
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from notifications import optouts
from notifications.dispatch import Outgoing, email_address, phone_number, queue_messages
from notifications.models import Channel, UnsubscribeToken
from notifications.senders import SenderIdentity, organisation_slug, sender_identity
from panel.core.config import Settings
from panel.core.db import utcnow
from panel.core.errors import ValidationError

# Registered by the room only for its template folder (notifications/templates).
bp = Blueprint("notification_templates", __name__, template_folder="templates")

OPEN, CLOSE = "\ue000", "\ue001"  # private-use characters: never in a template or a value
# A list key goes into the List-Id header as a dot-atom label: lower-case letters, digits, '-'.
LIST_KEY = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?$")
UNSUBSCRIBE_PATH = "/unsubscribe/"
# Messages a bulk queue fills in and writes at a time (see queue_bulk).
BULK_CHUNK = 500
TOKENS = UnsubscribeToken.__table__


@dataclass(frozen=True)
class Recipient:
    """One person to write to: an e-mail address or an E.164 number, the key that makes the
    message unique for them, their language and their own template values (``to.*``)."""

    address: str
    dedupe_key: str
    language: str | None = None
    values: Mapping[str, Any] = field(default_factory=dict)
    contact_id: int | None = None
    ref: str | None = None


class _Slots:
    """``to`` while a template renders: ``to.name`` is the marker of the value ``name``."""

    def __getattr__(self, name: str) -> str:
        if name.startswith("_"):
            raise AttributeError(name)
        return f"{OPEN}{name}{CLOSE}"

    __getitem__ = __getattr__


@dataclass(frozen=True)
class Skeleton:
    """A rendered template with ``to.*`` markers, split once so that filling it in for one
    recipient is a join: literal, slot name, literal, slot name, … literal."""

    parts: tuple[str, ...]
    escaped: bool

    @classmethod
    def of(cls, rendered: str, *, escaped: bool) -> Skeleton:
        parts: list[str] = []
        for chunk in rendered.split(OPEN):
            name, _sep, rest = chunk.partition(CLOSE)
            if _sep:
                parts.extend((name, rest))
            else:
                parts.append(chunk)
        return cls(tuple(parts), escaped)

    @property
    def slots(self) -> frozenset[str]:
        return frozenset(self.parts[1::2])

    def fill(self, values: Mapping[str, str], escaped_values: Mapping[str, str]) -> str:
        """The text for one recipient (``values`` raw, ``escaped_values`` for HTML)."""
        if len(self.parts) == 1:
            return self.parts[0]
        given = escaped_values if self.escaped else values
        out = list(self.parts)
        out[1::2] = [given[name] for name in self.parts[1::2]]
        return "".join(out)


@dataclass(frozen=True)
class Rendered:
    """One template in one language: subject, text and HTML, each waiting for ``to.*``."""

    subject: Skeleton
    text: Skeleton
    html: Skeleton | None

    @property
    def slots(self) -> frozenset[str]:
        found = self.subject.slots | self.text.slots
        return found | self.html.slots if self.html else found


def render(
    name: str,
    *,
    language: str,
    sender: SenderIdentity,
    context: Mapping[str, Any] | None = None,
    channel: Channel = Channel.EMAIL,
) -> Rendered:
    """Render template ``name`` once in ``language`` for ``sender``'s organisation."""
    env = current_app.jinja_env
    variables = {**(context or {}), "brand": sender, "to": _Slots(), "language": language}
    with force_locale(language):
        text_template = env.get_template(f"{name}.txt")
        subject = _subject(text_template, variables) if channel == Channel.EMAIL else ""
        variables["subject"] = subject
        text = text_template.render(variables).strip("\n") + "\n"
        html = None
        if channel == Channel.EMAIL:
            html_template = _optional(f"{name}.html")
            html = html_template.render(variables) if html_template else None
    return Rendered(
        subject=Skeleton.of(subject, escaped=False),
        text=Skeleton.of(text, escaped=False),
        html=Skeleton.of(html, escaped=True) if html is not None else None,
    )


def queue(
    session: Session,
    *,
    organisation_id: int,
    template: str,
    purpose: str,
    recipients: Iterable[Recipient],
    context: Mapping[str, Any] | None = None,
    channel: Channel = Channel.EMAIL,
    ref: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> list[int]:
    """Render ``template`` for each recipient in their language and write the messages to the
    outbox in one statement; they are delivered, in batches, after the session commits.

    The one way Stoop talks to people: account e-mails today; sends, replies, digests and
    newsletters tomorrow. Returns the ids of the rows written (a recipient whose dedupe key
    was used before is skipped). ``ref`` (``"question:12"``) applies to every recipient that
    has none of its own.
    """
    settings: Settings = current_app.config["STOOP"]
    sender = sender_identity(session, organisation_id, settings)
    wanted = [(r, r.language or settings.default_language) for r in recipients]
    rendered = _render_languages(wanted, template, sender, context, channel)
    messages = (
        _message(r, language, rendered[language], channel, purpose, ref, headers)
        for r, language in wanted
    )
    return queue_messages(session, organisation_id, messages)


def _render_languages(
    wanted: list[tuple[Recipient, str]],
    template: str,
    sender: SenderIdentity,
    context: Mapping[str, Any] | None,
    channel: Channel,
) -> dict[str, Rendered]:
    return {
        language: render(
            template, language=language, sender=sender, context=context, channel=channel
        )
        for language in {language for _, language in wanted}
    }


@dataclass(frozen=True)
class BulkQueued:
    """What :func:`queue_bulk` did: the rows it wrote, and whom it held back because they
    opted out of the channel (a send's page shows how many)."""

    ids: list[int]
    skipped: int
    skipped_contact_ids: frozenset[int]


def queue_bulk(
    session: Session,
    *,
    organisation_id: int,
    template: str,
    purpose: str,
    list_key: str,
    recipients: Iterable[Recipient],
    context: Mapping[str, Any] | None = None,
    channel: Channel = Channel.EMAIL,
    ref: str | None = None,
) -> BulkQueued:
    """:func:`queue` for a bulk message (a question to a panel, a reminder, an area blast):
    the same rendering and outbox, plus the rules of bulk messaging.

    - A recipient who opted out of ``channel`` (by contact, ``Recipient.contact_id``, or by
      address) is not queued: no row is written for them, and they count in ``skipped``.
    - Each e-mail carries ``List-Id`` (``<list_key.organisation.domain>``), a personal
      ``List-Unsubscribe`` link with one-click ``List-Unsubscribe-Post`` (RFC 8058), and the
      same link in the footer of its text and HTML parts (``to.unsubscribe`` in templates).
      The link's token stands for the contact (or the address) and ``list_key``; unsubscribing
      opts them out of bulk e-mail and calls the handler registered for the list key
      (:func:`notifications.optouts.register_unsubscribe_handler`).

    ``list_key`` names the list within the organisation: ``panel-12``, ``area-7``.
    """
    if not LIST_KEY.match(list_key or ""):
        raise ValidationError(
            f"list_key must be 1 to 60 lower-case letters, digits and hyphens: {list_key!r}"
        )
    settings: Settings = current_app.config["STOOP"]
    held = optouts.suppressed(session, organisation_id, channel)
    wanted: list[tuple[Recipient, str]] = []
    skipped: set[int] = set()
    skipped_count = 0
    for recipient in recipients:
        address = _normalised(channel, recipient.address)
        if held.holds(recipient.contact_id, address):
            skipped_count += 1
            if recipient.contact_id is not None:
                skipped.add(recipient.contact_id)
            continue
        wanted.append((recipient, recipient.language or settings.default_language))
    if not wanted:
        return BulkQueued([], skipped_count, frozenset(skipped))
    sender = sender_identity(session, organisation_id, settings)
    # The layouts add the unsubscribe link to an e-mail's footer (an SMS has no room for it).
    bulk_context = {**(context or {}), "bulk": True, "unsubscribe": channel == Channel.EMAIL}
    rendered = _render_languages(wanted, template, sender, bulk_context, channel)
    list_id = None
    if channel == Channel.EMAIL:
        slug = organisation_slug(session, organisation_id)
        list_id = f"<{list_key}.{slug}.{_list_domain(settings, sender)}>"
    ids: list[int] = []
    # Written a chunk at a time, in the caller's transaction: a send to a whole company holds
    # one chunk's filled-in messages in memory, not every tenant's.
    for start in range(0, len(wanted), BULK_CHUNK):
        chunk = wanted[start : start + BULK_CHUNK]
        if list_id is None:
            messages = [
                _message(r, language, rendered[language], channel, purpose, ref, None, list_key)
                for r, language in chunk
            ]
        else:
            messages = _bulk_emails(
                session, settings, organisation_id, list_key, list_id, chunk, rendered, purpose, ref
            )
        ids += queue_messages(session, organisation_id, messages)
    return BulkQueued(ids, skipped_count, frozenset(skipped))


def _bulk_emails(
    session: Session,
    settings: Settings,
    organisation_id: int,
    list_key: str,
    list_id: str,
    chunk: list[tuple[Recipient, str]],
    rendered: Mapping[str, Rendered],
    purpose: str,
    ref: str | None,
) -> list[Outgoing]:
    """One chunk's e-mails, each with its list headers and personal unsubscribe link."""
    links = _unsubscribe_links(session, settings, organisation_id, list_key, chunk)
    messages = []
    for (recipient, language), link in zip(chunk, links, strict=True):
        headers = {
            "List-Id": list_id,
            "List-Unsubscribe": f"<{link}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }
        with_link = Recipient(
            address=recipient.address,
            dedupe_key=recipient.dedupe_key,
            language=recipient.language,
            values={**recipient.values, "unsubscribe": link},
            contact_id=recipient.contact_id,
            ref=recipient.ref,
        )
        filled = rendered[language]
        email = Channel.EMAIL
        messages.append(
            _message(with_link, language, filled, email, purpose, ref, headers, list_key)
        )
    return messages


def unsubscribe_token(secret: str, organisation_id: int, who: str, list_key: str) -> str:
    """The token of one person's unsubscribe link for one list: the same every time (so every
    message of a list carries the same link), 256 bits of HMAC that reveal nothing."""
    message = f"unsubscribe:{organisation_id}:{who}:{list_key}".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def token_hash(token: str) -> str:
    """What is stored of a token: its SHA-256 (a leaked table unsubscribes no one)."""
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def _unsubscribe_links(
    session: Session,
    settings: Settings,
    organisation_id: int,
    list_key: str,
    wanted: list[tuple[Recipient, str]],
) -> list[str]:
    """Each recipient's unsubscribe link, its token written (once) in one statement."""
    now = utcnow()
    links, rows = [], {}
    for recipient, language in wanted:
        address = email_address(recipient.address)
        who = f"c{recipient.contact_id}" if recipient.contact_id is not None else f"a{address}"
        token = unsubscribe_token(settings.secret_key, organisation_id, who, list_key)
        links.append(settings.base_url + UNSUBSCRIBE_PATH + token)
        hashed = token_hash(token)
        rows[hashed] = {
            "organisation_id": organisation_id,
            "token_hash": hashed,
            "list_key": list_key,
            "address": address,
            "contact_id": recipient.contact_id,
            "language": language,
            "created_at": now,
        }
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(
        insert(TOKENS).on_conflict_do_nothing(index_elements=["token_hash"]), list(rows.values())
    )
    return links


def _list_domain(settings: Settings, sender: SenderIdentity) -> str:
    """The domain List-Ids end in: Stoop's own host name, or the sender's mail domain where the
    base URL is an address (a test, a laptop)."""
    host = (urlsplit(settings.base_url).hostname or "").lower()
    if host and any(c.isalpha() for c in host) and "." in host and host.isascii():
        return host
    domain = sender.email_address.rpartition("@")[2].lower()
    return domain if domain.isascii() and "." in domain else "stoop.localhost"


def _normalised(channel: Channel, address: str) -> str:
    # The opt-out list holds addresses as the outbox writes them; a malformed one fails later
    # with the outbox's own message.
    try:
        return email_address(address) if channel == Channel.EMAIL else phone_number(address)
    except ValidationError:
        return address


def _message(
    recipient: Recipient,
    language: str,
    rendered: Rendered,
    channel: Channel,
    purpose: str,
    ref: str | None,
    headers: Mapping[str, str] | None,
    list_key: str | None = None,
) -> Outgoing:
    values = _values(recipient, rendered.slots)
    escaped = {name: str(escape(value)) for name, value in values.items()}
    return Outgoing(
        channel=channel,
        recipient=recipient.address,
        purpose=purpose,
        dedupe_key=recipient.dedupe_key,
        language=language,
        subject=" ".join(rendered.subject.fill(values, escaped).split()),
        body_text=rendered.text.fill(values, escaped),
        body_html=rendered.html.fill(values, escaped) if rendered.html else None,
        headers=headers or {},
        contact_id=recipient.contact_id,
        ref=recipient.ref or ref,
        list_key=list_key,
    )


def _values(recipient: Recipient, slots: frozenset[str]) -> dict[str, str]:
    values = {"address": recipient.address}
    for name in slots:
        if name == "address":
            continue
        if name not in recipient.values:
            raise ValidationError(
                f"The message template uses to.{name}, which the recipient "
                f"{recipient.address} has no value for."
            )
        text = str(recipient.values[name])
        values[name] = text.replace(OPEN, "").replace(CLOSE, "")
    return values


def _subject(template: Template, variables: dict[str, Any]) -> str:
    block = template.blocks.get("subject")
    if block is None:
        raise ValidationError(f"The e-mail template {template.name} has no subject block.")
    return " ".join("".join(block(template.new_context(variables))).split())


def _optional(name: str) -> Template | None:
    try:
        return current_app.jinja_env.get_template(name)
    except TemplateNotFound:
        return None
