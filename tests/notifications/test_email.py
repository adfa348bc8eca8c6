"""E-mail: the .eml outbox of the embedded default, SMTP, and delivery at most once."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from notifications.delivery import deliver_due
from notifications.dispatch import queue_email
from notifications.models import DeliveryState, OutboundMessage
from panel.core.db import utcnow
from panel.core.errors import ValidationError
from tests.conftest import free_port


def queue(session, org, *, to="anna@example.org", key="welcome-1", commit=True, **extra):
    values = {
        "subject": "Välkommen till panelen",
        "text": "Hej Anna!\n\nLäs mer: https://stoop.example/a/abc123\n",
        "html": "<p>Hej <b>Anna</b>!</p><script>alert(1)</script>",
        "purpose": "welcome",
        "language": "sv",
    }
    values.update(extra)
    message = queue_email(session, organisation_id=org.id, to=to, dedupe_key=key, **values)
    if commit:
        session.commit()
        session.refresh(message)
    return message


def later(minutes: float) -> dt.datetime:
    return utcnow() + dt.timedelta(minutes=minutes)


def test_default_writes_an_eml_file_with_the_right_headers(db_session, org, settings, email_outbox):
    message = queue(db_session, org, headers={"Reply-To": "thread-7@reply.stoop.example"})

    mail = email_outbox.last("anna@example.org")
    [sender] = mail.message["From"].addresses
    assert (sender.display_name, sender.addr_spec) == (org.name, "no-reply@stoop.localhost")
    assert mail.to == "anna@example.org"
    assert mail.subject == "Välkommen till panelen"
    assert mail.message["Message-ID"] == message.provider_id
    assert mail.message["Reply-To"] == "thread-7@reply.stoop.example"
    assert mail.message["Content-Language"] == "sv"
    assert mail.message.get_content_type() == "multipart/alternative"
    assert "Läs mer" in mail.text
    assert "<b>Anna</b>" in mail.html
    assert mail.links == ["https://stoop.example/a/abc123"]
    assert (mail.organisation_id, mail.message_id) == (org.id, message.id)
    assert (message.state, message.provider, message.attempts) == (DeliveryState.SENT, "outbox", 1)


def test_text_only_mail_is_a_single_part(db_session, org, email_outbox):
    queue(db_session, org, html=None)

    mail = email_outbox.last()
    assert mail.message.get_content_type() == "text/plain"
    assert mail.html is None


def test_smtp_delivers_a_multipart_message(db_session, org, use_smtp, settings):
    message = queue(db_session, org)

    [received] = use_smtp.received
    assert received.rcpt_tos == ["anna@example.org"]
    assert received.mail_from == "no-reply@stoop.localhost"
    mail = received.message
    assert mail["To"] == "anna@example.org"
    assert mail["Subject"] == "Välkommen till panelen"
    assert mail["From"].addresses[0].display_name == org.name
    assert mail.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in mail.iter_parts()] == ["text/plain", "text/html"]
    assert (message.state, message.provider) == (DeliveryState.SENT, "smtp")
    assert message.provider_id == mail["Message-ID"]


def test_smtp_logs_in_when_the_url_has_credentials(
    db_session, org, monkeypatch, settings, smtp_server
):
    monkeypatch.setattr(settings, "smtp_url", smtp_server.url_with_login)

    queue(db_session, org)

    assert [r.login for r in smtp_server.received] == ["stoop"]


def test_the_same_dedupe_key_twice_sends_one_message(db_session, org, use_smtp):
    first = queue(db_session, org, key="reset-42")
    second = queue(db_session, org, key="reset-42", subject="Another subject")

    assert second.id == first.id
    assert len(use_smtp.messages) == 1
    count = db_session.scalar(
        sa.select(sa.func.count()).where(OutboundMessage.dedupe_key == "reset-42")
    )
    assert count == 1


def test_a_rolled_back_transaction_sends_nothing(db_session, org, use_smtp):
    queue(db_session, org, commit=False)
    db_session.rollback()

    assert use_smtp.messages == []
    assert db_session.scalar(sa.select(OutboundMessage)) is None


def test_smtp_down_puts_the_message_back_with_backoff_then_delivers_once(
    db_session, org, monkeypatch, settings, smtp_server
):
    monkeypatch.setattr(settings, "smtp_url", f"smtp://127.0.0.1:{free_port()}")
    before = utcnow()

    message = queue(db_session, org)

    assert message.state == DeliveryState.QUEUED
    assert message.attempts == 1
    assert "could not reach the SMTP server" in message.error
    assert message.next_attempt_at >= before + dt.timedelta(seconds=30)

    monkeypatch.setattr(settings, "smtp_url", smtp_server.url)
    assert deliver_due(db_session, now=before) == 0  # not due yet
    assert deliver_due(db_session, now=later(1)) == 1
    assert deliver_due(db_session, now=later(2)) == 0

    db_session.refresh(message)
    assert (message.state, message.attempts) == (DeliveryState.SENT, 2)
    assert len(smtp_server.messages) == 1


def test_a_4xx_reply_is_retried_later(db_session, org, use_smtp):
    use_smtp.fail_next(1, "451 4.3.0 Mailbox busy")

    message = queue(db_session, org)
    assert message.state == DeliveryState.QUEUED
    assert "451" in message.error

    deliver_due(db_session, now=later(1))
    db_session.refresh(message)
    assert message.state == DeliveryState.SENT
    assert len(use_smtp.messages) == 1


def test_a_refused_recipient_fails_with_the_reason(db_session, org, use_smtp):
    use_smtp.reject("gone@example.org")

    message = queue(db_session, org, to="gone@example.org")

    assert message.state == DeliveryState.FAILED
    assert "550" in message.error and "No such mailbox" in message.error
    assert deliver_due(db_session, now=later(60)) == 0


def test_it_gives_up_after_the_last_attempt(db_session, org, use_smtp):
    use_smtp.fail_next(10)
    message = queue(db_session, org)

    for hours in range(1, 8):
        deliver_due(db_session, now=later(60 * hours))
    db_session.refresh(message)

    assert message.state == DeliveryState.FAILED
    assert message.attempts == 6
    assert message.error.startswith("gave up after 6 attempts")
    assert use_smtp.messages == []


def test_a_row_whose_lease_ran_out_mid_send_becomes_unknown_and_is_never_resent(
    db_session, org, use_smtp
):
    message = queue(db_session, org, commit=False)
    message.state = DeliveryState.SENDING
    message.claim_token = "a" * 32
    message.lease_until = utcnow() - dt.timedelta(seconds=1)
    db_session.commit()  # the delivery task finds it claimed and does nothing
    assert use_smtp.messages == []

    deliver_due(db_session)
    db_session.refresh(message)
    assert message.state == DeliveryState.UNKNOWN
    assert "interrupted" in message.error

    deliver_due(db_session, now=later(60))
    assert use_smtp.messages == []


def test_a_claimed_row_whose_lease_ran_out_goes_back_to_the_queue_and_out_once(
    db_session, org, use_smtp
):
    message = queue(db_session, org, commit=False)
    message.state = DeliveryState.CLAIMED
    message.claim_token = "b" * 32
    message.lease_until = utcnow() - dt.timedelta(seconds=1)
    db_session.commit()
    assert use_smtp.messages == []

    assert deliver_due(db_session) == 1
    db_session.refresh(message)

    assert (message.state, message.attempts) == (DeliveryState.SENT, 1)
    assert len(use_smtp.messages) == 1
    assert deliver_due(db_session, now=later(60)) == 0


def test_a_row_under_a_live_lease_is_left_alone(db_session, org):
    message = queue(db_session, org, commit=False)
    message.state = DeliveryState.SENDING
    message.claim_token = "c" * 32
    message.lease_until = utcnow() + dt.timedelta(seconds=30)
    db_session.commit()

    deliver_due(db_session)
    db_session.refresh(message)

    assert message.state == DeliveryState.SENDING


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"to": "not an address"}, "not a valid e-mail address"),
        ({"subject": "two\nlines"}, "single line"),
        ({"subject": ""}, "subject"),
        ({"headers": {"Bcc": "spy@example.org"}}, "cannot be set"),
        ({"headers": {"X-Note": "a\r\nBcc: spy@example.org"}}, "single line"),
    ],
)
def test_bad_input_is_refused_before_anything_is_stored(db_session, org, changes, fragment):
    with pytest.raises(ValidationError) as caught:
        queue(db_session, org, commit=False, **changes)

    assert fragment in caught.value.message
    assert db_session.scalar(sa.select(OutboundMessage)) is None
