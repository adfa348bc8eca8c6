"""``/hooks/twilio/status``: signed callbacks move an SMS forward, never backwards, once; every
answer is an empty body Twilio accepts, never our JSON API error."""

from __future__ import annotations

import pytest
from twilio.request_validator import RequestValidator

from notifications.dispatch import queue_sms
from notifications.models import DeliveryState

STATUS_PATH = "/hooks/twilio/status"


@pytest.fixture
def sent_sms(db_session, org, use_twilio):
    message = queue_sms(
        db_session,
        organisation_id=org.id,
        to="+46701234567",
        text="Hej!",
        purpose="question",
        dedupe_key="ask-1",
    )
    db_session.commit()
    db_session.refresh(message)
    assert message.state == DeliveryState.SENT
    return message


def reload(db_session, message):
    db_session.refresh(message)
    return message


def signed_post(client, settings, params, *, token=None, query=""):
    url = settings.base_url + STATUS_PATH + (f"?{query}" if query else "")
    signature = RequestValidator(token or settings.twilio_auth_token).compute_signature(url, params)
    path = STATUS_PATH + (f"?{query}" if query else "")
    return client.post(path, data=params, headers={"X-Twilio-Signature": signature})


def test_a_signed_delivered_callback_marks_it_delivered(client, db_session, sent_sms, use_twilio):
    response = use_twilio.send_status_callback(client, sent_sms.provider_id, "delivered")

    assert (response.status_code, response.data) == (200, b"")
    message = reload(db_session, sent_sms)
    assert message.state == DeliveryState.DELIVERED
    assert message.status_at is not None


def test_undelivered_keeps_twilios_error_code(client, db_session, sent_sms, use_twilio):
    use_twilio.send_status_callback(client, sent_sms.provider_id, "undelivered", error_code=30003)

    message = reload(db_session, sent_sms)
    assert message.state == DeliveryState.UNDELIVERED
    assert "30003" in message.error


def test_the_same_callback_twice_changes_the_state_once(client, db_session, sent_sms, use_twilio):
    use_twilio.send_status_callback(client, sent_sms.provider_id, "delivered")
    first_change = reload(db_session, sent_sms).status_at

    response = use_twilio.send_status_callback(client, sent_sms.provider_id, "delivered")

    assert (response.status_code, response.data) == (200, b"")
    assert reload(db_session, sent_sms).status_at == first_change


def test_a_late_callback_never_moves_it_backwards(client, db_session, sent_sms, use_twilio):
    use_twilio.send_status_callback(client, sent_sms.provider_id, "delivered")
    use_twilio.send_status_callback(client, sent_sms.provider_id, "sent")
    use_twilio.send_status_callback(client, sent_sms.provider_id, "failed")

    assert reload(db_session, sent_sms).state == DeliveryState.DELIVERED


def test_intermediate_statuses_are_acknowledged_and_change_nothing(
    client, db_session, sent_sms, use_twilio
):
    response = use_twilio.send_status_callback(client, sent_sms.provider_id, "sending")

    assert response.status_code == 200
    assert reload(db_session, sent_sms).state == DeliveryState.SENT


def test_a_forged_signature_is_403(client, db_session, sent_sms, settings):
    params = {"MessageSid": sent_sms.provider_id, "MessageStatus": "delivered"}

    response = signed_post(client, settings, params, token="not-the-auth-token")

    assert (response.status_code, response.data) == (403, b"")
    assert not response.is_json
    assert reload(db_session, sent_sms).state == DeliveryState.SENT


def test_a_missing_signature_is_403(client, db_session, sent_sms):
    response = client.post(
        STATUS_PATH, data={"MessageSid": sent_sms.provider_id, "MessageStatus": "delivered"}
    )

    assert response.status_code == 403
    assert reload(db_session, sent_sms).state == DeliveryState.SENT


def test_a_field_added_after_signing_is_403(client, db_session, sent_sms, settings):
    params = {"MessageSid": sent_sms.provider_id, "MessageStatus": "sent"}
    url = settings.base_url + STATUS_PATH
    signature = RequestValidator(settings.twilio_auth_token).compute_signature(url, params)

    response = client.post(
        STATUS_PATH,
        data={**params, "MessageStatus": "delivered"},
        headers={"X-Twilio-Signature": signature},
    )

    assert response.status_code == 403


def test_the_query_string_is_part_of_what_is_signed(client, db_session, sent_sms, settings):
    params = {"MessageSid": sent_sms.provider_id, "MessageStatus": "delivered"}

    response = signed_post(client, settings, params, query="attempt=2")

    assert response.status_code == 200
    assert reload(db_session, sent_sms).state == DeliveryState.DELIVERED


def test_without_twilio_configured_every_callback_is_403(client, db_session, settings):
    assert not settings.twilio_auth_token

    response = client.post(
        STATUS_PATH,
        data={"MessageSid": "SM" + "0" * 32, "MessageStatus": "delivered"},
        headers={"X-Twilio-Signature": "anything"},
    )

    assert response.status_code == 403


def test_an_unknown_message_is_acknowledged(client, db_session, use_twilio, settings):
    params = {"MessageSid": "SM" + "1" * 32, "MessageStatus": "delivered"}

    response = signed_post(client, settings, params)

    assert (response.status_code, response.data) == (200, b"")
