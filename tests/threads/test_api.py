"""``/api/v1/threads``: latest activity first, a cursor walk that neither repeats nor skips
threads of the same moment, every filter and the search; one thread with who answered only
when the tenant allowed it; replies, notes, hand-overs and status changes as the app makes
them; another organisation's threads, colleagues and clips out of reach."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa

from media.models import MediaStatus
from panel.answers.service import Consent
from panel.core.db import utcnow
from panel.core.scoping import scoped_to
from panel.threads import service
from panel.threads.models import Comment, Thread
from panel.threads.service import MAX_BODY
from tests.factories import OrganisationFactory, UserFactory, api_headers
from tests.questions.conftest import make_media
from tests.threads.conftest import outbox

API = "/api/v1/threads/"


@pytest.fixture
def headers(staff):
    return api_headers(staff)


def _set(session, thread: Thread, **values: Any) -> None:
    """Change a thread's columns as stored (the API's requests read them afresh)."""
    session.execute(
        sa.update(Thread)
        .where(Thread.id == thread.id)
        .values(**values)
        .execution_options(all_organisations=True)
    )
    session.commit()


def _error(response, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.get_json()
    error = response.get_json()["error"]
    assert isinstance(error["message"], str) and error["message"]
    if code is not None:
        assert error["code"] == code, error
    return error


def _walk(client, headers, **query: Any) -> list[int]:
    seen, after = [], None
    while True:
        params = query | ({"after": after} if after else {})
        response = client.get(API, query_string=params, headers=headers)
        assert response.status_code == 200, response.get_json()
        page = response.get_json()
        seen += [item["id"] for item in page["items"]]
        after = page["next"]
        if after is None:
            return seen


def test_the_list_walks_latest_activity_first_through_threads_of_one_moment(
    client, db_session, answered, headers
):
    threads = [answered(text=f"Svar {n}") for n in range(7)]
    moment = utcnow().replace(microsecond=0) - dt.timedelta(hours=1)
    # Three share a moment; one is older; the rest are newer, one of them the newest.
    for thread in threads[:3]:
        _set(db_session, thread, last_activity_at=moment)
    _set(db_session, threads[3], last_activity_at=moment - dt.timedelta(days=2))
    _set(db_session, threads[4], last_activity_at=moment + dt.timedelta(minutes=5))
    _set(db_session, threads[5], last_activity_at=moment + dt.timedelta(microseconds=1))
    _set(db_session, threads[6], last_activity_at=moment + dt.timedelta(days=1))

    seen = _walk(client, headers, limit=2)

    expected = [6, 4, 5, 2, 1, 0, 3]
    assert seen == [threads[i].id for i in expected]
    assert _walk(client, headers, limit=500) == seen


def test_a_cursor_is_opaque_but_any_of_its_form_is_a_place_in_the_walk(client, answered, headers):
    thread = answered()
    page = client.get(API, query_string={"after": "a1." + "f" * 16 + ".1"}, headers=headers)
    assert [item["id"] for item in page.get_json()["items"]] == [thread.id]
    page = client.get(API, query_string={"after": "a1.0.0"}, headers=headers)
    assert page.get_json() == {"items": [], "next": None}
    for bad in ("k1.10", "a1.xyz.1", "a1.1"):
        response = client.get(API, query_string={"after": bad}, headers=headers)
        _error(response, 422)


def test_every_filter_narrows_the_list(
    client, db_session, answered, headers, staff, colleague, stairwell, touchpoint_factory
):
    from panel.places.service import ensure_path

    with scoped_to(db_session, staff.organisation_id):
        other_building, _ = ensure_path(db_session, ["Ängsbacken", "Ängsbacksvägen 9"])
        db_session.commit()
    touchpoint = touchpoint_factory()
    hiss = answered(text="Hissen har stått still i två veckor.")
    tvatt = answered(channel="sms", text="Tvättstugan är alltid full på söndagar.")
    trapp = answered(text="Trapphuset är smutsigt och lampan är trasig.")
    old = utcnow() - dt.timedelta(days=40)
    _set(db_session, hiss, place_id=stairwell.id, has_video=True, touchpoint_id=touchpoint.id)
    _set(db_session, tvatt, place_id=other_building.id, owner_id=colleague.id, status="closed")
    _set(db_session, trapp, last_activity_at=old, place_id=None)
    with scoped_to(db_session, staff.organisation_id):
        service.mark_read(db_session, db_session.get(Thread, trapp.id), staff, utcnow())
        db_session.commit()

    def ids(**query: Any) -> set[int]:
        return set(_walk(client, headers, **query))

    assert ids() == {hiss.id, tvatt.id, trapp.id}
    assert ids(status="closed") == {tvatt.id}
    assert ids(status="open") == {hiss.id, trapp.id}
    assert ids(owner_id=colleague.id) == {tvatt.id}
    assert ids(mine="true") == {hiss.id, trapp.id}
    assert ids(mine="true", owner_id=colleague.id) == set()
    assert ids(mine="false") == {hiss.id, tvatt.id, trapp.id}
    assert ids(question_id=hiss.question_id) == {hiss.id, tvatt.id, trapp.id}
    assert ids(question_id=hiss.question_id + 1000) == set()
    assert ids(touchpoint_id=touchpoint.id) == {hiss.id}
    assert ids(channel="sms") == {tvatt.id}
    assert ids(place_id=stairwell.area_id) == {hiss.id, tvatt.id}
    assert ids(place_id=stairwell.building_id) == {hiss.id}
    assert ids(place_id=stairwell.id) == {hiss.id}
    assert ids(has_video="true") == {hiss.id}
    assert ids(has_video="false") == {tvatt.id, trapp.id}
    assert ids(unread="false") == {trapp.id}
    assert ids(unread="true") == {hiss.id, tvatt.id}
    week_ago = (utcnow() - dt.timedelta(days=7)).date().isoformat()
    assert ids(since=week_ago) == {hiss.id, tvatt.id}
    assert ids(until=(old + dt.timedelta(days=1)).date().isoformat()) == {trapp.id}
    assert ids(until=old.date().isoformat()) == {trapp.id}
    assert ids(since=dt.date.max.isoformat()) == set()
    assert ids(until=dt.date.max.isoformat()) == {hiss.id, tvatt.id, trapp.id}
    bad_queries = (
        {"status": "waiting"},
        {"channel": "fax"},
        {"has_video": "yes"},
        {"mine": "1"},
        {"since": "igår"},
        {"place_id": "-1"},
        {"owner_id": "٣"},
        {"q": "x" * 201},
        {"limit": "0"},
    )
    for bad in bad_queries:
        _error(client.get(API, query_string=bad, headers=headers), 422)


def test_search_finds_words_in_answers_and_comments(client, db_session, answered, headers, staff):
    hiss = answered(text="Hissen har stått still i två veckor.")
    tvatt = answered(text="Tvättstugan är alltid full på söndagar.")
    with scoped_to(db_session, staff.organisation_id):
        service.note(db_session, db_session.get(Thread, tvatt.id), staff, "Bokningstavlan saknas")
        db_session.commit()

    def found(q: str) -> set[int]:
        return set(_walk(client, headers, q=q))

    assert found("hissen") == {hiss.id}
    assert found("Tvättstugan") == {tvatt.id}
    assert found("bokningstavlan") == {tvatt.id}  # a note's words
    assert found("hissen tvättstugan") == set()  # every word
    assert found("söndagar") == {tvatt.id}
    assert found("cykelrummet") == set()
    assert found("!!! ...") == {hiss.id, tvatt.id}  # nothing to search for: no filter
    if db_session.get_bind().dialect.name == "postgresql":
        assert found("hiss") == {hiss.id}  # Swedish stemming: hissen → hiss
        assert found("hissen or söndag") == {hiss.id, tvatt.id}


def test_one_thread_shows_who_answered_only_with_their_consent(
    client, db_session, answered, headers, staff, tenant
):
    shown = answered(consent=Consent(identity=True))
    hidden = answered(consent=Consent())

    body = client.get(f"{API}{shown.id}", headers=headers).get_json()
    assert body["respondent_name"] == "Zeynep Yılmaz"
    assert body["answer"]["respondent"]["email"] == tenant.email
    assert body["owner"] == {"id": staff.id, "name": staff.display_name}
    assert body["status"] == "open" and body["waiting_since"] is not None
    assert body["unread"] is True and body["reply_channel"] == "email"
    assert body["answer"]["text"] == "Hissen har stått still i två veckor."
    assert body["comments"] == []

    private = client.get(f"{API}{hidden.id}", headers=headers)
    text = private.get_data(as_text=True)
    assert private.status_code == 200
    assert private.get_json()["respondent_name"] is None
    assert private.get_json()["answer"]["respondent"] is None
    for personal in ("Zeynep", "Yılmaz", tenant.email, tenant.phone):
        assert personal not in text
    listed = {item["id"]: item for item in client.get(API, headers=headers).get_json()["items"]}
    assert listed[shown.id]["respondent_name"] == "Zeynep Yılmaz"
    assert listed[hidden.id]["respondent_name"] is None
    assert "Yılmaz" not in str(listed[hidden.id])


def test_a_reply_goes_to_the_tenant_over_the_channel_they_answered_by(
    client, db_session, answered, headers, staff, tenant
):
    thread = answered(channel="sms")

    response = client.post(
        f"{API}{thread.id}/comments",
        json={"kind": "reply", "body": "Tack! En tekniker kommer i morgon."},
        headers=headers,
    )

    assert response.status_code == 201, response.get_json()
    comment = response.get_json()
    [sms] = outbox(db_session, purpose="thread-reply")
    assert (sms.channel, sms.recipient) == ("sms", tenant.phone)
    assert "En tekniker kommer i morgon." in sms.body_text
    assert comment["kind"] == "reply" and comment["channel"] == "sms"
    assert comment["author"] == {"id": staff.id, "name": staff.display_name}
    assert comment["delivery"]["channel"] == "sms"
    assert comment["delivery"]["state"] in ("queued", "claimed", "sending", "sent")
    detail = client.get(f"{API}{thread.id}", headers=headers).get_json()
    assert detail["status"] == "replied" and detail["waiting_since"] is None
    assert [c["id"] for c in detail["comments"]] == [comment["id"]]
    assert detail["unread"] is False  # replying is reading


def test_a_reply_may_send_a_clip_without_words(client, db_session, answered, headers, staff):
    thread = answered(channel="email")
    clip = make_media(staff.organisation_id)

    response = client.post(
        f"{API}{thread.id}/comments",
        json={"kind": "reply", "media_id": clip.id},
        headers=headers,
    )

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["clip"]["id"] == clip.id and body["clip"]["status"] == "ready"
    assert body["clip"]["urls"]["mp4"].startswith("http")
    [mail] = outbox(db_session, purpose="thread-reply")
    assert mail.channel == "email"


def test_a_note_tells_the_colleague_it_mentions_and_nobody_else(
    client, db_session, answered, headers, staff, colleague, organisation
):
    thread = answered()
    UserFactory(organisation=organisation, email="carl@example.se")
    before = {m.id for m in outbox(db_session, purpose="thread-notice")}

    response = client.post(
        f"{API}{thread.id}/comments",
        json={"kind": "note", "body": "@bengt.lind kan du titta på hissen?"},
        headers=headers,
    )

    assert response.status_code == 201, response.get_json()
    assert response.get_json()["mentions"] == [colleague.id]
    new = [m for m in outbox(db_session, purpose="thread-notice") if m.id not in before]
    assert [m.recipient for m in new] == [colleague.email]
    assert not outbox(db_session, purpose="thread-reply")  # the tenant hears nothing


def test_assign_hands_the_thread_over_with_notice_and_history(
    client, db_session, answered, headers, staff, colleague
):
    thread = answered()

    response = client.post(
        f"{API}{thread.id}/assign",
        json={"user_id": colleague.id, "reason": "Du har hand om hissarna."},
        headers=headers,
    )

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["owner_id"] == colleague.id and body["owner"]["name"] == "Bengt Lind"
    [event] = body["comments"]
    assert event["kind"] == "event" and event["body"] == "Du har hand om hissarna."
    assert event["event"] == {
        "type": "handed_over",
        "from_user_id": staff.id,
        "to_user_id": colleague.id,
    }
    notices = [m for m in outbox(db_session, purpose="thread-notice") if "hissarna" in m.body_text]
    assert [m.recipient for m in notices] == [colleague.email]
    again = client.post(f"{API}{thread.id}/assign", json={"user_id": colleague.id}, headers=headers)
    _error(again, 409, "already_owner")


def test_closing_and_reopening_is_kept_in_the_history(client, answered, headers):
    thread = answered()

    closed = client.patch(f"{API}{thread.id}", json={"status": "closed"}, headers=headers)
    same = client.patch(f"{API}{thread.id}", json={"status": "closed"}, headers=headers)
    reopened = client.patch(f"{API}{thread.id}", json={"status": "open"}, headers=headers)

    assert closed.get_json()["status"] == "closed" and closed.get_json()["waiting_since"] is None
    assert len(same.get_json()["comments"]) == 1
    body = reopened.get_json()
    assert body["status"] == "open" and body["waiting_since"] is not None
    assert [c["event"]["to_status"] for c in body["comments"]] == ["closed", "open"]
    _error(client.patch(f"{API}{thread.id}", json={"status": "replied"}, headers=headers), 422)


def test_comments_list_oldest_first_a_page_at_a_time(client, db_session, answered, headers, staff):
    thread = answered()
    with scoped_to(db_session, staff.organisation_id):
        row = db_session.get(Thread, thread.id)
        made = [service.note(db_session, row, staff, f"Anteckning {n}").id for n in range(5)]
        db_session.commit()

    seen, after = [], None
    while True:
        query = {"limit": 2} | ({"after": after} if after else {})
        page = client.get(f"{API}{thread.id}/comments", query_string=query, headers=headers)
        assert page.status_code == 200, page.get_json()
        seen += [c["id"] for c in page.get_json()["items"]]
        after = page.get_json()["next"]
        if after is None:
            break
    assert seen == made


def test_bad_comments_are_refused_in_words(client, db_session, answered, headers, staff):
    thread = answered()
    url = f"{API}{thread.id}/comments"
    pending = make_media(staff.organisation_id, status=MediaStatus.PROCESSING)
    tenants = make_media(staff.organisation_id, purpose="answer")
    picture = make_media(staff.organisation_id, kind="picture", content_type="image/jpeg")
    other = OrganisationFactory()
    with scoped_to(db_session, other.id):
        foreign = make_media(other.id)
    refused = [
        ({"kind": "reply", "body": "   "}, 422, "invalid"),
        ({"kind": "reply", "body": "x" * (MAX_BODY + 1)}, 422, "invalid"),
        ({"kind": "reply"}, 422, "invalid"),
        ({"kind": "follow_up", "body": "Hej"}, 422, "invalid"),
        ({"kind": "shout", "body": "Hej"}, 422, "invalid"),
        ({"body": "Hej"}, 422, "invalid"),
        ({"kind": "note", "body": "Hej", "media_id": pending.id}, 422, "invalid"),
        ({"kind": "reply", "body": "Hej", "media_id": 0}, 422, "invalid"),
        ({"kind": "reply", "media_id": pending.id}, 409, "media_not_ready"),
        ({"kind": "reply", "media_id": tenants.id}, 409, "media_not_allowed"),
        ({"kind": "reply", "media_id": picture.id}, 409, "media_not_a_clip"),
        ({"kind": "reply", "media_id": foreign.id}, 409, "media_not_found"),
        ({"kind": "reply", "media_id": 2_000_000_000}, 409, "media_not_found"),
    ]
    for body, status, code in refused:
        error = _error(client.post(url, json=body, headers=headers), status, code)
        assert error.get("details"), (body, error)
    _error(client.post(url, data="kind=reply", headers=headers), 400)
    db_session.expire_all()
    assert db_session.scalar(sa.select(sa.func.count(Comment.id))) == 0
    assert not outbox(db_session, purpose="thread-reply")


def test_another_organisations_threads_and_colleagues_are_out_of_reach(
    client, db_session, answered, headers, staff
):
    mine = answered()
    other = OrganisationFactory(name="Grannbolaget")
    stranger = UserFactory(organisation=other, email="stranger@example.org")
    theirs = _foreign_thread(db_session, other, stranger)
    calls = [
        ("GET", f"{API}{theirs}", None),
        ("PATCH", f"{API}{theirs}", {"status": "closed"}),
        ("GET", f"{API}{theirs}/comments", None),
        ("POST", f"{API}{theirs}/comments", {"kind": "note", "body": "Hej"}),
        ("POST", f"{API}{theirs}/assign", {"user_id": staff.id}),
    ]
    for method, url, body in calls:
        _error(client.open(url, method=method, json=body, headers=headers), 404, "not_found")
    assert theirs not in _walk(client, headers)
    assert _walk(client, headers, owner_id=stranger.id) == []

    handed = client.post(f"{API}{mine.id}/assign", json={"user_id": stranger.id}, headers=headers)
    _error(handed, 409, "user_not_found")
    inactive = UserFactory(organisation=staff.organisation, is_active=False)
    handed = client.post(f"{API}{mine.id}/assign", json={"user_id": inactive.id}, headers=headers)
    _error(handed, 409, "user_not_found")
    db_session.expire_all()
    assert db_session.get(Thread, mine.id).owner_id == staff.id


def _foreign_thread(session, organisation, owner) -> int:
    """A thread of another organisation, opened by an answer as any other."""
    from panel.answers.models import AnswerChannel
    from panel.answers.service import Given, record_answer
    from panel.questions.models import QuestionStatus
    from tests.questions.conftest import make_question

    with scoped_to(session, organisation.id):
        question = make_question(owner, title="Grannens fråga", status=QuestionStatus.LIVE)
        recorded = record_answer(
            session,
            question,
            Given(text="Hemligt svar"),
            channel=AnswerChannel.WEB,
            language="sv",
        )
        session.commit()
        return session.scalar(sa.select(Thread.id).where(Thread.answer_id == recorded.answer.id))


def test_errors_speak_the_language_asked_for(client, answered, headers, staff):
    thread = answered()
    pending = make_media(staff.organisation_id, status=MediaStatus.PROCESSING)
    body = {"kind": "reply", "media_id": pending.id}
    url = f"{API}{thread.id}/comments"

    english = _error(client.post(url, json=body, headers=headers), 409, "media_not_ready")
    swedish = client.post(url, json=body, headers=headers | {"Accept-Language": "sv"})
    dutch = client.post(url, json=body, headers=headers | {"Accept-Language": "nl"})

    assert english["message"].startswith("This clip is not ready yet")
    assert _error(swedish, 409, "media_not_ready")["message"].startswith("Klippet är inte klart")
    assert _error(dutch, 409, "media_not_ready")["message"].startswith("Deze clip is nog niet")
