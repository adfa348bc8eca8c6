"""Fixtures of the newsletter tests: the send tests' organisation, tenants, panels, SMTP server
and Twilio double, a communicator logged in, and answers to quote."""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from panel.answers.models import Answer
from panel.core.scoping import scoped_to
from tests.factories import UserFactory, login, system_session
from tests.sends.conftest import mail_and_sms, organisation, panel_of, scoped, settings  # noqa: F401


@pytest.fixture
def communicator(organisation):  # noqa: F811
    return UserFactory(organisation=organisation, name="Kim Holm", role="communicator")


@pytest.fixture
def writer(client, communicator):
    login(client, communicator)
    return client


def make_answer(organisation_id: int, question_id: int, **values: Any) -> Answer:
    """An answer stored directly, with the consent given."""
    defaults: dict[str, Any] = {
        "organisation_id": organisation_id,
        "question_id": question_id,
        "channel": "web",
        "language": "sv",
        "me_token": secrets.token_urlsafe(24),
    }
    defaults.update(values)
    session = system_session()
    with scoped_to(session, organisation_id):
        answer = Answer(**defaults)
        session.add(answer)
        session.commit()
        session.refresh(answer)
    return answer
