"""Answers' tasks: what follows an answer's commit (see :mod:`panel.answers.arrival`), and the
sweep that finds the answers whose task was lost.

Enqueued only through ``panel.core.celery.enqueue_after_commit``; ids, never objects. Running
one twice tells nobody twice (the thread is marked told in the notice's transaction).
"""

from __future__ import annotations

import datetime as dt
import logging

from celery import shared_task

from panel.answers import arrival
from panel.answers.models import Answer
from panel.core.db import get_session
from panel.core.scoping import organisation_of, scoped_to

log = logging.getLogger(__name__)


@shared_task(name="panel.answers.tasks.answer_arrived", acks_late=True)
def answer_arrived(answer_id: int) -> bool:
    """Tell the owner of a new answer's thread; queue its reading and translations."""
    session = get_session()
    organisation_id = organisation_of(session, Answer, answer_id)
    if organisation_id is None:
        return False  # erased since
    with scoped_to(session, organisation_id):
        followed = arrival.follow(session, answer_id)
        session.commit()
    return followed


@shared_task(name="panel.answers.tasks.arrivals_missed")
def arrivals_missed(at: str | None = None) -> int:
    """Do now what a lost ``answer_arrived`` did not; how many answers were followed. ``at``
    (ISO 8601, for a manual catch-up) stands for now."""
    now = dt.datetime.fromisoformat(at).astimezone(dt.UTC) if at else None
    done = arrival.follow_missed(get_session(), now)
    if done:
        log.info("told the owners of %s answers whose task was lost", done)
    return done
