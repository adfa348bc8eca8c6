"""The action plan tests' fixtures: an organisation with its staff in every role, a place tree,
a report, and another organisation whose place, report and colleague must never be usable."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

import pytest

from panel.actions.models import ActionItem, ActionStatus
from panel.answers.models import Answer
from panel.core.scoping import scoped_to
from panel.places.service import ensure_path
from panel.questions.models import QuestionStatus
from panel.reports.models import Report
from tests.factories import OrganisationFactory, UserFactory, system_session
from tests.questions.conftest import make_question


@pytest.fixture
def organisation(db_session):
    return OrganisationFactory(name="Bostadsbolaget Ängsbacken", default_language="sv")


@pytest.fixture
def communicator(organisation):
    return UserFactory(organisation=organisation, communicator=True, name="Kim Holm")


@pytest.fixture
def staff(organisation):
    return UserFactory(
        organisation=organisation, name="Anna Berg", email="anna.berg@example.se", locale="sv"
    )


@pytest.fixture
def bystander(organisation):
    """Staff with nothing to do with the items."""
    return UserFactory(organisation=organisation, name="Bengt Lind")


@pytest.fixture
def tree(db_session, organisation):
    """Two areas; the first with a building and two stairwells."""
    with scoped_to(db_session, organisation.id):
        b3, _ = ensure_path(db_session, ["Ängsbacken", "Björkvägen 3", "Trapphus B"])
        a3, _ = ensure_path(db_session, ["Ängsbacken", "Björkvägen 3", "Trapphus A"])
        other, _ = ensure_path(db_session, ["Östra gården", "Östra gården 1", "Trapphus A"])
        db_session.commit()
        return {
            "area": b3.parent.parent,
            "building": b3.parent,
            "stairwell": b3,
            "stairwell_a": a3,
            "other_area": other.parent.parent,
            "other_stairwell": other,
        }


@pytest.fixture
def report(db_session, organisation, communicator):
    row = Report(organisation_id=organisation.id, title="Trygghet hösten 2026")
    row.created_by_id = communicator.id
    db_session.add(row)
    db_session.commit()
    return row


@pytest.fixture
def stranger(db_session):
    """Another organisation's place, report and colleague."""
    other = OrganisationFactory(name="Grannbolaget")
    user = UserFactory(organisation=other, communicator=True, name="Olle Annan")
    with scoped_to(db_session, other.id):
        place, _ = ensure_path(db_session, ["ORGB-Område", "ORGB-Hus"])
        report = Report(organisation_id=other.id, title="ORGB-rapport")
        db_session.add(report)
        db_session.commit()
    return {"organisation": other, "user": user, "place": place, "report": report}


@pytest.fixture
def make_item(db_session, organisation, communicator):
    def make(**values: Any) -> ActionItem:
        values.setdefault("title", "Byta belysning i trapphuset Björkvägen 3B")
        values.setdefault("status", ActionStatus.PLANNED.value)
        item = ActionItem(organisation_id=organisation.id, created_by_id=communicator.id, **values)
        session = system_session()
        session.add(item)
        session.commit()
        return item

    return make


@pytest.fixture
def answered(db_session, organisation, communicator, tree):
    """Stairwell B well below target (12 answers, 3 at target), A above it (6 of 6)."""
    question = make_question(communicator, status=QuestionStatus.LIVE)
    session = system_session()
    scores = [(tree["stairwell"].id, s) for s in (2, 3, 4, 5, 5, 6, 6, 7, 7, 8, 9, 10)]
    scores += [(tree["stairwell_a"].id, s) for s in (8, 9, 9, 10, 10, 8)]
    for place_id, score in scores:
        session.add(
            Answer(
                organisation_id=organisation.id,
                question_id=question.id,
                channel="web",
                language="sv",
                score=score,
                place_id=place_id,
                me_token=secrets.token_urlsafe(32),
            )
        )
    session.commit()
    return question


def days(n: int) -> dt.date:
    """Today (Stockholm, the organisations' zone here) plus ``n`` days."""
    from zoneinfo import ZoneInfo

    return dt.datetime.now(ZoneInfo("Europe/Stockholm")).date() + dt.timedelta(days=n)
