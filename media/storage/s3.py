"""Media in an S3 bucket, or any S3-compatible store (``STOOP_S3_ENDPOINT_URL``).

Browsers upload straight to the bucket with a presigned POST (SigV4; the policy limits the
content type and size, though the app checks the object again afterwards, since not every
S3-compatible server enforces policies) and fetch renditions from short-lived presigned GET URLs.
The bucket's CORS rule for the app's origin is set by :meth:`S3Storage.ensure_bucket_cors`, an
idempotent step run before the first presigned upload.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from media.storage.base import (
    CHUNK_SIZE,
    ObjectInfo,
    ObjectTooLarge,
    StorageError,
    StorageUnavailable,
    UploadInstructions,
    check_key,
)

NOT_FOUND = {"NoSuchKey", "404", "NotFound"}
UPLOAD_HEADERS_EXPOSED = ["ETag", "Content-Length", "Content-Range", "Accept-Ranges"]


@contextlib.contextmanager
def translate_errors(key: str = "") -> Iterator[None]:
    """Turn botocore's errors into the contract's: FileNotFoundError, StorageUnavailable…"""
    try:
        yield
    except ClientError as exc:
        error = exc.response.get("Error", {})
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if str(error.get("Code")) in NOT_FOUND:
            raise FileNotFoundError(key) from exc
        if status >= 500 or error.get("Code") in {"SlowDown", "RequestTimeout"}:
            raise StorageUnavailable(f"S3 answered {status} {error.get('Code')}") from exc
        raise StorageError(f"S3 refused the request: {error.get('Code')}") from exc
    except BotoCoreError as exc:  # connection refused, timeouts, a dropped stream…
        raise StorageUnavailable(f"S3 could not be reached: {exc}") from exc


class S3Storage:
    """The :class:`~media.storage.base.Storage` contract on one bucket."""

    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None = None,
        region: str = "us-east-1",
        cors_origins: list[str] | None = None,
    ) -> None:
        self.bucket = bucket
        self.cors_origins = cors_origins or []
        self._cors_checked = threading.Event()
        config = Config(
            signature_version="s3v4",  # production S3 wants SigV4 for presigned POSTs too
            retries={"max_attempts": 3, "mode": "standard"},
            connect_timeout=5,
            read_timeout=60,
            # Custom endpoints (MinIO, moto, Ceph) rarely have wildcard DNS for buckets.
            s3={"addressing_style": "path" if endpoint_url else "auto"},
        )
        self.client: Any = boto3.client(
            "s3", endpoint_url=endpoint_url or None, region_name=region, config=config
        )

    def put(
        self,
        key: str,
        source: BinaryIO | Path,
        *,
        content_type: str,
        max_bytes: int | None = None,
    ) -> int:
        check_key(key)
        if isinstance(source, Path):
            size = source.stat().st_size
            if max_bytes is not None and size > max_bytes:
                raise ObjectTooLarge(max_bytes)
            with translate_errors(key):
                self.client.upload_file(
                    str(source), self.bucket, key, ExtraArgs={"ContentType": content_type}
                )
            return size
        reader = _LimitedReader(source, max_bytes)
        try:
            with translate_errors(key):
                self.client.upload_fileobj(
                    reader, self.bucket, key, ExtraArgs={"ContentType": content_type}
                )
        except ObjectTooLarge:
            self.delete(key)
            raise
        if reader.too_large:  # raised inside an upload thread and swallowed there
            self.delete(key)
            raise ObjectTooLarge(max_bytes or 0)
        return reader.total

    def stream(
        self, key: str, *, start: int = 0, end: int | None = None, chunk_size: int = CHUNK_SIZE
    ) -> Iterator[bytes]:
        check_key(key)
        extra = {}
        if start or end is not None:
            extra["Range"] = f"bytes={start}-{'' if end is None else end}"
        with translate_errors(key):
            body = self.client.get_object(Bucket=self.bucket, Key=key, **extra)["Body"]
        return _body_chunks(body, key, chunk_size)

    def read(self, key: str, *, start: int = 0, end: int | None = None) -> bytes:
        return b"".join(self.stream(key, start=start, end=end))

    def download(self, key: str, destination: Path) -> None:
        check_key(key)
        with translate_errors(key):
            self.client.download_file(self.bucket, key, str(destination))

    def head(self, key: str) -> ObjectInfo:
        check_key(key)
        with translate_errors(key):
            found = self.client.head_object(Bucket=self.bucket, Key=key)
        return ObjectInfo(
            key=key, size=found["ContentLength"], content_type=found.get("ContentType")
        )

    def delete(self, key: str) -> None:
        check_key(key)
        with translate_errors(key):
            self.client.delete_object(Bucket=self.bucket, Key=key)

    def list(self, prefix: str) -> list[str]:
        check_key(prefix, prefix=True)
        keys: list[str] = []
        with translate_errors(prefix):
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=prefix
            )
            for page in pages:
                keys.extend(item["Key"] for item in page.get("Contents", []))
        return sorted(keys)

    def presigned_upload(
        self, key: str, *, content_type: str, max_bytes: int, expires_in: int = 3600
    ) -> UploadInstructions | None:
        check_key(key)
        if not self._cors_checked.is_set():
            self.ensure_bucket_cors()
        with translate_errors(key):
            post = self.client.generate_presigned_post(
                Bucket=self.bucket,
                Key=key,
                Fields={"Content-Type": content_type},
                Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, max_bytes]],
                ExpiresIn=expires_in,
            )
        return {"method": "POST", "url": post["url"], "fields": dict(post["fields"])}

    def download_url(self, key: str, *, content_type: str, expires_in: int = 600) -> str | None:
        check_key(key)
        with translate_errors(key):
            return self.client.generate_presigned_url(
                "get_object",
                Params={"Bucket": self.bucket, "Key": key, "ResponseContentType": content_type},
                ExpiresIn=expires_in,
            )

    def cors_rule(self) -> dict[str, Any]:
        """The CORS rule browsers on the app's origins need: POST uploads, ranged GETs."""
        return {
            "AllowedOrigins": sorted(self.cors_origins),
            "AllowedMethods": ["GET", "HEAD", "POST"],
            "AllowedHeaders": ["*"],
            "ExposeHeaders": UPLOAD_HEADERS_EXPOSED,
            "MaxAgeSeconds": 3600,
        }

    def ensure_bucket_cors(self) -> bool:
        """Add the app's CORS rule to the bucket unless it is there; True when it was added.

        Other rules on the bucket are kept. Safe to run any number of times.
        """
        if not self.cors_origins:
            self._cors_checked.set()
            return False
        wanted = self.cors_rule()
        rules = self._cors_rules()
        if any(_same_rule(rule, wanted) for rule in rules):
            self._cors_checked.set()
            return False
        with translate_errors():
            self.client.put_bucket_cors(
                Bucket=self.bucket, CORSConfiguration={"CORSRules": [*rules, wanted]}
            )
        self._cors_checked.set()
        return True

    def _cors_rules(self) -> list[dict[str, Any]]:
        try:
            with translate_errors():
                return list(self.client.get_bucket_cors(Bucket=self.bucket)["CORSRules"])
        except StorageError as exc:
            cause = exc.__cause__
            if isinstance(cause, ClientError) and (
                cause.response.get("Error", {}).get("Code") == "NoSuchCORSConfiguration"
            ):
                return []
            raise


def _same_rule(found: dict[str, Any], wanted: dict[str, Any]) -> bool:
    keys = ("AllowedOrigins", "AllowedMethods", "AllowedHeaders", "ExposeHeaders")
    return all(sorted(found.get(k, [])) == sorted(wanted[k]) for k in keys)


def _body_chunks(body: Any, key: str, chunk_size: int) -> Iterator[bytes]:
    try:
        with translate_errors(key):
            yield from body.iter_chunks(chunk_size)
    finally:
        body.close()


class _LimitedReader:
    """A file-like reader that counts, and stops past ``max_bytes``."""

    def __init__(self, source: BinaryIO, max_bytes: int | None) -> None:
        self.source = source
        self.max_bytes = max_bytes
        self.total = 0
        self.too_large = False

    def read(self, size: int = -1) -> bytes:
        chunk = self.source.read(CHUNK_SIZE if size is None or size < 0 else size)
        self.total += len(chunk)
        if self.max_bytes is not None and self.total > self.max_bytes:
            self.too_large = True
            raise ObjectTooLarge(self.max_bytes)
        return chunk
