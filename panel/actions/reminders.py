"""The reminder before an action item's due date, to the person responsible.

An item that is not done, has a due date and a responsible person, and has not been reminded
of is reminded of once its due date is at most the organisation's ``action_reminder_days``
(default 3) ahead, in the organisation's time zone, and not yet past. The e-mail is in the
staff member's own language and says what, where, when, with a link.

Safe to run twice at once: each item is claimed with ``UPDATE … WHERE reminded_at IS NULL``
before its e-mail is queued (only one run's claim changes the row), and the outbox's dedupe
key ``action-reminder-<id>-<due date>`` keeps one e-mail per due date even so. Changing the due
date clears ``reminded_at`` (:mod:`panel.actions.service`), so a new date reminds again.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from notifications.messages import Recipient, queue
from panel.accounts.models import User
from panel.actions import service
from panel.actions.models import ActionItem, ActionStatus
from panel.core.db import utcnow
from panel.core.extensions import db
from panel.core.scoping import all_organisations, scoped_to
from panel.organisations.models import Organisation
from panel.places.models import Place

log = logging.getLogger(__name__)

PURPOSE = "action-reminder"
TEMPLATE = "actions/email/reminder"


def dedupe_key(item: ActionItem) -> str:
    return f"action-reminder-{item.id}-{item.due_on.isoformat() if item.due_on else 'none'}"


def _waiting() -> list[sa.ColumnElement[bool]]:
    return [
        ActionItem.status != ActionStatus.DONE.value,
        ActionItem.reminded_at.is_(None),
        ActionItem.due_on.is_not(None),
        ActionItem.responsible_id.is_not(None),
    ]


def organisations_waiting(session: Session, today_utc: dt.date) -> list[int]:
    """Organisations with items that may be due for a reminder (a day's slack either side for
    the time zones; each organisation's own day decides)."""
    with all_organisations(session):
        ids = session.scalars(
            sa.select(ActionItem.organisation_id)
            .where(
                *_waiting(),
                ActionItem.due_on >= today_utc - dt.timedelta(days=1),
                ActionItem.due_on <= today_utc + dt.timedelta(days=service.MAX_REMINDER_DAYS + 1),
            )
            .distinct()
        ).all()
        session.commit()
    return sorted(ids)


def send_due(session: Session, organisation: Organisation, today: dt.date | None = None) -> int:
    """Queue the organisation's due reminders; how many were queued. The caller commits."""
    today = today or service.organisation_today(organisation)
    days = service.reminder_days(organisation)
    candidates = session.scalars(
        sa.select(ActionItem)
        .where(
            *_waiting(),
            ActionItem.due_on >= today,
            ActionItem.due_on <= today + dt.timedelta(days=days),
        )
        .order_by(ActionItem.id)
    ).all()
    queued = 0
    for item in candidates:
        if _claim(session, item):
            queued += remind(session, item, today)
    return queued


def _claim(session: Session, item: ActionItem) -> bool:
    """Mark the item reminded, if no other run has: True when this run may send."""
    claimed = session.execute(
        sa.update(ActionItem)
        .where(
            ActionItem.id == item.id,
            ActionItem.organisation_id == item.organisation_id,
            ActionItem.reminded_at.is_(None),
            ActionItem.due_on == item.due_on,
        )
        .values(reminded_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return claimed.rowcount == 1


def remind(session: Session, item: ActionItem, today: dt.date) -> int:
    """Queue the reminder of ``item`` to its responsible person (1 when written)."""
    person = session.scalar(sa.select(User).where(User.id == item.responsible_id))
    if person is None or not person.is_active or not person.email:
        return 0
    place = None
    if item.place_id is not None:
        place = session.scalar(sa.select(Place).where(Place.id == item.place_id))
    ids = queue(
        session,
        organisation_id=item.organisation_id,
        template=TEMPLATE,
        purpose=PURPOSE,
        recipients=[
            Recipient(address=person.email, dedupe_key=dedupe_key(item), language=person.locale)
        ],
        context=_context(item, place, person, today),
        ref=f"action_item:{item.id}",
    )
    return len(ids)


def _context(item: ActionItem, place: Place | None, person: User, today: dt.date) -> dict[str, Any]:
    base = current_app.config["STOOP"].base_url
    return {
        "title": item.title,
        "description": item.description,
        "where": place.path if place else None,
        "due_on": item.due_on,
        "days_left": (item.due_on - today).days if item.due_on else None,
        "name": person.display_name,
        "link": f"{base}/app/actions/{item.id}",
        "list_link": f"{base}/app/actions/?mine=1",
    }


def send_reminders(now: dt.datetime | None = None) -> int:
    """Every organisation's due reminders, each in a transaction of its own."""
    session = db.session()
    moment = now or utcnow()
    queued = 0
    for organisation_id in organisations_waiting(session, moment.date()):
        with scoped_to(session, organisation_id):
            try:
                organisation = session.get(Organisation, organisation_id)
                if organisation is None:
                    continue
                queued += send_due(session, organisation)
                session.commit()
            except Exception:
                session.rollback()
                log.exception(
                    "action reminders of organisation %s failed; the next run tries again",
                    organisation_id,
                )
    return queued
