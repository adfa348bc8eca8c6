"""E-mail: building the MIME message, and sending it over SMTP.

``STOOP_SMTP_URL`` names the server: ``smtp://user:pass@host:port`` (plain, port 25),
``smtp+starttls://...`` (upgraded with STARTTLS, port 587) or ``smtps://...`` (TLS from the
start, port 465). The same :func:`build_email` feeds the SMTP channel and the ``.eml`` outbox, so
what the dev mailbox shows is byte for byte what SMTP would have carried.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from urllib.parse import unquote, urlsplit

from notifications.channels.base import (
    PermanentDeliveryError,
    Receipt,
    TransientDeliveryError,
    UncertainDeliveryError,
)
from notifications.models import OutboundMessage
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


def build_email(message: OutboundMessage, settings: Settings) -> EmailMessage:
    """The MIME message for an outbox row: text, plus an HTML alternative when there is one."""
    email = EmailMessage()
    email["From"] = settings.mail_from
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Date"] = formatdate(localtime=False, usegmt=True)
    email["Message-ID"] = make_msgid(idstring=f"stoop.{message.id}", domain=_domain(settings))
    for name, value in (message.headers or {}).items():
        if name.lower() not in RESERVED_HEADERS:
            email[name] = str(value)
    email.set_content(message.body_text or "")
    if message.body_html:
        email.add_alternative(message.body_html, subtype="html")
    # After the body: setting content clears the Content-* headers already there.
    email["Content-Language"] = message.language
    return email


def _domain(settings: Settings) -> str:
    address = parseaddr(settings.mail_from)[1]
    return address.rpartition("@")[2] or "stoop.localhost"


class SmtpChannel:
    """Sends e-mail to the SMTP server of ``STOOP_SMTP_URL``."""

    name = "smtp"

    def send(self, message: OutboundMessage, settings: Settings) -> Receipt:
        try:
            config = parse_smtp_url(settings.smtp_url)
        except ValueError as exc:
            raise TransientDeliveryError(str(exc)) from exc
        email = build_email(message, settings)
        envelope_from = parseaddr(settings.mail_from)[1]
        connection = _connect(config)
        try:
            _hand_over(connection, email, envelope_from, message.recipient)
        finally:
            _quit(connection)
        return Receipt(provider=self.name, provider_id=email["Message-ID"])


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
    connection: smtplib.SMTP, email: EmailMessage, envelope_from: str, recipient: str
) -> None:
    """MAIL, RCPT and DATA one by one, so a failure is known to be before or during DATA."""
    try:
        _expect(connection.mail(envelope_from))
        _expect(connection.rcpt(recipient))
    except smtplib.SMTPResponseException as exc:
        raise _by_code(exc.smtp_code, _reply(exc)) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise TransientDeliveryError(f"SMTP connection failed: {exc}") from exc
    try:
        # CRLF line ends: smtplib sends bytes as they are, and a message with bare LFs is one
        # over-long line to a strict server (aiosmtpd, Postfix's smuggling guard) once it
        # passes 1,000 bytes.
        code, text = connection.data(email.as_bytes(policy=policy.SMTP))
    except smtplib.SMTPResponseException as exc:
        # The server refused the DATA command itself: nothing was sent.
        raise _by_code(exc.smtp_code, _reply(exc)) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise UncertainDeliveryError(
            f"the SMTP connection broke while the message was being sent: {exc}"
        ) from exc
    if code != 250:
        # smtplib returns the reply to the message body rather than raising on it.
        raise _by_code(code, _reply(smtplib.SMTPResponseException(code, text)))


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
