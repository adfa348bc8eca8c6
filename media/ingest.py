"""Clips the server fetches itself: a phone recording or an MMS file at a provider's URL.

:func:`fetch` downloads one URL to a local file with HTTP basic-auth credentials (Twilio's
account SID and auth token), a time limit for the whole download and a size limit counted as
the bytes arrive (a ``Content-Length`` over the limit is refused before reading any).
:func:`ingest_url` makes a clip of it the way an upload does: a pending MediaFile, the bytes in
storage, then :func:`media.service.complete_upload` (checks, processing). :func:`ingest_bytes`
does the same with bytes the server already has (an attachment of an inbound e-mail).

Errors are of two kinds. A refusal (``MediaRejected``: an answer other than 200, too large,
too slow, not audio or video) fails the clip with its code, for people to read in their
language. A provider that cannot be reached or answers 5xx/429 raises :class:`FetchUnavailable`
and leaves nothing behind: the caller's task should retry later.
"""

from __future__ import annotations

import posixpath
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import requests
from flask import current_app
from sqlalchemy.orm import Session
from urllib3.exceptions import HTTPError as Urllib3Error

from media import lifecycle, rejections, uploads, workfolders
from media.models import MediaFile, MediaStatus
from media.rejections import MediaRejected
from media.service import complete_upload, max_upload_bytes, new_public_id
from media.storage import current_storage

DEFAULT_TIMEOUT = 120.0  # seconds for the whole download
CONNECT_TIMEOUT = 10.0
READ_SIZE = 64 * 1024  # at most this much per socket read, so the time limit is checked often
MAX_REDIRECTS = 5  # Twilio answers media URLs with a redirect to its storage


class FetchUnavailable(ConnectionError):
    """The provider could not be reached, or answered 5xx or 429: try again later."""


@dataclass(frozen=True)
class Fetched:
    """A downloaded file: where it is, its size, and the type the server gave it."""

    path: Path
    size: int
    content_type: str


def fetch(
    url: str,
    destination: Path,
    *,
    auth: tuple[str, str] | None = None,
    max_bytes: int,
    timeout: float = DEFAULT_TIMEOUT,
) -> Fetched:
    """Download ``url`` to ``destination`` within ``timeout`` seconds and ``max_bytes`` bytes.

    ``auth`` is sent as HTTP basic auth to the URL's host (requests drops it on a redirect to
    another host). Raises ``MediaRejected`` or :class:`FetchUnavailable`; a partial file is
    removed.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {url[:100]!r}")
    host = parts.hostname
    deadline = time.monotonic() + timeout
    session = requests.Session()
    session.max_redirects = MAX_REDIRECTS
    try:
        with session.get(
            url,
            auth=auth,
            stream=True,
            timeout=(min(CONNECT_TIMEOUT, timeout), timeout),
            headers={"Accept": "*/*", "Accept-Encoding": "identity"},
        ) as response:
            _check_status(response, host)
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise rejections.too_large(int(declared), max_bytes)
            size = _save(response, destination, host, max_bytes, deadline, timeout)
            content_type = response.headers.get("Content-Type", "")
    except MediaRejected:
        destination.unlink(missing_ok=True)
        raise
    except (requests.Timeout, Urllib3Error, requests.ConnectionError) as exc:
        destination.unlink(missing_ok=True)
        if isinstance(exc, requests.ConnectTimeout) or not _timed_out(exc):
            raise FetchUnavailable(f"{host}: {exc}") from exc
        raise rejections.download_timeout(host, timeout) from exc
    except requests.RequestException as exc:  # too many redirects, a malformed answer
        destination.unlink(missing_ok=True)
        raise rejections.download_failed(host, type(exc).__name__) from exc
    finally:
        session.close()
    return Fetched(destination, size, content_type)


def _timed_out(exc: BaseException) -> bool:
    """True when a socket read timed out (somewhere in the exception's chain)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, TimeoutError | requests.Timeout) or "timed out" in str(seen).lower():
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _check_status(response: requests.Response, host: str) -> None:
    status = response.status_code
    if status >= 500 or status == 429:
        raise FetchUnavailable(f"{host} answered {status}")
    if status != 200:
        raise rejections.download_failed(host, status)


def _save(
    response: requests.Response,
    destination: Path,
    host: str,
    max_bytes: int,
    deadline: float,
    timeout: float,
) -> int:
    total = 0
    with destination.open("wb") as out:
        while chunk := response.raw.read1(READ_SIZE, decode_content=True):
            total += len(chunk)
            if total > max_bytes:
                raise rejections.too_large(None, max_bytes)
            if time.monotonic() > deadline:
                raise rejections.download_timeout(host, timeout)
            out.write(chunk)
    return total


def filename_of(url: str) -> str:
    """The last part of the URL's path (``RE123.mp3``), or ``download``."""
    return uploads.clean_filename(unquote(posixpath.basename(urlsplit(url).path)) or "download")


def ingest_url(
    session: Session,
    *,
    organisation_id: int,
    url: str,
    auth: tuple[str, str] | None = None,
    max_bytes: int | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    purpose: str = "answer",
    max_duration_seconds: int | None = None,
    language: str | None = None,
) -> MediaFile:
    """A clip made of the file at ``url``: uploaded (processing follows the commit) or failed
    with the refusal's code. The caller commits; on :class:`FetchUnavailable` it rolls back
    (nothing was stored) and tries again later.

    ``max_bytes`` defaults to the upload limit (``STOOP_MEDIA_MAX_UPLOAD_MB``) and can only be
    lower.
    """
    settings = current_app.config["STOOP"]
    limit = _limit(settings, max_bytes)
    media = _pending(
        session, organisation_id, filename_of(url), purpose, max_duration_seconds, language
    )
    folder = workfolders.download_folder(settings)
    try:
        fetched = fetch(url, folder / "download", auth=auth, max_bytes=limit, timeout=timeout)
        _store(media, fetched.path, fetched.size, fetched.content_type, limit)
    except MediaRejected as problem:
        return _refused(media, problem)
    finally:
        workfolders.remove(folder)
    media.upload_expires_at = None
    return complete_upload(session, media)


def ingest_bytes(
    session: Session,
    *,
    organisation_id: int,
    data: bytes,
    filename: str,
    content_type: str,
    max_bytes: int | None = None,
    purpose: str = "answer",
    max_duration_seconds: int | None = None,
    language: str | None = None,
) -> MediaFile:
    """A clip made of bytes the server already holds (an e-mail's attachment), stored and
    checked like an upload: uploaded (processing follows the commit) or failed with the
    refusal's code. The caller commits."""
    settings = current_app.config["STOOP"]
    limit = _limit(settings, max_bytes)
    name = uploads.clean_filename(filename or "attachment")
    media = _pending(session, organisation_id, name, purpose, max_duration_seconds, language)
    folder = workfolders.download_folder(settings)
    try:
        uploads.check_size(len(data), limit)
        path = folder / "attachment"
        path.write_bytes(data)
        _store(media, path, len(data), content_type, limit)
    except MediaRejected as problem:
        return _refused(media, problem)
    finally:
        workfolders.remove(folder)
    media.upload_expires_at = None
    return complete_upload(session, media)


def _limit(settings: Any, max_bytes: int | None) -> int:
    return min(max_bytes or max_upload_bytes(settings), max_upload_bytes(settings))


def _pending(
    session: Session,
    organisation_id: int,
    filename: str,
    purpose: str,
    max_duration_seconds: int | None,
    language: str | None,
) -> MediaFile:
    media = MediaFile(
        organisation_id=organisation_id,
        public_id=new_public_id(),
        status=MediaStatus.PENDING,
        purpose=purpose[:20],
        original_filename=filename,
        max_duration_seconds=max_duration_seconds,
        language=language,
        renditions={},
    )
    session.add(media)
    session.flush()
    return media


def _store(media: MediaFile, path: Path, size: int, declared_type: str, limit: int) -> None:
    """Put the file in storage as the clip's original (``MediaRejected`` for a type we do not
    take)."""
    content_type, extension = uploads.accepted_type(media.original_filename or "", declared_type)
    media.content_type = content_type
    media.size_bytes = size
    media.original_key = f"{media.storage_prefix}original.{extension}"
    current_storage().put(media.original_key, path, content_type=content_type, max_bytes=limit)


def _refused(media: MediaFile, problem: MediaRejected) -> MediaFile:
    lifecycle.discard_files(current_storage(), media)
    lifecycle.fail(media, problem)
    return media
