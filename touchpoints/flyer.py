"""The printable A4 flyer of a touchpoint: the question's title, its poster, the QR code, the
short address and the organisation's name, in the question's language (WeasyPrint).

Everything the PDF shows is inlined (data: URIs), so WeasyPrint fetches nothing: no network, no
storage URL that might have expired.
"""

from __future__ import annotations

import base64
import logging
from typing import Any

from flask import render_template

from media.models import MediaFile, MediaStatus
from touchpoints.qr import qr_svg

log = logging.getLogger(__name__)
MAX_POSTER_BYTES = 5 * 1024 * 1024


def _data_uri(content_type: str, data: bytes) -> str:
    return f"data:{content_type};base64,{base64.b64encode(data).decode()}"


def poster_data_uri(media: MediaFile | None) -> str | None:
    """The clip's poster image as a data: URI, or None (no clip, not ready, or unreadable:
    the flyer is still useful without it)."""
    if media is None or media.status != MediaStatus.READY:
        return None
    key = (media.renditions or {}).get("poster")
    if not key:
        return None
    from media.storage import current_storage

    try:
        data = current_storage().read(key)
    except Exception:  # a flyer without its picture beats no flyer: log and go on
        log.warning("flyer: poster %s could not be read", key, exc_info=True)
        return None
    if not data or len(data) > MAX_POSTER_BYTES:
        return None
    return _data_uri("image/jpeg", data)


def render_flyer(**context: Any) -> bytes:
    """The flyer as PDF bytes; ``context`` needs ``qr_data`` (what the code encodes) and what
    ``touchpoints/flyer.html`` shows."""
    from weasyprint import HTML  # imports in ~0.5 s: only when a flyer is asked for

    qr = _data_uri("image/svg+xml", qr_svg(context.pop("qr_data")))
    html = render_template("touchpoints/flyer.html", qr=qr, **context)
    return HTML(string=html).write_pdf()
