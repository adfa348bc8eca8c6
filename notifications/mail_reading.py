"""Reading an inbound e-mail as a mail provider posts it (the raw RFC 822 bytes): who wrote it,
to which of our addresses, what is new in it, what is attached, and whether a machine wrote it.

Pure functions: bytes in, plain values out. The new text is the plain-text part (or, without
one, the HTML part turned into text), with its quote, signature and mobile footer taken off
(:mod:`notifications.mail_quotes`, :mod:`notifications.mail_html`). A message is *automatic*
when a machine wrote it — an out-of-office, a vacation responder, a bounce — by its headers
(``Auto-Submitted`` other than ``no``, ``X-Autoreply``, ``X-Autorespond``, ``Precedence``
bulk, auto_reply or junk, an empty ``Return-Path``, a delivery report) or by its subject ("Out
of office", "Automatic reply", "Autosvar", "Frånvaro", "Afwezig", "Automatisch antwoord"), so
that nothing ever answers it: no mail loops.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from email.message import EmailMessage, Message
from email.utils import getaddresses
from typing import Any

from notifications.mail_html import html_to_text
from notifications.mail_quotes import strip_reply, tidy, unflow

MAX_ID = 120  # InboundMessage.provider_id
MAX_SUBJECT = 300
MAX_REFERENCES = 20
MAX_ATTACHMENTS = 50
# Where the address a message was delivered to can be: the envelope first (set by the
# receiving server), then what the writer put in To and Cc.
RECIPIENT_HEADERS = ("Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To", "To", "Cc")
REPLY_ADDRESS = re.compile(r"^reply\+([A-Za-z0-9_-]{16,64})@[^@\s]+$")
AUTOMATIC_PRECEDENCE = {"bulk", "auto_reply", "junk"}
AUTOMATIC_SUBJECT = re.compile(
    r"\b(out of (the )?office|automatic reply|auto[- ]?reply|autoreply|autosvar|"
    r"automatiskt svar|frånvaro\w*|afwezig\w*|automatisch antwoord|abwesenheit\w*)\b",
    re.IGNORECASE,
)


class MailUnreadable(ValueError):
    """The bytes are not an e-mail Stoop can read; ``str()`` says why, for the sender's log."""


@dataclass(frozen=True)
class Attachment:
    """A file the message carries (not its text): name, type and size in bytes."""

    filename: str
    content_type: str
    size: int

    def as_payload(self) -> dict[str, Any]:
        """The attachment as the stored message's payload lists it."""
        return {"filename": self.filename, "content_type": self.content_type, "size": self.size}


@dataclass(frozen=True)
class Mail:
    """What Stoop reads of an e-mail (see the module)."""

    message_id: str  # without its angle brackets; "" when the message has none
    sender: str  # the From address, lower-cased
    sender_name: str
    recipients: tuple[str, ...]  # every address it names as delivered or sent to
    subject: str
    in_reply_to: str
    references: tuple[str, ...]
    text: str  # what is new: quote, signature and footer taken off
    full_text: str  # the whole text part, quote included
    attachments: tuple[Attachment, ...]
    automatic: bool

    def provider_id(self, raw: bytes) -> str:
        """The message's own id, which a redelivery repeats: its Message-ID, else (none, or
        one too long to keep) a SHA-256 of what identifies it."""
        if self.message_id and len(self.message_id) <= MAX_ID:
            return self.message_id
        if self.message_id:
            return "message-id-sha256:" + hashlib.sha256(self.message_id.encode()).hexdigest()
        return "sha256:" + hashlib.sha256(raw).hexdigest()

    def reply_address(self) -> tuple[str, str] | None:
        """(address, token) of the first per-thread reply address it was sent to."""
        return reply_token(self.recipients)

    def payload(self) -> dict[str, Any]:
        """What the stored inbound message keeps besides sender, recipient and text."""
        return {
            "subject": self.subject,
            "message_id": self.message_id,
            "in_reply_to": self.in_reply_to,
            "references": list(self.references),
            "from_name": self.sender_name,
            "attachments": [a.as_payload() for a in self.attachments],
            "automatic": self.automatic,
        }


def reply_token(addresses: Iterable[str]) -> tuple[str, str] | None:
    """(address, token) of the first ``reply+<token>@…`` address among ``addresses``."""
    for address in addresses:
        found = REPLY_ADDRESS.match(address.strip())
        if found:
            return address.strip(), found.group(1)
    return None


def parse(raw: bytes) -> EmailMessage:
    """The message object of ``raw``; :class:`MailUnreadable` when it has no headers."""
    if not raw or not raw.strip():
        raise MailUnreadable("The body is empty: post the e-mail as its raw RFC 822 bytes.")
    message = email.message_from_bytes(raw, policy=email.policy.default)
    if not message.keys():
        raise MailUnreadable(
            "No e-mail headers were found: post the e-mail as its raw RFC 822 bytes."
        )
    return message  # type: ignore[return-value]


def read_mail(raw: bytes) -> Mail:
    """Read one e-mail (see the module); :class:`MailUnreadable` when it cannot be."""
    message = parse(raw)
    try:
        return _read(message)
    except MailUnreadable:
        raise
    except Exception as exc:  # the stdlib parser raises many kinds of error on hostile input
        raise MailUnreadable(f"The e-mail could not be read ({type(exc).__name__}).") from exc


def _read(message: EmailMessage) -> Mail:
    senders = getaddresses([header(message, "From")])
    name, address = senders[0] if senders else ("", "")
    if "@" not in address:
        raise MailUnreadable("The e-mail has no From address.")
    full = body_text(message)
    return Mail(
        message_id=_message_id(header(message, "Message-ID")),
        sender=address.strip().lower()[:254],
        sender_name=name.strip()[:120],
        recipients=tuple(recipients(message)),
        subject=" ".join(header(message, "Subject").split())[:MAX_SUBJECT],
        in_reply_to=_message_id(header(message, "In-Reply-To")),
        references=tuple(_ids(header(message, "References")))[-MAX_REFERENCES:],
        text=strip_reply(full),
        full_text=full,
        attachments=tuple(attachment for attachment, _data in attachments(message)),
        automatic=is_automatic(message),
    )


def header(message: Message, name: str) -> str:
    """A header's decoded value (several joined by commas), "" when missing or unreadable."""
    values = message.get_all(name) or []
    texts = []
    for value in values:
        try:
            text = str(value)
        except Exception:  # noqa: BLE001, S112 - a header the parser cannot decode is left out
            continue
        texts.append(_clean(text))
    return ", ".join(texts)


def _clean(text: str) -> str:
    """Undecodable bytes (kept by the parser as surrogates) as U+FFFD, no control characters."""
    text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return "".join(ch if ch.isprintable() or ch in "\t\n" else " " for ch in text)


def _message_id(value: str) -> str:
    found = _ids(value)
    return found[0] if found else ""


def _ids(value: str) -> list[str]:
    return [found.strip() for found in re.findall(r"<([^<>\s]+)>", value)]


def recipients(message: Message) -> Iterator[str]:
    """Every address the message names as delivered or sent to, envelope first, lower-cased
    but for the part before the @ (a reply address's token is case-sensitive)."""
    for name in RECIPIENT_HEADERS:
        for _display, address in getaddresses([header(message, name)]):
            local, at, domain = address.strip().rpartition("@")
            if at:
                yield f"{local}@{domain.lower()}"


def is_automatic(message: Message) -> bool:
    """True when a machine wrote the message (see the module)."""
    submitted = header(message, "Auto-Submitted").strip().lower()
    if submitted and not submitted.startswith("no"):
        return True
    if header(message, "X-Autoreply") or header(message, "X-Autorespond"):
        return True
    if header(message, "Precedence").strip().lower() in AUTOMATIC_PRECEDENCE:
        return True
    if message.get("Return-Path") is not None and header(message, "Return-Path").strip() == "<>":
        return True
    if message.get_content_type() == "multipart/report":
        return True
    return bool(AUTOMATIC_SUBJECT.search(header(message, "Subject")))


@dataclass(frozen=True)
class _Leaf:
    """A part that is no container, with what its headers say (each read once: the parser's
    header objects are slow to make)."""

    part: Message
    content_type: str
    disposition: str | None
    filename: str | None

    @property
    def is_text(self) -> bool:
        """A rendering of the message's text (not a text file attached)."""
        return (
            self.content_type.startswith("text/")
            and self.disposition != "attachment"
            and not self.filename
        )


def _leaves(part: Message) -> Iterator[_Leaf]:
    """The parts that are not containers, in order; a message/* part counts as one."""
    content_type = part.get_content_type()
    if part.is_multipart() and not content_type.startswith("message/"):
        for inner in part.get_payload():  # type: ignore[union-attr]
            yield from _leaves(inner)  # type: ignore[arg-type]
    elif not content_type.startswith("multipart/"):
        yield _Leaf(part, content_type, part.get_content_disposition(), part.get_filename())


def _bodies(leaves: list[_Leaf]) -> tuple[_Leaf | None, _Leaf | None]:
    """The first plain-text and the first HTML rendering of the text."""
    plain = next(
        (leaf for leaf in leaves if leaf.is_text and leaf.content_type == "text/plain"), None
    )
    html = next(
        (leaf for leaf in leaves if leaf.is_text and leaf.content_type == "text/html"), None
    )
    return plain, html


def body_text(message: Message) -> str:
    """The message's text: its plain-text part, else its HTML part as text (quote left out)."""
    plain, html = _bodies(list(_leaves(message)))
    if plain is not None:
        text = tidy(_text_of(plain.part))
        if text:
            return text
    if html is not None:
        return tidy(html_to_text(_text_of(html.part)))
    return ""


def _text_of(part: Message) -> str:
    """A text part decoded (its transfer encoding and charset), and unflowed when it is
    ``format=flowed``. Bytes sent without their charset (or as "ASCII") are read as UTF-8,
    else as Windows-1252; an unknown charset as UTF-8 with replacements."""
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        data = str(data or "").encode("utf-8", "surrogateescape")
    text = decode(data, part.get_content_charset())
    if str(part.get_param("format") or "").lower() == "flowed":
        text = unflow(text, delsp=str(part.get_param("delsp") or "").lower() == "yes")
    return text


def decode(data: bytes, charset: str | None) -> str:
    """``data`` as text in ``charset`` (see :func:`_text_of` for a missing or unknown one)."""
    declared = (charset or "us-ascii").lower()
    if declared in ("us-ascii", "ascii", "unknown-8bit", "x-unknown") and not data.isascii():
        try:
            return _clean(data.decode("utf-8"))
        except UnicodeDecodeError:
            return _clean(data.decode("cp1252", "replace"))
    try:
        return _clean(data.decode(declared, "replace"))
    except LookupError:
        return _clean(data.decode("utf-8", "replace"))


def attachments(message: Message) -> Iterator[tuple[Attachment, bytes]]:
    """Each file the message carries, with its bytes: parts marked as attachments, and inline
    parts that are not text (a photo, a clip). A forwarded message is one file."""
    leaves = [leaf for leaf in _leaves(message) if not leaf.is_text]
    for count, leaf in enumerate(leaves[:MAX_ATTACHMENTS]):
        data = _payload_bytes(leaf)
        name = _clean(leaf.filename or "")[:255] or f"attachment-{count + 1}"
        yield Attachment(name, leaf.content_type, len(data)), data


def attachment_files(raw: bytes) -> list[tuple[Attachment, bytes]]:
    """Every attachment of ``raw`` with its bytes, in order (for whoever keeps them)."""
    return list(attachments(parse(raw)))


def _payload_bytes(leaf: _Leaf) -> bytes:
    if leaf.content_type.startswith("message/"):
        return leaf.part.as_bytes(policy=email.policy.default)  # type: ignore[call-arg]
    data = leaf.part.get_payload(decode=True)
    return data if isinstance(data, bytes) else b""
