"""The inbox, ``/app/inbox``: scopes (mine, my team, all), every filter, search on SQLite and
PostgreSQL, keyset pages that neither repeat nor lose a thread, the unread count in the menu,
and query parameters that cannot be used (left out, said so, never a 500)."""

from __future__ import annotations

import datetime as dt
import itertools
import re
import secrets
from typing import Any

import pytest

from panel.answers.models import Answer
from panel.core.db import utcnow
from panel.core.scoping import scoped_to
from panel.places.service import ensure_path
from panel.threads import inbox, service
from panel.threads.inbox_filters import Filters, decode_cursor, encode_cursor
from panel.threads.models import Thread
from tests.factories import OrganisationFactory, UserFactory, login
from tests.questions.conftest import make_question

NOW = utcnow()
_numbers = itertools.count(1)


@pytest.fixture
def make_thread(db_session, organisation, question, staff):
    """``make_thread(**values)`` → a thread (and its answer) stored directly, committed; the
    values are the thread's columns, plus ``text``, ``score``, ``choice``, ``clip_kind``,
    ``consent_identity`` and ``respondent_name`` for its answer."""

    def make(**values: Any) -> Thread:
        org_id = values.pop("organisation_id", organisation.id)
        answer_values = {
            name: values.pop(name)
            for name in ("text", "score", "choice", "clip_kind", "respondent_name")
            if name in values
        }
        answer_values.setdefault("text", "Hissen har stått still i två veckor.")
        identity = values.pop("consent_identity", False)
        when = values.pop("at", NOW - dt.timedelta(minutes=next(_numbers)))
        question_id = values.pop("question_id", question.id)
        answer = Answer(
            organisation_id=org_id,
            question_id=question_id,
            channel=values.get("channel", "web"),
            language=values.get("language", "sv"),
            place_id=values.get("place_id"),
            touchpoint_id=values.get("touchpoint_id"),
            consent_identity=identity,
            me_token=secrets.token_urlsafe(24),
            created_at=when,
            **answer_values,
        )
        db_session.add(answer)
        db_session.flush()
        thread = Thread(
            organisation_id=org_id,
            answer_id=answer.id,
            owner_id=values.pop("owner_id", staff.id),
            token=service.new_token(),
            question_id=question_id,
            channel=values.pop("channel", "web"),
            created_at=when,
            last_activity_at=values.pop("last_activity_at", when),
            waiting_since=values.pop("waiting_since", when),
            search_text=values.pop("search_text", answer_values.get("text") or ""),
            **values,
        )
        db_session.add(thread)
        db_session.flush()
        with scoped_to(db_session, org_id):
            service.reindex(db_session, [thread])
        db_session.commit()
        return thread

    return make


def shown(response) -> list[int]:
    """The ids of the threads a page lists, in order."""
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    return [
        int(n) for n in re.findall(r'href="/app/threads/(\d+)"', response.get_data(as_text=True))
    ]


def page_text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def staff_client(client, staff):
    login(client, staff)
    return client


# --- scopes ----------------------------------------------------------------------------------


def test_mine_shows_my_threads_newest_activity_first(staff_client, make_thread, colleague):
    older = make_thread(at=NOW - dt.timedelta(hours=3))
    newer = make_thread(at=NOW - dt.timedelta(hours=1))
    make_thread(owner_id=colleague.id)

    assert shown(staff_client.get("/app/inbox")) == [newer.id, older.id]


def test_my_team_shows_threads_owned_by_my_team(
    client, db_session, organisation, make_thread, staff, colleague
):
    staff.team = colleague.team = "Område Norr"
    outsider = UserFactory(organisation=organisation, team="Område Söder")
    db_session.commit()
    mine, theirs = make_thread(), make_thread(owner_id=colleague.id)
    make_thread(owner_id=outsider.id)
    make_thread(owner_id=None)
    login(client, staff)

    page = client.get("/app/inbox?scope=team")

    assert sorted(shown(page)) == sorted([mine.id, theirs.id])
    assert "Bengt Lind" in page_text(page)  # the owner is named in the team's list


def test_without_a_team_my_team_is_my_own_and_says_why(staff_client, make_thread, colleague):
    mine = make_thread()
    make_thread(owner_id=colleague.id)

    page = staff_client.get("/app/inbox?scope=team")

    assert shown(page) == [mine.id]
    assert "You are in no team" in page_text(page)
    assert "scope=team" not in page_text(page)  # no tab for a team one is not in


def test_all_is_for_admins_and_communicators_only(
    app, client, organisation, make_thread, staff, colleague
):
    theirs, mine = make_thread(owner_id=colleague.id), make_thread()
    login(client, staff)
    assert client.get("/app/inbox?scope=all").status_code == 404
    assert "scope=all" not in page_text(client.get("/app/inbox"))

    for user in (
        UserFactory(organisation=organisation, admin=True),
        UserFactory(organisation=organisation, communicator=True),
    ):
        other_client = app.test_client()
        login(other_client, user)
        assert shown(other_client.get("/app/inbox?scope=all")) == [theirs.id, mine.id]


def test_another_organisations_threads_never_appear(
    client, db_session, organisation, make_thread, staff
):
    other = OrganisationFactory(name="Grannbolaget")
    other_owner = UserFactory(organisation=other, admin=True)
    other_question = make_question(other_owner, title="Grannens fråga")
    theirs = make_thread(
        organisation_id=other.id, owner_id=other_owner.id, question_id=other_question.id
    )
    mine = make_thread()
    admin = UserFactory(organisation=organisation, admin=True)
    login(client, admin)

    assert shown(client.get("/app/inbox?scope=all")) == [mine.id]
    page = client.get(f"/app/inbox?scope=all&question={other_question.id}")
    assert shown(page) == []
    assert "Grannens fråga" not in page_text(page)
    assert theirs.id not in shown(client.get("/app/inbox?scope=all&q=Hissen"))


# --- filters ---------------------------------------------------------------------------------


@pytest.fixture
def places(scoped):
    """An area with a building and its stairwell, and another area."""
    stairwell, _ = ensure_path(scoped, ["Norrby", "Norrbyvägen 4", "Trapphus A"])
    other, _ = ensure_path(scoped, ["Söderby"])
    scoped.commit()
    return {
        "area": stairwell.area_id,
        "building": stairwell.building_id,
        "stairwell": stairwell.id,
        "other": other.id,
    }


def test_status_question_channel_and_video_filters(staff_client, make_thread, staff):
    other_question = make_question(staff, title="Hur fungerar tvättstugan?")
    replied = make_thread(status="replied", waiting_since=None)
    by_sms = make_thread(channel="sms")
    with_video = make_thread(has_video=True, clip_kind="video", text=None)
    about_laundry = make_thread(question_id=other_question.id)

    assert shown(staff_client.get("/app/inbox?status=replied")) == [replied.id]
    assert replied.id not in shown(staff_client.get("/app/inbox?status=open"))
    assert shown(staff_client.get("/app/inbox?channel=sms")) == [by_sms.id]
    assert shown(staff_client.get("/app/inbox?has_video=1")) == [with_video.id]
    page = staff_client.get(f"/app/inbox?question={other_question.id}")
    assert shown(page) == [about_laundry.id]
    assert "Hur fungerar tvättstugan?" in page_text(page)


def test_touchpoint_filter(staff_client, make_thread, touchpoint_factory):
    flyer = touchpoint_factory(name="Flygblad i tvättstugan")
    from_flyer = make_thread(touchpoint_id=flyer.id, channel="qr")
    make_thread()

    page = staff_client.get(f"/app/inbox?touchpoint={flyer.id}")

    assert shown(page) == [from_flyer.id]
    assert "Flygblad i tvättstugan" in page_text(page)  # a choice of the filter form


def test_a_place_takes_in_everything_below_it(staff_client, make_thread, places):
    in_stairwell = make_thread(place_id=places["stairwell"])
    in_building = make_thread(place_id=places["building"])
    elsewhere = make_thread(place_id=places["other"])
    make_thread(place_id=None)

    assert shown(staff_client.get(f"/app/inbox?place={places['area']}")) == [
        in_stairwell.id,
        in_building.id,
    ]
    assert shown(staff_client.get(f"/app/inbox?place={places['stairwell']}")) == [in_stairwell.id]
    page = staff_client.get(f"/app/inbox?place={places['other']}")
    assert shown(page) == [elsewhere.id]
    assert "Söderby" in page_text(page)


def test_dates_are_whole_days_of_last_activity(staff_client, make_thread):
    # Stockholm's days (the organisation's default time zone): 23:30 UTC is the next day there.
    late = make_thread(at=dt.datetime(2026, 3, 9, 23, 30, tzinfo=dt.UTC))  # 10 March
    early = make_thread(at=dt.datetime(2026, 3, 9, 12, 0, tzinfo=dt.UTC))  # 9 March
    make_thread(at=dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC))

    assert shown(staff_client.get("/app/inbox?since=2026-03-10")) != []
    assert late.id in shown(staff_client.get("/app/inbox?since=2026-03-10"))
    assert shown(staff_client.get("/app/inbox?since=2026-03-09&until=2026-03-09")) == [early.id]
    assert shown(staff_client.get("/app/inbox?since=2026-03-02&until=2026-03-10")) == [
        late.id,
        early.id,
    ]


def test_overdue_follows_the_organisations_setting(
    staff_client, db_session, organisation, make_thread
):
    waiting = make_thread(waiting_since=NOW - dt.timedelta(days=2), at=NOW)
    long_waiting = make_thread(waiting_since=NOW - dt.timedelta(days=4))
    make_thread(waiting_since=None, status="replied")

    page = staff_client.get("/app/inbox?overdue=1")
    assert shown(page) == [long_waiting.id]
    assert "waiting over 3 days" in page_text(page)

    organisation.settings = {"reply_overdue_days": 1}
    db_session.commit()
    page = staff_client.get("/app/inbox?overdue=1")
    assert shown(page) == [waiting.id, long_waiting.id]
    assert page_text(page).count('class="pill pill-overdue"') == 2


def test_unread_only(staff_client, db_session, organisation, make_thread, staff):
    seen = make_thread()
    unseen = make_thread()
    with scoped_to(db_session, organisation.id):
        service.mark_read(db_session, seen, staff)
        db_session.commit()

    assert shown(staff_client.get("/app/inbox?unread=1")) == [unseen.id]
    page = page_text(staff_client.get("/app/inbox"))
    assert page.count('class="inbox-row is-unread"') == 1


def test_filters_combine_and_are_kept_by_the_tabs_and_the_next_page(
    client, db_session, make_thread, staff, colleague, places
):
    staff.team = colleague.team = "Norr"
    db_session.commit()
    match = make_thread(owner_id=colleague.id, channel="sms", place_id=places["stairwell"])
    make_thread(owner_id=colleague.id, channel="web", place_id=places["stairwell"])
    make_thread(owner_id=colleague.id, channel="sms", place_id=places["other"])
    login(client, staff)

    query = f"scope=team&status=open&channel=sms&place={places['area']}"
    page = client.get(f"/app/inbox?{query}")

    assert shown(page) == [match.id]
    mine_tab = re.search(r'href="(/app/inbox\?scope=mine[^"]*)"', page_text(page)).group(1)
    assert "channel=sms" in mine_tab and f"place={places['area']}" in mine_tab
    assert shown(client.get(mine_tab.replace("&amp;", "&"))) == []


# --- what a row shows ---------------------------------------------------------------------------


def test_the_tenant_is_named_only_with_their_consent(staff_client, make_thread, tenant):
    make_thread(consent_identity=True, respondent_name="Zeynep Yılmaz")
    make_thread(consent_identity=False, respondent_name="Hemlig Person")

    page = page_text(staff_client.get("/app/inbox"))

    assert "Zeynep Yılmaz" in page
    assert "Hemlig Person" not in page
    assert "A tenant" in page


def test_a_row_says_what_the_answer_is(staff_client, make_thread):
    make_thread(text="Dörren till cykelrummet går trögt " * 10, score=4)
    make_thread(text=None, score=9)
    make_thread(text=None, choice="Sådär")
    make_thread(text=None, clip_kind="video", has_video=True)

    page = page_text(staff_client.get("/app/inbox"))

    assert "Dörren till cykelrummet går trögt" in page and "…" in page  # cut at a word
    assert "4/10" in page
    assert "Score 9/10" in page
    assert "Sådär" in page
    assert "Video answer" in page


# --- search ------------------------------------------------------------------------------------


def test_search_finds_words_of_the_answer_and_of_the_comments(
    staff_client, db_session, organisation, make_thread, staff, is_postgres
):
    lift = make_thread(text="Hissen har stått still i två veckor.")
    laundry = make_thread(text="Tvättstugan är alltid full på söndagar.")
    with scoped_to(db_session, organisation.id):
        service.note(db_session, laundry, staff, "Ringer fastighetsskötaren om bokningstavlan.")
        db_session.commit()

    assert shown(staff_client.get("/app/inbox?q=Hissen")) == [lift.id]
    assert shown(staff_client.get("/app/inbox?q=bokningstavlan")) == [laundry.id]
    assert shown(staff_client.get("/app/inbox?q=hissen+veckor")) == [lift.id]
    assert shown(staff_client.get("/app/inbox?q=hissen+söndagar")) == []
    if is_postgres:
        # Stemmed as Swedish: "hissarna" (the lifts) and "hiss" find "Hissen" (the lift).
        assert shown(staff_client.get("/app/inbox?q=hissarna")) == [lift.id]
        assert shown(staff_client.get("/app/inbox?q=veckorna")) == [lift.id]  # "veckor"
        # websearch syntax: an "or", a phrase, a word left out.
        either = shown(staff_client.get("/app/inbox?q=hissen or tvättstugan"))
        assert either == [laundry.id, lift.id]  # the note made the laundry's the newest
        assert shown(staff_client.get('/app/inbox?q="stått still"')) == [lift.id]
        assert shown(staff_client.get("/app/inbox?q=-hissen")) == [laundry.id]
    else:
        assert shown(staff_client.get("/app/inbox?q=HISSEN")) == [lift.id]  # ASCII case folded
    assert shown(staff_client.get("/app/inbox?q=Tvättstugan")) == [laundry.id]


def test_search_in_the_threads_own_language(staff_client, make_thread, is_postgres):
    dutch = make_thread(language="nl", text="De lift is al twee weken kapot.")
    english = make_thread(language="en", text="The elevators have been broken for weeks.")

    assert shown(staff_client.get("/app/inbox?q=lift")) == [dutch.id]
    if is_postgres:
        assert shown(staff_client.get("/app/inbox?q=liften")) == [dutch.id]  # Dutch plural
        assert shown(staff_client.get("/app/inbox?q=elevator")) == [english.id]  # English stem


def test_search_characters_that_mean_something_to_sql_are_just_text(staff_client, make_thread):
    percent = make_thread(text="Hyran gick upp 5% i år, och_så vidare.")
    make_thread(text="Inget särskilt.")

    assert shown(staff_client.get("/app/inbox?q=5%25")) == [percent.id]
    nothing_to_search = staff_client.get("/app/inbox?q=%25")
    assert len(shown(nothing_to_search)) == 2
    assert "There are no words in that search" in page_text(nothing_to_search)
    for odd in ("'", '"', "\\", "&|!", "(", "_", "a:*"):
        assert staff_client.get("/app/inbox", query_string={"q": odd}).status_code == 200


# --- pages ---------------------------------------------------------------------------------------


def test_keyset_pages_with_equal_moments_neither_repeat_nor_lose_a_thread(
    db_session, organisation, make_thread, staff
):
    moment = NOW - dt.timedelta(hours=1)
    made = [make_thread(at=moment).id for _ in range(7)] + [make_thread(at=NOW).id]
    ctx = inbox.Context(user=staff, dialect=db_session.get_bind().dialect.name)
    seen: list[int] = []
    cursor = None
    with scoped_to(db_session, organisation.id):
        for _ in range(10):
            page = inbox.inbox_page(db_session, Filters(), ctx, cursor, limit=3)
            seen += [row.id for row in page.rows]
            if page.older is None:
                break
            cursor = decode_cursor(page.older)

    assert seen == [made[-1], *sorted(made[:-1], reverse=True)]


def test_the_older_link_goes_to_the_next_page_with_the_filters(staff_client, make_thread):
    moment = NOW - dt.timedelta(hours=2)
    made = [make_thread(at=moment, channel="sms").id for _ in range(inbox.PAGE_SIZE + 3)]
    make_thread(channel="web")

    first = staff_client.get("/app/inbox?channel=sms")
    older = re.search(r'href="([^"]*after=[^"]*)"', page_text(first)).group(1).replace("&amp;", "&")
    second = staff_client.get(older)

    assert "channel=sms" in older
    assert len(shown(first)) == inbox.PAGE_SIZE
    assert sorted(shown(first) + shown(second)) == sorted(made)
    assert "Newest" in page_text(second) and "after=" not in page_text(second)


def test_a_cursor_survives_the_round_trip():
    moment = dt.datetime(2026, 5, 17, 8, 30, 12, 345678, tzinfo=dt.UTC)
    assert decode_cursor(encode_cursor(moment, 4711)) == (moment, 4711)


# --- the menu's unread count ----------------------------------------------------------------------


def test_the_menu_counts_my_unread_threads(
    staff_client, db_session, organisation, make_thread, staff, colleague
):
    first, second = make_thread(), make_thread()
    make_thread(owner_id=colleague.id)

    page = page_text(staff_client.get("/app/questions"))
    assert '<span class="nav-badge" aria-hidden="true">2</span>' in page
    assert "(2 unread)" in page

    with scoped_to(db_session, organisation.id):
        service.mark_read(db_session, first, staff)
        db_session.commit()
    assert '<span class="nav-badge" aria-hidden="true">1</span>' in page_text(
        staff_client.get("/app/questions")
    )

    with scoped_to(db_session, organisation.id):
        service.mark_read(db_session, second, staff)
        db_session.commit()
    assert "nav-badge" not in page_text(staff_client.get("/app/inbox"))

    with scoped_to(db_session, organisation.id):
        service.follow_up(db_session, second, "En sak till: lampan blinkar.", channel="web")
        db_session.commit()
    assert '<span class="nav-badge" aria-hidden="true">1</span>' in page_text(
        staff_client.get("/app/inbox")
    )


def test_the_inbox_is_in_the_menu_after_the_overview(staff_client):
    page = page_text(staff_client.get("/app/inbox"))
    nav = re.search(r'<nav class="mainnav"[^>]*>(.*?)</nav>', page, re.S).group(1)
    links = re.findall(r'href="([^"]+)"', nav)
    assert links[:2] == ["/app", "/app/inbox"] or links[1] == "/app/inbox"
    assert 'href="/app/inbox" aria-current="page"' in nav


# --- empty and bad -------------------------------------------------------------------------------


def test_empty_inbox_and_no_match_say_so_differently(staff_client, make_thread):
    page = page_text(staff_client.get("/app/inbox"))
    assert "No conversations yet" in page
    assert 'role="search"' not in page  # nothing to filter yet

    make_thread()
    page = page_text(staff_client.get("/app/inbox?status=closed"))
    assert "No conversations match" in page
    assert 'href="/app/inbox?scope=mine">Clear filters' in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("since=notadate", "“notadate” is not a date"),
        ("until=2026-02-30", "“2026-02-30” is not a date"),
        ("since=0001-01-01", "is not a date"),
        ("place=abc", "“abc” is not a place"),
        ("place=99999999999999999999", "is not a place"),
        ("question=-1", "“-1” is not a question"),
        ("touchpoint=%D9%A3", "is not a touchpoint"),
        ("status=pending", "“pending” is not a status"),
        ("channel=fax", "“fax” is not a channel"),
        ("after=garbage", "That page link is not one the inbox gave out"),
        ("after=1.0", "That page link is not one the inbox gave out"),
        ("after=" + "f" * 15 + ".ffffffff", "That page link is not one the inbox gave out"),
        ("q=" + "hiss " * 2000, "Only the first 200 characters of the search were used."),
    ],
)
def test_bad_parameters_are_left_out_and_named(staff_client, make_thread, query, message):
    thread = make_thread()

    page = staff_client.get(f"/app/inbox?{query}")

    assert page.status_code == 200
    assert message in page_text(page)
    if not query.startswith("q="):
        assert shown(page) == [thread.id]  # the filter was left out, not the page


def test_a_cursor_past_the_end_is_an_empty_older_page(staff_client, make_thread):
    make_thread()
    page = staff_client.get("/app/inbox?after=1.1")
    assert shown(page) == []
    assert "There are no older conversations." in page_text(page)


def test_an_unknown_scope_is_mine(staff_client, make_thread):
    thread = make_thread()
    assert shown(staff_client.get("/app/inbox?scope=everyone")) == [thread.id]


def test_the_inbox_needs_a_login(client):
    response = client.get("/app/inbox")
    assert response.status_code in (302, 303)
    assert "/login" in response.headers["Location"]


def test_a_handed_over_thread_counts_for_its_new_owner(
    app, staff_client, db_session, organisation, make_thread, staff, colleague
):
    thread = make_thread()
    with scoped_to(db_session, organisation.id):
        service.mark_read(db_session, thread, staff)
        service.mark_read(db_session, thread, colleague)  # had a look before it was theirs
        db_session.commit()
        assert service.unread_count(db_session, staff) == 0
        service.hand_over(db_session, thread, staff, colleague, "Du har hand om hissarna.")
        db_session.commit()

        assert service.unread_count(db_session, staff) == 0  # no longer theirs
        assert service.unread_count(db_session, colleague) == 1  # new to them
        service.mark_read(db_session, thread, staff)  # the former owner reads it again
        db_session.commit()
        assert service.unread_count(db_session, colleague) == 1
        service.mark_read(db_session, thread, colleague)
        db_session.commit()
        assert service.unread_count(db_session, colleague) == 0


def test_the_inbox_speaks_swedish(staff_client, db_session, staff, make_thread):
    staff.locale = "sv"
    db_session.commit()
    make_thread(), make_thread(status="replied", waiting_since=None)

    page = page_text(staff_client.get("/app/inbox?since=igår"))

    assert "<h1>Inkorg</h1>" in page
    assert "(2 olästa)" in page
    assert "Besvarad" in page and "Öppen" in page
    assert "”igår” är inget datum" in page
