"""Storage backends behind one contract (:mod:`media.storage.base`), chosen by configuration."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app

from media.storage.base import (
    CHUNK_SIZE,
    ObjectInfo,
    ObjectTooLarge,
    Storage,
    StorageError,
    StorageUnavailable,
    UploadInstructions,
)
from panel.core.config import Settings

__all__ = [
    "CHUNK_SIZE",
    "ObjectInfo",
    "ObjectTooLarge",
    "Storage",
    "StorageError",
    "StorageUnavailable",
    "UploadInstructions",
    "current_storage",
    "get_storage",
]

EXTENSION_KEY = "stoop.media_storage"


def get_storage(settings: Settings) -> Storage:
    """A new storage for ``STOOP_MEDIA_BACKEND``: ``local`` (a folder) or ``s3``."""
    if settings.media_backend == "s3":
        from media.storage.s3 import S3Storage

        parts = urlsplit(settings.base_url)
        return S3Storage(
            settings.s3_bucket,
            endpoint_url=settings.s3_endpoint_url or None,
            region=settings.s3_region,
            cors_origins=[f"{parts.scheme}://{parts.netloc}"],
        )
    from media.storage.local import LocalStorage

    return LocalStorage(Path(settings.media_dir))


def current_storage() -> Storage:
    """The current app's storage, made once per app (boto3 clients are thread-safe)."""
    storage = current_app.extensions.get(EXTENSION_KEY)
    if storage is None:
        storage = get_storage(current_app.config["STOOP"])
        current_app.extensions[EXTENSION_KEY] = storage
    return storage
