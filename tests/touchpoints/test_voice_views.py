"""Phone touchpoints on the staff pages: the form offers the organisation's free numbers that take
calls (or says there are none, and where to add one), a phone touchpoint is made and its
schedule changed like any other, and its page shows the number to call and its calls and
answers instead of addresses, QR code and funnel."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
import sqlalchemy as sa

from notifications.senders import add_sender_number
from panel.questions.models import QuestionStatus
from tests.factories import OrganisationFactory, UserFactory, login
from tests.touchpoints.conftest import make_question
from touchpoints.models import Touchpoint
from touchpoints.phone import create_voice_touchpoint

NUMBER = "+46812345670"
SHOWN = "+46 8 123 456 70"
LONG_AGO = dt.date(2020, 1, 1)


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def options(page: str, name: str) -> list[str]:
    select = re.search(rf'<select[^>]*name="{name}".*?</select>', page, re.S).group(0)
    return re.findall(r'<option[^>]*value="([^"]*)"', select)


@pytest.fixture
def numbers(db_session, organisation):
    """Ours: one for calls and SMS, one for SMS only."""
    add_sender_number(db_session, organisation.id, NUMBER, voice=True)
    add_sender_number(db_session, organisation.id, "+46701740605", sms=True, voice=False)
    db_session.commit()


def voice_form(question_id: int, **values: str) -> dict[str, str]:
    return {
        "name": "Telefonlinjen",
        "kind": "voice",
        "phone_number": NUMBER,
        "place_id": "",
        "is_active": "y",
        "question-0": str(question_id),
        "starts_on-0": "2026-03-01",
        **values,
    }


def made(db_session) -> list[Touchpoint]:
    db_session.expire_all()
    return list(db_session.scalars(sa.select(Touchpoint)).unique())


def test_staff_make_a_phone_touchpoint_and_its_page_shows_the_number(
    staff_client, db_session, numbers, live_question
):
    form = text(staff_client.get("/app/touchpoints/new?kind=voice"))
    assert '<option selected value="voice">A phone number tenants call</option>' in form
    assert options(form, "phone_number") == [NUMBER]  # the SMS-only number takes no calls
    assert f">{SHOWN}</option>" in form
    assert 'data-kind-only="voice"' in form

    response = staff_client.post("/app/touchpoints", data=voice_form(live_question.id))

    assert response.status_code == 303
    [line] = made(db_session)
    assert (line.kind, line.phone_number, line.name) == ("voice", NUMBER, "Telefonlinjen")
    assert [(e.question_id, e.starts_on) for e in line.entries] == [
        (live_question.id, dt.date(2026, 3, 1))
    ]
    page = text(staff_client.get(response.headers["Location"]))
    assert "Phone line" in page and "Number to call" in page
    assert f'<a href="tel:{NUMBER}" class="phone-number">{SHOWN}</a>' in page
    assert "No calls yet." in page
    for web_only in ("Open as a tenant", "qr.svg", "flyer.pdf", "Copy the link", "Funnel"):
        assert web_only not in page, web_only
    listed = text(staff_client.get("/app/touchpoints"))
    assert f'<span class="phone-number">{SHOWN}</span>' in listed
    # The number is taken now: a second phone touchpoint is not offered it.
    form = text(staff_client.get("/app/touchpoints/new?kind=voice"))
    assert "Your organisation has no free number that takes calls." in form


def test_without_a_free_number_the_form_says_so_and_where_to_add_one(
    app, client, db_session, organisation, staff, live_question
):
    admin = UserFactory(organisation=organisation, admin=True)
    login(client, staff)
    form = text(client.get("/app/touchpoints/new?kind=voice"))
    assert "Your organisation has no free number that takes calls." in form
    assert "Ask an admin to add one under Settings." in form
    assert "/app/settings#phone-numbers" not in form  # staff cannot open the settings

    response = client.post("/app/touchpoints", data=voice_form(live_question.id, phone_number=""))
    assert response.status_code == 422
    assert "Choose the phone number tenants call." in text(response)
    assert made(db_session) == []

    admin_client = app.test_client()
    login(admin_client, admin)
    form = text(admin_client.get("/app/touchpoints/new?kind=voice"))
    assert '<a href="/app/settings#phone-numbers">Add one under Settings</a>' in form


@pytest.mark.parametrize(
    ("number", "words"),
    [
        ("+46701740605", "+46 70 174 06 05 takes SMS only, not calls."),
        ("+46701740699", "+46 70 174 06 99 is not one of your organisation's numbers."),
        ("08-12", "“08-12” is not a"),
    ],
)
def test_a_number_that_cannot_answer_calls_is_refused_beside_the_field(
    staff_client, db_session, numbers, live_question, number, words
):
    other = OrganisationFactory(name="Grannens Bostäder")
    add_sender_number(db_session, other.id, "+46701740699", voice=True)
    db_session.commit()

    response = staff_client.post(
        "/app/touchpoints", data=voice_form(live_question.id, phone_number=number)
    )

    assert response.status_code == 422
    page = text(response)
    assert "Nothing was saved." in page
    error = re.search(r'<p class="error" id="phone_number-error">(.*?)</p>', page, re.S).group(1)
    assert words in error
    assert made(db_session) == []


def test_a_number_another_touchpoint_answers_is_refused(
    staff_client, db_session, scoped, numbers, live_question
):
    create_voice_touchpoint(scoped, {"name": "Telefonlinjen"}, NUMBER)
    scoped.commit()

    response = staff_client.post(
        "/app/touchpoints", data=voice_form(live_question.id, name="Andra linjen")
    )

    assert response.status_code == 422
    assert f"Another touchpoint already answers calls to {SHOWN}." in text(response)
    assert [t.name for t in made(db_session)] == ["Telefonlinjen"]


def test_staff_change_the_schedule_and_the_number_of_a_phone_touchpoint(
    staff_client, db_session, scoped, staff, organisation, numbers, live_question
):
    later = make_question(staff, title="Belysningen", status=QuestionStatus.LIVE)
    add_sender_number(db_session, organisation.id, "+46812345671", voice=True)
    line = create_voice_touchpoint(
        scoped, {"name": "Telefonlinjen"}, NUMBER, [(live_question.id, LONG_AGO)]
    )
    scoped.commit()
    form = text(staff_client.get(f"/app/touchpoints/{line.id}/edit"))
    assert '<input type="hidden" name="kind" value="voice">' in form
    assert "Phone line" in form and 'name="kind" id="kind"' not in form
    assert options(form, "phone_number") == ["", NUMBER, "+46812345671"]

    response = staff_client.post(
        f"/app/touchpoints/{line.id}",
        data=voice_form(
            live_question.id,
            phone_number="+46812345671",
            **{
                "starts_on-0": "2020-01-01",
                "question-1": str(later.id),
                "starts_on-1": "2099-01-01",
            },
        ),
    )

    assert response.status_code == 303
    [changed] = made(db_session)
    assert changed.phone_number == "+46812345671"
    assert [e.question_id for e in changed.entries] == [live_question.id, later.id]
    # Giving the number up: the page says no call reaches it.
    data = voice_form(live_question.id, phone_number="", **{"starts_on-0": "2020-01-01"})
    assert staff_client.post(f"/app/touchpoints/{line.id}", data=data).status_code == 303
    page = text(staff_client.get(f"/app/touchpoints/{line.id}"))
    assert "No number: no call reaches this touchpoint." in page


def test_other_kinds_do_not_become_phone_touchpoints(
    staff_client, db_session, touchpoint_factory, numbers
):
    flyer = touchpoint_factory()
    form = text(staff_client.get(f"/app/touchpoints/{flyer.id}/edit"))
    assert "voice" not in options(form, "kind")
    assert 'name="phone_number"' not in form

    response = staff_client.post(
        f"/app/touchpoints/{flyer.id}", data={"name": flyer.name, "kind": "voice", "place_id": ""}
    )

    assert response.status_code == 422
    assert made(db_session)[0].kind == "qr"
