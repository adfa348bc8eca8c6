"""Conversations left without a reply: the organisation's limit, the overdue list, and handing
many of them to a colleague at once.

A thread is overdue when the tenant has waited for a reply longer than the organisation's
limit (``Organisation.settings["reply_overdue_days"]``, 1 to 60 days, 3 unless an admin chose
otherwise): its ``waiting_since`` is older than that. A bulk reassignment hands each chosen
thread over through :func:`panel.threads.service.hand_over` (so the history says who, when
and why), and tells each new owner once, in one e-mail listing what they got, rather than once
per thread.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import ngettext
from sqlalchemy.orm import Session, selectinload

from notifications.messages import Recipient, queue
from panel.accounts.models import NotifyMode, User
from panel.core.db import utcnow
from panel.core.errors import NotFound, ValidationError
from panel.core.i18n import lazy_text as _l
from panel.organisations.models import Organisation
from panel.threads import notices, service
from panel.threads.models import Comment, Thread

SETTING = "reply_overdue_days"
DEFAULT_DAYS = 3
MIN_DAYS = 1
MAX_DAYS = 60
PAGE_SIZE = 200  # the overdue page lists the oldest this many
MAX_BULK = 200  # threads one reassignment may move


def days_of(organisation: Organisation) -> int:
    """The organisation's limit in days (the default when unset or unusable)."""
    value = organisation.setting(SETTING, DEFAULT_DAYS)
    if isinstance(value, int) and not isinstance(value, bool) and MIN_DAYS <= value <= MAX_DAYS:
        return value
    return DEFAULT_DAYS


def clean_days(value: Any) -> int:
    """A whole number of days from 1 to 60, or a ValidationError that says so."""
    text = str(value if value is not None else "").strip()
    days = int(text) if text.isascii() and text.isdigit() and len(text) <= 3 else None
    if days is None or isinstance(value, bool) or not MIN_DAYS <= days <= MAX_DAYS:
        raise ValidationError(
            _l("Write a whole number of days from %(min)s to %(max)s.", min=MIN_DAYS, max=MAX_DAYS),
            code="invalid_overdue_days",
            details={SETTING: [_l("From %(min)s to %(max)s.", min=MIN_DAYS, max=MAX_DAYS)]},
        )
    return days


def set_days(organisation: Organisation, value: Any) -> int:
    """Store the organisation's limit (cleaned). Not committed."""
    days = clean_days(value)
    # A new dict: the JSON column notices reassignment, not changes in place.
    organisation.settings = {**(organisation.settings or {}), SETTING: days}
    return days


def _overdue(days: int, now: dt.datetime) -> sa.ColumnElement[bool]:
    return sa.and_(
        Thread.waiting_since.is_not(None),
        Thread.waiting_since <= now - dt.timedelta(days=days),
    )


def overdue_threads(
    session: Session, days: int, *, now: dt.datetime | None = None, limit: int = PAGE_SIZE
) -> list[Thread]:
    """The organisation's overdue threads, the longest waiting first."""
    query = (
        sa.select(Thread)
        .where(_overdue(days, now or utcnow()))
        .options(selectinload(Thread.owner))
        .order_by(Thread.waiting_since, Thread.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def overdue_count(session: Session, days: int, *, now: dt.datetime | None = None) -> int:
    """How many of the organisation's threads are overdue."""
    query = sa.select(sa.func.count()).select_from(Thread).where(_overdue(days, now or utcnow()))
    return session.scalar(query) or 0


def days_waiting(thread: Thread, now: dt.datetime | None = None) -> int:
    """Whole days the tenant has waited for a reply (0 when they are not waiting)."""
    if thread.waiting_since is None:
        return 0
    return max(0, ((now or utcnow()) - thread.waiting_since).days)


def clean_thread_ids(values: Iterable[Any]) -> list[int]:
    """The chosen threads' ids from a form (each once), or a ValidationError."""
    ids: list[int] = []
    for value in values:
        text = str(value).strip()
        if not (text.isascii() and text.isdigit() and len(text) <= 10 and 0 < int(text) < 2**31):
            raise ValidationError(
                _l("The list of conversations was not understood. Reload the page and try again.")
            )
        if int(text) not in ids:
            ids.append(int(text))
    if not ids:
        raise ValidationError(
            _l("Tick the conversations to reassign first."), details={"thread": [_l("Required.")]}
        )
    if len(ids) > MAX_BULK:
        raise ValidationError(
            _l("Reassign at most %(max)s conversations at a time.", max=MAX_BULK),
            details={"thread": [_l("Too many.")]},
        )
    return ids


@dataclass
class Reassigned:
    """What a bulk reassignment did: the threads it moved, those that were the colleague's
    already, and those answered since the list was drawn (both left as they were)."""

    moved: list[Thread] = field(default_factory=list)
    theirs: list[Thread] = field(default_factory=list)
    answered: list[Thread] = field(default_factory=list)


def reassign(
    session: Session,
    by: User,
    thread_ids: list[int],
    to: User,
    days: int,
    *,
    now: dt.datetime | None = None,
) -> Reassigned:
    """Hand the chosen overdue threads to ``to``; the new owner is told once. All or nothing:
    an id the organisation has no thread with (another organisation's, a deleted one) refuses
    the whole request before anything changes."""
    now = now or utcnow()
    found = {t.id: t for t in session.scalars(sa.select(Thread).where(Thread.id.in_(thread_ids)))}
    if len(found) != len(thread_ids):
        raise NotFound(
            _l(
                "Some of the chosen conversations do not exist (any more). Nothing was "
                "reassigned; reload the page and try again."
            )
        )
    reason = ngettext(
        "Reassigned: no reply for %(num)s day", "Reassigned: no reply for %(num)s days", days
    )
    done = Reassigned()
    events: list[Comment] = []
    for thread_id in thread_ids:
        thread = found[thread_id]
        if thread.owner_id == to.id:
            done.theirs.append(thread)
        elif thread.waiting_since is None or thread.waiting_since > now - dt.timedelta(days=days):
            done.answered.append(thread)
        else:
            events.append(service.hand_over(session, thread, by, to, reason, notify=False))
            done.moved.append(thread)
    if events:
        _tell(session, by, to, done.moved, events, days, now)
    return done


def _tell(
    session: Session,
    by: User,
    to: User,
    threads: list[Thread],
    events: list[Comment],
    days: int,
    now: dt.datetime,
) -> None:
    """One e-mail to the new owner listing every thread they got (unless they chose no
    e-mail, or reassigned to themselves). Its key names the first hand-over of the batch."""
    if to.notify_mode == NotifyMode.NONE or to.id == by.id or not to.email:
        return
    listed = [
        {
            "question_title": thread.answer.question.title,
            "link": notices.thread_link(thread),
            "days": days_waiting(thread, now),
            "answer": notices.answer_summary(thread.answer),
        }
        for thread in threads
    ]
    queue(
        session,
        organisation_id=to.organisation_id,
        template="threads/email/reassigned",
        purpose=notices.PURPOSE,
        recipients=[
            Recipient(
                address=to.email,
                dedupe_key=f"notice:reassigned:{min(e.id for e in events)}:{to.id}",
                language=to.locale,
            )
        ],
        context={
            "author": by.display_name,
            "days": days,
            "threads": listed,
            "count": len(listed),
            "inbox_link": f"{current_app.config['STOOP'].base_url}/app/inbox",
        },
        ref=f"user:{to.id}",
    )
