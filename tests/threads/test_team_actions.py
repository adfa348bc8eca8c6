"""Handing a thread over and forwarding its answer by e-mail, through the pages: who may, who
hears of it (exactly the people expected, nobody else), what the forward carries under each of
the tenant's consents, the forwarded clip's expiring link, and bad input answered in words."""

from __future__ import annotations

import io
import re
import time
from typing import Any

import pytest
import sqlalchemy as sa
from flask import current_app
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from media.models import MediaStatus
from media.storage import current_storage
from panel.accounts.models import NotifyMode
from panel.answers.models import Answer
from panel.answers.service import Consent
from panel.core.extensions import db
from panel.core.scoping import scoped_to
from panel.threads import forwarding, service
from panel.threads.models import Comment, CommentKind, Thread
from tests.factories import OrganisationFactory, UserFactory, login
from tests.questions.conftest import make_media
from tests.threads.conftest import outbox

CARETAKER = "vicevard@fastighetsservice.example.se"
LINK = re.compile(r"http://127\.0\.0\.1:5000/clips/([A-Za-z0-9_.-]+)")


def new_messages(session: Any, after: int) -> list[Any]:
    """Outbox rows written after the row ``after`` (the test's action's messages)."""
    return [m for m in outbox(session) if m.id > after]


def last_id(session: Any) -> int:
    rows = outbox(session)
    return rows[-1].id if rows else 0


def events(session: Any, thread: Thread) -> list[Comment]:
    session.expire_all()
    query = sa.select(Comment).where(
        Comment.thread_id == thread.id, Comment.kind == CommentKind.EVENT.value
    )
    return list(session.scalars(query.order_by(Comment.id)))


# --- Hand over ----------------------------------------------------------------------------------


def test_the_owner_hands_over_and_only_the_new_owner_hears_of_it(
    db_session, client, answered, staff, colleague, organisation
):
    thread = answered()
    UserFactory(organisation=organisation, email="carl@example.se")  # a bystander
    before = last_id(db_session)
    login(client, staff)

    response = client.post(
        f"/app/threads/{thread.id}/hand-over",
        data={"colleague": colleague.id, "reason": "Du har hand om hissarna."},
    )

    assert response.status_code == 303
    assert response.headers["Location"] == f"/app/threads/{thread.id}"
    db_session.refresh(thread)
    assert thread.owner_id == colleague.id
    [event] = events(db_session, thread)
    assert event.data == {"event": "handed_over", "from": staff.id, "to": colleague.id}
    assert event.body == "Du har hand om hissarna." and event.author_id == staff.id
    [mail] = new_messages(db_session, before)
    assert mail.recipient == colleague.email
    assert "Du har hand om hissarna." in mail.body_text


def test_a_mention_reaches_the_mentioned_and_nobody_else(
    db_session, answered, staff, colleague, organisation
):
    thread = answered()
    UserFactory(organisation=organisation, email="carl@example.se")
    before = last_id(db_session)

    with scoped_to(db_session, organisation.id):
        service.note(db_session, thread, staff, "@bengt.lind kan du ringa hyresgästen?")
        db_session.commit()

    assert [m.recipient for m in new_messages(db_session, before)] == [colleague.email]


def test_a_colleague_who_chose_no_e_mail_is_not_written_to(
    db_session, client, answered, staff, colleague
):
    thread = answered()
    colleague.notify_mode = NotifyMode.NONE.value
    db_session.commit()
    before = last_id(db_session)
    login(client, staff)

    response = client.post(f"/app/threads/{thread.id}/hand-over", data={"colleague": colleague.id})

    assert response.status_code == 303
    assert new_messages(db_session, before) == []


def test_a_colleague_who_is_not_the_owner_may_not_hand_over(
    db_session, client, answered, staff, colleague
):
    thread = answered()
    before = last_id(db_session)
    login(client, colleague)

    response = client.post(f"/app/threads/{thread.id}/hand-over", data={"colleague": colleague.id})

    assert response.status_code == 403
    assert "Only the owner of this conversation or an admin" in response.get_data(as_text=True)
    db_session.refresh(thread)
    assert thread.owner_id == staff.id
    assert new_messages(db_session, before) == [] and events(db_session, thread) == []


def test_an_admin_may_hand_over_any_thread(db_session, client, answered, admin, colleague):
    thread = answered()
    login(client, admin)

    response = client.post(f"/app/threads/{thread.id}/hand-over", data={"colleague": colleague.id})

    assert response.status_code == 303
    db_session.refresh(thread)
    assert thread.owner_id == colleague.id


def test_anyone_may_hand_over_a_thread_whose_owner_left(
    db_session, client, answered, staff, colleague, organisation
):
    thread = answered()
    staff.is_active = False
    db_session.commit()
    third = UserFactory(organisation=organisation, name="Cecilia Ek")
    login(client, colleague)

    response = client.post(f"/app/threads/{thread.id}/hand-over", data={"colleague": third.id})

    assert response.status_code == 303
    db_session.refresh(thread)
    assert thread.owner_id == third.id


@pytest.mark.parametrize(
    ("given", "status", "words"),
    [
        ({"colleague": ""}, 422, "Choose the colleague to hand it to."),
        ({"colleague": "abc"}, 422, "There is no active colleague with that id."),
        ({"colleague": "999999999"}, 422, "There is no active colleague with that id."),
        ({"colleague": "99999999999999999999"}, 422, "There is no active colleague with that id."),
        ({"colleague": "OWNER"}, 409, "already owns this conversation"),
        ({"colleague": "COLLEAGUE", "reason": "x" * 501}, 422, "under 500 characters"),
    ],
)
def test_bad_hand_overs_are_refused_in_words_and_change_nothing(
    db_session, client, answered, staff, colleague, given, status, words
):
    thread = answered()
    values = dict(given)
    values["colleague"] = {"OWNER": str(staff.id), "COLLEAGUE": str(colleague.id)}.get(
        values["colleague"], values["colleague"]
    )
    before = last_id(db_session)
    login(client, staff)

    response = client.post(f"/app/threads/{thread.id}/hand-over", data=values)

    assert response.status_code == status
    page = response.get_data(as_text=True)
    assert words in page.replace("&#39;", "'")
    assert 'name="colleague"' in page  # the form is there again, with what was typed
    db_session.refresh(thread)
    assert thread.owner_id == staff.id
    assert new_messages(db_session, before) == [] and events(db_session, thread) == []


def test_a_colleague_of_another_organisation_cannot_be_chosen(db_session, client, answered, staff):
    thread = answered()
    stranger = UserFactory(organisation=OrganisationFactory())
    login(client, staff)

    response = client.post(f"/app/threads/{thread.id}/hand-over", data={"colleague": stranger.id})

    assert response.status_code == 422
    db_session.refresh(thread)
    assert thread.owner_id == staff.id


def test_another_organisations_thread_is_not_found(db_session, client, answered, colleague):
    thread = answered()
    outsider = UserFactory(organisation=OrganisationFactory(), admin=True)
    login(client, outsider)

    assert client.get(f"/app/threads/{thread.id}/hand-over").status_code == 404
    response = client.post(f"/app/threads/{thread.id}/hand-over", data={"colleague": colleague.id})
    assert response.status_code == 404
    assert (
        client.post(f"/app/threads/{thread.id}/forward", data={"address": CARETAKER}).status_code
        == 404
    )


def test_the_hand_over_page_offers_the_colleagues(client, answered, staff, colleague):
    thread = answered()
    login(client, staff)

    page = client.get(f"/app/threads/{thread.id}/hand-over").get_data(as_text=True)

    assert f'<option value="{colleague.id}">Bengt Lind</option>' in page
    assert f'<option value="{staff.id}">' not in page  # not to the owner


# --- Forward ------------------------------------------------------------------------------------


@pytest.fixture
def with_clip(db_session, organisation):
    """``with_clip(thread)``: the thread's answer gets a ready video clip, stored."""

    def attach(thread: Thread) -> Any:
        media = make_media(organisation.id, MediaStatus.READY, transcript="Hissen gnisslar.")
        key = media.renditions["mp4"]
        current_storage().put(
            key, io.BytesIO(b"\x00\x00\x00\x18ftypmp42 clip"), content_type="video/mp4"
        )
        db_session.execute(
            sa.update(Answer)
            .where(Answer.id == thread.answer_id)
            .values(media_id=media.id, clip_kind="video")
        )
        db_session.commit()
        db_session.expire_all()
        return media

    return attach


def forward(client: Any, thread: Thread, **data: Any) -> Any:
    data.setdefault("address", CARETAKER)
    return client.post(f"/app/threads/{thread.id}/forward", data=data)


def test_a_forward_with_full_consent_carries_words_name_and_clip(
    db_session, client, answered, staff, with_clip, tenant
):
    thread = answered()
    with_clip(thread)
    before = last_id(db_session)
    login(client, staff)

    response = forward(client, thread, message="Kan ni titta på hissen i morgon?")

    assert response.status_code == 303
    [mail] = new_messages(db_session, before)
    assert (mail.recipient, mail.purpose) == (CARETAKER, "thread-forward")
    assert mail.headers["Reply-To"] == staff.email
    text = mail.body_text
    assert "Anna Berg" in mail.subject
    assert "Kan ni titta på hissen i morgon?" in text
    assert "Hissen har stått still i två veckor." in text
    assert "Hissen gnisslar." in text  # the clip's transcript: words too
    assert "Zeynep Yılmaz" in text and "+46 70 123 45 67" in text
    assert "Ängsbacken / Ängsbacksvägen 3 / Trappuppgång B" in text
    assert LINK.search(text) and LINK.search(mail.body_html)
    [event] = events(db_session, thread)
    assert event.data == {
        "event": "forwarded",
        "to": CARETAKER,
        "words": True,
        "identity": True,
        "clip": True,
    }
    assert event.author_id == staff.id and event.body == "Kan ni titta på hissen i morgon?"


def test_without_consent_to_quote_the_words_stay_in_stoop(
    db_session, client, answered, staff, with_clip
):
    thread = answered(consent=Consent(identity=True, quote=False, show_clip=True))
    with_clip(thread)
    before = last_id(db_session)
    login(client, staff)

    forward(client, thread)

    [mail] = new_messages(db_session, before)
    for part in (mail.body_text, mail.body_html):
        assert "Hissen har stått still" not in part and "Hissen gnisslar" not in part
        assert "Hyresgästen tillät inte citat" in part  # the organisation's language
    assert "Zeynep Yılmaz" in mail.body_text and LINK.search(mail.body_text)
    # The caretaker is no colleague: no link into Stoop is offered to them.
    assert "Kolleger på Bostadsbolaget Ängsbacken kan läsa svaret i Stoop." in mail.body_text


def test_without_consent_to_identify_the_tenant_stays_anonymous(
    db_session, client, answered, staff, with_clip, tenant
):
    thread = answered(consent=Consent(identity=False, quote=True, show_clip=True))
    with_clip(thread)
    before = last_id(db_session)
    login(client, staff)

    forward(client, thread)

    [mail] = new_messages(db_session, before)
    for part in (mail.body_text, mail.body_html):
        assert "Zeynep" not in part and "70 123 45 67" not in part and tenant.email not in part
        assert "Hyresgästen tillät inte att namnet delas." in part
    assert "Hissen har stått still i två veckor." in mail.body_text


def test_without_consent_to_show_the_clip_there_is_no_link(
    db_session, client, answered, staff, with_clip
):
    thread = answered(consent=Consent(identity=True, quote=True, show_clip=False))
    with_clip(thread)
    before = last_id(db_session)
    login(client, staff)

    forward(client, thread)

    [mail] = new_messages(db_session, before)
    for part in (mail.body_text, mail.body_html):
        assert not LINK.search(part) and "/media/" not in part
        assert "som hyresgästen inte tillät att visas" in part
    assert events(db_session, thread)[0].data["clip"] is False


def test_a_colleague_gets_it_in_their_language_with_a_link_into_stoop(
    db_session, client, answered, staff, colleague
):
    thread = answered(consent=Consent())
    colleague.locale = "sv"
    db_session.commit()
    before = last_id(db_session)
    login(client, staff)

    forward(client, thread, address=colleague.email.upper())

    [mail] = new_messages(db_session, before)
    assert (mail.recipient, mail.language) == (colleague.email, "sv")
    assert f"/app/threads/{thread.id}" in mail.body_text


def test_the_same_forward_twice_is_one_e_mail(db_session, client, answered, staff):
    thread = answered()
    before = last_id(db_session)
    login(client, staff)

    first = forward(client, thread, next=f"/app/threads/{thread.id}/forward")
    second = forward(client, thread)

    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == f"/app/threads/{thread.id}/forward"
    assert len(new_messages(db_session, before)) == 1
    assert len(events(db_session, thread)) == 1
    page = client.get(f"/app/threads/{thread.id}/forward").get_data(as_text=True)
    assert "a moment ago; it was not sent again" in page


def test_the_thread_page_shows_who_forwarded_it_to_whom(db_session, client, answered, staff):
    thread = answered()
    login(client, staff)
    forward(client, thread, message="Kan ni titta på hissen?")

    page = client.get(f"/app/threads/{thread.id}").get_data(as_text=True)

    assert f"Forwarded to {CARETAKER} by Anna Berg" in page
    assert "Kan ni titta på hissen?" in page
    assert "Marked as replied" not in page


@pytest.mark.parametrize(
    ("given", "words"),
    [
        ({"address": ""}, "Write the e-mail address to forward it to."),
        ({"address": "vicevärd at fastighet"}, "is not a valid e-mail address"),
        ({"address": "a@" + "b" * 260 + ".se"}, "is not a valid e-mail address"),
        ({"address": CARETAKER, "message": "x" * 2001}, "under 2000 characters"),
    ],
)
def test_bad_forwards_are_refused_in_words_and_send_nothing(
    db_session, client, answered, staff, given, words
):
    thread = answered()
    before = last_id(db_session)
    login(client, staff)

    response = client.post(f"/app/threads/{thread.id}/forward", data=given)

    assert response.status_code == 422
    assert words in response.get_data(as_text=True).replace("&#34;", '"')
    assert new_messages(db_session, before) == [] and events(db_session, thread) == []


def test_forwarding_is_limited_per_person(db_session, client, answered, staff):
    thread = answered()
    login(client, staff)

    statuses = [
        forward(client, thread, address=f"entreprenor{n}@example.se").status_code for n in range(31)
    ]

    assert statuses == [303] * 30 + [429]
    assert len(events(db_session, thread)) == 30


# --- The forwarded clip's link ------------------------------------------------------------------


def forwarded_link(db_session: Any, client: Any, thread: Thread, before: int) -> str:
    forward(client, thread)
    [mail] = new_messages(db_session, before)
    return LINK.search(mail.body_text).group(0).removeprefix("http://127.0.0.1:5000")


def test_the_clip_link_plays_without_a_login(app, db_session, client, answered, staff, with_clip):
    thread = answered()
    with_clip(thread)
    before = last_id(db_session)
    login(client, staff)
    path = forwarded_link(db_session, client, thread, before)
    client.post("/logout")

    response = app.test_client().get(path)

    assert response.status_code == 200
    assert response.mimetype == "video/mp4"
    assert response.data.startswith(b"\x00\x00\x00\x18ftyp")
    assert response.headers["Referrer-Policy"] == "no-referrer"
    ranged = app.test_client().get(path, headers={"Range": "bytes=4-7"})
    assert (ranged.status_code, ranged.data) == (206, b"ftyp")


def test_the_clip_link_closes_when_consent_is_withdrawn(
    app, db_session, client, answered, staff, with_clip
):
    thread = answered()
    with_clip(thread)
    before = last_id(db_session)
    login(client, staff)
    path = forwarded_link(db_session, client, thread, before)

    db_session.execute(
        sa.update(Answer).where(Answer.id == thread.answer_id).values(consent_show_clip=False)
    )
    db_session.commit()

    response = app.test_client().get(path)
    assert response.status_code == 404
    assert "does not lead to a recording" in response.get_data(as_text=True)


def test_the_clip_link_expires_after_fourteen_days(
    app, db_session, client, answered, staff, with_clip
):
    thread = answered()
    with_clip(thread)
    before = last_id(db_session)
    login(client, staff)
    forwarded_link(db_session, client, thread, before)
    [event] = events(db_session, thread)

    class FifteenDaysAgo(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - 15 * 24 * 3600

    old = URLSafeTimedSerializer(
        current_app.config["SECRET_KEY"], salt=forwarding.CLIP_SALT, signer=FifteenDaysAgo
    )
    response = app.test_client().get(f"/clips/{old.dumps([event.id])}")

    assert response.status_code == 410
    assert "This link has expired" in response.get_data(as_text=True)


@pytest.mark.parametrize("token", ["x" * 30, "short", "a" * 300])
def test_a_made_up_clip_link_is_not_found(app, db_session, token):
    assert app.test_client().get(f"/clips/{token}").status_code == 404


def test_a_tampered_clip_link_is_not_found(app, db_session, client, answered, staff, with_clip):
    thread = answered()
    with_clip(thread)
    before = last_id(db_session)
    login(client, staff)
    path = forwarded_link(db_session, client, thread, before)
    payload, _, signature = path.removeprefix("/clips/").partition(".")
    forged = URLSafeTimedSerializer("another-secret-key", salt=forwarding.CLIP_SALT).dumps([1])

    assert app.test_client().get(f"/clips/{payload}.x{signature}").status_code == 404
    assert app.test_client().get(f"/clips/{forged}").status_code == 404


# --- The thread page's partial ------------------------------------------------------------------


def render_actions(app: Any, user: Any, thread: Thread) -> str:
    """``threads/_actions.html`` as the thread page includes it, for ``user``."""
    from flask import render_template_string
    from flask_login import login_user

    with app.test_request_context(f"/app/threads/{thread.id}"):
        login_user(user)
        with scoped_to(db.session(), user.organisation_id):
            thread = db.session().get(Thread, thread.id)
            return render_template_string('{% include "threads/_actions.html" %}', thread=thread)


def test_the_thread_page_partial_offers_both_forms_to_the_owner(
    app, db_session, answered, staff, colleague
):
    thread = answered(consent=Consent(identity=True))

    html = render_actions(app, staff, thread)

    assert f'action="/app/threads/{thread.id}/hand-over"' in html
    assert f'action="/app/threads/{thread.id}/forward"' in html
    assert f'name="next" value="/app/threads/{thread.id}"' in html
    assert f'<option value="{colleague.id}">Bengt Lind</option>' in html
    assert "Not their words: the tenant did not allow quoting" in html
    assert "Their name and contact details" in html


def test_the_partial_tells_a_colleague_who_may_not_hand_over(app, db_session, answered, colleague):
    thread = answered()

    html = render_actions(app, colleague, thread)

    assert f'action="/app/threads/{thread.id}/hand-over"' not in html
    assert "Only the owner of this conversation or an admin can hand it over." in html
    assert f'action="/app/threads/{thread.id}/forward"' in html
