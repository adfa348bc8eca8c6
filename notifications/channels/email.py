"""E-mail: the bytes of a message, and sending them over one SMTP connection per batch.

``STOOP_SMTP_URL`` names the server: ``smtp://user:pass@host:port`` (plain, port 25),
``smtp+starttls://...`` (upgraded with STARTTLS, port 587) or ``smtps://...`` (TLS from the
start, port 465). The same :func:`email_bytes` feeds the SMTP channel and the ``.eml`` outbox,
so what the dev mailbox shows is byte for byte what SMTP carried: CRLF line endings, as SMTP
requires (``smtplib`` sends bytes as they are; bare LFs made a server refuse a long e-mail with
"500 Line too long").
"""

from __future__ import annotations

import contextlib
import smtplib
import ssl
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import unquote, urlsplit

from notifications.channels import mime
from notifications.channels.base import (
    Message,
    PermanentDeliveryError,
    Receipt,
    TransientDeliveryError,
    UncertainDeliveryError,
)
from notifications.senders import SenderIdentity
from panel.core.config import Settings

SMTP_TIMEOUT = 10.0
DEFAULT_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}
# Headers the channel sets itself; a row's extra headers may not replace them.
RESERVED_HEADERS = frozenset(
    {"from", "to", "subject", "date", "message-id", "mime-version", "content-type"}
    | {"content-transfer-encoding", "content-language", "cc", "bcc", "sender"}
)


@dataclass(frozen=True)
class SmtpConfig:
    """The parts of ``STOOP_SMTP_URL``."""

    scheme: str
    host: str
    port: int
    username: str
    password: str


def parse_smtp_url(url: str) -> SmtpConfig:
    """Split an SMTP URL into its parts; a malformed one raises ``ValueError``."""
    parts = urlsplit(url)
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        raise ValueError(
            "STOOP_SMTP_URL must look like smtp://user:pass@host:port "
            "(or smtp+starttls://, smtps://)"
        )
    return SmtpConfig(
        scheme=parts.scheme,
        host=parts.hostname,
        port=parts.port or DEFAULT_PORTS[parts.scheme],
        username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
    )


def email_bytes(message: Message, sender: SenderIdentity) -> tuple[bytes, str]:
    """The message as SMTP carries it (CRLF line endings) and its Message-ID.

    The same bytes go to the SMTP server and to the ``.eml`` outbox. ASCII addresses take the
    fast writer of ``notifications.channels.mime``; an address that is not ASCII needs
    SMTPUTF8, which the standard library's ``email`` package writes.
    """
    message_id = make_msgid(idstring=f"stoop.{message.id}", domain=_domain(sender))
    if not (message.recipient.isascii() and sender.email_address.isascii()):
        return _utf8_email(message, sender, message_id).as_bytes(policy=policy.SMTPUTF8), message_id
    headers = [
        ("From", mime.mailbox(sender.name, sender.email_address)),
        ("To", message.recipient),
        ("Subject", mime.header_text("Subject", message.subject)),
        ("Date", formatdate(usegmt=True)),
        ("Message-ID", message_id),
        ("Content-Language", message.language),
    ]
    for name, value in (message.headers or {}).items():
        if name.lower() not in RESERVED_HEADERS:
            headers.append((name, mime.header_text(name, str(value))))
    return mime.write_message(headers, message.body_text or "", message.body_html), message_id


def needs_smtputf8(message: Message, sender: SenderIdentity) -> bool:
    """True when an address is not ASCII, so the server must offer SMTPUTF8."""
    return not (message.recipient.isascii() and sender.email_address.isascii())


def _utf8_email(message: Message, sender: SenderIdentity, message_id: str) -> EmailMessage:
    email = EmailMessage()
    email["From"] = sender.email_from
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Date"] = formatdate(usegmt=True)
    email["Message-ID"] = message_id
    for name, value in (message.headers or {}).items():
        if name.lower() not in RESERVED_HEADERS:
            email[name] = str(value)
    email.set_content(message.body_text or "")
    if message.body_html:
        email.add_alternative(message.body_html, subtype="html")
    # After the body: setting content clears the Content-* headers already there.
    email["Content-Language"] = message.language
    return email


def _domain(sender: SenderIdentity) -> str:
    domain = sender.email_address.rpartition("@")[2]
    return domain if domain.isascii() and domain else "stoop.localhost"


class SmtpChannel:
    """Sends e-mail to the SMTP server of ``STOOP_SMTP_URL``, reusing one connection for every
    message of a batch (reconnecting when the server hung up in between)."""

    name = "smtp"

    def __init__(self, settings: Settings, sender: SenderIdentity) -> None:
        self.settings = settings
        self.sender = sender
        self._connection: smtplib.SMTP | None = None

    def send(self, message: Message) -> Receipt:
        data, message_id = email_bytes(message, self.sender)
        options = ["SMTPUTF8"] if needs_smtputf8(message, self.sender) else []
        try:
            self._send(data, message.recipient, options)
        except (UncertainDeliveryError, _ConnectionFailed):
            self.close()  # the connection's state is unknown: never reuse it
            raise
        return Receipt(provider=self.name, provider_id=message_id)

    def close(self) -> None:
        """End the connection, if one is open."""
        if self._connection is not None:
            _quit(self._connection)
            self._connection = None

    def _send(self, data: bytes, recipient: str, options: list[str]) -> None:
        reused = self._connection is not None
        connection = self._connect()
        try:
            _hand_over(connection, data, self.sender.email_address, recipient, options)
        except _Disconnected:
            # A reused connection the server closed while idle: nothing was handed over.
            self.close()
            if not reused:
                raise TransientDeliveryError("the SMTP server closed the connection") from None
            _hand_over(self._connect(), data, self.sender.email_address, recipient, options)

    def _connect(self) -> smtplib.SMTP:
        if self._connection is None:
            try:
                config = parse_smtp_url(self.settings.smtp_url)
            except ValueError as exc:
                raise TransientDeliveryError(str(exc)) from exc
            self._connection = _connect(config)
        return self._connection


class _Disconnected(Exception):
    """The server had closed the connection before MAIL FROM: safe to reconnect and retry."""


class _ConnectionFailed(TransientDeliveryError):
    """The connection broke before DATA: nothing was handed over, but it cannot be reused."""


def _connect(config: SmtpConfig) -> smtplib.SMTP:
    # Nothing has been handed over while connecting: every failure here is worth a retry.
    try:
        if config.scheme == "smtps":
            connection: smtplib.SMTP = smtplib.SMTP_SSL(
                config.host,
                config.port,
                timeout=SMTP_TIMEOUT,
                context=ssl.create_default_context(),
            )
        else:
            connection = smtplib.SMTP(config.host, config.port, timeout=SMTP_TIMEOUT)
        connection.ehlo()
        if config.scheme == "smtp+starttls":
            connection.starttls(context=ssl.create_default_context())
            connection.ehlo()
        if config.username:
            connection.login(config.username, config.password)
        return connection
    except smtplib.SMTPAuthenticationError as exc:
        # Wrong credentials are our configuration, not the message's fault: retry once fixed.
        raise TransientDeliveryError(f"SMTP server refused the login: {_reply(exc)}") from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise TransientDeliveryError(f"could not reach the SMTP server: {exc}") from exc


def _hand_over(
    connection: smtplib.SMTP, data: bytes, envelope_from: str, recipient: str, options: list[str]
) -> None:
    """MAIL, RCPT and DATA one by one, so a failure is known to be before or during DATA.
    After a refusal the transaction is reset, so the connection serves the next message."""
    if options and not connection.has_extn("smtputf8"):
        raise PermanentDeliveryError(
            "the SMTP server does not accept addresses that are not ASCII (no SMTPUTF8)"
        )
    if options:
        connection.command_encoding = "utf-8"  # what smtplib's mail() does for SMTPUTF8
    try:
        _expect(connection.docmd("mail", _path("FROM", envelope_from, options)))
    except smtplib.SMTPServerDisconnected as exc:
        raise _Disconnected() from exc
    except smtplib.SMTPResponseException as exc:
        _reset(connection)
        raise _by_code(exc.smtp_code, _reply(exc)) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise _ConnectionFailed(f"SMTP connection failed: {exc}") from exc
    try:
        _expect(connection.docmd("rcpt", _path("TO", recipient, [])))
    except smtplib.SMTPResponseException as exc:
        _reset(connection)
        raise _by_code(exc.smtp_code, _reply(exc)) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise _ConnectionFailed(f"SMTP connection failed: {exc}") from exc
    try:
        code, text = connection.data(data)
    except smtplib.SMTPResponseException as exc:
        # The server refused the DATA command itself: nothing was sent.
        _reset(connection)
        raise _by_code(exc.smtp_code, _reply(exc)) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise UncertainDeliveryError(
            f"the SMTP connection broke while the message was being sent: {exc}"
        ) from exc
    if code != 250:
        # smtplib returns the reply to the message body rather than raising on it.
        raise _by_code(code, _reply(smtplib.SMTPResponseException(code, text)))


def _path(verb: str, address: str, options: list[str]) -> str:
    # The addresses were validated when the row was written: smtplib's mail() and rcpt() would
    # parse each again (email.utils.parseaddr), a quarter of the client's work per message.
    return " ".join([f"{verb}:<{address}>", *options])


def _reset(connection: smtplib.SMTP) -> None:
    # A broken connection is found out by the next MAIL, which reconnects.
    with contextlib.suppress(smtplib.SMTPException, OSError):
        connection.rset()


def _expect(reply: tuple[int, bytes]) -> None:
    code, text = reply
    if code >= 400:
        raise smtplib.SMTPResponseException(code, text)


def _by_code(code: int, reply: str) -> TransientDeliveryError | PermanentDeliveryError:
    if 400 <= code < 500:
        return TransientDeliveryError(f"SMTP server asked to try later: {reply}")
    return PermanentDeliveryError(f"SMTP server refused the message: {reply}")


def _reply(exc: smtplib.SMTPResponseException) -> str:
    text = exc.smtp_error
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{exc.smtp_code} {text}"


def _quit(connection: smtplib.SMTP) -> None:
    try:
        connection.quit()
    except (smtplib.SMTPException, OSError):
        connection.close()
