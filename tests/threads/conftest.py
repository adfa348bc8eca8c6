"""The threads tests' fixtures: the answering tests' organisation, staff, tenant, question and
phone line, and an answer with its thread in one call."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from notifications.models import OutboundMessage
from panel.answers.models import AnswerChannel
from panel.answers.service import Consent, Given, record_answer
from panel.core.scoping import scoped_to
from panel.threads.models import Thread
from tests.answers import conftest as answering
from tests.factories import UserFactory

# The answering tests' fixtures, shared (a fixture is found by its name in this module).
organisation = answering.organisation
scoped = answering.scoped
staff = answering.staff
stairwell = answering.stairwell
question = answering.question
tenant = answering.tenant
invitation_of = answering.invitation_of
touchpoint_factory = answering.touchpoint_factory
phone_line = answering.phone_line
hooks = answering.hooks
clips = answering.clips  # tiny real recordings (the media tests' fixture)


@pytest.fixture
def colleague(organisation):
    return UserFactory(organisation=organisation, name="Bengt Lind", email="bengt.lind@example.se")


@pytest.fixture
def answered(db_session, organisation, question, tenant, invitation_of):
    """``answered(channel=..., text=..., **given)`` → the thread of a new answer (committed)."""

    def make(
        channel: str = "email", text: str = "Hissen har stått still i två veckor.", **values: Any
    ) -> Thread:
        invitation = invitation_of(question, tenant, channel="sms" if channel == "sms" else "email")
        consent = values.pop("consent", Consent(identity=True, quote=True, show_clip=True))
        with scoped_to(db_session, organisation.id):
            recorded = record_answer(
                db_session,
                question,
                Given(text=text, consent=consent, **values),
                channel=AnswerChannel(channel),
                language="sv",
                invitation=invitation,
            )
            db_session.commit()
            return thread_of(db_session, recorded.answer.id)

    return make


def thread_of(session, answer_id: int) -> Thread:
    return session.scalar(sa.select(Thread).where(Thread.answer_id == answer_id))


def outbox(session, **where: Any) -> list[OutboundMessage]:
    """Outbox rows (read afresh), oldest first, filtered by column values."""
    session.expire_all()
    query = sa.select(OutboundMessage).execution_options(all_organisations=True)
    for name, value in where.items():
        query = query.where(getattr(OutboundMessage, name) == value)
    return list(session.scalars(query.order_by(OutboundMessage.id)))
