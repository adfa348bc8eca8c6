"""Files Twilio keeps for us — a call's recording, the pictures and clips of an MMS — and how to
fetch them: with the account's credentials (HTTP basic auth), and only from Twilio itself.

A webhook names the file by URL (``RecordingUrl``, ``MediaUrl0``…). The URL comes from a signed
request, but the credentials must never travel anywhere else: :func:`file_request` gives the
URL and credentials only for Twilio's API hosts (``*.twilio.com``) or the configured
``STOOP_TWILIO_API_BASE`` (a test double), and None for anything else.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from panel.core.config import Settings

TWILIO_DOMAIN = "twilio.com"
# What Twilio serves a recording as: its RecordingUrl with one of these endings.
RECORDING_FORMATS = {"wav": ".wav", "mp3": ".mp3"}


@dataclass(frozen=True)
class FileRequest:
    """Where to fetch a file, and the basic-auth credentials to send."""

    url: str
    auth: tuple[str, str] | None


def trusted(settings: Settings, url: str) -> bool:
    """True when ``url`` is Twilio's (https on a twilio.com host) or the configured API base's."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme == "https" and (host == TWILIO_DOMAIN or host.endswith("." + TWILIO_DOMAIN)):
        return True
    base = urlsplit(settings.twilio_api_base) if settings.twilio_api_base else None
    return base is not None and (parts.scheme, parts.netloc) == (base.scheme, base.netloc)


def file_request(settings: Settings, url: str) -> FileRequest | None:
    """How to fetch the file at ``url``, or None when it is not Twilio's to fetch."""
    if not trusted(settings, url):
        return None
    credentials = (settings.twilio_account_sid, settings.twilio_auth_token)
    return FileRequest(url, credentials if all(credentials) else None)


def recording_request(
    settings: Settings, recording_url: str, fmt: str = "wav"
) -> FileRequest | None:
    """How to fetch a recording as WAV (the original, best for transcripts) or MP3."""
    if recording_url.endswith(tuple(RECORDING_FORMATS.values())):
        return file_request(settings, recording_url)
    return file_request(settings, recording_url + RECORDING_FORMATS[fmt])
