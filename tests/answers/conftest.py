"""Fixtures of the answer tests: an organisation with places, a tenant with a personal link to
a live question, and a touchpoint placed in a stairwell."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa

from notifications.senders import add_sender_number
from panel.answers.models import Answer
from panel.contacts.models import Contact
from panel.core.db import utcnow
from panel.core.scoping import scoped_to
from panel.places.service import ensure_path
from panel.questions.models import QuestionStatus
from panel.sends.models import Invitation
from panel.sends.service import new_token
from tests.factories import OrganisationFactory, UserFactory, system_session

# The media tests' fixtures, for the clips that follow answers: tiny real recordings, and the
# app in s3 mode on the moto server.
from tests.media.conftest import clips, s3_app, s3_client, s3_session  # noqa: F401
from tests.questions.conftest import make_question
from touchpoints.service import create_touchpoint

LONG_AGO = dt.date(2020, 1, 1)


@pytest.fixture
def organisation(db_session):
    return OrganisationFactory(name="Bostadsbolaget Ängsbacken", default_language="sv")


@pytest.fixture
def scoped(db_session, organisation):
    with scoped_to(db_session, organisation.id):
        yield db_session


@pytest.fixture
def staff(organisation):
    return UserFactory(organisation=organisation, name="Anna Berg")


@pytest.fixture
def stairwell(scoped):
    place, _ = ensure_path(scoped, ["Ängsbacken", "Ängsbacksvägen 3", "Trappuppgång B"])
    scoped.commit()
    return place


@pytest.fixture
def question(staff):
    return make_question(
        staff,
        title="Hur trivs du i trapphuset på Ängsbacksvägen?",
        status=QuestionStatus.LIVE,
        published_at=utcnow(),
        answer_modes=["score", "text", "choice", "video", "audio"],
        choices=["Bra", "Sådär", "Dåligt"],
    )


@pytest.fixture
def tenant(scoped, organisation, stairwell):
    contact = Contact(
        organisation_id=organisation.id,
        name="Zeynep Yılmaz",
        email="zeynep.yilmaz@example.se",
        phone="+46701234567",
        language="sv",
        place_id=stairwell.id,
    )
    scoped.add(contact)
    scoped.commit()
    return contact


@pytest.fixture
def invitation_of(organisation):
    def make(question: Any, contact: Any, channel: str = "email", **values: Any) -> Invitation:
        now = utcnow()
        invitation = Invitation(
            organisation_id=organisation.id,
            token=new_token(),
            question_id=question.id,
            contact_id=contact.id if contact is not None else None,
            channel=channel,
            created_at=now,
            expires_at=now + dt.timedelta(days=30),
            **values,
        )
        session = system_session()
        session.add(invitation)
        session.commit()
        return invitation

    return make


@pytest.fixture
def touchpoint_factory(scoped, question):
    def make(schedule: list[tuple[Any, dt.date]] | None = None, **values: Any) -> Any:
        values = {"name": "Flygblad i trapphus 3B", "kind": "qr", **values}
        touchpoint = create_touchpoint(scoped, values, schedule or [(question.id, LONG_AGO)])
        scoped.commit()
        return touchpoint

    return make


# --- the phone line: SMS and calls to the organisation's number, through the Twilio double ---

SMS_PATH = "/hooks/twilio/sms"
VOICE_PATH = "/hooks/twilio/voice"
RECORDED_PATH = "/hooks/twilio/voice/recorded"


@pytest.fixture
def phone_line(monkeypatch, app, db_session, organisation, twilio_double):
    """The organisation's number at the Twilio double, for SMS and calls; the app's Twilio
    settings point at the double (replies go to it, recordings come from it)."""
    settings = app.config["STOOP"]
    for name, value in twilio_double.settings().items():
        monkeypatch.setattr(settings, name, value)
    add_sender_number(db_session, organisation.id, twilio_double.phone_number, voice=True)
    db_session.commit()
    return twilio_double


@pytest.fixture
def hooks(app):
    """The webhook URLs as Twilio calls them (STOOP_BASE_URL + path)."""
    base = app.config["STOOP"].base_url
    return SimpleNamespace(
        sms=base + SMS_PATH, voice=base + VOICE_PATH, recorded=base + RECORDED_PATH
    )


def stored_answers(session) -> list[Answer]:
    """Every answer in the database, oldest first (read afresh)."""
    session.expire_all()
    return list(session.scalars(sa.select(Answer).order_by(Answer.id)))
