"""Touchpoints on the phone: a voice touchpoint owns one of the organisation's own numbers, and
the answers room finds the question a placement shows today through its seam."""

from __future__ import annotations

import datetime as dt

import pytest

from notifications.senders import add_sender_number
from panel.answers.placements import FINDER_KEY, placed_question
from panel.core.errors import Conflict, ValidationError
from panel.core.scoping import scoped_to
from panel.organisations.numbers import USERS_KEY
from panel.questions.models import QuestionStatus
from tests.factories import OrganisationFactory
from touchpoints.phone import (
    create_voice_touchpoint,
    find_placed,
    number_users,
    update_voice_touchpoint,
)

LONG_AGO = dt.date(2020, 1, 1)
NUMBER = "+46701740605"


@pytest.fixture
def our_number(db_session, organisation):
    add_sender_number(db_session, organisation.id, NUMBER, voice=True)
    db_session.commit()
    return NUMBER


def test_create_app_plugs_touchpoints_into_the_answers_and_settings_seams(app):
    assert app.extensions[FINDER_KEY] is find_placed
    assert app.extensions[USERS_KEY] is number_users


def test_a_voice_touchpoint_plays_its_current_question_on_its_number(
    scoped, organisation, live_question, our_number
):
    touchpoint = create_voice_touchpoint(
        scoped,
        {"name": "Telefonlinjen"},
        f" {NUMBER[:4]} {NUMBER[4:]} ",
        [(live_question.id, LONG_AGO)],
    )
    scoped.commit()

    assert (touchpoint.kind, touchpoint.phone_number) == ("voice", NUMBER)
    placed = placed_question(scoped, organisation.id, ("voice",), phone_number=NUMBER)
    assert (placed.question.id, placed.touchpoint_id) == (live_question.id, touchpoint.id)
    assert placed.link.endswith(f"/t/{touchpoint.slug}")
    assert placed_question(scoped, organisation.id, ("voice",), phone_number="+46700000000") is None
    assert placed_question(scoped, organisation.id, ("sms", "link")) is None


def test_a_number_written_as_people_do_is_read_in_the_organisations_country(scoped, our_number):
    touchpoint = create_voice_touchpoint(scoped, {"name": "Telefonlinjen"}, "070-174 06 05")

    assert touchpoint.phone_number == NUMBER


@pytest.mark.parametrize(
    ("number", "refusal", "code", "words"),
    [
        ("070-17", ValidationError, "invalid", "is not a"),
        ("", ValidationError, "invalid", "Choose the phone number"),
        ("+46812345678", Conflict, "phone_number_not_ours", "is not one of your organisation's"),
        ("+46701740606", Conflict, "phone_number_takes_no_calls", "takes SMS only"),
    ],
)
def test_a_voice_touchpoint_needs_one_of_the_organisations_own_numbers_that_takes_calls(
    db_session, organisation, scoped, our_number, number, refusal, code, words
):
    add_sender_number(db_session, organisation.id, "+46701740606", voice=False)

    with pytest.raises(refusal) as refused:
        create_voice_touchpoint(scoped, {"name": "Telefonlinjen"}, number)

    assert words in str(refused.value.message)
    assert refused.value.code == code
    assert "phone_number" in refused.value.details


def test_a_number_answers_for_one_touchpoint_only(scoped, our_number):
    first = create_voice_touchpoint(scoped, {"name": "Telefonlinjen"}, NUMBER)
    scoped.commit()

    with pytest.raises(Conflict) as refused:
        create_voice_touchpoint(scoped, {"name": "Andra linjen"}, NUMBER)

    assert "already answers calls to +46 70 174 06 05" in str(refused.value.message)
    assert refused.value.code == "phone_number_taken"
    # The touchpoint that has it may keep it, or give it up.
    update_voice_touchpoint(scoped, first, {"name": "Telefonlinjen"}, phone_number=NUMBER)
    update_voice_touchpoint(scoped, first, {}, phone_number="")
    assert first.phone_number is None
    assert create_voice_touchpoint(scoped, {"name": "Andra linjen"}, NUMBER).phone_number == NUMBER


def test_another_organisations_number_is_not_ours(db_session, organisation):
    other = OrganisationFactory()
    add_sender_number(db_session, other.id, "+46701740699", voice=True)
    db_session.commit()

    with scoped_to(db_session, organisation.id), pytest.raises(Conflict) as refused:
        create_voice_touchpoint(db_session, {"name": "Telefonlinjen"}, "+46701740699")

    assert refused.value.code == "phone_number_not_ours"


def test_the_first_touchpoint_with_a_live_question_is_offered(
    scoped, organisation, staff, live_question, touchpoint_factory
):
    from tests.questions.conftest import make_question

    closed = make_question(staff, title="Gammal fråga", status=QuestionStatus.CLOSED)
    touchpoint_factory(name="Gammal länk", kind="link", schedule=[(closed.id, LONG_AGO)])
    touchpoint_factory(
        name="Inaktiv", kind="sms", schedule=[(live_question.id, LONG_AGO)], is_active=False
    )
    current = touchpoint_factory(name="Länk", kind="link", schedule=[(live_question.id, LONG_AGO)])
    touchpoint_factory(name="Flygblad", kind="qr", schedule=[(live_question.id, LONG_AGO)])

    placed = placed_question(scoped, organisation.id, ("sms", "link"))

    assert (placed.touchpoint_id, placed.question.id) == (current.id, live_question.id)
