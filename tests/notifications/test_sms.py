"""SMS: recorded in the embedded default, sent through Twilio (the double) when configured."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from notifications.delivery import deliver_due
from notifications.dispatch import queue_sms
from notifications.models import Channel, DeliveryState, OutboundMessage
from panel.core.db import utcnow
from panel.core.errors import ValidationError
from tests.conftest import free_port


def queue(session, org, *, to="+46701234567", key="ask-1", text="Hej! Svara på frågan: x.y/a/1"):
    message = queue_sms(
        session, organisation_id=org.id, to=to, text=text, purpose="question", dedupe_key=key
    )
    session.commit()
    session.refresh(message)
    return message


def later(minutes: float) -> dt.datetime:
    return utcnow() + dt.timedelta(minutes=minutes)


def test_without_twilio_the_sms_is_only_recorded(db_session, org, settings):
    assert settings.sms_outbox

    message = queue(db_session, org)

    assert message.channel == Channel.SMS
    assert (message.state, message.provider, message.provider_id) == (
        DeliveryState.SENT,
        "outbox",
        None,
    )


def test_twilio_receives_to_from_body_with_basic_auth(db_session, org, use_twilio, settings):
    message = queue(db_session, org)

    [sent] = use_twilio.messages
    assert (sent.to, sent.from_, sent.body) == (
        "+46701234567",
        use_twilio.phone_number,
        "Hej! Svara på frågan: x.y/a/1",
    )
    assert (sent.username, sent.password) == (use_twilio.account_sid, use_twilio.auth_token)
    assert sent.status_callback == settings.base_url + "/hooks/twilio/status"
    assert (message.state, message.provider, message.provider_id) == (
        DeliveryState.SENT,
        "twilio",
        sent.sid,
    )


def test_a_messaging_service_sid_is_sent_as_such(
    db_session, org, use_twilio, monkeypatch, settings
):
    service = "MG" + "0" * 32
    monkeypatch.setattr(settings, "twilio_from", service)

    queue(db_session, org)

    [sent] = use_twilio.messages
    assert (sent.messaging_service_sid, sent.from_) == (service, None)


def test_the_same_dedupe_key_twice_sends_one_sms(db_session, org, use_twilio):
    first = queue(db_session, org, key="reminder-9")
    second = queue(db_session, org, key="reminder-9", text="different")

    assert second.id == first.id
    assert len(use_twilio.messages) == 1


@pytest.mark.parametrize("status", [500, 503, 429])
def test_twilio_errors_worth_retrying_put_it_back_then_it_goes_once(
    db_session, org, use_twilio, status
):
    use_twilio.fail_next(1, status=status)

    message = queue(db_session, org)
    assert message.state == DeliveryState.QUEUED
    assert f"Twilio answered {status}" in message.error
    assert message.next_attempt_at > utcnow()

    assert deliver_due(db_session, now=later(1)) == 1
    assert deliver_due(db_session, now=later(5)) == 0
    db_session.refresh(message)
    assert (message.state, message.attempts) == (DeliveryState.SENT, 2)
    assert len(use_twilio.messages) == 1


def test_twilio_unreachable_is_retried(db_session, org, use_twilio, monkeypatch, settings):
    monkeypatch.setattr(settings, "twilio_api_base", f"http://127.0.0.1:{free_port()}")

    message = queue(db_session, org)

    assert message.state == DeliveryState.QUEUED
    assert "could not reach Twilio" in message.error


def test_an_invalid_number_fails_for_good_with_twilios_reason(db_session, org, use_twilio):
    # Well-formed E.164, but too short for a US number: Twilio answers 21211.
    message = queue(db_session, org, to="+1555010")

    assert message.state == DeliveryState.FAILED
    assert "21211" in message.error and "Invalid 'To' Phone Number" in message.error
    assert use_twilio.messages == []
    assert deliver_due(db_session, now=later(60)) == 0


@pytest.mark.parametrize("to", ["0701234567", "+46 70 123 45 67", "", "+0701234567"])
def test_numbers_not_in_e164_are_refused_when_queued(db_session, org, to):
    with pytest.raises(ValidationError, match="international form"):
        queue_sms(
            db_session, organisation_id=org.id, to=to, text="Hej", purpose="q", dedupe_key="k"
        )

    assert db_session.scalar(sa.select(OutboundMessage)) is None
