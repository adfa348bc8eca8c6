"""Triggers: another system asks one tenant the touchpoint's current question at the right
moment; the Idempotency-Key makes a retry send nothing; STOP is honoured."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from notifications.optouts import opt_out
from panel.core.db import utcnow
from panel.core.scoping import scoped_to
from panel.questions.models import QuestionStatus
from panel.sends.models import Invitation
from tests.factories import OrganisationFactory, UserFactory, api_headers, system_session
from tests.questions.conftest import make_question
from touchpoints.service import create_touchpoint

LINK = re.compile(r"https?://\S+/a/([A-Za-z0-9_-]{32,})")


@pytest.fixture
def setting(app):
    return app.config["STOOP"]


@pytest.fixture
def servers(monkeypatch, setting, smtp_server, twilio_double):
    monkeypatch.setattr(setting, "smtp_url", smtp_server.url)
    for name, value in twilio_double.settings().items():
        monkeypatch.setattr(setting, name, value)
    return smtp_server, twilio_double


@pytest.fixture
def organisation(db_session):
    return OrganisationFactory(name="Bostadsbolaget Ängsbacken", default_language="sv")


@pytest.fixture
def staff(organisation):
    return UserFactory(organisation=organisation, name="Anna Berg")


def _touchpoint(organisation, staff, *, live=True):
    question = make_question(
        staff,
        title="Hur gick reparationen i din lägenhet?",
        status=QuestionStatus.LIVE if live else QuestionStatus.DRAFT,
        published_at=utcnow() if live else None,
    )
    session = system_session()
    with scoped_to(session, organisation.id):
        touchpoint = create_touchpoint(
            session,
            {"name": "Efter felanmälan", "kind": "link"},
            [(question.id, dt.date(2020, 1, 1))],
        )
        session.commit()
    return touchpoint, question


def _trigger(client, touchpoint, headers, key=None, **body):
    body.setdefault("contact", {"phone": "070-174 06 05", "name": "Zeynep Yılmaz"})
    sent = dict(headers)
    if key:
        sent["Idempotency-Key"] = key
    return client.post(f"/api/v1/touchpoints/{touchpoint.id}/trigger", json=body, headers=sent)


def test_a_trigger_sends_one_sms_with_a_personal_link_and_a_retry_sends_nothing(
    client, organisation, staff, servers, db_session
):
    _smtp, twilio = servers
    touchpoint, question = _touchpoint(organisation, staff)
    headers = api_headers(staff)

    first = _trigger(
        client, touchpoint, headers, key="AO-2026-1187-done", external_ref="AO-2026-1187"
    )
    again = _trigger(
        client, touchpoint, headers, key="AO-2026-1187-done", external_ref="AO-2026-1187"
    )

    assert first.status_code == 201, first.get_json()
    assert again.status_code == 200 and again.get_json()["replayed"] is True
    assert first.get_json()["invitation_id"] == again.get_json()["invitation_id"]
    assert [m.to for m in twilio.messages] == ["+46701740605"]
    (token,) = LINK.findall(twilio.messages[0].body)
    invitation = db_session.scalar(sa.select(Invitation))
    assert invitation.token == token and invitation.external_ref == "AO-2026-1187"
    assert invitation.touchpoint_id == touchpoint.id and invitation.question_id == question.id
    page = client.get(f"/a/{token}")
    assert page.status_code == 200 and question.title in page.get_data(as_text=True)


def test_without_a_key_each_call_asks_again_and_email_goes_by_email(
    client, organisation, staff, servers
):
    smtp, twilio = servers
    touchpoint, _question = _touchpoint(organisation, staff)
    headers = api_headers(staff)
    contact = {"email": "Wojciech.Wroblewski@Example.se", "name": "Wojciech Wróblewski"}

    assert _trigger(client, touchpoint, headers, contact=contact).status_code == 201
    assert _trigger(client, touchpoint, headers, contact=contact).status_code == 201

    assert [m["To"] for m in smtp.messages] == ["wojciech.wroblewski@example.se"] * 2
    assert twilio.messages == []


def test_a_number_that_said_stop_gets_no_sms(client, db_session, organisation, staff, servers):
    _smtp, twilio = servers
    touchpoint, _question = _touchpoint(organisation, staff)
    opt_out(db_session, organisation.id, "sms", "+46701740605", method="staff")
    db_session.commit()

    response = _trigger(client, touchpoint, api_headers(staff), key="k1")

    assert response.status_code == 201
    assert response.get_json()["sent"] is False and response.get_json()["skipped"] == "opted_out"
    assert twilio.messages == []


def test_refusals_say_why(client, organisation, staff, servers):
    touchpoint, _question = _touchpoint(organisation, staff, live=False)
    headers = api_headers(staff)

    no_question = _trigger(client, touchpoint, headers)
    assert no_question.status_code == 409
    assert "schedule" in no_question.get_json()["error"]["message"]

    bad = _trigger(client, touchpoint, headers, contact={"phone": "12"})
    assert bad.status_code == 422
    empty = _trigger(client, touchpoint, headers, contact={"name": "Ingen adress"})
    assert empty.status_code == 422
    long_key = _trigger(client, touchpoint, headers, key="x" * 121)
    assert long_key.status_code == 422

    stranger = UserFactory(organisation=OrganisationFactory())
    assert _trigger(client, touchpoint, api_headers(stranger)).status_code == 404
