"""An organisation's sender identity: what its e-mails and SMS come from, in real columns, and
which organisation a number belongs to."""

from __future__ import annotations

import pytest

from notifications import messages
from notifications.dispatch import queue_email, queue_sms
from notifications.senders import (
    add_sender_number,
    configure_sender,
    organisation_for_number,
    sender_identity,
)
from panel.core.errors import Conflict, ValidationError
from tests.factories import OrganisationFactory


def test_without_settings_the_organisation_speaks_with_stoops_defaults(db_session, org, settings):
    identity = sender_identity(db_session, org.id, settings)

    assert identity.name == org.name
    assert identity.email_address == "no-reply@stoop.localhost"
    assert identity.reply_domain is None and identity.reply_address("t0k") is None
    assert identity.twilio_from == settings.twilio_from
    assert identity.colour == "#1f5f5b" and identity.text_on_colour == "#ffffff"


def test_an_organisations_own_sender_is_what_the_smtp_server_sees(
    db_session, org, use_smtp, settings
):
    configure_sender(
        db_session,
        org.id,
        email_from_name="Hyresbostäder i Växjö",
        email_from_address="Hej@Hyresbostader.se",
        reply_domain="Svar.Hyresbostader.se.",
        brand_colour="#F2C94C",
    )
    db_session.commit()
    identity = sender_identity(db_session, org.id, settings)

    queue_email(
        db_session,
        organisation_id=org.id,
        to="asa@example.se",
        subject="Hej",
        text="Hej",
        purpose="test",
        dedupe_key="from-1",
    )
    db_session.commit()

    [received] = use_smtp.received
    [sender] = received.message["From"].addresses
    assert (sender.display_name, sender.addr_spec) == (
        "Hyresbostäder i Växjö",
        "Hej@hyresbostader.se",
    )
    assert received.mail_from == "Hej@hyresbostader.se"
    assert identity.reply_address("thread-7") == "reply+thread-7@svar.hyresbostader.se"
    assert identity.text_on_colour == "#1b2326"  # dark text on a light yellow


def test_the_colour_and_name_are_in_the_shared_e_mail_layout(db_session, org, email_outbox):
    configure_sender(db_session, org.id, brand_colour="#7a1f5c")
    db_session.commit()

    messages.queue(
        db_session,
        organisation_id=org.id,
        template="notifications/personal",
        purpose="test",
        recipients=[
            messages.Recipient(
                "anna@example.org", "colour-1", values={"name": "Anna", "link": "https://x.y/a/1"}
            )
        ],
        context={"subject": "Hej", "paragraphs": ["Text"], "button": "Svara"},
    )
    db_session.commit()

    mail = email_outbox.last("anna@example.org")
    assert "background:#7a1f5c" in mail.html
    assert f">{org.name}</td>" in mail.html
    assert mail.text.rstrip().endswith(f"-- \n{org.name}")


def test_sms_go_out_from_the_organisations_own_number(db_session, org, use_twilio):
    add_sender_number(db_session, org.id, "+46701740699")
    db_session.commit()

    queue_sms(
        db_session,
        organisation_id=org.id,
        to="+46701234567",
        text="Hej!",
        purpose="q",
        dedupe_key="own-number",
    )
    db_session.commit()

    [sent] = use_twilio.messages
    assert sent.from_ == "+46701740699"


def test_a_messaging_service_wins_over_numbers(db_session, org, use_twilio):
    service = "MG" + "ab" * 16
    add_sender_number(db_session, org.id, "+46701740699")
    configure_sender(db_session, org.id, twilio_messaging_service_sid=service)
    db_session.commit()

    queue_sms(
        db_session,
        organisation_id=org.id,
        to="+46701234567",
        text="Hej!",
        purpose="q",
        dedupe_key="mg",
    )
    db_session.commit()

    [sent] = use_twilio.messages
    assert (sent.messaging_service_sid, sent.from_) == (service, None)


def test_a_number_belongs_to_one_organisation(db_session, org):
    add_sender_number(db_session, org.id, "+46701740600", voice=True)
    other = OrganisationFactory()

    with pytest.raises(Conflict, match="already in use"):
        add_sender_number(db_session, other.id, "+46701740600")

    assert organisation_for_number(db_session, "+46701740600") == org.id
    assert organisation_for_number(db_session, "+46701740601") is None


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("email_from_address", "not an address", "not a valid e-mail address"),
        ("email_from_name", "two\nlines", "one line"),
        ("reply_domain", "no spaces allowed.se x", "not a domain name"),
        ("twilio_messaging_service_sid", "PN123", "starts with MG"),
        ("brand_colour", "teal", "#1f5f5b"),
    ],
)
def test_malformed_sender_settings_are_refused(db_session, org, field, value, fragment):
    with pytest.raises(ValidationError, match=fragment):
        configure_sender(db_session, org.id, **{field: value})


@pytest.mark.parametrize("number", ["0701234567", "+46 70 174", ""])
def test_numbers_must_be_international(db_session, org, number):
    with pytest.raises(ValidationError, match="international form"):
        add_sender_number(db_session, org.id, number)
