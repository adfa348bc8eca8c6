"""Erasing a person finds every message to and from them, by contact and by address."""

from __future__ import annotations

import sqlalchemy as sa

from notifications.dispatch import queue_email, queue_sms
from notifications.erasure import erase_messages
from notifications.inbound import Received, receive
from notifications.models import Channel, InboundMessage, OutboundMessage
from tests.factories import ContactFactory, OrganisationFactory


def test_every_message_of_the_person_goes_and_nobody_elses(db_session, org, email_outbox):
    asa = ContactFactory(organisation=org, email="asa@example.se", phone="+46701234567")
    queue_email(
        db_session,
        organisation_id=org.id,
        to="asa@example.se",
        subject="Hej Åsa",
        text="Hej!",
        purpose="question",
        dedupe_key="q1:asa",
        contact_id=asa.id,
        ref="question:1",
    )
    queue_sms(  # written before anyone knew the number was Åsa's
        db_session,
        organisation_id=org.id,
        to="+46701234567",
        text="Hej!",
        purpose="question",
        dedupe_key="q2:asa",
    )
    queue_email(
        db_session,
        organisation_id=org.id,
        to="bo@example.se",
        subject="Hej Bo",
        text="Hej!",
        purpose="question",
        dedupe_key="q1:bo",
    )
    receive(
        db_session,
        Received(Channel.SMS, "twilio", "SM" + "1" * 32, sender="+46701234567", body="Ja"),
        organisation_id=org.id,
    )
    other = OrganisationFactory()
    queue_email(
        db_session,
        organisation_id=other.id,
        to="asa@example.se",
        subject="Another landlord",
        text="Hej!",
        purpose="question",
        dedupe_key="theirs",
    )
    db_session.commit()
    assert len(email_outbox.to("asa@example.se")) == 2

    erased = erase_messages(
        db_session,
        organisation_id=org.id,
        contact_id=asa.id,
        addresses=[asa.email, asa.phone],
    )
    db_session.commit()

    # Her e-mail, the SMS, and the automatic reply to her SMS (it answered no question of ours).
    assert (erased.outbound, erased.inbound) == (3, 1)
    left = db_session.scalars(sa.select(OutboundMessage.recipient)).all()
    assert sorted(left) == ["asa@example.se", "bo@example.se"]  # the other landlord's stays
    assert db_session.scalar(sa.select(sa.func.count()).select_from(InboundMessage)) == 0
    [kept] = email_outbox.to("asa@example.se")
    assert kept.organisation_id == other.id


def test_nothing_to_go_by_erases_nothing(db_session, org):
    queue_sms(
        db_session,
        organisation_id=org.id,
        to="+46701234567",
        text="Hej",
        purpose="q",
        dedupe_key="k",
    )
    db_session.commit()

    erased = erase_messages(db_session, organisation_id=org.id, addresses=[""])

    assert (erased.outbound, erased.inbound) == (0, 0)
    assert db_session.scalar(sa.select(sa.func.count()).select_from(OutboundMessage)) == 1
