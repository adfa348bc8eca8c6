"""Translations made ahead of time, on the speech queue: a new answer's words and its
recording's transcript, into the languages the organisation's staff read, so that the thread
page finds them made.

A new answer asks for it from :func:`panel.answers.service.record_answer`; a transcript made or
corrected asks through ``media.signals.transcript_changed`` (the media room knows no answers).
Nothing is queued when no model could translate for any of the staff.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.orm import Session

from media.models import MediaFile
from media.signals import transcript_changed
from panel.answers.models import Answer
from panel.core.celery import enqueue_after_commit
from panel.core.config import Settings
from panel.core.model_files import ModelRefused
from panel.language import service
from panel.language.names import init_templates
from panel.threads.models import Comment, CommentKind, Thread

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    transcript_changed.connect(on_transcript_changed, weak=False)
    init_templates(app)


def on_transcript_changed(media: MediaFile, *, session: Session, **_: Any) -> None:
    """A clip's transcript was made or corrected: translate it for the staff."""
    for answer in session.scalars(sa.select(Answer).where(Answer.media_id == media.id)):
        translate_later(session, answer)


def translate_later(session: Session, answer: Answer) -> bool:
    """Queue the answer's translations (after the caller's commit) when a model can make one
    for someone on the staff; whether it was queued."""
    settings: Settings = current_app.config["STOOP"]
    if not settings.translation_models_dir:
        return False  # the common case costs nothing: no query, no task
    if not wanted(session, answer.language, settings):
        return False
    from panel.language.tasks import translate_answer

    enqueue_after_commit(session, translate_answer, answer.id)
    return True


def wanted(session: Session, source: str, settings: Settings) -> list[str]:
    """The staff's languages a text in ``source`` can be translated into here."""
    return [
        target
        for target in service.staff_languages(session)
        if target != source and service.pair(source, target, settings).ready
    ]


def texts_of(session: Session, answer: Answer) -> list[tuple[str, str]]:
    """The tenant's words of an answer's thread, each with its language: the answer, the
    transcript of its recording, and their follow-ups."""
    texts = []
    if answer.text:
        texts.append((answer.text, answer.language))
    media = answer.media
    if media is not None and media.transcript:
        texts.append((media.transcript, media.language or answer.language))
    follow_ups = session.execute(
        sa.select(Comment.body, Comment.language)
        .join(Thread, Thread.id == Comment.thread_id)
        .where(Thread.answer_id == answer.id, Comment.kind == CommentKind.FOLLOW_UP.value)
        .order_by(Comment.id)
    )
    texts += [(body, language or answer.language) for body, language in follow_ups if body]
    return texts


def translate_now(session: Session, answer_id: int, settings: Settings) -> int:
    """Make the missing translations of an answer's words; how many were made (the ones in
    the cache already cost nothing, so running twice is harmless). The caller commits."""
    answer = session.get(Answer, answer_id)
    if answer is None:
        return 0
    targets = service.staff_languages(session)
    made = 0
    for text, source in texts_of(session, answer):
        if len(text) > service.MAX_TEXT:
            continue  # longer than anything a tenant can send; never translated
        for target in targets:
            if target == source or service.cached(session, text, source, target) is not None:
                continue
            if not service.pair(source, target, settings).ready:
                continue
            try:
                if service.translate(session, text, source, target, settings=settings):
                    made += 1
            except ModelRefused as exc:  # the page says the model failed its check
                log.error("answer %s not translated into %s: %s", answer_id, target, exc)
    return made
