"""Inbound SMS at ``/hooks/twilio/sms``: signed by Twilio (the double), stored once per
MessageSid for the organisation that owns the number, linked to the message it answers, handed
to the registered handler; every answer is TwiML."""

from __future__ import annotations

import datetime as dt
from xml.etree import ElementTree

import pytest
import sqlalchemy as sa

from notifications import inbound
from notifications.dispatch import queue_sms
from notifications.models import Channel, InboundMessage
from notifications.senders import add_sender_number
from panel.core.db import utcnow
from panel.core.scoping import current_organisation_id
from tests.factories import ContactFactory, OrganisationFactory

SMS_PATH = "/hooks/twilio/sms"
TENANT = "+46709876543"


@pytest.fixture
def url(settings):
    return settings.base_url + SMS_PATH


@pytest.fixture
def our_number(db_session, org, use_twilio):
    add_sender_number(db_session, org.id, use_twilio.phone_number)
    db_session.commit()
    return use_twilio.phone_number


@pytest.fixture
def handled(app):
    """Replace the app's inbound handler for one test; record what it was given."""
    seen: list[tuple[int, int | None, str]] = []
    failures: list[Exception] = []

    def handler(session, message):
        if failures:
            raise failures.pop(0)
        seen.append((message.id, current_organisation_id(session), message.body))

    before = app.extensions[inbound.HANDLER_KEY]
    inbound.register_handler(app, handler)
    handler.seen = seen
    handler.fail_next = failures.append
    yield handler
    inbound.register_handler(app, before)


def stored(db_session) -> list[InboundMessage]:
    db_session.expire_all()
    return list(db_session.scalars(sa.select(InboundMessage).order_by(InboundMessage.id)))


def assert_empty_twiml(response, status=200):
    assert response.status_code == status
    assert response.mimetype == "text/xml"
    root = ElementTree.fromstring(response.data)  # noqa: S314 - our own answer
    assert (root.tag, list(root)) == ("Response", [])


def test_create_app_registers_the_answers_handler(app):
    # Notifications knows no domain: the app factory plugs the answers room in.
    from panel.answers.inbound import handle_message

    assert app.extensions[inbound.HANDLER_KEY] is handle_message


def test_an_sms_to_our_number_is_stored_for_its_organisation_and_handled(
    client, db_session, org, our_number, use_twilio, handled, url
):
    response = use_twilio.send_inbound_sms(client, url, from_=TENANT, body="Ja! Gården är fin 🌳")

    assert_empty_twiml(response)
    [message] = stored(db_session)
    assert (message.organisation_id, message.channel, message.provider) == (org.id, "sms", "twilio")
    assert (message.sender, message.recipient) == (TENANT, our_number)
    assert message.provider_id == use_twilio.last_inbound_sid
    assert message.body == "Ja! Gården är fin 🌳"
    assert message.payload["SmsStatus"] == "received"
    assert message.handled_at is not None and message.error is None
    # The handler ran once, scoped to the organisation that owns the number.
    assert handled.seen == [(message.id, org.id, "Ja! Gården är fin 🌳")]


def test_twilio_delivering_it_twice_stores_and_handles_it_once(
    client, db_session, our_number, use_twilio, handled, url
):
    sid = "SM" + "7" * 32
    first = use_twilio.send_inbound_sms(client, url, from_=TENANT, body="Hej", sid=sid)
    second = use_twilio.send_inbound_sms(client, url, from_=TENANT, body="Hej", sid=sid)

    assert_empty_twiml(first)
    assert_empty_twiml(second)
    assert len(stored(db_session)) == 1
    assert len(handled.seen) == 1


def test_a_reply_is_linked_to_the_sms_it_answers(
    client, db_session, org, our_number, use_twilio, handled, url
):
    contact = ContactFactory(organisation=org, phone=TENANT, name="Åsa Öberg")
    asked = queue_sms(
        db_session,
        organisation_id=org.id,
        to=TENANT,
        text="Vad tycker du om tvättstugan? Svara på detta SMS.",
        purpose="question",
        dedupe_key="ask-laundry",
        contact_id=contact.id,
        ref="question:12",
    )
    db_session.commit()

    use_twilio.send_inbound_sms(client, url, from_=TENANT, body="Den är för liten")

    [reply] = stored(db_session)
    assert (reply.contact_id, reply.ref, reply.in_reply_to_id) == (
        contact.id,
        "question:12",
        asked.id,
    )


def test_an_sms_to_a_number_nobody_owns_is_kept_without_an_organisation(
    client, db_session, use_twilio, handled, url
):
    response = use_twilio.send_inbound_sms(
        client, url, from_=TENANT, body="Hallå?", to="+46812345678"
    )

    assert_empty_twiml(response)
    [message] = stored(db_session)
    assert message.organisation_id is None
    assert "no organisation" in message.error
    assert handled.seen == []


def test_a_failing_handler_keeps_the_message_and_the_sweep_tries_again(
    client, db_session, org, our_number, use_twilio, handled, url
):
    handled.fail_next(RuntimeError("the answers service is down"))

    response = use_twilio.send_inbound_sms(client, url, from_=TENANT, body="Svar 1")

    assert_empty_twiml(response)  # stored: Twilio has nothing to retry
    [message] = stored(db_session)
    assert message.handled_at is None
    assert message.handle_attempts == 1
    assert "the answers service is down" in message.error

    assert inbound.handle_due(db_session, now=utcnow()) == 0  # too fresh for the sweep
    assert inbound.handle_due(db_session, now=utcnow() + dt.timedelta(minutes=2)) == 1
    [message] = stored(db_session)
    assert message.handled_at is not None and message.error is None
    assert handled.seen == [(message.id, org.id, "Svar 1")]
    assert inbound.handle_due(db_session, now=utcnow() + dt.timedelta(minutes=5)) == 0


def test_a_handler_that_keeps_failing_is_given_up_on(
    client, db_session, our_number, use_twilio, handled, url
):
    for _ in range(inbound.MAX_HANDLE_ATTEMPTS):
        handled.fail_next(ValueError("no such question"))
    use_twilio.send_inbound_sms(client, url, from_=TENANT, body="?")

    later = utcnow() + dt.timedelta(minutes=2)
    for _ in range(inbound.MAX_HANDLE_ATTEMPTS + 2):
        inbound.handle_due(db_session, now=later)

    [message] = stored(db_session)
    assert message.handled_at is None
    assert message.handle_attempts == inbound.MAX_HANDLE_ATTEMPTS
    assert handled.seen == []


def test_a_forged_signature_gets_403_twiml_and_nothing_is_stored(
    client, db_session, our_number, use_twilio, handled, url, monkeypatch
):
    monkeypatch.setattr(use_twilio, "auth_token", "not-the-auth-token")

    response = use_twilio.send_inbound_sms(client, url, from_=TENANT, body="Hej")

    assert_empty_twiml(response, 403)
    assert stored(db_session) == []


def test_without_twilio_configured_every_sms_is_403(client, db_session, twilio_double, settings):
    assert not settings.twilio_auth_token

    response = twilio_double.send_inbound_sms(
        client, settings.base_url + SMS_PATH, from_=TENANT, body="Hej"
    )

    assert_empty_twiml(response, 403)
    assert stored(db_session) == []


@pytest.mark.parametrize(
    "change",
    [{"From": None}, {"MessageSid": None}, {"To": ""}, {"Body": "x" * 1601}],
)
def test_a_signed_request_without_what_twilio_always_sends_is_400_twiml(
    client, db_session, our_number, use_twilio, handled, url, change
):
    body = change.pop("Body", "Hej")

    response = use_twilio.send_inbound_sms(client, url, from_=TENANT, body=body, **change)

    assert_empty_twiml(response, 400)
    assert stored(db_session) == []


def test_a_request_too_large_is_answered_in_twiml(make_app, twilio_double, db_session):
    small = make_app(max_upload_mb=1, **twilio_double.settings())
    client = small.test_client()

    response = twilio_double.send_inbound_sms(
        client,
        small.config["STOOP"].base_url + SMS_PATH,
        from_=TENANT,
        body="Hej",
        MediaUrl0="https://api.twilio.com/" + "x" * (2 * 1024 * 1024),
    )

    assert_empty_twiml(response, 413)


def test_an_inbound_message_never_reaches_another_organisations_handler_scope(
    client, db_session, org, our_number, use_twilio, handled, url
):
    other = OrganisationFactory()
    add_sender_number(db_session, other.id, "+46701111111")
    db_session.commit()

    use_twilio.send_inbound_sms(client, url, from_=TENANT, body="till oss")
    use_twilio.send_inbound_sms(client, url, from_=TENANT, body="till dem", to="+46701111111")

    assert [(body, scope) for _id, scope, body in handled.seen] == [
        ("till oss", org.id),
        ("till dem", other.id),
    ]
    assert {m.channel for m in stored(db_session)} == {Channel.SMS}
