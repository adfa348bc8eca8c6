"""What a tenant sends after their answer lands in the answer's thread: an SMS (through the
Twilio double and ``/hooks/twilio/sms``), an e-mail reply to the thread's address (posted raw
to ``/hooks/email/inbound`` as a mail server does), and a message from their own page
``/me/<token>``. Each reopens the thread and tells its owner; a redelivery makes nothing
twice; a machine's message (an out-of-office) is kept and goes no further."""

from __future__ import annotations

import base64
import email.policy
from email.message import EmailMessage

import pytest
import sqlalchemy as sa

from media.models import MediaFile, MediaStatus
from media.storage import current_storage
from notifications.models import InboundMessage, OutboundMessage
from panel.answers.phone import reply_number
from panel.core.scoping import scoped_to
from panel.threads import delivery, service
from panel.threads.models import Comment, CommentKind, Thread, ThreadStatus
from tests.answers.conftest import LONG_AGO, stored_answers
from tests.threads.conftest import outbox
from tests.threads.test_mail_reading import EN, EXPECTED, fixture
from tests.twilio_double.double import tone_wav
from touchpoints.phone import create_voice_touchpoint

SECRET = "a-long-inbound-mail-secret-0123456789"
PATH = "/hooks/email/inbound"
CALLER = "+46709998877"


def comments(session, thread: Thread, kind: CommentKind = CommentKind.FOLLOW_UP) -> list[Comment]:
    session.expire_all()
    query = sa.select(Comment).where(Comment.thread_id == thread.id, Comment.kind == kind.value)
    return list(session.scalars(query.order_by(Comment.id)))


def inbound_messages(session) -> list[InboundMessage]:
    session.expire_all()
    return list(session.scalars(sa.select(InboundMessage).order_by(InboundMessage.id)))


def follow_up_notices(session) -> list[OutboundMessage]:
    return [n for n in outbox(session, purpose="thread-notice") if "follow-up" in n.dedupe_key]


# --- SMS ----------------------------------------------------------------------------------------


@pytest.fixture
def asked(question, tenant, invitation_of):
    """The tenant was asked the question by SMS."""
    return invitation_of(question, tenant, channel="sms")


def thread_of_only_answer(session) -> Thread:
    [answer] = stored_answers(session)
    return session.scalar(sa.select(Thread).where(Thread.answer_id == answer.id))


def test_an_sms_after_an_answer_follows_up_in_its_thread_once(
    client, db_session, staff, tenant, asked, phone_line, hooks
):
    phone_line.send_inbound_sms(client, hooks.sms, from_=tenant.phone, body="7")
    thread = thread_of_only_answer(db_session)
    with scoped_to(db_session, thread.organisation_id):
        service.set_status(db_session, thread, staff, "closed")
        db_session.commit()

    text = "Och belysningen i källaren är trasig"
    phone_line.send_inbound_sms(client, hooks.sms, from_=tenant.phone, body=text)
    sid = phone_line.last_inbound_sid
    phone_line.send_inbound_sms(client, hooks.sms, from_=tenant.phone, body=text, sid=sid)

    [comment] = comments(db_session, thread)
    later = inbound_messages(db_session)[-1]
    assert (comment.body, comment.channel, comment.inbound_message_id) == (text, "sms", later.id)
    assert len(inbound_messages(db_session)) == 2  # the redelivery was not stored again
    assert later.ref == f"answer:{thread.answer_id}"  # still says which answer it follows
    db_session.refresh(thread)
    assert thread.status == ThreadStatus.OPEN  # closed, and opened again by the tenant
    [notice] = follow_up_notices(db_session)
    assert notice.recipient == staff.email and text in notice.body_text
    assert phone_line.messages == []  # nothing is sent back to the tenant


def test_an_mms_follow_up_keeps_its_clip(client, db_session, tenant, asked, phone_line, hooks):
    phone_line.send_inbound_sms(client, hooks.sms, from_=tenant.phone, body="7")
    thread = thread_of_only_answer(db_session)

    phone_line.send_inbound_mms(
        client,
        hooks.sms,
        from_=tenant.phone,
        body="Lyssna på hissen",
        files=[(tone_wav(), "audio/wav"), (b"BEGIN:VCARD", "text/vcard")],
    )

    [comment] = comments(db_session, thread)
    assert comment.body == "Lyssna på hissen"
    clip = comment.media
    assert (clip.kind, clip.status, clip.purpose) == ("audio", MediaStatus.READY, "follow_up")
    assert comment.data == {"files_not_kept": 1}


@pytest.fixture
def voice_touchpoint(scoped, question, stairwell, phone_line):
    touchpoint = create_voice_touchpoint(
        scoped,
        {"name": "Telefonlinjen", "place_id": stairwell.id},
        phone_line.phone_number,
        [(question.id, LONG_AGO)],
    )
    scoped.commit()
    return touchpoint


def test_a_caller_gets_our_reply_by_sms_and_their_answer_to_it_follows_up(
    client, db_session, staff, voice_touchpoint, phone_line, hooks
):
    call = phone_line.call(client, hooks.voice, from_=CALLER)
    call.press("4")
    thread = thread_of_only_answer(db_session)
    answer = thread.answer
    assert (answer.contact_id, answer.respondent_phone) == (None, CALLER)
    assert answer.may_contact is False  # kept for the reply they expect, nothing else

    with scoped_to(db_session, thread.organisation_id):
        assert delivery.route_for(db_session, thread).channel == "sms"
        service.reply(db_session, thread, staff, "Tack! Vad är det som inte fungerar?")
        db_session.commit()
    [ours] = phone_line.messages
    assert ours.to == CALLER and "Vad är det som inte fungerar?" in ours.body

    phone_line.send_inbound_sms(client, hooks.sms, from_=CALLER, body="Hissen, som vanligt.")

    [comment] = comments(db_session, thread)
    assert (comment.body, comment.channel) == ("Hissen, som vanligt.", "sms")
    assert len(phone_line.messages) == 1  # no "we could not link your message" reply
    assert stored_answers(db_session) == [answer]


def test_a_hidden_or_odd_caller_number_is_not_kept():
    assert reply_number("+46709998877") == "+46709998877"
    for odd in ("anonymous", "+266696687", "", "0709998877", "+4670"):
        assert reply_number(odd) is None


# --- e-mail --------------------------------------------------------------------------------------


@pytest.fixture
def mailbox(app, monkeypatch):
    """Inbound e-mail set up with :data:`SECRET`."""
    monkeypatch.setattr(app.config["STOOP"], "inbound_email_secret", SECRET)


def post_mail(client, raw: bytes, *, headers=None, content_type="message/rfc822"):
    """POST ``raw`` as a mail server does: on the wire, lines end in CRLF."""
    headers = {"Authorization": f"Bearer {SECRET}"} if headers is None else headers
    wire = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    return client.post(PATH, data=wire, headers=headers, content_type=content_type)


def basic(password: str, user: str = "mailgun") -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


CLIENTS = [
    f"{client}_{language}.eml"
    for client in ("gmail", "outlook", "apple_mail", "iphone")
    for language in ("sv", "nl", "en")
]


@pytest.mark.parametrize("name", CLIENTS)
def test_an_e_mail_reply_lands_in_the_thread_without_its_quote(
    client, db_session, mailbox, answered, staff, name
):
    thread = answered(channel="email")

    response = post_mail(client, fixture(name, thread.token))

    assert response.status_code == 202, response.get_json()
    [comment] = comments(db_session, thread)
    assert comment.body == EXPECTED[name]
    assert comment.channel == "email"
    [message] = inbound_messages(db_session)
    assert (message.channel, message.provider, message.body) == ("email", "email", EXPECTED[name])
    assert message.recipient == f"reply+{thread.token}@stoop.localhost"
    assert message.raw_mime.startswith(b"") and b"\r\n" in message.raw_mime
    assert message.payload["subject"].startswith(("Re:", "RE:", "SV:"))
    assert message.handled_at is not None and message.error is None
    [notice] = follow_up_notices(db_session)
    assert notice.recipient == staff.email


def test_a_reply_from_another_address_is_taken_and_says_so(client, db_session, mailbox, answered):
    thread = answered(channel="email")

    post_mail(client, fixture("gmail_sv.eml", thread.token))  # Zeynep's own address
    post_mail(client, fixture("outlook_sv.eml", thread.token))  # her neighbour Åsa

    own, other = comments(db_session, thread)
    assert own.data == {}
    assert other.data == {"from_other_address": "asa.oberg@example.se"}


def test_a_redelivered_e_mail_makes_one_follow_up(client, db_session, mailbox, answered):
    thread = answered(channel="email")
    raw = fixture("iphone_sv.eml", thread.token)

    first = post_mail(client, raw)
    again = post_mail(client, raw)

    assert (first.status_code, again.status_code) == (202, 200)
    assert again.get_json() == {"status": "duplicate"}
    assert len(comments(db_session, thread)) == 1
    assert len(inbound_messages(db_session)) == 1


def test_without_a_message_id_the_same_bytes_are_one_message(client, db_session, mailbox, answered):
    thread = answered(channel="email")
    raw = (
        f"From: zeynep.yilmaz@example.se\nTo: reply+{thread.token}@stoop.localhost\n"
        "Subject: Re: hissen\n\nDen går igen!\n"
    ).encode()

    assert post_mail(client, raw).status_code == 202
    assert post_mail(client, raw).status_code == 200
    [comment] = comments(db_session, thread)
    assert comment.body == "Den går igen!"
    assert inbound_messages(db_session)[0].provider_id.startswith("sha256:")


@pytest.mark.parametrize(
    "name", ["auto_reply_outlook_sv.eml", "auto_reply_nl_subject.eml", "vacation_gmail_en.eml"]
)
def test_an_out_of_office_is_kept_and_goes_no_further(
    client, db_session, mailbox, answered, staff, name
):
    thread = answered(channel="email")
    with scoped_to(db_session, thread.organisation_id):
        service.reply(db_session, thread, staff, "Vi lagar hissen i morgon.")
        db_session.commit()
    sent = len(outbox(db_session))

    assert post_mail(client, fixture(name, thread.token)).status_code == 202

    [message] = inbound_messages(db_session)
    assert message.payload["automatic"] is True and message.handled_at is not None
    assert comments(db_session, thread) == []
    assert len(outbox(db_session)) == sent  # no notice, no answer to the machine
    db_session.refresh(thread)
    assert thread.status == ThreadStatus.REPLIED


def test_a_reply_to_an_unknown_address_is_kept_and_answered_by_nobody(
    client, db_session, mailbox, answered
):
    thread = answered(channel="email")
    sent = len(outbox(db_session))

    response = post_mail(client, fixture("gmail_en.eml", "nosuchthreadtoken0123456789abcd"))

    assert response.status_code == 202
    [message] = inbound_messages(db_session)
    assert message.organisation_id is None and message.handled_at is not None
    assert "no organisation" in message.error
    assert comments(db_session, thread) == []
    assert len(outbox(db_session)) == sent


def mail_with_attachments(token: str, files: list[tuple[str, str, bytes]]) -> bytes:
    message = EmailMessage()
    message["From"] = "Zeynep Yılmaz <zeynep.yilmaz@example.se>"
    message["To"] = f"Bostadsbolaget Ängsbacken <reply+{token}@stoop.localhost>"
    message["Subject"] = "Re: Ett svar på ditt svar"
    message["Message-ID"] = "<film.123@example.se>"
    message.set_content("Här är en film av hissen.\n\nSkickat från min iPhone\n")
    for filename, content_type, data in files:
        kind, _, subtype = content_type.partition("/")
        message.add_attachment(data, maintype=kind, subtype=subtype, filename=filename)
    return message.as_bytes(policy=email.policy.SMTP)


def test_a_video_attachment_becomes_the_follow_ups_clip(
    client, db_session, mailbox, answered, clips
):
    thread = answered(channel="email")
    video = clips.mp4.read_bytes()
    raw = mail_with_attachments(
        thread.token,
        [
            ("Hissen.mp4", "video/mp4", video),
            ("ljud.wav", "audio/wav", clips.wav.read_bytes()),
            ("trapphus.jpg", "image/jpeg", b"\xff\xd8\xff\xe0 not much of a photo"),
        ],
    )

    assert post_mail(client, raw).status_code == 202

    [comment] = comments(db_session, thread)
    assert comment.body == "Här är en film av hissen."
    clip = db_session.get(MediaFile, comment.media_id)
    assert (clip.status, clip.kind, clip.purpose) == (MediaStatus.READY, "video", "follow_up")
    assert clip.original_filename == "Hissen.mp4" and clip.organisation_id == thread.organisation_id
    assert current_storage().head(clip.renditions["mp4"]).size > 0  # transcoded and stored
    assert comment.data == {
        "attachments": [
            {"filename": "ljud.wav", "content_type": "audio/wav", "size": clips.wav.stat().st_size,
             "kept": False},
            {"filename": "trapphus.jpg", "content_type": "image/jpeg", "size": 24, "kept": False},
        ]
    }  # fmt: skip
    assert db_session.scalar(sa.select(sa.func.count()).select_from(MediaFile)) == 1


def test_a_file_that_is_no_clip_is_listed_not_kept(client, db_session, mailbox, answered):
    thread = answered(channel="email")
    raw = mail_with_attachments(
        thread.token, [("hiss.mp4", "video/mp4", b"<html><body>not a video</body></html>")]
    )

    post_mail(client, raw)

    [comment] = comments(db_session, thread)
    assert comment.media_id is None
    assert comment.data["attachments"][0]["filename"] == "hiss.mp4"
    assert db_session.scalar(sa.select(sa.func.count()).select_from(MediaFile)) == 0


# --- the hook refuses what it should -------------------------------------------------------------


def test_the_hook_wants_the_secret(client, db_session, mailbox, answered):
    raw = fixture("gmail_sv.eml", answered(channel="email").token)

    missing = post_mail(client, raw, headers={})
    assert missing.status_code == 401
    assert missing.headers["WWW-Authenticate"].startswith("Basic")
    assert missing.get_json()["error"]["code"] == "unauthorized"
    assert post_mail(client, raw, headers={"Authorization": "Bearer wrong"}).status_code == 403
    assert post_mail(client, raw, headers=basic("wrong")).status_code == 403
    assert post_mail(client, raw, headers={"Authorization": "Token " + SECRET}).status_code == 401
    assert inbound_messages(db_session) == []

    assert post_mail(client, raw, headers=basic(SECRET)).status_code == 202  # Basic works too


def test_without_a_secret_the_hook_is_off(client, db_session, answered):
    raw = fixture("gmail_sv.eml", answered(channel="email").token)

    response = post_mail(client, raw, headers={"Authorization": "Bearer anything"})

    assert response.status_code == 404
    assert "STOOP_INBOUND_EMAIL_SECRET" in response.get_json()["error"]["message"]
    assert inbound_messages(db_session) == []


def test_an_e_mail_over_the_limit_is_refused(app, client, db_session, mailbox, monkeypatch):
    monkeypatch.setattr(app.config["STOOP"], "inbound_email_max_mb", 1)
    raw = b"From: z@example.se\nTo: reply+x@y.se\nSubject: big\n\n" + b"x" * (1024 * 1024)

    response = post_mail(client, raw)

    assert response.status_code == 413
    assert "1 MB" in response.get_json()["error"]["message"]
    assert inbound_messages(db_session) == []


@pytest.mark.parametrize(
    "raw",
    [b"", b"\x00\x01\x02\xff garbage", b"This is no e-mail.\n", b"Subject: x\n\nno sender\n"],
)
def test_what_is_no_e_mail_gets_a_400_that_says_why(client, db_session, mailbox, raw):
    response = post_mail(client, raw)

    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "unreadable"
    assert response.get_json()["error"]["message"]
    assert inbound_messages(db_session) == []


def test_a_form_post_is_not_the_message(client, db_session, mailbox):
    response = client.post(
        PATH,
        data={"body-mime": "From: z@example.se"},
        headers={"Authorization": f"Bearer {SECRET}"},
    )

    assert response.status_code == 415
    assert "message/rfc822" in response.get_json()["error"]["message"]


@pytest.mark.parametrize("content_type", ["text/plain", "application/octet-stream"])
def test_other_raw_content_types_are_taken(client, db_session, mailbox, answered, content_type):
    thread = answered(channel="email")

    response = post_mail(client, fixture("gmail_en.eml", thread.token), content_type=content_type)

    assert response.status_code == 202
    [comment] = comments(db_session, thread)
    assert comment.body == EN


# --- /me: the tenant sees the replies and writes back ---------------------------------------------


@pytest.fixture
def ready_video(db_session, organisation):
    media = MediaFile(
        organisation_id=organisation.id,
        public_id="reply-video-public-id-0123456789",
        status=MediaStatus.READY,
        purpose="reply",
        kind="video",
        width=160,
        height=120,
        renditions={"mp4": "x/reply.mp4", "poster": "x/poster.jpg"},
    )
    db_session.add(media)
    db_session.commit()
    return media


def me_page(client, answer) -> str:
    response = client.get(f"/me/{answer.me_token}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_tenant_sees_our_replies_but_not_our_notes(
    client, db_session, answered, staff, organisation, ready_video
):
    thread = answered(channel="email")
    with scoped_to(db_session, organisation.id):
        service.reply(db_session, thread, staff, "Vi skickar en tekniker på tisdag.")
        service.note(db_session, thread, staff, "Intern: teknikern heter Bengt.")
        service.reply(db_session, thread, staff, None, media_id=ready_video.id)
        service.set_status(db_session, thread, staff, "closed")
        db_session.commit()

    page = me_page(client, thread.answer)

    assert "Vi skickar en tekniker på tisdag." in page
    assert "Bostadsbolaget Ängsbacken svarade" in page  # the organisation, in Swedish
    assert f'src="/media/{ready_video.public_id}/mp4"' in page
    assert f'poster="/media/{ready_video.public_id}/poster.jpg"' in page
    assert "Bengt" not in page and "closed" not in page


def test_the_tenant_writes_back_from_their_page(client, db_session, answered, staff, organisation):
    thread = answered(channel="email")
    with scoped_to(db_session, organisation.id):
        service.reply(db_session, thread, staff, "Vi skickar en tekniker på tisdag.")
        db_session.commit()
    answer = thread.answer

    url = f"/me/{answer.me_token}/answers/{answer.id}/message"
    sent = client.post(url, data={"message": "Tisdag passar bra, jag är hemma."})
    client.post(url, data={"message": "Tisdag passar bra, jag är hemma."})  # tapped twice

    assert sent.status_code == 303
    assert sent.headers["Location"].endswith(f"?sent={answer.id}#answer-{answer.id}")
    [comment] = comments(db_session, thread)
    assert (comment.body, comment.channel) == ("Tisdag passar bra, jag är hemma.", "web")
    db_session.refresh(thread)
    assert thread.status == ThreadStatus.OPEN
    assert any("Tisdag passar bra" in n.body_text for n in follow_up_notices(db_session))
    page = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert "Tisdag passar bra, jag är hemma." in page
    assert 'role="status"' in page


@pytest.mark.parametrize(
    ("text", "error"),
    [("   ", "Skriv ditt meddelande först."), ("Hissen! " * 300, "under 2000 tecken")],
)
def test_a_message_that_cannot_be_sent_says_why_and_keeps_the_text(
    client, db_session, answered, text, error
):
    thread = answered(channel="email")
    answer = thread.answer

    response = client.post(
        f"/me/{answer.me_token}/answers/{answer.id}/message", data={"message": text}
    )

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert error in page
    assert 'aria-invalid="true"' in page
    assert text.strip()[:40] in page
    assert comments(db_session, thread) == []


def test_another_tenants_answer_cannot_be_written_to(
    client, db_session, answered, organisation, question, invitation_of
):
    mine = answered(channel="email").answer
    from panel.contacts.models import Contact

    with scoped_to(db_session, organisation.id):
        neighbour = Contact(
            organisation_id=organisation.id, name="Åsa Öberg", email="asa.oberg@example.se"
        )
        db_session.add(neighbour)
        db_session.commit()
    from panel.answers.service import Given, record_answer

    with scoped_to(db_session, organisation.id):
        theirs = record_answer(
            db_session,
            question,
            Given(text="Min hiss också."),
            channel="email",
            language="sv",
            invitation=invitation_of(question, neighbour),
        ).answer
        db_session.commit()

    other = client.post(f"/me/{mine.me_token}/answers/{theirs.id}/message", data={"message": "Hej"})
    unknown = client.post("/me/nosuchtoken000/answers/1/message", data={"message": "Hej"})

    assert other.status_code == 404 and unknown.status_code == 404
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 0


def test_our_own_message_coming_back_is_no_follow_up(client, db_session, mailbox, answered):
    thread = answered(channel="email")
    raw = (
        f"From: Stoop <no-reply@stoop.localhost>\nTo: reply+{thread.token}@stoop.localhost\n"
        "Subject: Ett svar på ditt svar\nMessage-ID: <ours.1@stoop.localhost>\n\nHej Zeynep!\n"
    ).encode()

    assert post_mail(client, raw).status_code == 202

    assert comments(db_session, thread) == []
    [message] = inbound_messages(db_session)
    assert message.handled_at is not None
