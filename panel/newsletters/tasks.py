"""Writing a newsletter's messages to the outbox, in the background.

``deliver`` runs after the commit that claimed a newsletter for sending; ``resume`` (every five
minutes) runs it again for any newsletter still ``sending`` a while later (a lost task, a
worker killed half-way). Both are safe to run twice: every message has a dedupe key per
newsletter and contact, so a batch written before is skipped by the outbox.
"""

from __future__ import annotations

import datetime as dt
import logging

import sqlalchemy as sa
from celery import shared_task

from panel.core.db import utcnow
from panel.core.extensions import db
from panel.core.scoping import all_organisations, scoped_to
from panel.newsletters import service
from panel.newsletters.models import Newsletter

log = logging.getLogger(__name__)
STALE = dt.timedelta(minutes=10)


@shared_task(name="panel.newsletters.tasks.deliver", acks_late=True)
def deliver(newsletter_id: int) -> int:
    """Write the newsletter's messages, a batch per transaction; how many were written now."""
    session = db.session()
    with all_organisations(session):
        organisation_id = session.scalar(
            sa.select(Newsletter.organisation_id).where(Newsletter.id == newsletter_id)
        )
        session.commit()
    if organisation_id is None:
        return 0
    with scoped_to(session, organisation_id):
        try:
            return _deliver(session, newsletter_id)
        except Exception:
            session.rollback()
            raise


def _deliver(session, newsletter_id: int) -> int:
    # Read afresh: a worker's session may still hold the row as an earlier run left it.
    newsletter = session.get(Newsletter, newsletter_id, populate_existing=True)
    if newsletter is None or newsletter.status != service.Status.SENDING:
        return 0
    before = service.written(session, newsletter)
    planned = service.plan(session, newsletter)
    skipped = planned.skipped
    shown = service.view(session, newsletter)
    for channel, people in planned.chosen.items():
        for batch in service.batches(people):
            held = service.queue_batch(session, newsletter, channel, batch, shown)
            if held:
                skipped["opted_out"] += held
            newsletter.updated_at = utcnow()
            session.commit()
    service.finish(session, newsletter, skipped)
    session.commit()
    done = newsletter.recipients - before
    log.info("newsletter %s sent to %s", newsletter_id, newsletter.recipients)
    return done


@shared_task(name="panel.newsletters.tasks.resume", acks_late=True)
def resume() -> int:
    """Run ``deliver`` again for newsletters left ``sending`` for a while."""
    session = db.session()
    with all_organisations(session):
        stuck = session.scalars(
            sa.select(Newsletter.id)
            .where(
                Newsletter.status == service.Status.SENDING,
                Newsletter.updated_at < utcnow() - STALE,
            )
            .limit(20)
        ).all()
        session.commit()
    for newsletter_id in stuck:
        try:
            deliver(newsletter_id)
        except Exception:
            log.exception(
                "newsletter %s could not be resumed; the next run tries again", newsletter_id
            )
    return len(stuck)
