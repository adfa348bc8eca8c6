"""The language room's task: an answer's translations, made on the speech queue.

Enqueued only after commit (``panel.core.celery.enqueue_after_commit``), with ids. Safe to run
twice: a translation already in the cache is not made again.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task
from flask import current_app

from panel.answers.models import Answer
from panel.core.celery import SPEECH_QUEUE
from panel.core.db import get_session
from panel.core.scoping import organisation_of, scoped_to
from panel.language import ahead


@shared_task(
    name="panel.language.tasks.translate_answer",
    bind=True,
    acks_late=True,
    max_retries=2,
    queue=SPEECH_QUEUE,
)
def translate_answer(self: Any, answer_id: int) -> int:
    """Translate an answer's words, transcript and follow-ups into the languages the
    organisation's staff read; returns how many translations were made."""
    session = get_session()
    organisation_id = organisation_of(session, Answer, answer_id)
    if organisation_id is None:
        return 0  # erased since
    with scoped_to(session, organisation_id):
        made = ahead.translate_now(session, answer_id, current_app.config["STOOP"])
        session.commit()
        return made
