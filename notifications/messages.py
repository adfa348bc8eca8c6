"""Message templates, and the one call that renders and queues them: :func:`queue`.

A message is a pair of Jinja templates named by a path without suffix: ``<name>.txt`` (the
plain text, with the subject in ``{% block subject %}``) and, for e-mail, ``<name>.html``. Both
extend the shared layouts of ``notifications/templates/notifications/`` (``email.txt``,
``email.html``: the organisation's name and colour, a button) and are rendered in the
recipient's language. Templates see:

- the ``context`` given to :func:`queue` (anything; shared by every recipient),
- ``brand`` — the organisation's sender identity (``brand.name``, ``brand.colour``,
  ``brand.text_on_colour``),
- ``to`` — the recipient's own values (``to.name``, ``to.link``; ``to.address`` always).

Rendering ten thousand personal e-mails one by one spent most of its time in Jinja and
gettext, saying the same sentences over and over. So a template is rendered **once per
language**, with each ``to.<name>`` standing in as a marker, and each recipient's message is
that result with the markers replaced by their values (HTML-escaped in the HTML part). The
price: ``to.*`` values are text to print, not to test or filter (``{% if to.name %}`` is
always true; put such logic in ``context``, or send one message per call, as the account
e-mails do).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, current_app
from flask_babel import force_locale
from jinja2 import Template, TemplateNotFound
from markupsafe import escape
from sqlalchemy.orm import Session

from notifications.dispatch import Outgoing, queue_messages
from notifications.models import Channel
from notifications.senders import SenderIdentity, sender_identity
from panel.core.config import Settings
from panel.core.errors import ValidationError

# Registered by the room only for its template folder (notifications/templates).
bp = Blueprint("notification_templates", __name__, template_folder="templates")

OPEN, CLOSE = "\ue000", "\ue001"  # private-use characters: never in a template or a value


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
    rendered: dict[str, Rendered] = {}
    for language in {language for _, language in wanted}:
        rendered[language] = render(
            template, language=language, sender=sender, context=context, channel=channel
        )
    messages = (
        _message(r, language, rendered[language], channel, purpose, ref, headers)
        for r, language in wanted
    )
    return queue_messages(session, organisation_id, messages)


def _message(
    recipient: Recipient,
    language: str,
    rendered: Rendered,
    channel: Channel,
    purpose: str,
    ref: str | None,
    headers: Mapping[str, str] | None,
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
