"""What follows an answer once it is stored, off the tenant's request.

The request writes the answer and its thread and queues one task after its commit; the task
tells the thread's owner (:func:`panel.threads.service.tell_owner`) and queues the answer's
reading (themes) and translations on the speech queue. A task lost on the way (a broker down
at the commit, a restart of the embedded default) is found again by :func:`untold`: its thread
still says its owner was not told.
"""

from __future__ import annotations

import datetime as dt
import logging

import sqlalchemy as sa
from sqlalchemy.orm import Session

from panel.answers.models import Answer
from panel.core.db import utcnow
from panel.core.scoping import all_organisations, scoped_to
from panel.language.ahead import translate_later
from panel.themes.analysis import analyse_later
from panel.threads.models import Thread
from panel.threads.service import tell_owner, thread_of_answer

log = logging.getLogger(__name__)

# Long enough for the task queued at the commit to have run, so the sweep does not race it.
GRACE = dt.timedelta(minutes=2)
SWEEP_BATCH = 500


def follow(session: Session, answer_id: int) -> bool:
    """Tell the owner of the answer's thread and queue its reading and translations (the
    caller commits; tasks go after that commit). False when the answer is gone."""
    answer = session.get(Answer, answer_id)
    if answer is None:
        return False
    thread = thread_of_answer(session, answer_id)
    if thread is not None:
        tell_owner(session, thread)
    analyse_later(session, answer)
    translate_later(session, answer)
    return True


def follow_missed(session: Session, now: dt.datetime | None = None) -> int:
    """Follow the answers whose task was lost (their thread's owner still untold after
    :data:`GRACE`), each organisation's in a transaction of its own; how many were followed."""
    done = 0
    for answer_id, organisation_id in untold(session, now):
        with scoped_to(session, organisation_id):
            try:
                done += follow(session, answer_id)
                session.commit()
            except Exception:
                session.rollback()
                log.exception("answer %s: its owner could not be told; next sweep", answer_id)
    return done


def untold(session: Session, now: dt.datetime | None = None) -> list[tuple[int, int]]:
    """(answer id, organisation id) of threads whose owner should have been told by now, in
    every organisation, oldest first (by the partial index of untold threads)."""
    before = (now or utcnow()) - GRACE
    with all_organisations(session):
        rows = session.execute(
            sa.select(Thread.answer_id, Thread.organisation_id)
            .where(Thread.owner_told.is_(False), Thread.created_at < before)
            .order_by(Thread.created_at)
            .limit(SWEEP_BATCH)
        ).all()
        session.commit()
    return [(answer_id, organisation_id) for answer_id, organisation_id in rows]
