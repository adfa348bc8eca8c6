"""Serving a stored rendition to a browser: byte ranges (HTTP 206) from our own storage, or a
redirect to a short-lived presigned URL when the storage has its own.

Every response has the rendition's fixed content type (never one taken from the file or the
upload), ``X-Content-Type-Options: nosniff`` and a sandboxing CSP, so a file can never be
rendered as a page of ours.
"""

from __future__ import annotations

from flask import Response, redirect
from flask_babel import gettext as _
from werkzeug.http import parse_range_header

from media.storage import Storage
from panel.core.errors import error_response

PRESIGNED_SECONDS = 600
SAFE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Accept-Ranges": "bytes",
}


class RangeNotSatisfiable(ValueError):
    """A Range header we cannot serve (malformed, several ranges, or past the end)."""


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The (first, last) byte a Range header asks for, inclusive; None for the whole file."""
    if not header:
        return None
    parsed = parse_range_header(header)
    if parsed is None or parsed.units != "bytes" or len(parsed.ranges) != 1:
        raise RangeNotSatisfiable(header)
    found = parsed.range_for_length(size)
    if found is None:
        raise RangeNotSatisfiable(header)
    start, stop = found
    return start, stop - 1


def send_stored(
    storage: Storage, key: str, *, content_type: str, range_header: str | None
) -> Response:
    """The object at ``key``: a presigned redirect, or its bytes (206 for a Range, 416 for a
    range we cannot serve). ``FileNotFoundError`` when it is gone."""
    url = storage.download_url(key, content_type=content_type, expires_in=PRESIGNED_SECONDS)
    if url is not None:
        response = redirect(url, code=302)
        response.headers["Cache-Control"] = "private, max-age=60"
        return response
    size = storage.head(key).size
    try:
        wanted = byte_range(range_header, size)
    except RangeNotSatisfiable:
        response = error_response(
            416, "range_not_satisfiable", _("That byte range is not in the file.")
        )
        response.headers["Content-Range"] = f"bytes */{size}"
        response.headers.update(SAFE_HEADERS)
        return response
    start, end = wanted if wanted else (0, size - 1)
    body = storage.stream(key, start=start, end=end) if size else iter(())
    response = Response(body, status=206 if wanted else 200, mimetype=content_type)
    response.direct_passthrough = True
    response.headers["Content-Length"] = str(end - start + 1 if size else 0)
    if wanted:
        response.headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    response.headers["Cache-Control"] = "private, max-age=3600"
    response.headers.update(SAFE_HEADERS)
    return response
