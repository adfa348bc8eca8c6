"""Fixtures of the themes tests: the real embedding model, loaded once per test process; the
600 made-up answers (six topics in Swedish, Dutch and English) embedded once per session; and
answers recorded through ``record_answer`` and read by the real models.

The embedder the tests hand to :func:`panel.themes.analysis.analyse` is the real model behind a
cache of what it already embedded this session: each text is embedded by the model once, then
its vector is reused, so the tests that store answers need not wait for the model again.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from panel.answers.models import Answer, AnswerChannel
from panel.answers.service import Consent, Given, record_answer
from panel.core.config import Settings
from panel.core.db import utcnow
from panel.core.scoping import scoped_to
from panel.questions.models import QuestionStatus
from panel.themes import analysis
from panel.themes.embeddings import MODEL_NAME, E5Embedder
from panel.themes.models import AnswerAnalysis, AnswerTheme, Theme
from tests.answers import conftest as answering
from tests.conftest import TEST_MODELS_DIR
from tests.factories import UserFactory
from tests.questions.conftest import make_question
from tests.themes.corpus import Made, answers

organisation = answering.organisation
scoped = answering.scoped
staff = answering.staff
stairwell = answering.stairwell
tenant = answering.tenant
touchpoint_factory = answering.touchpoint_factory

CORPUS = answers(600)


def reading_settings(app: Flask, **values: Any) -> Settings:
    """The test app's settings with answers read: the bundled model and sentiment on."""
    wanted: dict[str, Any] = {
        "embedder": "e5_small",
        "sentiment": True,
        "models_dir": str(TEST_MODELS_DIR),
        "speech_threads": 2,
    }
    return dataclasses.replace(app.config["STOOP"], **{**wanted, **values})


class CachedEmbedder:
    """The real model, asked once per text this session."""

    name = MODEL_NAME

    def __init__(self, model: E5Embedder) -> None:
        self.model = model
        self.known: dict[str, np.ndarray] = {}
        self.asked = 0

    def embed(self, texts: list[str]) -> np.ndarray:
        new = [text for text in dict.fromkeys(texts) if text not in self.known]
        if new:
            self.asked += len(new)
            for text, vector in zip(new, self.model.embed(new), strict=True):
                self.known[text] = vector
        return np.stack([self.known[text] for text in texts])


@pytest.fixture(scope="session")
def model() -> E5Embedder:
    """The real embedding model (checked, then loaded once for the whole test process)."""
    settings = Settings.from_env(
        environ={}, models_dir=str(TEST_MODELS_DIR), speech_threads=2, embedder="e5_small"
    )
    embedder = E5Embedder(settings)
    embedder.embed(["Hissen är trasig igen."])
    return embedder


@pytest.fixture(scope="session")
def embedder(model: E5Embedder) -> CachedEmbedder:
    """The real model with the 600 answers embedded already (once per session)."""
    cached = CachedEmbedder(model)
    cached.embed([made.text for made in CORPUS])
    return cached


@pytest.fixture
def communicator(organisation: Any) -> Any:
    return UserFactory(
        organisation=organisation, communicator=True, name="Cecilia Holm", locale="en"
    )


@pytest.fixture
def question(staff: Any) -> Any:
    return make_question(
        staff,
        title="Vad vill du att vi gör bättre i ditt hus?",
        status=QuestionStatus.LIVE,
        published_at=utcnow(),
        answer_modes=["score", "text", "audio", "video"],
    )


@pytest.fixture
def record(
    app: Flask, db_session: Session, organisation: Any, request: pytest.FixtureRequest
) -> Any:
    """``record(question, made_answers, read=True, **values)`` → the answers, stored through
    ``record_answer`` (as the web form does) and, with ``read``, read by the real models."""

    def make(
        question: Any,
        made: Sequence[Made],
        *,
        read: bool = True,
        consent: Consent | None = None,
        **values: Any,
    ) -> list[Answer]:
        stored = []
        with scoped_to(db_session, organisation.id):
            for index, item in enumerate(made):
                given = Given(
                    text=item.text,
                    score=item.score,
                    consent=consent or Consent(identity=index % 2 == 0, quote=index % 3 != 0),
                )
                recorded = record_answer(
                    db_session,
                    question,
                    given,
                    channel=values.get("channel", AnswerChannel.WEB),
                    language=values.get("language", item.language),
                    touchpoint_id=values.get("touchpoint_id"),
                )
                stored.append(recorded.answer)
            db_session.commit()
            if read:
                embedder = request.getfixturevalue("embedder")
                for answer in stored:
                    analysis.analyse(
                        db_session, answer.id, settings=reading_settings(app), embedder=embedder
                    )
        return stored

    return make


def sample(per_topic: int, *, start: int = 0) -> list[Made]:
    """``per_topic`` answers of each topic from the 600 (languages mixed), in corpus order."""
    taken: dict[str, int] = {}
    chosen = []
    for item in CORPUS[start:]:
        if taken.get(item.topic, 0) < per_topic:
            taken[item.topic] = taken.get(item.topic, 0) + 1
            chosen.append(item)
    return chosen


def topic_of(text: str) -> str:
    return next(item.topic for item in CORPUS if item.text == text)


def placements(session: Session, scope_kind: str, scope_id: int) -> dict[int, AnswerTheme]:
    session.expire_all()
    return {
        p.answer_id: p
        for p in session.scalars(
            sa.select(AnswerTheme).where(
                AnswerTheme.scope_kind == scope_kind, AnswerTheme.scope_id == scope_id
            )
        )
    }


def themes(session: Session, scope_kind: str, scope_id: int) -> list[Theme]:
    session.expire_all()
    return list(
        session.scalars(
            sa.select(Theme)
            .where(Theme.scope_kind == scope_kind, Theme.scope_id == scope_id)
            .order_by(Theme.position)
        )
    )


def analysis_of(session: Session, answer_id: int) -> AnswerAnalysis | None:
    session.expire_all()
    return session.get(AnswerAnalysis, answer_id)


def theme_of_topic(session: Session, question_id: int, topic: str) -> Theme:
    """The theme holding most of a topic's answers."""
    counts: dict[int, int] = {}
    answers_by_id = {
        a.id: a for a in session.scalars(sa.select(Answer).where(Answer.question_id == question_id))
    }
    for answer_id, placement in placements(session, "question", question_id).items():
        if topic_of(answers_by_id[answer_id].text) == topic:
            counts[placement.theme_id] = counts.get(placement.theme_id, 0) + 1
    best = max(counts, key=lambda theme_id: counts[theme_id])
    return session.get(Theme, best)


@pytest.fixture
def reading(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """The app itself reads answers (embeddings and sentiment on) for the test."""
    settings = reading_settings(app)
    monkeypatch.setitem(app.config, "STOOP", settings)
    yield settings
