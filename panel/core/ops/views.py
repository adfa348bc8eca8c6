"""/healthz, /readyz and /metrics."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify

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
    """Prometheus text format."""
    return render_metrics()
