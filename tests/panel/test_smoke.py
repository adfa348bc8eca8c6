"""The app starts, migrates and answers its health checks."""

from __future__ import annotations


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_readyz_reports_database(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json["checks"]["database"] == "ok"
    assert response.json["checks"]["broker"] == "in-process"
