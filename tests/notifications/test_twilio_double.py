"""The Twilio double accepts what the twilio package sends and refuses what Twilio refuses."""

from __future__ import annotations

import pytest
import requests
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from notifications.channels.sms import RedirectingHttpClient
from tests.twilio_double import spec


def client_for(double, token=None):
    http = RedirectingHttpClient(double.url, timeout=5)
    return Client(double.account_sid, token or double.auth_token, http_client=http)


def post_form(double, data, auth=None):
    url = f"{double.url}/2010-04-01/Accounts/{double.account_sid}/Messages.json"
    return requests.post(
        url, data=data, auth=auth or (double.account_sid, double.auth_token), timeout=5
    )


def test_the_package_sends_an_sms_the_double_records_it(twilio_double):
    created = client_for(twilio_double).messages.create(
        to="+46701234567",
        from_=twilio_double.phone_number,
        body="Hej! Vad tycker du om tvättstugan?",
        status_callback="http://127.0.0.1:5000/hooks/twilio/status",
    )

    assert created.sid.startswith("SM") and len(created.sid) == 34
    assert created.status == "queued"
    [sent] = twilio_double.messages
    assert (sent.to, sent.from_, sent.body) == (
        "+46701234567",
        twilio_double.phone_number,
        "Hej! Vad tycker du om tvättstugan?",
    )
    assert sent.status_callback == "http://127.0.0.1:5000/hooks/twilio/status"
    assert (sent.username, sent.password) == (twilio_double.account_sid, twilio_double.auth_token)


def test_answers_have_the_documented_message_shape(twilio_double):
    response = post_form(twilio_double, {"To": "+31612345678", "From": "Stoop", "Body": "Hoi"})

    assert response.status_code == 201
    body = response.json()
    assert set(body) == spec.message_properties()
    spec.validate_message_resource(body)
    fetched = requests.get(
        f"{twilio_double.url}{body['uri']}",
        auth=(twilio_double.account_sid, twilio_double.auth_token),
        timeout=5,
    )
    assert fetched.status_code == 200
    assert fetched.json()["sid"] == body["sid"]


def test_the_package_fetches_a_message(twilio_double):
    client = client_for(twilio_double)
    created = client.messages.create(to="+46701234567", from_="+46700000000", body="Hej")

    assert client.messages(created.sid).fetch().body == "Hej"


def test_the_request_schema_comes_from_twilios_document():
    schema = spec.create_message_schema()

    assert schema["required"] == ["To"]
    assert {"To", "From", "Body", "StatusCallback", "MessagingServiceSid"} <= set(
        schema["properties"]
    )


def test_wrong_credentials_are_refused_like_twilio(twilio_double):
    with pytest.raises(TwilioRestException) as caught:
        client_for(twilio_double, token="wrong").messages.create(
            to="+46701234567", from_="+46700000000", body="Hej"
        )

    assert (caught.value.status, caught.value.code) == (401, 20003)
    assert twilio_double.messages == []


def test_missing_auth_gets_twilios_error_shape(twilio_double):
    url = f"{twilio_double.url}/2010-04-01/Accounts/{twilio_double.account_sid}/Messages.json"
    response = requests.post(url, data={"To": "+46701234567"}, timeout=5)

    assert response.status_code == 401
    assert set(response.json()) == {"code", "message", "more_info", "status"}


def test_a_number_not_in_e164_is_error_21211(twilio_double):
    with pytest.raises(TwilioRestException) as caught:
        client_for(twilio_double).messages.create(to="0701234567", from_="+46700000000", body="Hej")

    assert (caught.value.status, caught.value.code) == (400, 21211)
    assert "0701234567" in caught.value.msg


@pytest.mark.parametrize(
    ("form", "code"),
    [
        ({"From": "+46700000000", "Body": "Hej"}, 21604),
        ({"To": "+46701234567", "Body": "Hej"}, 21603),
        ({"To": "+46701234567", "From": "+46700000000"}, 21602),
        ({"To": "+46701234567", "From": "+46700000000", "Body": "x" * 1601}, 21617),
        ({"To": "+46701234567", "From": "+46700000000", "Body": "Hej", "Colour": "red"}, 20001),
        (
            {"To": "+46701234567", "From": "+46700000000", "Body": "Hej", "ValidityPeriod": "x"},
            20001,
        ),
        (
            {"To": "+46701234567", "From": "+46700000000", "Body": "Hej", "StatusCallback": "x"},
            21609,
        ),
    ],
)
def test_forms_twilio_refuses_are_refused(twilio_double, form, code):
    response = post_form(twilio_double, form)

    assert response.status_code == 400
    assert response.json()["code"] == code
    assert twilio_double.messages == []


def test_a_messaging_service_or_media_is_enough(twilio_double):
    service = "MG" + "a" * 32
    response = post_form(
        twilio_double,
        {"To": "+46701234567", "MessagingServiceSid": service, "MediaUrl": "https://x.test/a.jpg"},
    )

    assert response.status_code == 201
    assert response.json()["messaging_service_sid"] == service
    assert response.json()["num_media"] == "1"


def test_it_fails_the_next_requests_when_told(twilio_double):
    twilio_double.fail_next(2, status=503)
    client = client_for(twilio_double)

    for _ in range(2):
        with pytest.raises(TwilioRestException) as caught:
            client.messages.create(to="+46701234567", from_="+46700000000", body="Hej")
        assert caught.value.status == 503
    client.messages.create(to="+46701234567", from_="+46700000000", body="Hej")

    assert len(twilio_double.messages) == 1
    assert [r.status for r in twilio_double.requests] == [503, 503, 201]


def test_an_unknown_message_is_404(twilio_double):
    response = requests.get(
        f"{twilio_double.url}/2010-04-01/Accounts/{twilio_double.account_sid}/Messages/"
        f"SM{'0' * 32}.json",
        auth=(twilio_double.account_sid, twilio_double.auth_token),
        timeout=5,
    )

    assert response.status_code == 404
    assert response.json()["code"] == 20404
