"""Media in a folder on this machine (the embedded default): ``Settings.media_dir``.

Browsers upload through the app (``presigned_upload`` is ``None``) and the app serves the bytes
(``download_url`` is ``None``). Writes go to a hidden ``.part`` file first and are renamed into
place, so a reader never sees half an object.
"""

from __future__ import annotations

import mimetypes
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from media.storage.base import (
    CHUNK_SIZE,
    ObjectInfo,
    UploadInstructions,
    check_key,
    copy_limited,
)

PART_SUFFIX = ".part"


class LocalStorage:
    """The :class:`~media.storage.base.Storage` contract on a local folder."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root).resolve()

    def path(self, key: str) -> Path:
        """The file of ``key``, refused (``ValueError``) if it would lie outside the root."""
        path = (self.root / check_key(key)).resolve()
        if not path.is_relative_to(self.root):
            raise ValueError(f"not a valid storage key: {key!r}")
        return path

    def put(
        self,
        key: str,
        source: BinaryIO | Path,
        *,
        content_type: str,
        max_bytes: int | None = None,
    ) -> int:
        """Store ``source`` under ``key`` (``content_type`` is implied by the key's suffix)."""
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.{secrets.token_hex(6)}{PART_SUFFIX}")
        try:
            with partial.open("wb") as out:
                if isinstance(source, Path):
                    with source.open("rb") as handle:
                        size = copy_limited(handle, out, max_bytes)
                else:
                    size = copy_limited(source, out, max_bytes)
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
        return size

    def stream(
        self, key: str, *, start: int = 0, end: int | None = None, chunk_size: int = CHUNK_SIZE
    ) -> Iterator[bytes]:
        """The bytes ``start..end`` (inclusive) of ``key``, read lazily in chunks."""
        path = self.path(key)
        if not path.is_file():  # FileNotFoundError here, not at the first chunk
            raise FileNotFoundError(key)
        return _chunks(path, start, end, chunk_size)

    def read(self, key: str, *, start: int = 0, end: int | None = None) -> bytes:
        return b"".join(self.stream(key, start=start, end=end))

    def download(self, key: str, destination: Path) -> None:
        with self.path(key).open("rb") as source, destination.open("wb") as target:
            copy_limited(source, target, None)

    def head(self, key: str) -> ObjectInfo:
        path = self.path(key)
        size = path.stat().st_size  # FileNotFoundError when missing
        if not path.is_file():
            raise FileNotFoundError(key)
        return ObjectInfo(key=key, size=size, content_type=mimetypes.guess_type(path.name)[0])

    def delete(self, key: str) -> None:
        """Remove ``key``, then its folders as far up as they are empty."""
        path = self.path(key)
        path.unlink(missing_ok=True)
        parent = path.parent
        while parent != self.root and parent.is_relative_to(self.root):
            try:
                parent.rmdir()
            except OSError:  # not empty (or already gone): stop climbing
                break
            parent = parent.parent

    def list(self, prefix: str) -> list[str]:
        check_key(prefix, prefix=True)
        folder = self.root / prefix.rpartition("/")[0]
        if not folder.is_dir():
            return []
        keys = (
            path.relative_to(self.root).as_posix()
            for path in folder.rglob("*")
            if path.is_file() and not path.name.endswith(PART_SUFFIX)
        )
        return sorted(key for key in keys if key.startswith(prefix))

    def presigned_upload(
        self, key: str, *, content_type: str, max_bytes: int, expires_in: int = 3600
    ) -> UploadInstructions | None:
        return None  # the browser streams the file to the app's own upload route

    def download_url(self, key: str, *, content_type: str, expires_in: int = 600) -> str | None:
        return None  # the app serves the bytes itself, with byte ranges


def _chunks(path: Path, start: int, end: int | None, chunk_size: int) -> Iterator[bytes]:
    # Opened at the first chunk: a response that is never read (HEAD) leaves no file open.
    with path.open("rb") as handle:
        handle.seek(start)
        remaining = None if end is None else end - start + 1
        while remaining is None or remaining > 0:
            size = chunk_size if remaining is None else min(chunk_size, remaining)
            chunk = handle.read(size)
            if not chunk:
                return
            if remaining is not None:
                remaining -= len(chunk)
            yield chunk
