"""Fixtures of the account tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask


def _make_current(app: Flask) -> None:
    celery = app.extensions["celery"]
    celery.set_current()
    celery.set_default()


@pytest.fixture(autouse=True)
def _tasks_run_in_the_app_under_test(request: pytest.FixtureRequest) -> None:
    """Inline tasks (e-mail delivery) must run in the app the test talks to.

    Every app built makes its Celery app the default one, so after a ``live_server`` or a
    ``make_app`` the session's ``app`` would deliver its e-mail through another app (another
    database, another outbox folder).
    """
    if "live_server" in request.fixturenames:
        _make_current(request.getfixturevalue("live_server").app)
    elif "app" in request.fixturenames:
        _make_current(request.getfixturevalue("app"))


@pytest.fixture
def csrf_app(app: Flask, make_app) -> Iterator[Flask]:
    """An app with CSRF on, as in production (the session's ``app`` stays current for tasks)."""
    other = make_app()
    try:
        yield other
    finally:
        _make_current(app)
