"""Structured logs: one JSON line per request, carrying a request id."""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from typing import Any

from flask import Flask, g, request

from panel.core.config import Settings

REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
access_log = logging.getLogger("stoop.request")


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object; extra fields given as ``extra={"fields": {...}}``."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        data.update(getattr(record, "fields", {}))
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return json.dumps(data, default=str)


def configure_logging(settings: Settings) -> None:
    """Send Stoop's logs to stderr, as JSON lines unless STOOP_LOG_JSON=0."""
    root = logging.getLogger("stoop")
    if getattr(root, "_stoop_configured", False):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if settings.log_json else logging.Formatter("%(message)s"))
    # flask-limiter says so when the rate limits' Redis is down (and when it is back).
    for name in ("stoop", "panel", "media", "notifications", "touchpoints", "flask-limiter"):
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    root._stoop_configured = True  # type: ignore[attr-defined]


def init_request_logging(app: Flask, settings: Settings) -> None:
    """Give every request an id (kept from ``X-Request-ID`` when sane) and log one line."""
    configure_logging(settings)

    @app.before_request
    def _start() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if REQUEST_ID_RE.match(incoming) else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @app.after_request
    def _log(response: Any) -> Any:
        started = g.get("request_started")
        elapsed_ms = (time.perf_counter() - started) * 1000 if started else 0.0
        response.headers["X-Request-ID"] = g.get("request_id", "")
        access_log.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "fields": {
                    "request_id": g.get("request_id"),
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "ms": round(elapsed_ms, 2),
                    "length": request.content_length or 0,
                    "endpoint": request.endpoint,
                }
            },
        )
        return response
