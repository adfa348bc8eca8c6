"""/healthz, /readyz and /metrics (the last only for a token or an allowed network)."""

from __future__ import annotations

import hmac
from ipaddress import ip_address
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, current_app, jsonify, request

from panel.core.config import Settings
from panel.core.errors import error_response
from panel.core.extensions import csrf, db
from panel.core.ops.metrics import render_metrics

bp = Blueprint("ops", __name__)
csrf.exempt(bp)


@bp.get("/healthz")
def healthz() -> Any:
    """The process is alive; checks nothing else."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> Any:
    """Ready when the database answers and, when one is configured, the broker too."""
    checks: dict[str, str] = {}
    ok = True
    try:
        db.session().execute(sa.text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        checks["database"] = f"unavailable: {type(exc).__name__}"
        ok = False
    settings = current_app.config["STOOP"]
    if settings.broker_url:
        try:
            celery = current_app.extensions["celery"]
            with celery.connection_for_write() as conn:
                conn.ensure_connection(max_retries=1, timeout=2)
            checks["broker"] = "ok"
        except Exception as exc:  # noqa: BLE001
            checks["broker"] = f"unavailable: {type(exc).__name__}"
            ok = False
    else:
        checks["broker"] = "in-process"
    return jsonify(status="ok" if ok else "unavailable", checks=checks), 200 if ok else 503


@bp.get("/metrics")
def metrics() -> Any:
    """Prometheus text format, for a scraper with the metrics token or in an allowed network.

    Closed unless STOOP_METRICS_TOKEN or STOOP_METRICS_NETWORKS is set: the figures name every
    endpoint and how busy it is, which is nobody else's business.
    """
    settings: Settings = current_app.config["STOOP"]
    if metrics_allowed(settings):
        return render_metrics()
    return metrics_refused(settings)


def metrics_allowed(settings: Settings) -> bool:
    """True for the right bearer token, or a client address in an allowed network."""
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    if settings.metrics_token and scheme.lower() == "bearer":
        return hmac.compare_digest(secret.strip().encode(), settings.metrics_token.encode())
    networks = settings.metrics_allowed_networks()
    if not networks or not request.remote_addr:
        return False
    try:
        address = ip_address(request.remote_addr)
    except ValueError:
        return False
    return any(address in network for network in networks)


def metrics_refused(settings: Settings) -> Response:
    """401 with a challenge when a token would help, else 403."""
    if settings.metrics_token:
        response = error_response(
            401, "unauthorized", "Send the metrics token as 'Authorization: Bearer <token>'."
        )
        response.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return error_response(
        403,
        "forbidden",
        "Metrics are served only with STOOP_METRICS_TOKEN or to STOOP_METRICS_NETWORKS.",
    )
