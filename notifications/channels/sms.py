"""SMS through Twilio's Messages API, with provider errors translated.

The twilio package has no timeout and no retries by default, raises ``TwilioRestException`` for
an HTTP error and a plain ``requests`` exception when the connection fails. This module gives it
a timeout, points it at ``STOOP_TWILIO_API_BASE`` when set (a test double), and turns every
failure into a transient, permanent or uncertain delivery error.
"""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NewConnectionError

from notifications.channels.base import (
    Message,
    PermanentDeliveryError,
    Receipt,
    TransientDeliveryError,
    UncertainDeliveryError,
)
from notifications.senders import SenderIdentity
from panel.core.config import Settings

TWILIO_TIMEOUT = 10.0
STATUS_CALLBACK_PATH = "/hooks/twilio/status"
# Twilio's own codes that mean "later": too many requests, queue overflow.
TRANSIENT_CODES = frozenset({20429, 21611})


class RedirectingHttpClient(TwilioHttpClient):
    """A Twilio HTTP client that sends every request to ``api_base`` instead of twilio.com.

    Swapping scheme and host on each request works for every Twilio domain, unlike
    ``client.api.base_url``, which is per domain and ignores edge/region settings.
    """

    def __init__(self, api_base: str = "", timeout: float = TWILIO_TIMEOUT) -> None:
        super().__init__(timeout=timeout)
        self.api_base = urlsplit(api_base) if api_base else None

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        if self.api_base is not None:
            parts = urlsplit(url)
            path = self.api_base.path.rstrip("/") + parts.path
            url = urlunsplit((self.api_base.scheme, self.api_base.netloc, path, parts.query, ""))
        return super().request(method, url, *args, **kwargs)


_clients = threading.local()


def twilio_client(settings: Settings) -> Client:
    """A Twilio client for the current settings, kept per thread (requests sessions are not
    shared across threads) and rebuilt when the settings change."""
    key = (settings.twilio_account_sid, settings.twilio_auth_token, settings.twilio_api_base)
    cached = getattr(_clients, "entry", None)
    if cached is None or cached[0] != key:
        http = RedirectingHttpClient(settings.twilio_api_base, timeout=TWILIO_TIMEOUT)
        client = Client(settings.twilio_account_sid, settings.twilio_auth_token, http_client=http)
        cached = (key, client)
        _clients.entry = cached
    return cached[1]


class TwilioSmsChannel:
    """Sends an SMS through Twilio from the organisation's number or messaging service, asking
    for delivery reports at ``/hooks/twilio/status``. The client (and its HTTP connection) is
    kept per thread, so a batch reuses one connection."""

    name = "twilio"

    def __init__(self, settings: Settings, sender: SenderIdentity) -> None:
        self.settings = settings
        self.sender = sender

    @property
    def paced_by(self) -> str | None:
        """The sender the throughput cap counts this channel's messages against."""
        return self.sender.twilio_from or None

    def send(self, message: Message) -> Receipt:
        params: dict[str, Any] = {
            "to": message.recipient,
            "body": message.body_text,
            "status_callback": self.settings.base_url + STATUS_CALLBACK_PATH,
        }
        sender = self.sender.twilio_from
        if not sender:
            # Configuration, not the message's fault: retry once a number is set.
            raise TransientDeliveryError("no Twilio number or messaging service to send from")
        if sender.startswith("MG"):
            params["messaging_service_sid"] = sender
        else:
            params["from_"] = sender
        try:
            created = twilio_client(self.settings).messages.create(**params)
        except TwilioRestException as exc:
            raise translate_twilio_error(exc) from exc
        except requests.RequestException as exc:
            if never_connected(exc):
                raise TransientDeliveryError(f"could not reach Twilio: {exc}") from exc
            # A read timeout or a broken response: Twilio may have accepted the message.
            raise UncertainDeliveryError(f"no clear answer from Twilio: {exc}") from exc
        except TwilioException as exc:
            raise UncertainDeliveryError(f"unexpected answer from Twilio: {exc}") from exc
        return Receipt(provider=self.name, provider_id=created.sid)

    def close(self) -> None:
        """The per-thread client stays for the next batch."""


def never_connected(exc: requests.RequestException) -> bool:
    """True when the request cannot have reached Twilio (refused, unresolvable, connect
    timeout); False when it broke after it was sent, so Twilio may have acted on it."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if not isinstance(exc, requests.ConnectionError):
        return False
    inner = exc.args[0] if exc.args else None
    if isinstance(inner, MaxRetryError):
        inner = inner.reason
    return isinstance(inner, NewConnectionError | ConnectTimeoutError)


def translate_twilio_error(
    exc: TwilioRestException,
) -> TransientDeliveryError | PermanentDeliveryError:
    """Twilio's HTTP error as a transient (retry) or permanent (give up) delivery error."""
    code = f" (error {exc.code})" if exc.code else ""
    reason = f"Twilio answered {exc.status}{code}: {exc.msg}"
    if exc.status == 429 or exc.status >= 500 or exc.code in TRANSIENT_CODES:
        return TransientDeliveryError(reason)
    if exc.status == 401:
        # Wrong credentials are our configuration, not the message's fault: retry once fixed.
        return TransientDeliveryError(reason)
    return PermanentDeliveryError(reason)
