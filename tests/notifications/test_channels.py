"""Channel details: SMTP URLs, how provider failures are classified, a send that breaks
half-way, and the delivery tasks as Celery runs them."""

from __future__ import annotations

import socketserver
import threading

import pytest
import requests
from email_validator import EmailNotValidError, validate_email
from twilio.base.exceptions import TwilioRestException

from notifications import tasks
from notifications.channels.base import PermanentDeliveryError, TransientDeliveryError
from notifications.channels.email import parse_smtp_url
from notifications.channels.sms import never_connected, translate_twilio_error
from notifications.delivery import backoff, deliver_due
from notifications.dispatch import email_address, queue_email
from notifications.models import DeliveryState
from panel.core.errors import ValidationError
from tests.conftest import free_port


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example.org", ("smtp", "mail.example.org", 25, "", "")),
        (
            "smtp+starttls://u%40x:p%2Fw@mail.example.org",
            ("smtp+starttls", "mail.example.org", 587, "u@x", "p/w"),
        ),
        ("smtps://u:p@mail.example.org:2465", ("smtps", "mail.example.org", 2465, "u", "p")),
    ],
)
def test_smtp_urls(url, expected):
    config = parse_smtp_url(url)

    assert (config.scheme, config.host, config.port, config.username, config.password) == expected


@pytest.mark.parametrize("url", ["http://mail.example.org", "smtp://", "mail.example.org:25"])
def test_malformed_smtp_urls_are_refused(url):
    with pytest.raises(ValueError, match="STOOP_SMTP_URL"):
        parse_smtp_url(url)


@pytest.mark.parametrize(
    ("status", "code", "kind"),
    [
        (429, 20429, TransientDeliveryError),
        (500, 20500, TransientDeliveryError),
        (503, None, TransientDeliveryError),
        (401, 20003, TransientDeliveryError),
        (400, 21211, PermanentDeliveryError),
        (400, 21610, PermanentDeliveryError),
        (404, 20404, PermanentDeliveryError),
    ],
)
def test_twilio_errors_are_classified(status, code, kind):
    error = translate_twilio_error(TwilioRestException(status, "/uri", "reason", code=code))

    assert type(error) is kind
    assert str(status) in error.reason


def test_only_a_connection_that_never_opened_counts_as_never_sent():
    refused = None
    try:
        requests.get(f"http://127.0.0.1:{free_port()}/", timeout=2)
    except requests.ConnectionError as exc:
        refused = exc

    assert never_connected(refused)
    assert not never_connected(requests.exceptions.ReadTimeout("read timed out"))


def test_backoff_grows_then_stays():
    waits = [backoff(n).total_seconds() for n in range(1, 8)]

    assert waits == sorted(waits)
    assert waits[0] == 30 and waits[-1] == waits[-2]


class _DropsDuringData(socketserver.StreamRequestHandler):
    """Speaks SMTP until the message body arrives, then hangs up without an answer."""

    def handle(self) -> None:
        self.wfile.write(b"220 half-broken ESMTP\r\n")
        while line := self.rfile.readline():
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                self.wfile.write(b"250 half-broken\r\n")
            elif verb == b"DATA":
                self.wfile.write(b"354 go ahead\r\n")
                while (body := self.rfile.readline()) and body != b".\r\n":
                    pass
                return  # the body went through; the reply never comes
            else:
                self.wfile.write(b"250 OK\r\n")


@pytest.fixture
def half_broken_smtp():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _DropsDuringData)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"smtp://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_send_that_breaks_mid_data_is_unknown_and_never_retried(
    db_session, org, monkeypatch, settings, half_broken_smtp, smtp_server
):
    monkeypatch.setattr(settings, "smtp_url", half_broken_smtp)
    message = queue_email(
        db_session,
        organisation_id=org.id,
        to="anna@example.org",
        subject="Hej",
        text="Hej",
        purpose="test",
        dedupe_key="broken-1",
    )
    db_session.commit()
    db_session.refresh(message)

    assert message.state == DeliveryState.UNKNOWN
    assert "broke while the message was being sent" in message.error

    monkeypatch.setattr(settings, "smtp_url", smtp_server.url)
    deliver_due(db_session)
    assert smtp_server.messages == []


def test_the_periodic_task_runs_the_sweep_in_the_app_context(
    app, db_session, org, monkeypatch, settings, smtp_server
):
    monkeypatch.setattr(settings, "smtp_url", f"smtp://127.0.0.1:{free_port()}")
    message = queue_email(
        db_session,
        organisation_id=org.id,
        to="anna@example.org",
        subject="Hej",
        text="Hej",
        purpose="test",
        dedupe_key="sweep-1",
    )
    db_session.commit()
    db_session.refresh(message)
    assert message.state == DeliveryState.QUEUED
    message.next_attempt_at = None  # due now
    db_session.commit()
    monkeypatch.setattr(settings, "smtp_url", smtp_server.url)

    # This app's own task (a shared task resolves to the newest Celery app of the process).
    task = app.extensions["celery"].tasks[tasks.deliver_due.name]
    result = task.apply()

    assert result.successful() and result.result == 1
    assert len(smtp_server.messages) == 1


@pytest.mark.parametrize(
    "address",
    [
        "anna@example.org",
        "Anna.Berg+panel@Example.ORG",
        "o'brien@bostad.ie",
        "x@sub-domain.example.co.uk",
        "a..b@example.org",
        ".anna@example.org",
        "anna@-example.org",
        "anna@example",
        "anna@example.123",
        "anna@xn--bcher-kva.example",
        "anna@stoop.localhost",
        "anna@mail.test",
        "åsa@exempel.se",
        "anna@exämple.se",
        '"quoted local"@example.org',
        ("l" * 65) + "@example.org",
        "anna@" + ("d" * 64) + ".org",
        "",
    ],
)
def test_the_fast_address_check_agrees_with_email_validator(address):
    try:
        expected = validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError:
        expected = None

    if expected is None:
        with pytest.raises(ValidationError):
            email_address(address)
    else:
        assert email_address(address) == expected


def test_the_lease_is_a_setting_with_a_floor():
    from panel.core.config import ConfigError, Settings

    assert Settings.from_env({"STOOP_CLAIM_LEASE_SECONDS": "90"}).claim_lease_seconds == 90
    assert Settings.from_env({}).claim_lease_seconds == 60
    with pytest.raises(ConfigError, match="STOOP_CLAIM_LEASE_SECONDS"):
        Settings.from_env({"STOOP_CLAIM_LEASE_SECONDS": "1"}).validate(serving=False)
