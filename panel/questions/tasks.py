"""Periodic work on questions: close the ones whose closing date has passed."""

from __future__ import annotations

from celery import shared_task

from panel.core.extensions import db
from panel.core.scoping import all_organisations
from panel.questions.service import close_due_questions


@shared_task(name="panel.questions.tasks.close_due", bind=True, acks_late=True)
def close_due(self) -> int:  # type: ignore[no-untyped-def]
    """Close every live question past its closing date; a second run finds none."""
    session = db.session()
    # Closing a question past its date is the same rule in every organisation.
    with all_organisations(session):
        closed = close_due_questions(session)
        session.commit()
    return closed
