"""The thread page: the answer and the tenant as far as they allowed, the timeline with each
reply's delivery state, the reply composer (words, saved replies, a video), notes, closing and
reopening, and the saved replies page. Replies travel to the real doubles: the Twilio double
for SMS, the SMTP server for e-mail."""

from __future__ import annotations

import re
from html import unescape

import pytest
import sqlalchemy as sa

from notifications.models import DeliveryState
from panel.answers.service import Consent, Given, record_answer
from panel.core.scoping import scoped_to
from panel.threads import service
from panel.threads.models import Comment, SavedReply, Thread, ThreadStatus
from tests.factories import OrganisationFactory, UserFactory, login, system_session
from tests.media import conftest as media_fixtures
from tests.questions.conftest import make_media
from tests.threads.conftest import outbox, thread_of

clips = media_fixtures.clips  # tiny real recordings, made once a session

REPLY = "Tack Zeynep! Vi skickar en tekniker till hissen i morgon."


def text_of(response) -> str:
    """The page's visible text, roughly (tags out, entities decoded, spaces squeezed)."""
    html = re.sub(r"<script.*?</script>", " ", response.get_data(as_text=True), flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def textarea(response, name: str = "body") -> str:
    """What a textarea of the page holds."""
    found = re.search(
        rf'<textarea[^>]*name="{name}"[^>]*>(.*?)</textarea>', response.get_data(as_text=True), re.S
    )
    assert found, f"no textarea {name!r}"
    return unescape(found.group(1)).lstrip("\r\n")


def comments(session, thread: Thread) -> list[Comment]:
    session.expire_all()
    query = sa.select(Comment).where(Comment.thread_id == thread.id).order_by(Comment.id)
    return list(session.scalars(query.execution_options(all_organisations=True)))


@pytest.fixture
def signed_in(client, staff):
    login(client, staff)
    return client


@pytest.fixture
def smtp(monkeypatch, app, smtp_server):
    monkeypatch.setattr(app.config["STOOP"], "smtp_url", smtp_server.url)
    return smtp_server


# --- what the page shows --------------------------------------------------------------------


def test_the_page_shows_the_answer_and_the_tenant_who_shared_who_they_are(
    signed_in, answered, question
):
    thread = answered(score=4, choice="Dåligt")

    response = signed_in.get(f"/app/threads/{thread.id}")

    assert response.status_code == 200
    page = text_of(response)
    assert question.title in page
    assert "Hissen har stått still i två veckor." in page
    assert "4 /10" in page and "Dåligt" in page
    assert "Zeynep Yılmaz" in page
    assert "zeynep.yilmaz@example.se" in page
    assert "+46 70 123 45 67" in page
    assert "You may see who they are" in page
    assert "May be quoted" in page
    assert "The recording may be shown" not in page  # no clip, no clip consent shown
    assert "Ängsbacken / Ängsbacksvägen 3 / Trappuppgång B" in page
    assert "The tenant did not share who they are" not in page


def test_without_identity_consent_the_tenant_is_a_tenant(signed_in, answered, tenant):
    thread = answered(consent=Consent(quote=False, show_clip=False))

    page = text_of(signed_in.get(f"/app/threads/{thread.id}"))

    assert "A tenant" in page
    assert "The tenant did not share who they are." in page
    assert "You may not see who they are" in page and "Do not quote" in page
    for secret in ("Zeynep", "zeynep.yilmaz", "123 45 67", "+46701234567"):
        assert secret not in page


def test_opening_the_page_marks_the_thread_read(signed_in, answered, staff, db_session):
    thread = answered()
    assert service.unread_count(db_session, staff) == 1

    signed_in.get(f"/app/threads/{thread.id}")

    db_session.expire_all()
    assert service.unread_count(db_session, staff) == 0


def test_an_empty_thread_invites_a_reply_and_says_where_it_goes(signed_in, answered):
    thread = answered(channel="email")

    page = text_of(signed_in.get(f"/app/threads/{thread.id}"))

    assert "No replies yet." in page
    assert "Goes by e-mail; their answer comes back here" in page


# --- replies ----------------------------------------------------------------------------------


def test_a_reply_by_sms_reaches_the_twilio_double_and_shows_its_delivery(
    signed_in, answered, phone_line, tenant, db_session
):
    thread = answered(channel="sms")
    page = text_of(signed_in.get(f"/app/threads/{thread.id}"))
    assert "Goes by SMS to the number they answered from (+46 70 123 45 67)" in page

    response = signed_in.post(f"/app/threads/{thread.id}/reply", data={"body": REPLY})

    assert response.status_code == 303
    [sent] = phone_line.messages
    assert sent.to == tenant.phone and REPLY in sent.body
    [comment] = comments(db_session, thread)
    assert comment.outbound_message_id is not None
    shown = signed_in.get(response.headers["Location"])
    assert 'data-delivery="sent"' in shown.get_data(as_text=True)
    assert "Your reply is on its way by SMS." in text_of(shown)
    assert "replied by SMS to +46 70 123 45 67" in text_of(shown)

    phone_line.send_status_callback(signed_in, sent.sid, "delivered")

    shown = signed_in.get(f"/app/threads/{thread.id}")
    assert 'data-delivery="delivered"' in shown.get_data(as_text=True)
    assert "Delivered" in text_of(shown)


def test_an_undelivered_sms_shows_as_failed_with_the_reason(
    signed_in, answered, phone_line, organisation, staff, db_session
):
    thread = answered(channel="sms")
    signed_in.post(f"/app/threads/{thread.id}/reply", data={"body": REPLY})
    [sent] = phone_line.messages

    phone_line.send_status_callback(signed_in, sent.sid, "undelivered", error_code=30003)

    shown = signed_in.get(f"/app/threads/{thread.id}")
    assert 'data-delivery="failed"' in shown.get_data(as_text=True)
    page = text_of(shown)
    assert "Not delivered" in page and "30003" in page


def test_without_identity_consent_the_sms_number_is_not_shown(
    signed_in, answered, phone_line, tenant
):
    thread = answered(channel="sms", consent=Consent())

    response = signed_in.post(f"/app/threads/{thread.id}/reply", data={"body": REPLY})

    [sent] = phone_line.messages
    assert sent.to == tenant.phone  # it still reaches them
    page = text_of(signed_in.get(response.headers["Location"]))
    assert "replied by SMS ·" in page
    assert "123 45 67" not in page and "Goes by SMS to the number they answered from" in page


def test_a_reply_by_e_mail_reaches_the_smtp_server_with_the_threads_reply_to(
    signed_in, answered, smtp, tenant, db_session
):
    thread = answered(channel="email")

    response = signed_in.post(f"/app/threads/{thread.id}/reply", data={"body": REPLY})

    assert response.status_code == 303
    [mail] = [m for m in smtp.wait_for(2) if m["To"] == tenant.email]  # and the owner's notice
    assert re.fullmatch(rf"reply\+{re.escape(thread.token)}@[\w.-]+", mail["Reply-To"])
    assert REPLY in mail.get_body(("plain",)).get_content()
    [reply] = outbox(db_session, purpose="thread-reply")
    assert reply.state == DeliveryState.SENT
    assert 'data-delivery="sent"' in signed_in.get(f"/app/threads/{thread.id}").text


def test_a_reply_to_an_anonymous_answer_is_on_their_page_only(
    signed_in, db_session, organisation, question, touchpoint_factory
):
    touchpoint = touchpoint_factory()
    with scoped_to(db_session, organisation.id):
        answer = record_answer(
            db_session,
            question,
            Given(text="Det luktar rök i trapphuset."),
            channel="qr",
            language="sv",
            touchpoint_id=touchpoint.id,
        ).answer
        db_session.commit()
        thread = thread_of(db_session, answer.id)
    page = text_of(signed_in.get(f"/app/threads/{thread.id}"))
    assert "Shown on the tenant's own page only: they left no way to reach them" in page

    response = signed_in.post(f"/app/threads/{thread.id}/reply", data={"body": REPLY})

    assert response.status_code == 303
    assert outbox(db_session, purpose="thread-reply") == []
    shown = signed_in.get(response.headers["Location"])
    assert 'data-delivery="web"' in shown.text
    assert "replied on their own page" in text_of(shown)
    assert "Your reply is on the tenant's own page." in text_of(shown)


def test_a_reply_twilio_could_not_take_yet_shows_as_queued(signed_in, answered, phone_line):
    thread = answered(channel="sms")
    phone_line.fail_next(1, status=503)

    signed_in.post(f"/app/threads/{thread.id}/reply", data={"body": REPLY})

    assert phone_line.messages == []
    assert 'data-delivery="queued"' in signed_in.get(f"/app/threads/{thread.id}").text


def test_a_note_reaches_nobody_outside(signed_in, answered, smtp, phone_line, db_session):
    thread = answered(channel="sms")
    smtp.clear()

    response = signed_in.post(
        f"/app/threads/{thread.id}/note", data={"body": "Ring fastighetsskötaren först."}
    )

    assert response.status_code == 303
    assert phone_line.messages == []
    assert outbox(db_session, purpose="thread-reply") == []
    page = text_of(signed_in.get(f"/app/threads/{thread.id}"))
    assert "Internal note" in page and "Only colleagues see this." in page
    assert "Ring fastighetsskötaren först." in page


@pytest.mark.parametrize(
    ("body", "said"),
    [("   ", "Write something first."), ("x" * 5001, "Please keep it under 5000 characters.")],
    ids=["empty", "too long"],
)
def test_a_refused_reply_is_shown_again_with_the_text_kept(
    signed_in, answered, db_session, body, said
):
    thread = answered()

    response = signed_in.post(f"/app/threads/{thread.id}/reply", data={"body": body})

    assert response.status_code == 422
    assert said in text_of(response)
    assert textarea(response) == body
    assert comments(db_session, thread) == []
    assert outbox(db_session, purpose="thread-reply") == []


def test_a_huge_body_is_refused_with_a_4xx(signed_in, answered, db_session):
    thread = answered()

    response = signed_in.post(f"/app/threads/{thread.id}/reply", data={"body": "x" * 2_000_000})

    assert 400 <= response.status_code < 500
    assert comments(db_session, thread) == []


def test_an_empty_note_is_refused_and_the_note_form_stays_open(signed_in, answered):
    thread = answered()

    response = signed_in.post(f"/app/threads/{thread.id}/note", data={"body": ""})

    assert response.status_code == 422
    assert "Write something first." in text_of(response)
    assert re.search(r'<details class="card note-composer" id="note" open>', response.text)


def test_a_reply_with_a_video_goes_once_the_upload_is_stored(
    signed_in, answered, db_session, clips, phone_line
):
    thread = answered(channel="sms")
    path = clips.mp4
    started = signed_in.post(
        "/app/media/uploads",
        json={
            "filename": path.name,
            "content_type": "video/mp4",
            "size": path.stat().st_size,
            "purpose": "reply",
        },
    ).get_json()
    media_id = started["media_id"]

    too_soon = signed_in.post(
        f"/app/threads/{thread.id}/reply", data={"body": "", "media_id": media_id}
    )
    assert too_soon.status_code == 422  # nothing has arrived yet
    assert comments(db_session, thread) == []

    with path.open("rb") as body:
        stored = signed_in.post(
            started["upload"]["url"],
            input_stream=body,
            content_length=path.stat().st_size,
            content_type="video/mp4",
        )
    assert stored.status_code == 204
    response = signed_in.post(
        f"/app/threads/{thread.id}/reply", data={"body": "", "media_id": str(media_id)}
    )

    assert response.status_code == 303
    [comment] = comments(db_session, thread)
    assert comment.media_id == media_id and comment.body == ""
    [sent] = phone_line.messages
    assert "/me/" in sent.body
    page = signed_in.get(f"/app/threads/{thread.id}").text
    assert 'class="entry-clip"' in page  # the video plays on the thread page


def test_a_video_of_another_organisation_is_not_found(signed_in, answered, db_session):
    thread = answered()
    elsewhere = OrganisationFactory()
    with scoped_to(db_session, elsewhere.id):
        other = make_media(elsewhere.id)

    response = signed_in.post(
        f"/app/threads/{thread.id}/reply", data={"body": REPLY, "media_id": str(other.id)}
    )

    assert response.status_code == 422
    assert "The video could not be found" in text_of(response)
    assert textarea(response) == REPLY
    assert 'name="media_id" value=""' in response.text  # the next try goes without it


# --- status and history ------------------------------------------------------------------------


def test_closing_and_opening_again_are_kept_in_the_history(signed_in, answered, db_session):
    thread = answered()

    closed = signed_in.post(f"/app/threads/{thread.id}/status", data={"status": "closed"})
    assert closed.status_code == 303
    db_session.expire_all()
    assert db_session.get(Thread, thread.id).status == ThreadStatus.CLOSED
    page = text_of(signed_in.get(f"/app/threads/{thread.id}"))
    assert "Closed by Anna Berg" in page and "Open again" in page

    signed_in.post(f"/app/threads/{thread.id}/status", data={"status": "open"})
    page = text_of(signed_in.get(f"/app/threads/{thread.id}"))
    assert "Opened again by Anna Berg" in page


def test_a_nonsense_status_says_why(signed_in, answered):
    thread = answered()

    response = signed_in.post(
        f"/app/threads/{thread.id}/status", data={"status": "sideways"}, follow_redirects=True
    )

    assert "A conversation is open, replied or closed." in text_of(response)


def test_a_hand_over_shows_who_gave_it_to_whom_and_why(
    signed_in, answered, staff, colleague, organisation, db_session
):
    thread = answered()
    with scoped_to(db_session, organisation.id):
        service.hand_over(db_session, thread, staff, colleague, "Bengt har hand om hissarna.")
        db_session.commit()

    page = text_of(signed_in.get(f"/app/threads/{thread.id}"))

    assert "Anna Berg handed this to Bengt Lind: Bengt har hand om hissarna." in page


# --- another organisation ----------------------------------------------------------------------


def test_another_organisations_thread_is_not_found_on_every_route(client, answered, db_session):
    thread = answered()
    outsider = UserFactory(organisation=OrganisationFactory(), admin=True)
    login(client, outsider)

    for method, path, data in [
        ("get", "", None),
        ("post", "/reply", {"body": REPLY}),
        ("post", "/reply", {"body": "", "action": "insert", "saved_reply": "1"}),
        ("post", "/note", {"body": "hej"}),
        ("post", "/status", {"status": "closed"}),
    ]:
        response = getattr(client, method)(f"/app/threads/{thread.id}{path}", data=data)
        assert response.status_code == 404, (method, path)
        assert "Hissen" not in response.text
    assert comments(db_session, thread) == []


# --- saved replies ---------------------------------------------------------------------------


@pytest.fixture
def communicator(organisation):
    return UserFactory(organisation=organisation, communicator=True, name="Cecilia Ek")


def saved(organisation, title: str, language: str, body: str) -> SavedReply:
    session = system_session()
    row = SavedReply(organisation_id=organisation.id, title=title, language=language, body=body)
    session.add(row)
    session.commit()
    return row


def test_saved_replies_are_offered_in_the_tenants_language_first(signed_in, answered, organisation):
    saved(organisation, "Thanks", "en", "Thank you for your answer.")
    saved(organisation, "Tack", "sv", "Tack för ditt svar!")
    saved(organisation, "Bedankt", "nl", "Bedankt voor je antwoord.")
    thread = answered()

    html = signed_in.get(f"/app/threads/{thread.id}").text

    chips = re.findall(r'class="chip" data-insert="([^"]+)"', html)
    assert chips[0] == "Tack för ditt svar!"
    options = re.findall(r"<option[^>]*>([^<]+)</option>", html)
    assert options[1].startswith("Tack")


def test_without_javascript_insert_puts_the_saved_reply_in_the_text(
    signed_in, answered, organisation, db_session
):
    row = saved(organisation, "Tack", "sv", "Tack för ditt svar!")
    thread = answered()

    response = signed_in.post(
        f"/app/threads/{thread.id}/reply",
        data={"body": "Hej Zeynep,", "action": "insert", "saved_reply": str(row.id)},
    )

    assert response.status_code == 200
    assert textarea(response) == "Hej Zeynep,\n\nTack för ditt svar!"
    assert comments(db_session, thread) == []


def test_insert_without_a_choice_says_so_and_keeps_the_text(signed_in, answered, organisation):
    saved(organisation, "Tack", "sv", "Tack för ditt svar!")
    thread = answered()

    response = signed_in.post(
        f"/app/threads/{thread.id}/reply",
        data={"body": "Hej!", "action": "insert", "saved_reply": ""},
    )

    assert response.status_code == 422
    assert "Choose a saved reply first." in text_of(response)
    assert textarea(response) == "Hej!"


def test_a_communicator_creates_changes_and_removes_saved_replies(client, communicator, db_session):
    login(client, communicator)

    created = client.post(
        "/app/settings/saved-replies",
        data={"title": "Vidarebefordrat", "language": "sv", "body": "Vi har skickat det vidare."},
    )
    assert created.status_code == 303
    row = db_session.scalar(sa.select(SavedReply).execution_options(all_organisations=True))
    assert (row.title, row.language, row.created_by_id) == (
        "Vidarebefordrat",
        "sv",
        communicator.id,
    )
    listing = text_of(client.get("/app/settings/saved-replies"))
    assert "Vi har skickat det vidare." in listing and "Svenska" in listing

    assert client.get(f"/app/settings/saved-replies/{row.id}/edit").status_code == 200
    changed = client.post(
        f"/app/settings/saved-replies/{row.id}",
        data={"title": "Skickat vidare", "language": "sv", "body": "Vi har skickat det vidare!"},
    )
    assert changed.status_code == 303
    db_session.expire_all()
    assert db_session.get(SavedReply, row.id).title == "Skickat vidare"

    row_id = row.id
    removed = client.post(f"/app/settings/saved-replies/{row_id}/delete")
    assert removed.status_code == 303
    db_session.expire_all()
    assert db_session.get(SavedReply, row_id) is None


def test_a_duplicate_title_in_the_same_language_is_refused_with_the_text_kept(
    client, communicator, organisation
):
    saved(organisation, "Tack", "sv", "Tack för ditt svar!")
    login(client, communicator)

    response = client.post(
        "/app/settings/saved-replies",
        data={"title": "tack", "language": "sv", "body": "Ett annat tack."},
    )

    assert response.status_code == 409
    assert "There is already a saved reply called “tack” in Svenska." in text_of(response)
    assert textarea(response) == "Ett annat tack."
    same_title_other_language = client.post(
        "/app/settings/saved-replies",
        data={"title": "Tack", "language": "nl", "body": "Bedankt!"},
    )
    assert same_title_other_language.status_code == 303


def test_a_refused_saved_reply_says_what_is_missing(client, communicator):
    login(client, communicator)

    response = client.post(
        "/app/settings/saved-replies", data={"title": "", "language": "xx", "body": ""}
    )

    assert response.status_code == 422
    page = text_of(response)
    assert "Give it a short title" in page
    assert "Choose one of the languages tenants answer in." in page
    assert "Write the reply itself." in page


def test_staff_use_saved_replies_but_do_not_change_them(signed_in, organisation, db_session):
    row = saved(organisation, "Tack", "sv", "Tack för ditt svar!")

    assert "Tack för ditt svar!" in signed_in.get("/app/settings/saved-replies").text
    created = signed_in.post(
        "/app/settings/saved-replies", data={"title": "X", "language": "sv", "body": "Y"}
    )
    assert created.status_code == 403
    assert signed_in.get(f"/app/settings/saved-replies/{row.id}/edit").status_code == 403
    assert signed_in.post(f"/app/settings/saved-replies/{row.id}/delete").status_code == 403
    db_session.expire_all()
    assert db_session.get(SavedReply, row.id) is not None


def test_another_organisations_saved_reply_is_not_found(client, communicator, db_session):
    elsewhere = OrganisationFactory()
    with scoped_to(db_session, elsewhere.id):
        other_id = saved(elsewhere, "Hemligt", "sv", "ORG-B").id
    login(client, communicator)

    for method, path, data in [
        ("get", f"/{other_id}/edit", None),
        ("post", f"/{other_id}", {"title": "x", "language": "sv", "body": "y"}),
        ("post", f"/{other_id}/delete", None),
    ]:
        response = getattr(client, method)(f"/app/settings/saved-replies{path}", data=data)
        assert response.status_code == 404, (method, path)
    assert "ORG-B" not in client.get("/app/settings/saved-replies").text
    with scoped_to(db_session, elsewhere.id):
        db_session.expire_all()
        assert db_session.get(SavedReply, other_id).title == "Hemligt"


def test_the_settings_page_links_to_the_saved_replies(client, organisation):
    login(client, UserFactory(organisation=organisation, admin=True))

    assert 'href="/app/settings/saved-replies"' in client.get("/app/settings").text


def test_a_swedish_colleague_reads_the_page_in_swedish(client, answered, organisation):
    thread = answered(channel="sms", consent=Consent())
    login(client, UserFactory(organisation=organisation, locale="sv"))

    page = text_of(client.get(f"/app/threads/{thread.id}"))

    assert "Svara hyresgästen" in page and "Skicka svar" in page
    assert "Skickas som sms till numret de svarade från" in page
    assert "Hyresgästen har inte delat vem de är." in page
