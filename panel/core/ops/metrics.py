"""Prometheus metrics: requests by endpoint and status, latency, and tasks by outcome.

Under gunicorn with several processes set ``PROMETHEUS_MULTIPROC_DIR`` so every process
writes its figures to a shared folder and ``/metrics`` adds them up.
"""

from __future__ import annotations

import os
import time
from typing import Any

from celery.signals import task_failure, task_postrun, task_retry
from flask import Flask, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

REQUESTS = Counter(
    "stoop_http_requests_total", "HTTP requests answered", ["method", "endpoint", "status"]
)
LATENCY = Histogram(
    "stoop_http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
TASKS = Counter("stoop_tasks_total", "Background tasks run", ["task", "outcome"])
ENQUEUE_FAILURES = Counter(
    "stoop_task_enqueue_failures_total",
    "Tasks that could not be handed to the broker after commit (the sweeps pick them up)",
    ["task"],
)


def init_metrics(app: Flask) -> None:
    """Count and time every request."""

    @app.before_request
    def _start_timer() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _record(response: Any) -> Any:
        endpoint = request.endpoint or "unknown"
        REQUESTS.labels(request.method, endpoint, str(response.status_code)).inc()
        started = g.get("metrics_started")
        if started is not None:
            LATENCY.labels(endpoint).observe(time.perf_counter() - started)
        return response


def render_metrics() -> Response:
    """The Prometheus text exposition of this process (or of all, in multiprocess mode)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        payload = generate_latest(registry)
    else:
        payload = generate_latest()
    return Response(payload, mimetype=CONTENT_TYPE_LATEST)


@task_postrun.connect
def _count_task(sender: Any = None, state: str | None = None, **_: Any) -> None:
    TASKS.labels(getattr(sender, "name", "unknown"), (state or "unknown").lower()).inc()


@task_failure.connect
def _count_failure(sender: Any = None, **_: Any) -> None:
    TASKS.labels(getattr(sender, "name", "unknown"), "error").inc()


@task_retry.connect
def _count_retry(sender: Any = None, **_: Any) -> None:
    TASKS.labels(getattr(sender, "name", "unknown"), "retry").inc()
