"""Starting sends and sending reminders, in the background.

``start`` runs after the commit that wrote a send due now; ``start_due`` (every minute) starts
scheduled sends once due, and any send whose ``start`` was lost (a broker outage, a worker
killed mid-way: its transaction rolled back, so the send is still ``scheduled``). ``remind``
(every 15 minutes) queues the reminders that are due. All three are safe to run twice.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from celery import shared_task

from panel.core.db import utcnow
from panel.core.extensions import db
from panel.core.scoping import all_organisations, scoped_to
from panel.sends.models import Send, SendStatus
from panel.sends.service import send_reminders, start_send

log = logging.getLogger(__name__)


@shared_task(name="panel.sends.tasks.start", acks_late=True)
def start(send_id: int) -> bool:
    """Start one send if it is due and not started."""
    session = db.session()
    with all_organisations(session):
        organisation_id = session.scalar(sa.select(Send.organisation_id).where(Send.id == send_id))
    if organisation_id is None:
        return False
    with scoped_to(session, organisation_id):
        try:
            started = start_send(session, send_id)
            session.commit()
        except Exception:
            session.rollback()
            raise
    if started:
        log.info("send %s started", send_id, extra={"send_id": send_id})
    return started


@shared_task(name="panel.sends.tasks.start_due", acks_late=True)
def start_due() -> int:
    """Start every send that is due and still scheduled, each in its own transaction."""
    session = db.session()
    now = utcnow()
    with all_organisations(session):
        due = session.execute(
            sa.select(Send.id, Send.organisation_id)
            .where(Send.status == SendStatus.SCHEDULED, Send.scheduled_at <= now)
            .order_by(Send.scheduled_at)
            .limit(50)
        ).all()
        session.commit()
    started = 0
    for send_id, organisation_id in due:
        with scoped_to(session, organisation_id):
            try:
                started += start_send(session, send_id, now=now)
                session.commit()
            except Exception:
                session.rollback()
                log.exception("send %s could not start; the next run tries again", send_id)
    return started


@shared_task(name="panel.sends.tasks.remind", acks_late=True)
def remind() -> int:
    """Queue the reminders that are due, organisation by organisation."""
    session = db.session()
    with all_organisations(session):
        organisations = session.scalars(
            sa.select(Send.organisation_id)
            .where(Send.status == SendStatus.SENT, Send.max_reminders > 0)
            .distinct()
        ).all()
        session.commit()
    reminded = 0
    for organisation_id in organisations:
        with scoped_to(session, organisation_id):
            try:
                reminded += send_reminders(session)
                session.commit()
            except Exception:
                session.rollback()
                log.exception("reminders of organisation %s failed", organisation_id)
    return reminded
