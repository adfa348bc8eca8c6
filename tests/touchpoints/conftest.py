"""Fixtures of the touchpoint tests: live questions and a touchpoint with a schedule."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from panel.questions.models import QuestionStatus
from tests.questions.conftest import make_media, make_question
from touchpoints.service import create_touchpoint

__all__ = ["make_media", "make_question"]


@pytest.fixture
def staff(organisation: Any) -> Any:
    from tests.factories import UserFactory

    return UserFactory(organisation=organisation, name="Anna Öberg")


@pytest.fixture
def live_question(staff: Any) -> Any:
    return make_question(
        staff,
        title="Hur trivs du i trapphuset på Ängsbacksvägen?",
        status=QuestionStatus.LIVE,
        answer_modes=["score", "text", "video"],
    )


@pytest.fixture
def touchpoint_factory(scoped: Any) -> Any:
    def make(schedule: list[tuple[Any, dt.date]] | None = None, **values: Any) -> Any:
        values = {"name": "Flygblad i trapphus 3B", "kind": "qr", **values}
        touchpoint = create_touchpoint(scoped, values, schedule or [])
        scoped.commit()
        return touchpoint

    return make
