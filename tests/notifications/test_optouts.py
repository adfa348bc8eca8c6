"""Opt-outs: STOP and START by SMS at ``/hooks/twilio/sms`` (signed by the Twilio double),
recorded on the contact's consent log, and honoured by every bulk send — nothing reaches the
Twilio double for a number that said STOP; transactional messages still go."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest
import sqlalchemy as sa

from notifications import messages, optouts
from notifications.dispatch import queue_sms
from notifications.models import Channel, DeliveryState, InboundMessage, OptOut, OutboundMessage
from notifications.senders import add_sender_number
from panel.contacts.models import ConsentEvent
from panel.core.scoping import scoped_to
from tests.factories import ContactFactory, OrganisationFactory

SMS_PATH = "/hooks/twilio/sms"
ÅSA = "+46709876543"
BERIT = "+46701112233"
JOOP = "+31612345678"
QUESTION = (
    "Hej {name}! Brf Ängsbacken undrar vad du tycker om den nya tvättstugan på Gårdsvägen 3. "
    "Svara med en kort video här: https://stoop.example/a/x"
)


@pytest.fixture
def url(settings):
    return settings.base_url + SMS_PATH


@pytest.fixture
def org(db_session):
    return OrganisationFactory(name="Brf Ängsbacken", slug="angsbacken")


@pytest.fixture
def our_number(db_session, org, use_twilio):
    add_sender_number(db_session, org.id, use_twilio.phone_number)
    db_session.commit()
    return use_twilio.phone_number


@pytest.fixture
def tenants(db_session, org):
    return {
        "åsa": ContactFactory(organisation=org, name="Åsa Öberg", phone=ÅSA, language="sv"),
        "berit": ContactFactory(organisation=org, name="Berit Ek", phone=BERIT, language="sv"),
        "joop": ContactFactory(organisation=org, name="Joop de Vries", phone=JOOP, language="nl"),
    }


def reply_text(response) -> str | None:
    assert response.status_code == 200
    assert response.mimetype == "text/xml"
    root = ElementTree.fromstring(response.data)  # noqa: S314 - our own answer
    found = root.find("Message")
    return found.text if found is not None else None


def bulk_sms(db_session, org, contacts, key="ask-1"):
    recipients = [
        messages.Recipient(
            address=c.phone,
            dedupe_key=f"{key}:{c.id}",
            language=c.language,
            values={"name": c.name},
            contact_id=c.id,
        )
        for c in contacts
    ]
    queued = messages.queue_bulk(
        db_session,
        organisation_id=org.id,
        template="notifications/personal",
        purpose="question",
        list_key="panel-12",
        recipients=recipients,
        context={"subject": "", "paragraphs": [QUESTION.format(name="")], "button": None},
        channel=Channel.SMS,
    )
    db_session.commit()
    return queued


def consent_log(db_session, contact):
    db_session.expire_all()
    return list(
        db_session.scalars(
            sa.select(ConsentEvent)
            .where(ConsentEvent.contact_id == contact.id)
            .order_by(ConsentEvent.id)
        )
    )


@pytest.mark.parametrize(
    "body",
    [
        *("STOP", "stop", "  Stopp\n", "SLUTA", "avsluta", "STOPALL", "Unsubscribe", "CANCEL"),
        *("END", "QUIT", "stoppen", "AFMELDEN"),
    ],
)
def test_every_stop_word_opts_the_sender_out_of_sms(
    client, db_session, org, our_number, use_twilio, tenants, url, body
):
    response = use_twilio.send_inbound_sms(client, url, from_=ÅSA, body=body)

    assert "Brf Ängsbacken" in reply_text(response)
    [row] = db_session.scalars(sa.select(OptOut)).all()
    assert (row.channel, row.address, row.contact_id) == ("sms", ÅSA, tenants["åsa"].id)
    assert (row.method, row.detail) == ("sms_keyword", " ".join(body.split()).upper())


def test_stop_then_a_bulk_sms_reaches_everyone_but_the_number_that_said_stop(
    client, db_session, org, our_number, use_twilio, tenants, url
):
    response = use_twilio.send_inbound_sms(client, url, from_=ÅSA, body="STOPP")
    assert reply_text(response) == (
        "Du får inga fler sms från Brf Ängsbacken. Svara START för att få dem igen."
    )

    queued = bulk_sms(db_session, org, tenants.values())

    assert (queued.skipped, queued.skipped_contact_ids) == (1, frozenset({tenants["åsa"].id}))
    assert len(queued.ids) == 2
    assert sorted(m.to for m in use_twilio.messages) == sorted([BERIT, JOOP])
    # A transactional message (a confirmation code) is not bulk: it still goes.
    queue_sms(
        db_session,
        organisation_id=org.id,
        to=ÅSA,
        text="Din kod är 482913",
        purpose="join_code",
        dedupe_key="join-code-1",
    )
    db_session.commit()
    assert [m.body for m in use_twilio.messages if m.to == ÅSA] == ["Din kod är 482913"]


def test_stop_and_start_are_written_in_the_consent_log_and_start_lets_sends_through(
    client, db_session, org, our_number, use_twilio, tenants, url
):
    joop = tenants["joop"]
    stop = use_twilio.send_inbound_sms(client, url, from_=JOOP, body="Stop")
    assert reply_text(stop) == (
        "Je ontvangt geen sms'jes meer van Brf Ängsbacken. Antwoord START om ze weer te ontvangen."
    )
    assert bulk_sms(db_session, org, [joop], key="first").skipped == 1

    start = use_twilio.send_inbound_sms(client, url, from_=JOOP, body=" aanmelden ")

    assert reply_text(start) == (
        "Je ontvangt weer sms'jes van Brf Ängsbacken. Antwoord STOP om ze te stoppen."
    )
    assert db_session.scalars(sa.select(OptOut)).all() == []
    log = consent_log(db_session, joop)
    assert [(e.channel, e.granted, e.method, e.text) for e in log] == [
        ("sms", False, "sms", "STOP"),
        ("sms", True, "sms", "AANMELDEN"),
    ]
    queued = bulk_sms(db_session, org, [joop], key="second")
    assert (queued.skipped, len(use_twilio.messages)) == (0, 1)


def test_the_same_stop_delivered_twice_changes_nothing_twice(
    client, db_session, org, our_number, use_twilio, tenants, url
):
    sid = "SM" + "5" * 32
    first = use_twilio.send_inbound_sms(client, url, from_=ÅSA, body="STOP", sid=sid)
    use_twilio.send_inbound_sms(client, url, from_=ÅSA, body="START")
    again = use_twilio.send_inbound_sms(client, url, from_=ÅSA, body="STOP", sid=sid)

    # The repeat is answered (Twilio may not have had the first answer) but changes nothing:
    # the START in between stands.
    assert reply_text(again) == reply_text(first)
    assert db_session.scalars(sa.select(OptOut)).all() == []
    assert [e.granted for e in consent_log(db_session, tenants["åsa"])] == [False, True]


def test_a_second_stop_is_no_second_entry(
    client, db_session, org, our_number, use_twilio, tenants, url
):
    use_twilio.send_inbound_sms(client, url, from_=ÅSA, body="STOP")
    use_twilio.send_inbound_sms(client, url, from_=ÅSA, body="stop")

    assert len(db_session.scalars(sa.select(OptOut)).all()) == 1
    assert [e.granted for e in consent_log(db_session, tenants["åsa"])] == [False]


def test_stop_from_a_number_that_is_no_contact_still_holds_for_that_number(
    client, db_session, org, our_number, use_twilio, url, settings
):
    stranger = "+46731234567"
    response = use_twilio.send_inbound_sms(client, url, from_=stranger, body="STOP")

    # No contact, no language of theirs: English is everyone's for STOP.
    assert reply_text(response) == (
        "You will get no more SMS from Brf Ängsbacken. Reply START to get them again."
    )
    later = ContactFactory(organisation=org, name="Ny Hyresgäst", phone=stranger)
    assert bulk_sms(db_session, org, [later]).skipped == 1
    assert use_twilio.messages == []


def test_stop_is_for_the_organisation_that_owns_the_number(
    client, db_session, org, our_number, use_twilio, url
):
    other = OrganisationFactory(name="Hyresbolaget Norr")
    theirs = ContactFactory(organisation=other, name="Åsa i Norr", phone=ÅSA)
    ContactFactory(organisation=org, name="Åsa Öberg", phone=ÅSA)

    use_twilio.send_inbound_sms(client, url, from_=ÅSA, body="STOP")

    [row] = db_session.scalars(sa.select(OptOut)).all()
    assert row.organisation_id == org.id
    assert bulk_sms(db_session, other, [theirs]).skipped == 0


def test_other_messages_still_go_to_the_handler_and_keywords_do_not(
    app, client, db_session, org, our_number, use_twilio, tenants, url
):
    seen = []
    before = app.extensions["notifications.inbound_handler"]
    from notifications import inbound

    inbound.register_handler(app, lambda session, message: seen.append(message.body))
    try:
        use_twilio.send_inbound_sms(client, url, from_=ÅSA, body="STOP")
        plain = use_twilio.send_inbound_sms(client, url, from_=BERIT, body="Stoppa bygget!")
    finally:
        inbound.register_handler(app, before)

    assert reply_text(plain) is None
    assert seen == ["Stoppa bygget!"]
    stored = db_session.scalars(sa.select(InboundMessage).order_by(InboundMessage.id)).all()
    assert [m.body for m in stored] == ["STOP", "Stoppa bygget!"]
    assert all(m.handled_at is not None for m in stored)


def test_a_forged_stop_changes_nothing(client, db_session, org, our_number, use_twilio, url):
    response = client.post(
        SMS_PATH,
        data={"MessageSid": "SM" + "1" * 32, "From": ÅSA, "To": our_number, "Body": "STOP"},
        headers={"X-Twilio-Signature": "forged"},
    )

    assert response.status_code == 403
    assert db_session.scalars(sa.select(OptOut)).all() == []


def test_keyword_recognises_whole_messages_only():
    assert optouts.keyword(" Stopp ") == "stop"
    assert optouts.keyword("starta") == "start"
    assert optouts.keyword("STOP please") is None
    assert optouts.keyword("Sluta skicka") is None
    assert optouts.keyword("") is None


def test_a_stop_after_queueing_suppresses_the_message_before_it_goes(
    db_session, org, our_number, use_twilio, tenants
):
    recipients = [
        messages.Recipient(
            address=c.phone, dedupe_key=f"ask:{c.id}", values={"name": c.name}, contact_id=c.id
        )
        for c in tenants.values()
    ]
    queued = messages.queue_bulk(
        db_session,
        organisation_id=org.id,
        template="notifications/personal",
        purpose="question",
        list_key="panel-12",
        recipients=recipients,
        context={"subject": "", "paragraphs": [QUESTION.format(name="")], "button": None},
        channel=Channel.SMS,
    )
    assert queued.skipped == 0
    # Åsa's STOP is recorded after her message was queued, before its batch is delivered.
    with scoped_to(db_session, org.id):
        optouts.opt_out(
            db_session,
            org.id,
            Channel.SMS,
            ÅSA,
            contact_id=tenants["åsa"].id,
            method="sms_keyword",
            detail="STOPP",
        )
    db_session.commit()  # delivered inline, after the commit

    assert sorted(m.to for m in use_twilio.messages) == sorted([BERIT, JOOP])
    db_session.expire_all()
    [row] = db_session.scalars(
        sa.select(OutboundMessage).where(OutboundMessage.recipient == ÅSA)
    ).all()
    assert (row.state, row.list_key) == (DeliveryState.SUPPRESSED, "panel-12")
    assert "opted out" in row.error
