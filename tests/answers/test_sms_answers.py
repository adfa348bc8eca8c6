"""Answering by SMS: a tenant replies to the SMS that asked them, and the reply — signed by
Twilio (the double), delivered to ``/hooks/twilio/sms`` — becomes their answer: a score read
from digits or words in Swedish, Dutch and English, a choice by number or by text, the text
itself, and the pictures and clips of an MMS fetched from Twilio and kept as media.

Whoever Stoop cannot link to a question gets one polite reply a day; nobody gets a reply loop.
"""

from __future__ import annotations

import datetime as dt
import struct
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa

from media.models import MediaFile, MediaStatus
from media.storage import current_storage
from notifications import inbound
from notifications.models import InboundMessage
from notifications.senders import add_sender_number
from panel.answers.sms_words import first_number, read_sms
from panel.contacts.models import Contact
from panel.core.db import utcnow
from panel.questions.models import QuestionStatus
from panel.sends.models import Invitation
from panel.sends.service import new_token
from tests.answers.conftest import LONG_AGO, stored_answers
from tests.conftest import free_port
from tests.factories import OrganisationFactory, UserFactory, api_headers, system_session
from tests.questions.conftest import make_question
from tests.twilio_double.double import tone_wav

OTHER_TENANT = "+46709998877"


@pytest.fixture
def asked(question, tenant, invitation_of):
    """The tenant was asked the question by SMS."""
    return invitation_of(question, tenant, channel="sms")


def inbound_messages(session) -> list[InboundMessage]:
    session.expire_all()
    return list(session.scalars(sa.select(InboundMessage).order_by(InboundMessage.id)))


def replies(double) -> list[str]:
    """The SMS bodies Stoop sent through the double, oldest first."""
    return [message.body for message in double.messages]


def score_question(staff, **values):
    """A live question that takes a score only."""
    defaults = {
        "title": "Vilket betyg ger du städningen?",
        "status": QuestionStatus.LIVE,
        "published_at": utcnow(),
        "answer_modes": ["score"],
    }
    return make_question(staff, **{**defaults, **values})


# --- a reply becomes the answer ---------------------------------------------------------------


def test_a_reply_to_an_sms_question_becomes_its_answer(
    client, db_session, organisation, tenant, stairwell, question, asked, phone_line, hooks
):
    response = phone_line.send_inbound_sms(
        client, hooks.sms, from_=tenant.phone, body="8 men hissen är trasig"
    )

    assert response.status_code == 200
    [answer] = stored_answers(db_session)
    assert (answer.channel, answer.score, answer.text) == ("sms", 8, "8 men hissen är trasig")
    assert answer.provider_id == phone_line.last_inbound_sid
    assert (answer.question_id, answer.invitation_id) == (question.id, asked.id)
    assert (answer.contact_id, answer.place_id, answer.language) == (tenant.id, stairwell.id, "sv")
    db_session.refresh(asked)
    assert asked.answered_at is not None
    [message] = inbound_messages(db_session)
    assert message.handled_at is not None and message.error is None
    assert replies(phone_line) == []  # an answer needs no reply


@pytest.mark.parametrize(
    ("body", "score"),
    [
        ("åtta", 8),
        ("Tio!", 10),
        ("Jag ger den sju", 7),
        ("acht", 8),
        ("Tien, echt waar", 10),
        ("eight", 8),
        ("TEN", 10),
        ("en", 1),
        ("10/10", 10),
    ],
)
def test_a_score_is_read_from_digits_and_words_in_three_languages(
    client, db_session, staff, tenant, invitation_of, phone_line, hooks, body, score
):
    invitation_of(score_question(staff), tenant, channel="sms")

    phone_line.send_inbound_sms(client, hooks.sms, from_=tenant.phone, body=body)

    [answer] = stored_answers(db_session)
    assert (answer.score, answer.text) == (score, None)  # the question takes no text


def test_words_that_are_no_score_give_none():
    assert first_number("En av lamporna i trapphus 3B är trasig") is None
    assert first_number("Ring mig på 0701234567") is None
    assert first_number("Betyg 11") is None
    assert first_number("Ett") == 1
    assert first_number("Een.") == 1


def test_a_choice_is_matched_by_its_number_or_its_text(staff):
    question = make_question(
        staff,
        status=QuestionStatus.LIVE,
        answer_modes=["choice", "text"],
        choices=["Bra", "Sådär", "Dåligt"],
    )

    assert (read_sms(question, "2").choice, read_sms(question, "2").text) == ("Sådär", None)
    assert (read_sms(question, " dåligt ").choice, read_sms(question, "DÅLIGT").text) == (
        "Dåligt",
        None,
    )
    said = read_sms(question, "Bra, men tvättstugan är smutsig")
    assert (said.choice, said.text) == ("Bra", "Bra, men tvättstugan är smutsig")
    assert read_sms(question, "Braaa").choice is None


def test_a_choice_reply_by_sms_is_stored_as_the_choice(
    client, db_session, staff, tenant, invitation_of, phone_line, hooks
):
    question = make_question(
        staff,
        status=QuestionStatus.LIVE,
        published_at=utcnow(),
        answer_modes=["choice"],
        choices=["Bra", "Sådär", "Dåligt"],
    )
    invitation_of(question, tenant, channel="sms")

    phone_line.send_inbound_sms(client, hooks.sms, from_=tenant.phone, body="3")

    [answer] = stored_answers(db_session)
    assert (answer.choice, answer.score, answer.text) == ("Dåligt", None, None)


def test_the_latest_question_sent_by_sms_is_the_one_answered(
    client, db_session, staff, question, tenant, invitation_of, phone_line, hooks
):
    invitation_of(question, tenant, channel="email")  # not by SMS: not what an SMS answers
    older = invitation_of(score_question(staff), tenant, channel="sms")
    newer_question = score_question(staff, title="Hur nöjd är du med tvättstugan?")
    newer = invitation_of(newer_question, tenant, channel="sms")
    older.created_at = newer.created_at - dt.timedelta(days=3)
    db_session.merge(older)
    db_session.commit()

    phone_line.send_inbound_sms(client, hooks.sms, from_=tenant.phone, body="6")

    [answer] = stored_answers(db_session)
    assert (answer.question_id, answer.invitation_id) == (newer_question.id, newer.id)


# --- exactly once, and only from Twilio -------------------------------------------------------


def test_the_same_message_delivered_twice_makes_one_answer(
    client, db_session, tenant, asked, phone_line, hooks
):
    sid = "SM" + "ab" * 16
    for _ in range(2):
        response = phone_line.send_inbound_sms(
            client, hooks.sms, from_=tenant.phone, body="Nio", sid=sid
        )
        assert response.status_code == 200

    [answer] = stored_answers(db_session)
    assert (answer.score, answer.provider_id) == (9, sid)
    assert len(inbound_messages(db_session)) == 1


@pytest.mark.parametrize("signature", [None, "forged", "signed-for-another-url"])
def test_an_unsigned_or_forged_sms_is_refused(
    client, db_session, tenant, asked, phone_line, hooks, signature
):
    params = {
        "MessageSid": "SM" + "cd" * 16,
        "AccountSid": phone_line.account_sid,
        "From": tenant.phone,
        "To": phone_line.phone_number,
        "Body": "10",
        "NumMedia": "0",
    }
    headers = {}
    if signature == "forged":
        headers["X-Twilio-Signature"] = "bm90IGEgc2lnbmF0dXJl"
    elif signature == "signed-for-another-url":
        from twilio.request_validator import RequestValidator

        validator = RequestValidator(phone_line.auth_token)
        headers["X-Twilio-Signature"] = validator.compute_signature(hooks.voice, params)

    response = client.post("/hooks/twilio/sms", data=params, headers=headers)

    assert response.status_code == 403
    assert stored_answers(db_session) == []
    assert inbound_messages(db_session) == []


# --- after the answer: follow-ups, closed questions, unreadable answers ----------------------


def test_a_later_sms_is_kept_as_a_follow_up_of_the_answer(
    client, db_session, tenant, asked, phone_line, hooks
):
    phone_line.send_inbound_sms(client, hooks.sms, from_=tenant.phone, body="7")
    phone_line.send_inbound_sms(
        client, hooks.sms, from_=tenant.phone, body="Och belysningen i källaren är trasig"
    )

    [answer] = stored_answers(db_session)
    assert answer.score == 7
    _first, later = inbound_messages(db_session)
    assert later.body == "Och belysningen i källaren är trasig"
    assert later.handled_at is not None and later.error is None
    assert later.ref == f"answer:{answer.id}"  # for the thread to take up
    assert replies(phone_line) == []


def test_a_reply_to_a_closed_question_is_thanked_and_not_taken(
    client, db_session, question, tenant, asked, phone_line, hooks
):
    question.status = QuestionStatus.CLOSED
    db_session.merge(question)
    db_session.commit()

    phone_line.send_inbound_sms(client, hooks.sms, from_=tenant.phone, body="9")

    assert stored_answers(db_session) == []
    [reply] = phone_line.messages
    assert reply.to == tenant.phone
    assert reply.body == (
        "Tack för ditt svar. Frågan ”Hur trivs du i trapphuset på Ängsbacksvägen?” är stängd "
        "nu, så vi kunde inte ta emot det."
    )


def test_an_answer_that_cannot_be_read_gets_a_hint_in_the_tenants_language(
    client, db_session, staff, tenant, invitation_of, phone_line, hooks
):
    tenant.language = "nl"
    db_session.merge(tenant)
    db_session.commit()
    invitation_of(score_question(staff), tenant, channel="sms")

    phone_line.send_inbound_sms(client, hooks.sms, from_=tenant.phone, body="De lift is kapot")

    assert stored_answers(db_session) == []
    assert replies(phone_line) == [
        "Bedankt! We konden in je bericht geen antwoord op ‘Vilket betyg ger du städningen?’ "
        "lezen. Antwoord met een cijfer van 1 tot 10."
    ]


# --- someone never asked ----------------------------------------------------------------------


def test_someone_never_asked_gets_one_polite_reply_a_day_with_the_current_question(
    client, db_session, organisation, question, touchpoint_factory, phone_line, hooks
):
    touchpoint = touchpoint_factory(name="Länk på Facebook", kind="link")

    phone_line.send_inbound_sms(client, hooks.sms, from_=OTHER_TENANT, body="Hej, hissen?")
    phone_line.send_inbound_sms(client, hooks.sms, from_=OTHER_TENANT, body="Hallå??")

    assert stored_answers(db_session) == []
    assert len(inbound_messages(db_session)) == 2  # both kept
    [reply] = phone_line.messages  # one a day, whatever they send
    assert reply.to == OTHER_TENANT
    assert reply.body == (
        "Tack för ditt meddelande till Bostadsbolaget Ängsbacken. Vi kunde inte koppla det till "
        "någon fråga vi har ställt till dig. Vår fråga just nu: Hur trivs du i trapphuset på "
        f"Ängsbacksvägen? Svara här: http://127.0.0.1:5000/t/{touchpoint.slug}?src=sms"
    )


def test_without_a_current_question_the_reply_only_thanks(
    client, db_session, organisation, phone_line, hooks
):
    organisation.default_language = "nl"
    db_session.merge(organisation)
    db_session.commit()

    phone_line.send_inbound_sms(client, hooks.sms, from_=OTHER_TENANT, body="Hallo")

    assert replies(phone_line) == [
        "Bedankt voor je bericht aan Bostadsbolaget Ängsbacken. We konden het niet aan een "
        "vraag koppelen, dus het is niet als antwoord doorgegeven."
    ]


def test_no_reply_goes_to_one_of_our_own_numbers_or_to_a_number_that_said_stop(
    client, db_session, organisation, phone_line, hooks
):
    other = OrganisationFactory()
    add_sender_number(db_session, other.id, "+46701740699")
    db_session.commit()

    phone_line.send_inbound_sms(client, hooks.sms, from_="+46701740699", body="Tack för svaret")
    phone_line.send_inbound_sms(client, hooks.sms, from_=OTHER_TENANT, body="STOPP")
    phone_line.send_inbound_sms(client, hooks.sms, from_=OTHER_TENANT, body="Varför då?")

    assert stored_answers(db_session) == []
    # Only the confirmation of STOPP, which the webhook answers itself in TwiML: no SMS.
    assert phone_line.messages == []


# --- MMS: pictures and clips ------------------------------------------------------------------


def _jpeg_with_location(folder: Path) -> bytes:
    """A real JPEG with an EXIF block naming where it was taken."""
    path = folder / "photo.jpg"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=320x240",
         "-frames:v", "1", str(path)],
        check=True,
    )  # fmt: skip
    data = path.read_bytes()
    exif = b"Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08\x00\x00GPS 59.3293N 18.0686E Storgatan 1"
    segment = b"\xff\xe1" + struct.pack(">H", len(exif) + 2) + exif
    return data[:2] + segment + data[2:]


def test_an_mms_with_a_picture_and_a_voice_memo_keeps_both_as_media(
    client, db_session, staff, tenant, asked, phone_line, hooks, tmp_path
):
    photo = _jpeg_with_location(tmp_path)

    phone_line.send_inbound_mms(
        client,
        hooks.sms,
        from_=tenant.phone,
        body="Så här ser det ut",
        files=[(photo, "image/jpeg"), (tone_wav(), "audio/wav"), (b"BEGIN:VCARD", "text/vcard")],
    )

    [answer] = stored_answers(db_session)
    assert answer.text == "Så här ser det ut"
    clip = answer.media
    assert (answer.clip_kind, clip.status, clip.kind) == ("audio", MediaStatus.READY, "audio")
    [picture] = [p.media for p in answer.pictures]
    assert (picture.status, picture.kind, picture.content_type) == (
        MediaStatus.READY,
        "picture",
        "image/jpeg",
    )
    kept = current_storage().read(picture.renditions["picture"])
    assert kept.startswith(b"\xff\xd8\xff")
    assert b"Storgatan" not in kept  # where the photo was taken does not reach staff
    # Both files were fetched from Twilio with the account's credentials, the vCard not.
    fetched = phone_line.requests_to(f"/2010-04-01/Accounts/{phone_line.account_sid}/Messages/")
    assert len(fetched) == 2
    assert {(r.username, r.password, r.status) for r in fetched} == {
        (phone_line.account_sid, phone_line.auth_token, 307)
    }
    assert db_session.scalar(sa.select(sa.func.count()).select_from(MediaFile)) == 2
    # Staff (the API) see the picture; its public URL serves the cleaned JPEG.
    shown = client.get(f"/api/v1/answers/{answer.id}", headers=api_headers(staff)).get_json()
    assert shown["pictures"] == [f"http://127.0.0.1:5000/media/{picture.public_id}/picture.jpg"]
    served = client.get(f"/media/{picture.public_id}/picture.jpg")
    assert (served.status_code, served.mimetype, served.data) == (200, "image/jpeg", kept)


def test_a_picture_alone_is_an_answer(
    client, db_session, tenant, asked, phone_line, hooks, tmp_path
):
    phone_line.send_inbound_mms(
        client,
        hooks.sms,
        from_=tenant.phone,
        files=[(_jpeg_with_location(tmp_path), "image/jpeg")],
    )

    [answer] = stored_answers(db_session)
    assert (answer.text, answer.score, answer.media_id) == (None, None, None)
    assert [p.media.kind for p in answer.pictures] == ["picture"]


def test_a_file_that_only_claims_to_be_a_picture_is_not_kept(
    client, db_session, tenant, asked, phone_line, hooks
):
    phone_line.send_inbound_mms(
        client,
        hooks.sms,
        from_=tenant.phone,
        body="7",
        files=[(b"<html><body>not a photo</body></html>", "image/jpeg")],
    )

    [answer] = stored_answers(db_session)
    assert (answer.score, answer.pictures) == (7, [])
    assert db_session.scalar(sa.select(sa.func.count()).select_from(MediaFile)) == 0


# --- never lost: the broker is down -----------------------------------------------------------


def test_with_the_broker_down_the_sms_is_stored_and_the_sweep_makes_the_answer(
    make_app, database_factory, twilio_double
):
    # An app of its own on a database of its own: its broker is a port nobody listens on.
    dead_broker = f"redis://127.0.0.1:{free_port()}/0"
    app = make_app(
        database_url=database_factory(),
        broker_url=dead_broker,
        redis_url="memory://",
        **twilio_double.settings(),
    )
    assert "stoop.executor" not in app.extensions  # tasks would go through the broker
    url = app.config["STOOP"].base_url + "/hooks/twilio/sms"
    with app.app_context():
        session = system_session()
        tenant = _asked_by_sms(session, score_question(UserFactory()))
        add_sender_number(session, tenant.organisation_id, twilio_double.phone_number)
        session.commit()

        response = twilio_double.send_inbound_sms(
            app.test_client(), url, from_=tenant.phone, body="Fem"
        )

        assert response.status_code == 200  # stored: Twilio has nothing to send again
        [message] = inbound_messages(session)
        assert message.handled_at is None  # its task never reached a worker
        assert stored_answers(session) == []

        later = utcnow() + inbound.SWEEP_AFTER * 2
        assert inbound.handle_due(session, now=later) == 1  # beat's sweep, once it runs

        [answer] = stored_answers(session)
        assert (answer.score, answer.provider_id) == (5, message.provider_id)
        assert inbound.handle_due(session, now=later) == 0  # handled once


def _asked_by_sms(session, question) -> Contact:
    """A contact of the question's organisation, asked it by SMS."""
    contact = Contact(
        organisation_id=question.organisation_id, name="Lotta Nilsson", phone="+46701112233"
    )
    session.add(contact)
    session.flush()
    now = utcnow()
    session.add(
        Invitation(
            organisation_id=question.organisation_id,
            token=new_token(),
            question_id=question.id,
            contact_id=contact.id,
            channel="sms",
            created_at=now,
            expires_at=now + dt.timedelta(days=30),
        )
    )
    session.commit()
    return contact


def test_a_touchpoint_question_is_offered_only_while_it_is_live(
    client, db_session, question, touchpoint_factory, phone_line, hooks
):
    touchpoint_factory(name="SMS till området", kind="sms", schedule=[(question.id, LONG_AGO)])
    question.status = QuestionStatus.CLOSED
    db_session.merge(question)
    db_session.commit()

    phone_line.send_inbound_sms(client, hooks.sms, from_=OTHER_TENANT, body="Hej")

    [reply] = replies(phone_line)
    assert "Vår fråga just nu" not in reply
