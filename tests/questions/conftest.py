"""Fixtures of the question tests: an organisation with staff, signed-in clients, and helpers
that store questions and media records as the app would."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pytest

from media.models import MediaFile, MediaStatus
from panel.core.scoping import scoped_to
from panel.questions.models import Question, QuestionStatus
from tests.factories import OrganisationFactory, UserFactory, login, system_session


@pytest.fixture
def organisation(db_session: Any) -> Any:
    return OrganisationFactory(name="Bostäder Väst", default_language="sv")


@pytest.fixture
def scoped(db_session: Any, organisation: Any) -> Iterator[Any]:
    """The test's session, scoped to the organisation (as a signed-in request would be)."""
    with scoped_to(db_session, organisation.id):
        yield db_session


@pytest.fixture
def staff(organisation: Any) -> Any:
    return UserFactory(organisation=organisation, name="Anna Berg")


@pytest.fixture
def colleague(organisation: Any) -> Any:
    return UserFactory(organisation=organisation, name="Olle Ek")


@pytest.fixture
def admin(organisation: Any) -> Any:
    return UserFactory(organisation=organisation, admin=True, name="Maria Admin")


@pytest.fixture
def staff_client(client: Any, staff: Any) -> Any:
    login(client, staff)
    return client


def make_media(organisation_id: int, status: MediaStatus = MediaStatus.READY, **values: Any) -> Any:
    """A media record as the pipeline leaves it (no bytes: pages only read the record)."""
    public_id = secrets.token_urlsafe(24)
    defaults: dict[str, Any] = {
        "organisation_id": organisation_id,
        "public_id": public_id,
        "status": status,
        "original_filename": "fraga.webm",
        "content_type": "video/webm",
        "size_bytes": 180_000,
        "progress": 100 if status == MediaStatus.READY else 0,
    }
    if status == MediaStatus.READY:
        prefix = f"{organisation_id}/{public_id}/"
        defaults.update(
            kind="video",
            duration_seconds=42.0,
            width=1280,
            height=720,
            renditions={
                "mp4": prefix + "video.mp4",
                "poster": prefix + "poster.jpg",
                "audio": prefix + "audio.mp3",
            },
        )
    defaults.update(values)
    media = MediaFile(**defaults)
    session = system_session()
    session.add(media)
    session.commit()
    return media


def make_question(owner: Any, **values: Any) -> Question:
    """A question stored directly (for tests of what comes after creating one)."""
    defaults: dict[str, Any] = {
        "organisation_id": owner.organisation_id,
        "owner_id": owner.id,
        "title": "Hur trivs du i trapphuset?",
        "prompt": "Hej! Jag heter Anna. Hur trivs du i ditt trapphus?",
        "language": "sv",
        "answer_modes": ["score", "text"],
        "choices": [],
        "status": QuestionStatus.DRAFT,
    }
    defaults.update(values)
    question = Question(**defaults)
    session = system_session()
    session.add(question)
    session.commit()
    return question


@pytest.fixture
def media_factory(organisation: Any) -> Any:
    return lambda status=MediaStatus.READY, **values: make_media(organisation.id, status, **values)


@pytest.fixture
def question_factory(staff: Any) -> Any:
    return lambda owner=None, **values: make_question(owner or staff, **values)
