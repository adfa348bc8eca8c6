"""Area blasts: an SMS or e-mail touchpoint asks every contact of its place (and below) today's
question, each with a personal link; a second blast of the same question sends nothing again;
opted-out numbers and contacts elsewhere get nothing."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from notifications.optouts import opt_out
from panel.core.db import utcnow
from panel.core.scoping import scoped_to
from panel.places.service import ensure_path
from panel.questions.models import QuestionStatus
from panel.sends.models import Invitation
from tests.factories import ContactFactory, OrganisationFactory, UserFactory, login, system_session
from tests.questions.conftest import make_question
from touchpoints.service import create_touchpoint

LINK = re.compile(r"https?://\S+/a/([A-Za-z0-9_-]{32,})")


@pytest.fixture
def twilio(monkeypatch, app, twilio_double):
    for name, value in twilio_double.settings().items():
        monkeypatch.setattr(app.config["STOOP"], name, value)
    return twilio_double


def test_an_sms_blast_reaches_the_area_once(client, db_session, twilio):
    organisation = OrganisationFactory(name="Bostadsbolaget Ängsbacken", default_language="sv")
    staff = UserFactory(organisation=organisation, name="Anna Berg")
    question = make_question(
        staff,
        title="Hur fungerar den nya porttelefonen?",
        status=QuestionStatus.LIVE,
        published_at=utcnow(),
    )
    session = system_session()
    with scoped_to(session, organisation.id):
        stairwell = ensure_path(session, ["Norra Ängby", "Ängbyplan 3", "Trapphus B"])[0]
        elsewhere = ensure_path(session, ["Södra Ängby", "Storgatan 1", "Trapphus A"])[0]
        inside = [
            ContactFactory(
                organisation=organisation,
                name=f"Åsa Öberg {n}",
                phone=f"+4670100000{n}",
                email=None,
                place_id=stairwell.id,
            )
            for n in range(4)
        ]
        ContactFactory(
            organisation=organisation,
            name="Berit Ek",
            phone="+46701000009",
            email=None,
            place_id=elsewhere.id,
        )
        ContactFactory(
            organisation=organisation,
            name="Utan Nummer",
            phone=None,
            email="utan@example.se",
            place_id=stairwell.id,
        )
        touchpoint = create_touchpoint(
            session,
            {"name": "Sms till Trapphus B", "kind": "sms", "place_id": stairwell.area_id},
            [(question.id, dt.date(2020, 1, 1))],
        )
        session.commit()
    opt_out(db_session, organisation.id, "sms", inside[3].phone, method="staff")
    db_session.commit()
    login(client, staff)

    page = client.get(f"/app/touchpoints/{touchpoint.id}").get_data(as_text=True)
    assert "Send to the area now" in page
    first = client.post(f"/app/touchpoints/{touchpoint.id}/blast", follow_redirects=True)
    second = client.post(f"/app/touchpoints/{touchpoint.id}/blast", follow_redirects=True)

    assert sorted(m.to for m in twilio.messages) == sorted(c.phone for c in inside[:3])
    assert "Sent to 3 tenants; 2 skipped" in first.get_data(as_text=True)
    assert "Sent to 0 tenants; 5 skipped" in second.get_data(as_text=True)
    tokens = {LINK.search(m.body).group(1) for m in twilio.messages}
    stored = set(db_session.scalars(sa.select(Invitation.token)).all())
    assert tokens == stored and len(tokens) == 3
    assert client.get(f"/a/{tokens.pop()}").status_code == 200
