"""Compressed responses: pages, stylesheets, scripts, JSON and SVG leave brotli-, zstd- or
gzip-compressed, as the browser asks; a tenant's page on a slow phone is a third of its size.

Flask-Compress does the work: it is maintained, reads ``Accept-Encoding`` with its quality
values, sets ``Vary`` and keeps strong ETags apart per encoding. Two things are ours:

- it would compress any 2xx of a listed type, a ``206 Partial Content`` too, whose
  ``Content-Range`` counts bytes of the uncompressed file: a range would arrive corrupted.
  Our hook hands it nothing partial.
- streamed responses (media from storage, ranges and all) are left exactly as they are: they
  are video, audio, pictures and PDFs, already compressed, and their byte ranges must hold.
- static files come compressed already, at the best level, from :mod:`panel.core.assets`.

Behind nginx the proxy can do this instead: see ``docs/compression.md``.
"""

from __future__ import annotations

from flask import Flask, Response
from flask_compress import Compress

compress = Compress()

# Flask-Compress's default list, less fonts and icons we do not serve, plus what we do serve.
MIMETYPES = [
    "text/html",
    "text/css",
    "text/plain",
    "text/xml",
    "text/javascript",
    "application/javascript",
    "application/json",
    "application/xml",
    "application/xhtml+xml",
    "image/svg+xml",
]


def init_compression(app: Flask) -> None:
    """Compress what is worth it. Call first in ``create_app``: Flask runs after-request hooks
    last-registered first, so this one then sees the finished response."""
    app.config.update(
        COMPRESS_REGISTER=False,  # our hook below decides what is handed to it
        COMPRESS_MIMETYPES=MIMETYPES,
        # Equal preference: brotli (smallest for HTML and CSS), zstd, then gzip.
        COMPRESS_ALGORITHM=["br", "zstd", "gzip", "deflate"],
        # Level 5: 1.5 ms for 50 KB of CSS and smaller than gzip's 6; level 4 is larger.
        COMPRESS_BR_LEVEL=5,
        COMPRESS_STREAMS=False,  # streamed bodies are media: sent byte for byte
        COMPRESS_MIN_SIZE=500,  # below a packet, compression saves nothing
    )
    compress.init_app(app)

    @app.after_request
    def _compress(response: Response) -> Response:
        if response.status_code == 206 or "Content-Range" in response.headers:
            return response
        return compress.after_request(response)
