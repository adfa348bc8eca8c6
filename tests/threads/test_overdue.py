"""Conversations without a reply: the organisation's limit on the settings page, the admins'
overdue list, and the bulk reassignment (one e-mail per new owner; another organisation's
threads refused without effect; staff kept out)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa

from panel.core.db import utcnow
from panel.core.scoping import scoped_to
from panel.organisations.models import Organisation
from panel.threads import service
from panel.threads.models import Comment, CommentKind, Thread
from tests.factories import OrganisationFactory, UserFactory, login
from tests.threads.conftest import outbox


def waiting(session: Any, thread: Thread, days: float) -> Thread:
    """Make the tenant of ``thread`` wait ``days`` days already."""
    session.execute(
        sa.update(Thread)
        .where(Thread.id == thread.id)
        .values(waiting_since=utcnow() - dt.timedelta(days=days))
    )
    session.commit()
    session.refresh(thread)
    return thread


def last_id(session: Any) -> int:
    rows = outbox(session)
    return rows[-1].id if rows else 0


@pytest.fixture
def three(db_session, answered):
    """Threads waiting 10, 4 and 1 days (the first two overdue with the default 3 days)."""
    return [
        waiting(db_session, answered(text="Hissen står still."), 10),
        waiting(db_session, answered(text="Det luktar rök i trapphuset."), 4),
        waiting(db_session, answered(text="Tack för den nya porten."), 1),
    ]


# --- The limit ----------------------------------------------------------------------------------


def test_an_admin_sets_the_limit_on_the_settings_page(db_session, client, admin, organisation):
    login(client, admin)
    page = client.get("/app/settings").get_data(as_text=True)
    assert 'id="reply_overdue_days"' in page and 'value="3"' in page

    response = client.post("/app/settings/reply-overdue", data={"reply_overdue_days": "5"})

    assert response.status_code == 303
    assert response.headers["Location"].endswith("/app/settings#reply-overdue")
    db_session.refresh(organisation)
    assert organisation.settings["reply_overdue_days"] == 5
    assert 'value="5"' in client.get("/app/settings").get_data(as_text=True)


@pytest.mark.parametrize("given", ["0", "61", "abc", "", "3.5", "-2", "٣", "9" * 30])
def test_a_limit_out_of_range_is_refused_beside_the_field(
    db_session, client, admin, organisation, given
):
    login(client, admin)

    response = client.post("/app/settings/reply-overdue", data={"reply_overdue_days": given})

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Write a whole number of days from 1 to 60." in page
    assert 'id="reply_overdue_days-error"' in page and 'aria-invalid="true"' in page
    assert 'id="fatigue"' in page  # the whole settings page, not an error page
    db_session.refresh(organisation)
    assert "reply_overdue_days" not in (organisation.settings or {})


def test_staff_cannot_change_the_limit(db_session, client, staff, organisation):
    login(client, staff)

    response = client.post("/app/settings/reply-overdue", data={"reply_overdue_days": "7"})

    assert response.status_code == 403
    db_session.refresh(organisation)
    assert "reply_overdue_days" not in (organisation.settings or {})


# --- The list -----------------------------------------------------------------------------------


def test_the_overdue_list_shows_the_longest_waiting_first(db_session, client, admin, staff, three):
    login(client, admin)

    response = client.get("/app/inbox/overdue")

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "2 conversations have waited more than 3 days for a reply." in page
    assert page.index("Hissen står still.") < page.index("Det luktar rök i trapphuset.")
    assert "Tack för den nya porten." not in page
    assert "10 days" in page and "4 days" in page
    assert staff.display_name in page


def test_the_limit_decides_what_is_overdue(db_session, client, admin, organisation, three):
    organisation.settings = {"reply_overdue_days": 7}
    db_session.commit()
    login(client, admin)

    page = client.get("/app/inbox/overdue").get_data(as_text=True)

    assert "1 conversation has waited more than 7 days for a reply." in page
    assert "Det luktar rök i trapphuset." not in page


def test_a_replied_thread_is_not_overdue(db_session, client, admin, staff, organisation, three):
    with scoped_to(db_session, organisation.id):
        service.reply(db_session, three[0], staff, "Tack, vi har ringt hisservice.")
        db_session.commit()
    login(client, admin)

    page = client.get("/app/inbox/overdue").get_data(as_text=True)

    assert "Hissen står still." not in page and "Det luktar rök i trapphuset." in page


def test_staff_do_not_see_the_overdue_list(db_session, client, staff, three):
    login(client, staff)

    assert client.get("/app/inbox/overdue").status_code == 403
    response = client.post(
        "/app/inbox/overdue/reassign", data={"thread": [three[0].id], "colleague": staff.id}
    )
    assert response.status_code == 403


def test_the_count_is_there_for_admins_only(app, db_session, admin, staff, three):
    from panel.threads.team_views import overdue_count

    for user, expected in ((admin, 2), (staff, None)):
        with app.test_request_context("/app/inbox"):
            from flask_login import login_user

            login_user(user)
            with scoped_to(db_session, user.organisation_id):
                assert overdue_count() == expected


# --- Bulk reassignment --------------------------------------------------------------------------


def test_bulk_reassign_hands_each_over_and_tells_the_new_owner_once(
    db_session, client, admin, staff, colleague, organisation, three
):
    UserFactory(organisation=organisation, email="carl@example.se")  # a bystander
    before = last_id(db_session)
    login(client, admin)

    response = client.post(
        "/app/inbox/overdue/reassign",
        data={"thread": [three[0].id, three[1].id], "colleague": colleague.id},
    )

    assert response.status_code == 303
    assert response.headers["Location"].endswith("/app/inbox/overdue")
    for thread in three[:2]:
        db_session.refresh(thread)
        assert thread.owner_id == colleague.id
        [event] = db_session.scalars(
            sa.select(Comment).where(
                Comment.thread_id == thread.id, Comment.kind == CommentKind.EVENT.value
            )
        ).all()
        assert event.data == {"event": "handed_over", "from": staff.id, "to": colleague.id}
        assert event.body == "Reassigned: no reply for 3 days" and event.author_id == admin.id
    db_session.refresh(three[2])
    assert three[2].owner_id == staff.id
    [mail] = [m for m in outbox(db_session) if m.id > before]
    assert mail.recipient == colleague.email and mail.purpose == "thread-notice"
    assert "2 conversations" in mail.subject
    assert "Hissen står still." in mail.body_text
    assert "Det luktar rök i trapphuset." in mail.body_text
    assert f"/app/threads/{three[0].id}" in mail.body_text
    page = client.get("/app/inbox/overdue").get_data(as_text=True)
    assert "Reassigned 2 to Bengt Lind." in page


def test_bulk_reassign_leaves_alone_what_is_theirs_or_answered_meanwhile(
    db_session, client, admin, staff, colleague, organisation, three
):
    with scoped_to(db_session, organisation.id):
        service.hand_over(db_session, three[0], staff, colleague, notify=False)
        service.reply(db_session, three[1], staff, "Vi kollar det.")
        db_session.commit()
    before = last_id(db_session)
    login(client, admin)

    response = client.post(
        "/app/inbox/overdue/reassign",
        data={"thread": [three[0].id, three[1].id], "colleague": colleague.id},
        follow_redirects=True,
    )

    assert "1 already theirs, 1 answered meanwhile" in response.get_data(as_text=True)
    db_session.refresh(three[1])
    assert three[1].owner_id == staff.id
    assert [m for m in outbox(db_session) if m.id > before] == []


def test_another_organisations_thread_in_the_form_refuses_it_all(
    db_session, client, admin, staff, colleague, three
):
    other = OrganisationFactory()
    outsider = UserFactory(organisation=other)
    theirs = _thread_of_another_organisation(db_session, other, outsider)
    before = last_id(db_session)
    login(client, admin)

    response = client.post(
        "/app/inbox/overdue/reassign",
        data={"thread": [three[0].id, theirs], "colleague": colleague.id},
    )

    assert response.status_code == 404
    assert "Nothing was reassigned" in response.get_data(as_text=True)
    db_session.refresh(three[0])
    with scoped_to(db_session, other.id):
        assert db_session.get(Thread, theirs).owner_id == outsider.id
    assert three[0].owner_id == staff.id
    assert [m for m in outbox(db_session) if m.id > before] == []


def _thread_of_another_organisation(session: Any, organisation: Organisation, owner: Any) -> int:
    """The id of a thread of ``organisation`` waiting a month (the session is scoped to A)."""
    from panel.answers.models import Answer
    from panel.threads.service import new_token
    from tests.questions.conftest import make_question

    with scoped_to(session, organisation.id):
        question = make_question(owner, title="Annan fråga")
        now = utcnow()
        answer = Answer(
            organisation_id=organisation.id,
            question_id=question.id,
            channel="web",
            language="sv",
            text="ORGB",
            me_token=new_token(),
            created_at=now,
        )
        session.add(answer)
        session.flush()
        thread = Thread(
            organisation_id=organisation.id,
            answer_id=answer.id,
            owner_id=owner.id,
            token=new_token(),
            question_id=question.id,
            channel="web",
            created_at=now,
            last_activity_at=now,
            waiting_since=now - dt.timedelta(days=30),
        )
        session.add(thread)
        session.commit()
        return thread.id


@pytest.mark.parametrize(
    ("given", "status", "words"),
    [
        ({"colleague": "COLLEAGUE"}, 422, "Tick the conversations to reassign first."),
        ({"thread": ["abc"], "colleague": "COLLEAGUE"}, 422, "was not understood"),
        ({"thread": ["0"], "colleague": "COLLEAGUE"}, 422, "was not understood"),
        ({"thread": ["9" * 20], "colleague": "COLLEAGUE"}, 422, "was not understood"),
        ({"thread": ["FIRST"], "colleague": ""}, 422, "Choose the colleague to hand it to."),
        ({"thread": ["FIRST"], "colleague": "abc"}, 422, "There is no active colleague"),
        ({"thread": ["FIRST"], "colleague": "STRANGER"}, 422, "There is no active colleague"),
        ({"thread": ["2000000000"], "colleague": "COLLEAGUE"}, 404, "Nothing was reassigned"),
        ({"thread": [str(n) for n in range(1, 202)], "colleague": "COLLEAGUE"}, 422, "at most 200"),
    ],
)
def test_bad_bulk_input_is_refused_in_words_and_changes_nothing(
    db_session, client, admin, staff, colleague, three, given, status, words
):
    stranger = UserFactory(organisation=OrganisationFactory())
    names = {"COLLEAGUE": str(colleague.id), "STRANGER": str(stranger.id)}
    data = {
        "thread": [str(three[0].id) if t == "FIRST" else t for t in given.get("thread", [])],
        "colleague": names.get(given["colleague"], given["colleague"]),
    }
    before = last_id(db_session)
    login(client, admin)

    response = client.post("/app/inbox/overdue/reassign", data=data)

    assert response.status_code == status
    assert words in response.get_data(as_text=True)
    db_session.refresh(three[0])
    assert three[0].owner_id == staff.id
    assert [m for m in outbox(db_session) if m.id > before] == []


def test_with_nothing_overdue_the_page_says_so(db_session, client, admin, answered):
    answered()  # waiting, but not for long
    login(client, admin)

    page = client.get("/app/inbox/overdue").get_data(as_text=True)

    assert "Nobody is waiting too long" in page
    assert "No tenant has waited more than 3 days for a reply." in page
    assert 'id="overdue-banner"' not in page


def test_the_inbox_links_to_the_list_by_its_endpoint(app):
    with app.test_request_context():
        from flask import url_for

        assert url_for("thread_team.overdue") == "/app/inbox/overdue"


def test_the_inbox_tells_admins_how_many_wait_too_long(
    app, db_session, client, admin, staff, three
):
    login(client, admin)
    page = client.get("/app/inbox").get_data(as_text=True)
    assert "2 conversations have waited too long for a reply." in page
    assert 'href="/app/inbox/overdue"' in page

    as_staff = app.test_client()
    login(as_staff, staff)
    assert "waited too long" not in as_staff.get("/app/inbox").get_data(as_text=True)
