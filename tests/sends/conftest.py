"""Fixtures of the send tests: a live question, a panel of tenants on e-mail and SMS, the app's
e-mail going to the loopback SMTP server and its SMS to the Twilio double."""

from __future__ import annotations

from typing import Any

import pytest

from panel.contacts.bulk import UpsertItem, upsert_contacts
from panel.core.db import utcnow
from panel.core.scoping import scoped_to
from panel.panels.service import add_members
from panel.questions.models import QuestionStatus
from tests.factories import OrganisationFactory, UserFactory, login, make_panel, system_session
from tests.questions.conftest import make_media, make_question

FIRST = ["Åsa", "Ĳsbrand", "Zeynep", "Wojciech", "Berit", "Joop", "Amina", "Göran"]
LAST = ["Öberg", "de Vries", "Yılmaz", "Wróblewski", "Ek", "van der Berg", "Hassan", "Ståhl"]


@pytest.fixture
def settings(app):
    return app.config["STOOP"]


@pytest.fixture
def mail_and_sms(monkeypatch, settings, smtp_server, twilio_double):
    """E-mail to the SMTP server, SMS to the Twilio double, for this test."""
    monkeypatch.setattr(settings, "smtp_url", smtp_server.url)
    for name, value in twilio_double.settings().items():
        monkeypatch.setattr(settings, name, value)
    return smtp_server, twilio_double


@pytest.fixture
def organisation(db_session):
    return OrganisationFactory(name="Bostadsbolaget Ängsbacken", default_language="sv")


@pytest.fixture
def staff(organisation):
    return UserFactory(organisation=organisation, name="Anna Berg")


@pytest.fixture
def staff_client(client, staff):
    login(client, staff)
    return client


@pytest.fixture
def scoped(db_session, organisation):
    with scoped_to(db_session, organisation.id):
        yield db_session


@pytest.fixture
def live_question(staff, organisation):
    media = make_media(organisation.id, renditions={"mp4": "q.mp4", "poster": "q.jpg"})
    return make_question(
        staff,
        title="Hur trivs du på gården efter renoveringen?",
        status=QuestionStatus.LIVE,
        published_at=utcnow(),
        media_id=media.id,
    )


def tenants(organisation: Any, count: int, *, email: bool = True, phone: bool = True, start=0):
    """``count`` contacts with realistic names, e-mail and/or a Swedish mobile number."""
    items = []
    for n in range(start, start + count):
        values: dict[str, Any] = {
            "name": f"{FIRST[n % 8]} {LAST[(n // 8) % 8]}",
            "language": ("sv", "nl", "en")[n % 3],
        }
        if email:
            values["email"] = f"hyresgast{n}@example.se"
        if phone:
            values["phone"] = f"+4670{n:07d}"
        items.append(UpsertItem(values))
    session = system_session()
    with scoped_to(session, organisation.id):
        ids = upsert_contacts(session, organisation, items, method="api").ids
        session.commit()
    return ids


@pytest.fixture
def panel_of(organisation):
    """A panel with the given contacts as active members."""

    def make(contact_ids, name="Tillsammans"):
        panel = make_panel(organisation, name=name)
        session = system_session()
        with scoped_to(session, organisation.id):
            add_members(session, session.merge(panel), contact_ids, source="contacts")
            session.commit()
        return panel

    return make
