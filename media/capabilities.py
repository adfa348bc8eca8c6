"""Upload capabilities: an expiring, signed URL that lets its holder send one clip's bytes.

Whoever starts an upload (a staff page, an API client, later a tenant's page) gets the same
kind of instructions from :func:`media.service.create_upload`: with S3 a presigned POST to the
bucket, locally ``/media/uploads/<token>``, where the token is signed with the app's secret key
and names the clip (its id and public id), the most bytes it may have, and when it expires.
The token is the capability: the route needs no login and no CSRF token, and a token cannot be
altered to name another clip or a larger limit. Both kinds expire after
:data:`UPLOAD_LIFETIME`; unfinished uploads are deleted some time after that
(:func:`media.tasks.expire_uploads`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeSerializer

from panel.core.db import utcnow

UPLOAD_LIFETIME = dt.timedelta(hours=1)  # time to start sending the bytes
# An upload that began just before its capability expired may still be arriving; the clip and
# its files are deleted only this long after the expiry.
EXPIRED_GRACE = dt.timedelta(hours=1)
SALT = "stoop.media.upload-capability"
UPLOAD_PATH = "/media/uploads/{token}"


class InvalidCapability(ValueError):
    """Not a token we issued (altered, cut short, or signed with another key)."""


@dataclass(frozen=True)
class UploadCapability:
    """What a token grants: the bytes of clip ``media_id`` (whose public id is ``public_id``),
    at most ``max_bytes`` of them, until ``expires_at``."""

    media_id: int
    public_id: str
    max_bytes: int
    expires_at: dt.datetime

    def expired(self, now: dt.datetime | None = None) -> bool:
        return (now or utcnow()) >= self.expires_at


def _serializer(secret_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt=SALT)


def issue(secret_key: str, capability: UploadCapability) -> str:
    """The signed token of ``capability``."""
    return str(
        _serializer(secret_key).dumps(
            [
                capability.media_id,
                capability.public_id,
                capability.max_bytes,
                int(capability.expires_at.timestamp()),
            ]
        )
    )


def read(secret_key: str, token: str) -> UploadCapability:
    """The capability a token grants (expired or not: the caller says which answer to give).

    Raises :class:`InvalidCapability` for anything we did not sign.
    """
    try:
        media_id, public_id, max_bytes, expires = _serializer(secret_key).loads(token)
    except (BadSignature, TypeError, ValueError) as exc:
        raise InvalidCapability(token[:20]) from exc
    if not (isinstance(media_id, int) and isinstance(max_bytes, int) and isinstance(expires, int)):
        raise InvalidCapability(token[:20])
    return UploadCapability(
        media_id=media_id,
        public_id=str(public_id),
        max_bytes=max_bytes,
        expires_at=dt.datetime.fromtimestamp(expires, dt.UTC),
    )


def upload_path(token: str) -> str:
    """The root-relative URL of the upload route for ``token``."""
    return UPLOAD_PATH.format(token=token)
