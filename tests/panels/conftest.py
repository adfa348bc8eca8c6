"""Fixtures of the panels tests: e-mail to the loopback SMTP server, SMS to the Twilio double
(for one test; channels read the settings when they send)."""

from __future__ import annotations

import pytest


@pytest.fixture
def use_smtp(monkeypatch, app, smtp_server):
    monkeypatch.setattr(app.config["STOOP"], "smtp_url", smtp_server.url)
    return smtp_server


@pytest.fixture
def use_twilio(monkeypatch, app, twilio_double):
    for name, value in twilio_double.settings().items():
        monkeypatch.setattr(app.config["STOOP"], name, value)
    return twilio_double
