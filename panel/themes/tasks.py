"""Themes' tasks: read an answer (embedding and sentiment) on the speech queue, and the sweep
that queues again the answers whose reading was lost.

Enqueued only through ``panel.core.celery.enqueue_after_commit``; ids, never objects. Reading an
answer twice does nothing the second time (its words' hash is kept).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from celery import shared_task
from flask import current_app

from media.models import MediaFile
from panel.answers.models import Answer
from panel.core.celery import SPEECH_QUEUE, enqueue_after_commit
from panel.core.config import Settings
from panel.core.db import get_session, utcnow
from panel.core.scoping import all_organisations, organisation_of, scoped_to
from panel.themes import analysis
from panel.themes.embeddings import MODEL_NAME
from panel.themes.models import AnswerAnalysis

# Longer than a queue of answers takes to clear, so a waiting one is not queued twice.
GRACE = dt.timedelta(minutes=20)
SWEEP_BATCH = 200


@shared_task(
    name="panel.themes.tasks.analyse_answer",
    bind=True,
    acks_late=True,
    max_retries=2,
    queue=SPEECH_QUEUE,
)
def analyse_answer(self: Any, answer_id: int) -> bool:
    """Embed an answer's words and score their sentiment; place it among its scopes' themes."""
    session = get_session()
    organisation_id = organisation_of(session, Answer, answer_id)
    if organisation_id is None:
        return False  # erased since
    with scoped_to(session, organisation_id):
        return analysis.analyse(session, answer_id, settings=current_app.config["STOOP"])


@shared_task(name="panel.themes.tasks.analyse_missed")
def analyse_missed() -> int:
    """Queue again the answers with words that were never read (a restart of the embedded
    default, a broker down at the commit) or were read by an older model. Returns how many."""
    settings: Settings = current_app.config["STOOP"]
    if not analysis.is_on(settings):
        return 0
    session = get_session()
    stale = AnswerAnalysis.answer_id.is_(None)
    if settings.embedder != "none":
        stale = sa.or_(
            stale,
            AnswerAnalysis.embedding_model.is_(None),
            AnswerAnalysis.embedding_model != MODEL_NAME,
        )
    with all_organisations(session):
        waiting = session.execute(
            sa.select(Answer.id, Answer.organisation_id)
            .outerjoin(AnswerAnalysis, AnswerAnalysis.answer_id == Answer.id)
            .outerjoin(MediaFile, MediaFile.id == Answer.media_id)
            .where(
                stale,
                Answer.created_at < utcnow() - GRACE,
                sa.or_(
                    sa.func.length(sa.func.trim(sa.func.coalesce(Answer.text, ""))) > 0,
                    MediaFile.transcript.is_not(None),
                ),
            )
            # Those tried longest ago first: a model that stays refused does not hold the sweep
            # on the same answers for ever.
            .order_by(AnswerAnalysis.updated_at.asc().nulls_first(), Answer.id)
            .limit(SWEEP_BATCH)
        ).all()
    for answer_id, _organisation_id in waiting:
        enqueue_after_commit(session, analyse_answer, answer_id)
    session.commit()
    return len(waiting)
