"""Periodic work on threads: the daily digests (see :mod:`panel.threads.digest`).

``send_digests`` runs every quarter of an hour; each organisation whose morning it is gets its
digests queued in a transaction of its own, so one organisation's failure delays no other's.
Safe to run twice at once: the outbox's dedupe keys make each digest one e-mail.
"""

from __future__ import annotations

import datetime as dt
import logging

import sqlalchemy as sa
from celery import shared_task

from panel.accounts.models import NotifyMode, User
from panel.core.db import utcnow
from panel.core.extensions import db
from panel.core.scoping import all_organisations, scoped_to
from panel.organisations.models import Organisation
from panel.threads import digest

log = logging.getLogger(__name__)

DIGEST_EVERY = 900.0  # seconds


@shared_task(name="panel.threads.tasks.send_digests", acks_late=True)
def send_digests(at: str | None = None) -> int:
    """Queue the digests that are due in every organisation; how many were queued. ``at``
    (ISO 8601, for tests and a manual catch-up) stands for now."""
    session = db.session()
    now = dt.datetime.fromisoformat(at).astimezone(dt.UTC) if at else utcnow()
    with all_organisations(session):
        organisations = session.scalars(
            sa.select(Organisation)
            .where(
                Organisation.id.in_(
                    sa.select(User.organisation_id).where(
                        User.notify_mode == NotifyMode.DIGEST.value, User.is_active.is_(True)
                    )
                )
            )
            .order_by(Organisation.id)
        ).all()
        due = [o.id for o in organisations if digest.due_day(o, now) is not None]
        session.commit()
    queued = 0
    for organisation_id in due:
        with scoped_to(session, organisation_id):
            try:
                organisation = session.get(Organisation, organisation_id)
                queued += digest.send_due(session, organisation, now)
                session.commit()
            except Exception:
                session.rollback()
                log.exception(
                    "digests of organisation %s failed; the next run tries again", organisation_id
                )
    return queued
