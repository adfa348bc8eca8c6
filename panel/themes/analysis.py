"""What the offline models make of one answer: its embedding and its sentiment.

An answer's words are what the tenant wrote and what their clip says (its transcript, the
person's correction once there is one). They are read on the speech queue after the answer is
stored (:func:`analyse_later`, called by ``record_answer``) and again when the clip's transcript
changes; the hash of the words they were read from is kept, so words that did not change are
not read twice. A new embedding places the answer in the nearest theme of its question and of
its touchpoint, where those have themes.

A model that is refused (a file that does not match its hash) or missing leaves the answer
without an embedding: nothing else of the answer changes, and the themes page says why.
"""

from __future__ import annotations

import hashlib
import logging

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from panel.answers.models import Answer
from panel.core.celery import enqueue_after_commit
from panel.core.config import Settings
from panel.core.db import utcnow
from panel.core.model_files import ModelRefused
from panel.themes import placing, sentiment
from panel.themes.embeddings import (
    MODEL_NAME,
    Embedder,
    EmbedderUnavailable,
    get_embedder,
    to_bytes,
)
from panel.themes.models import AnswerAnalysis, AnswerTheme

log = logging.getLogger(__name__)


def words_of(answer: Answer) -> str:
    """What the tenant wrote and what their clip says, as one text."""
    parts = [answer.text or ""]
    if answer.media is not None and answer.media.transcript:
        parts.append(answer.media.transcript)
    return " ".join(part.strip() for part in parts if part and part.strip())


def text_hash(words: str) -> str:
    return hashlib.sha256(words.encode("utf-8")).hexdigest()


def is_on(settings: Settings) -> bool:
    """Whether answers are read at all on this installation."""
    return settings.embedder != "none" or settings.sentiment


def analyse_later(session: Session, answer: Answer) -> None:
    """Read the answer on the speech queue once the transaction commits (when it has words)."""
    if not is_on(current_app.config["STOOP"]):
        return
    if not (answer.text or "").strip() and answer.media_id is None:
        return  # a score or a choice alone; a clip's words come with its transcript
    from panel.themes.tasks import analyse_answer

    enqueue_after_commit(session, analyse_answer, answer.id)


def analyse(
    session: Session,
    answer_id: int,
    *,
    settings: Settings,
    embedder: Embedder | None = None,
) -> bool:
    """Read one answer: embed and score what changed, then place it among the themes. Commits.

    Returns False when there was nothing to do (no such answer, words already read).
    """
    answer = session.get(Answer, answer_id, populate_existing=True)
    if answer is None:
        return False
    words = words_of(answer)
    row = session.get(AnswerAnalysis, answer_id)
    if not words:
        if row is not None:  # the words are gone (a transcript emptied): so is what they said
            _forget(session, answer_id, row)
            session.commit()
        return False
    digest = text_hash(words)
    same_words = row is not None and row.text_hash == digest
    wants_vector = settings.embedder != "none" and not (
        same_words and row is not None and row.embedding and row.embedding_model == MODEL_NAME
    )
    language_model = sentiment.model_name(answer.language) if settings.sentiment else None
    wants_sentiment = language_model is not None and not (
        same_words and row is not None and row.sentiment_model == language_model
    )
    if not wants_vector and not wants_sentiment and same_words:
        return False
    if row is None:
        row = AnswerAnalysis(
            organisation_id=answer.organisation_id, answer_id=answer.id, text_hash=digest
        )
        session.add(row)
    elif not same_words:
        row.embedding = row.embedding_model = row.sentiment = row.sentiment_model = None
    row.text_hash = digest
    row.updated_at = utcnow()
    if wants_sentiment:
        row.sentiment = sentiment.sentiment(words, answer.language)
        row.sentiment_model = language_model
    vector = _embed(words, settings, embedder, answer.id) if wants_vector else None
    if vector is not None:
        row.embedding = to_bytes(vector)
        row.embedding_model = MODEL_NAME
        session.flush()
        placing.place(session, answer, vector)
    session.commit()
    return True


def _embed(words: str, settings: Settings, embedder: Embedder | None, answer_id: int) -> object:
    try:
        embedder = embedder or get_embedder(settings)
        return embedder.embed([words])[0]
    except (ModelRefused, EmbedderUnavailable) as exc:
        log.error("no embedding for answer %s: %s", answer_id, exc)
        return None


def _forget(session: Session, answer_id: int, row: AnswerAnalysis) -> None:
    session.delete(row)
    session.execute(
        sa.delete(AnswerTheme).where(AnswerTheme.answer_id == answer_id, ~AnswerTheme.by_hand)
    )
