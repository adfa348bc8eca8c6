"""Operations: health and readiness, Prometheus metrics, one JSON log line per request,
request ids, and the security headers every response carries."""

from __future__ import annotations

import io
import json
import logging
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from celery import shared_task
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from panel.core.celery import enqueue_after_commit
from panel.core.config import ConfigError
from panel.core.ops.logging import JsonFormatter
from tests.conftest import redis_test_url

REDIS_BROKER = redis_test_url(12)
DEAD_BROKER = "redis://127.0.0.1:1/0"


@shared_task(name="tests.ops.test_ops.tick", bind=True, acks_late=True)
def tick(self: Any) -> None:
    """A task that does nothing, so that one has run."""


# --- health ---------------------------------------------------------------------------------------


def test_healthz_answers_without_checking_anything(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_checks_the_database(client: FlaskClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ok",
        "checks": {"database": "ok", "broker": "in-process"},
    }


def _ops_app(make_app: Callable[..., Flask], **overrides: Any) -> Flask:
    # Rate limits stay in memory: a Redis broker must not move them for the other tests.
    return make_app(redis_url="memory://", **overrides)


def test_readyz_checks_a_configured_broker(make_app: Callable[..., Flask]) -> None:
    response = _ops_app(make_app, broker_url=REDIS_BROKER).test_client().get("/readyz")

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["checks"] == {"database": "ok", "broker": "ok"}


def test_readyz_is_503_when_the_broker_is_unreachable(make_app: Callable[..., Flask]) -> None:
    client = _ops_app(make_app, broker_url=DEAD_BROKER).test_client()

    started = time.monotonic()
    response = client.get("/readyz")

    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["broker"].startswith("unavailable: ")
    assert time.monotonic() - started < 15, "a dead broker must not hang the probe"


# --- metrics --------------------------------------------------------------------------------------


def _sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus text, 0 when absent."""
    for line in text.splitlines():
        if not line.startswith(name + "{"):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line[: line.index("}")]))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


METRICS_TOKEN = "metrics-token-0123456789abcdef"
SCRAPER = {"Authorization": f"Bearer {METRICS_TOKEN}"}


@pytest.fixture
def scraper(make_app: Callable[..., Flask]) -> FlaskClient:
    """A Prometheus scraper: a client of an app with a metrics token, sending it."""
    return _ops_app(make_app, metrics_token=METRICS_TOKEN).test_client()


def _metrics(scraper: FlaskClient) -> str:
    response = scraper.get("/metrics", headers=SCRAPER)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_metrics_count_requests(client: FlaskClient, scraper: FlaskClient) -> None:
    before = _metrics(scraper)
    client.get("/healthz")
    client.get("/healthz")
    response = scraper.get("/metrics", headers=SCRAPER)

    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    labels = {"method": "GET", "endpoint": "ops.healthz", "status": "200"}
    name = "stoop_http_requests_total"
    assert _sample(text, name, **labels) - _sample(before, name, **labels) == 2
    assert "stoop_http_request_duration_seconds_bucket" in text


def test_metrics_count_tasks(app: Flask, scraper: FlaskClient, db_session: Session) -> None:
    labels = {"task": "tests.ops.test_ops.tick", "outcome": "success"}
    before = _sample(_metrics(scraper), "stoop_tasks_total", **labels)

    app.extensions["celery"].set_current()  # the scraper's app was built last
    enqueue_after_commit(db_session, tick)
    db_session.commit()

    assert _sample(_metrics(scraper), "stoop_tasks_total", **labels) == before + 1


def test_metrics_are_closed_unless_configured(client: FlaskClient) -> None:
    response = client.get("/metrics")

    assert response.status_code == 403
    assert "STOOP_METRICS_TOKEN" in response.get_json()["error"]["message"]
    assert "stoop_http_requests_total" not in response.get_data(as_text=True)


@pytest.mark.parametrize("sent", [None, "Bearer wrong-token-0123456789", f"Basic {METRICS_TOKEN}"])
def test_metrics_without_the_right_token_get_401(scraper: FlaskClient, sent: str | None) -> None:
    headers = {"Authorization": sent} if sent else {}

    response = scraper.get("/metrics", headers=headers)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "stoop_http_requests_total" not in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("client_address", "status"),
    [("10.1.2.3", 200), ("192.168.0.7", 200), ("203.0.113.9", 403), ("::1", 403)],
)
def test_metrics_for_an_allowed_network(
    make_app: Callable[..., Flask], client_address: str, status: int
) -> None:
    app = _ops_app(make_app, metrics_networks="10.0.0.0/8, 192.168.0.0/24")

    response = app.test_client().get("/metrics", environ_base={"REMOTE_ADDR": client_address})

    assert response.status_code == status


def test_behind_a_proxy_the_network_is_the_client_s(make_app: Callable[..., Flask]) -> None:
    # The proxy itself is on loopback; the address that counts is the one it forwards.
    app = _ops_app(make_app, metrics_networks="127.0.0.0/8", proxy_count=1)
    client = app.test_client()

    outside = client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
    inside = client.get("/metrics", headers={"X-Forwarded-For": "127.0.0.1"})

    assert (outside.status_code, inside.status_code) == (403, 200)


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"metrics_networks": "10.0.0.0/33"}, "STOOP_METRICS_NETWORKS"),
        ({"metrics_networks": "intranet"}, "STOOP_METRICS_NETWORKS"),
        ({"metrics_token": "short"}, "STOOP_METRICS_TOKEN"),
    ],
)
def test_malformed_metrics_settings_fail_at_start(
    make_app: Callable[..., Flask], overrides: dict[str, str], problem: str
) -> None:
    with pytest.raises(ConfigError, match=problem):
        make_app(**overrides)


# --- request logs and ids -------------------------------------------------------------------------


@pytest.fixture
def request_log() -> Iterator[io.StringIO]:
    """What the ``stoop.request`` logger writes, formatted as the app configured it."""
    configured = [h for h in logging.getLogger("stoop").handlers if h.formatter]
    assert configured, "Stoop's logs have no handler"
    formatter = configured[0].formatter
    assert isinstance(formatter, JsonFormatter), "logs must be JSON lines (STOOP_LOG_JSON=1)"
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    logger = logging.getLogger("stoop.request")
    logger.addHandler(handler)
    yield stream
    logger.removeHandler(handler)


def _lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_one_json_line_per_request_with_its_id(
    client: FlaskClient, request_log: io.StringIO
) -> None:
    first = client.get("/healthz")
    second = client.get("/no-such-page")

    lines = _lines(request_log)
    assert len(lines) == 2
    assert [line["path"] for line in lines] == ["/healthz", "/no-such-page"]
    assert [line["status"] for line in lines] == [200, 404]
    assert lines[0]["request_id"] == first.headers["X-Request-ID"]
    assert lines[1]["request_id"] == second.headers["X-Request-ID"]
    assert lines[0]["method"] == "GET" and lines[0]["logger"] == "stoop.request"
    assert isinstance(lines[0]["ms"], float | int)


def test_a_sane_request_id_is_kept(client: FlaskClient, request_log: io.StringIO) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a.91_x"})

    assert response.headers["X-Request-ID"] == "lb-7f3a.91_x"
    assert _lines(request_log)[0]["request_id"] == "lb-7f3a.91_x"


@pytest.mark.parametrize("incoming", [None, "", "has spaces", "x" * 65, "<script>"])
def test_a_missing_or_odd_request_id_is_replaced(client: FlaskClient, incoming: str | None) -> None:
    headers = {"X-Request-ID": incoming} if incoming is not None else {}

    first = client.get("/healthz", headers=headers).headers["X-Request-ID"]
    second = client.get("/healthz", headers=headers).headers["X-Request-ID"]

    assert re.fullmatch(r"[0-9a-f]{32}", first)
    assert first != second


# --- security headers -----------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/healthz", "/login", "/no-such-page", "/api/v1/openapi.json"])
def test_security_headers_on_every_response(client: FlaskClient, path: str) -> None:
    headers = client.get(path).headers

    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    policy = headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "object-src 'none'" in policy
    assert "Strict-Transport-Security" not in headers  # plain HTTP in tests


def test_production_adds_hsts(make_app: Callable[..., Flask]) -> None:
    app = _ops_app(make_app, env="production", allow_insecure=True)

    headers = app.test_client().get("/healthz").headers

    assert headers["Strict-Transport-Security"].startswith("max-age=")


def test_behind_one_proxy_the_client_address_comes_from_x_forwarded_for(make_app):
    """With STOOP_PROXY_COUNT=1 rate limits and logs see the tenant's address, not the proxy's."""
    from flask import request

    app = make_app(proxy_count=1)

    @app.get("/_test/remote")
    def _remote() -> str:
        return f"{request.remote_addr} {request.scheme}"

    response = app.test_client().get(
        "/_test/remote",
        headers={"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"},
    )
    assert response.get_data(as_text=True) == "203.0.113.7 https"
