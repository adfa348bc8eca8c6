"""The storage contract, documented once; every backend (local folder, S3) keeps it.

Keys are ``/``-separated relative paths made of letters, digits, ``.``, ``_`` and ``-`` (e.g.
``12/Ab3x.../video.mp4``); :func:`check_key` refuses anything else, so a key can never climb out
of its folder or bucket. Provider errors are translated: a missing object is always
``FileNotFoundError``; a backend that cannot be reached is :class:`StorageUnavailable` (worth a
retry); an object over the size given to ``put`` is :class:`ObjectTooLarge`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol, TypedDict

CHUNK_SIZE = 1024 * 1024  # 1 MiB: streamed reads and writes never hold more
KEY_PATTERN = re.compile(r"[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*")


class StorageError(RuntimeError):
    """The storage refused an operation for a reason that will not go away by itself."""


class StorageUnavailable(ConnectionError):
    """The storage could not be reached or answered with a server error: try again later."""


class ObjectTooLarge(ValueError):
    """``put`` was given more bytes than its ``max_bytes``; nothing was stored."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(f"more than {max_bytes} bytes")
        self.max_bytes = max_bytes


@dataclass(frozen=True)
class ObjectInfo:
    """What the storage knows of a stored object."""

    key: str
    size: int
    content_type: str | None


class UploadInstructions(TypedDict):
    """How a browser uploads a file itself: a form POST of ``fields`` then the file."""

    method: str
    url: str
    fields: dict[str, str]


def check_key(key: str, *, prefix: bool = False) -> str:
    """Return ``key`` if it is a safe relative key (``prefix``: may end with ``/``, or be empty).

    Raises ``ValueError`` for absolute paths, ``..``, empty parts and unexpected characters.
    """
    candidate = key[:-1] if prefix and key.endswith("/") else key
    if prefix and candidate == "":
        return key
    if not KEY_PATTERN.fullmatch(candidate) or any(
        part in (".", "..") for part in candidate.split("/")
    ):
        raise ValueError(f"not a valid storage key: {key!r}")
    return key


class Storage(Protocol):
    """Where media files live. Every method takes a key checked by :func:`check_key`.

    - ``put``: store the bytes of an open binary file or a path; with ``max_bytes``, refuse
      (``ObjectTooLarge``, nothing stored) a source longer than that. Returns the size stored.
      Reads and writes in chunks of :data:`CHUNK_SIZE`; an object appears whole or not at all.
    - ``stream``: the bytes from ``start`` to ``end`` (inclusive; ``None``: to the end), in
      chunks. Raises ``FileNotFoundError`` at the call, before the first chunk.
    - ``read``: like ``stream``, joined (for the first bytes of a file).
    - ``download``: copy the object to a local file (the worker transcodes from disk).
    - ``head``: size and stored content type, or ``FileNotFoundError``.
    - ``delete``: remove the object; a missing object is not an error.
    - ``list``: the keys that start with ``prefix``, sorted.
    - ``presigned_upload``: instructions for a browser to upload straight to the storage
      (a presigned POST limited to ``content_type`` and 1..``max_bytes`` bytes), or ``None``
      when the storage has no such door and the bytes must go through the app (local folder).
    - ``download_url``: a short-lived URL a browser can fetch the object from directly (with
      ``content_type`` as the response's type), or ``None`` when the app serves the bytes.
    """

    def put(
        self,
        key: str,
        source: BinaryIO | Path,
        *,
        content_type: str,
        max_bytes: int | None = None,
    ) -> int: ...

    def stream(
        self, key: str, *, start: int = 0, end: int | None = None, chunk_size: int = CHUNK_SIZE
    ) -> Iterator[bytes]: ...

    def read(self, key: str, *, start: int = 0, end: int | None = None) -> bytes: ...

    def download(self, key: str, destination: Path) -> None: ...

    def head(self, key: str) -> ObjectInfo: ...

    def delete(self, key: str) -> None: ...

    def list(self, prefix: str) -> list[str]: ...

    def presigned_upload(
        self, key: str, *, content_type: str, max_bytes: int, expires_in: int = 3600
    ) -> UploadInstructions | None: ...

    def download_url(self, key: str, *, content_type: str, expires_in: int = 600) -> str | None: ...


def copy_limited(source: BinaryIO, target: BinaryIO, max_bytes: int | None) -> int:
    """Copy ``source`` to ``target`` in chunks; ``ObjectTooLarge`` past ``max_bytes``."""
    total = 0
    while chunk := source.read(CHUNK_SIZE):
        total += len(chunk)
        if max_bytes is not None and total > max_bytes:
            raise ObjectTooLarge(max_bytes)
        target.write(chunk)
    return total
