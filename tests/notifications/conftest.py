"""Fixtures of the notifications tests: an organisation, and the app's settings switched to
SMTP or Twilio for one test (channels read settings when they send)."""

from __future__ import annotations

import pytest

from tests.factories import OrganisationFactory


@pytest.fixture
def org(db_session):
    return OrganisationFactory()


@pytest.fixture
def settings(app):
    return app.config["STOOP"]


@pytest.fixture
def use_smtp(monkeypatch, settings, smtp_server):
    """E-mail goes to the loopback SMTP server for this test."""
    monkeypatch.setattr(settings, "smtp_url", smtp_server.url)
    return smtp_server


@pytest.fixture
def use_twilio(monkeypatch, settings, twilio_double):
    """SMS go to the Twilio double for this test."""
    for name, value in twilio_double.settings().items():
        monkeypatch.setattr(settings, name, value)
    return twilio_double
