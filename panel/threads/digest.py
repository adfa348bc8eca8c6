"""The daily digest: one e-mail a day to each staff member who chose it (``notify_mode``
digest), listing the new answers and the tenants' follow-ups in their threads.

Each organisation's day turns at 07:00 in its time zone (``Organisation.settings["time_zone"]``,
an IANA name such as ``Europe/Stockholm``; UTC when unset or unknown). The digest of a day
covers what arrived before that day's 07:00 and after the previous digest's (or, without one in
the last week, the 24 hours before), so every answer is in exactly one digest however the job
is timed, and what comes at 10:00 waits for tomorrow's. Nothing happened: no e-mail.

The periodic job runs every quarter of an hour and sends a day's digests during the
:data:`SEND_WITHIN` after 07:00; a job that was down all that time skips the day, and the next
digest covers it. The outbox's dedupe key ``thread-digest:<user>:<date>`` makes it one e-mail
per person and day even when two runs overlap.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from notifications.messages import Recipient, queue
from notifications.models import OutboundMessage
from panel.accounts.models import NotifyMode, User
from panel.core.db import utcnow
from panel.organisations.models import Organisation
from panel.threads import notices
from panel.threads.models import Comment, CommentKind, Thread

PURPOSE = "thread-digest"
ZONE_SETTING = "time_zone"
SEND_AT = dt.time(7, 0)
SEND_WITHIN = dt.timedelta(hours=3)
LOOK_BACK_DAYS = 7
MAX_THREADS = 50  # listed in one digest; the rest are counted, with a link to the inbox
UTC = ZoneInfo("UTC")


def zone_of(organisation: Organisation) -> ZoneInfo:
    """The organisation's time zone (UTC when it has none, or an unknown one)."""
    name = organisation.setting(ZONE_SETTING)
    if not isinstance(name, str) or not name:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def cutoff(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    """When ``day``'s digest is due: 07:00 that day in ``zone``, in UTC."""
    return dt.datetime.combine(day, SEND_AT, tzinfo=zone).astimezone(dt.UTC)


def due_day(organisation: Organisation, now: dt.datetime) -> dt.date | None:
    """The day whose digests are due at ``now`` (None outside the sending window)."""
    zone = zone_of(organisation)
    today = now.astimezone(zone).date()
    start = cutoff(today, zone)
    return today if start <= now < start + SEND_WITHIN else None


def dedupe_key(user_id: int, day: dt.date) -> str:
    """The outbox key of one person's digest of one day."""
    return f"{PURPOSE}:{user_id}:{day.isoformat()}"


@dataclass
class Entry:
    """One thread in a digest: whether its answer is new, and the follow-ups that came."""

    thread: Thread
    new_answer: bool = False
    follow_ups: list[Comment] = field(default_factory=list)


def collect(session: Session, user: User, since: dt.datetime, until: dt.datetime) -> list[Entry]:
    """New answers and follow-ups in ``user``'s threads from ``since`` until ``until``, the
    thread with the latest news first."""
    entries: dict[int, Entry] = {}
    new = session.scalars(
        sa.select(Thread).where(
            Thread.owner_id == user.id, Thread.created_at >= since, Thread.created_at < until
        )
    )
    for thread in new:
        entries[thread.id] = Entry(thread, new_answer=True)
    follow_ups = session.execute(
        sa.select(Comment, Thread)
        .join(Thread, Thread.id == Comment.thread_id)
        .where(
            Thread.owner_id == user.id,
            Comment.kind == CommentKind.FOLLOW_UP.value,
            Comment.created_at >= since,
            Comment.created_at < until,
        )
        .order_by(Comment.id)
    )
    for comment, thread in follow_ups:
        entries.setdefault(thread.id, Entry(thread)).follow_ups.append(comment)
    return sorted(entries.values(), key=lambda e: _latest(e), reverse=True)


def _latest(entry: Entry) -> dt.datetime:
    times = [c.created_at for c in entry.follow_ups]
    if entry.new_answer:
        times.append(entry.thread.created_at)
    return max(times)


def send_due(session: Session, organisation: Organisation, now: dt.datetime | None = None) -> int:
    """Queue the due digests of one organisation (the session scoped to it); how many were
    queued. Safe to run again: a person's digest of the day is queued once."""
    now = now or utcnow()
    day = due_day(organisation, now)
    if day is None:
        return 0
    users = list(
        session.scalars(
            sa.select(User)
            .where(User.notify_mode == NotifyMode.DIGEST.value, User.is_active.is_(True))
            .order_by(User.id)
        )
    )
    if not users:
        return 0
    sent = _digest_days(session, users, day)
    queued = 0
    zone = zone_of(organisation)
    until = cutoff(day, zone)
    for user in users:
        if day in sent.get(user.id, ()):
            continue
        previous = max(sent.get(user.id, ()), default=None)
        since = cutoff(previous, zone) if previous else until - dt.timedelta(hours=24)
        queued += send_digest(session, user, day, since, until)
    return queued


def _digest_days(session: Session, users: list[User], day: dt.date) -> dict[int, set[dt.date]]:
    """The days of the last week each user got a digest (by the outbox's keys, exactly:
    one index look-up per key)."""
    days = [day - dt.timedelta(days=n) for n in range(LOOK_BACK_DAYS + 1)]
    keys = {dedupe_key(u.id, d): (u.id, d) for u in users for d in days}
    found = session.scalars(
        sa.select(OutboundMessage.dedupe_key).where(OutboundMessage.dedupe_key.in_(keys))
    )
    sent: dict[int, set[dt.date]] = {}
    for key in found:
        user_id, sent_day = keys[key]
        sent.setdefault(user_id, set()).add(sent_day)
    return sent


def send_digest(
    session: Session, user: User, day: dt.date, since: dt.datetime, until: dt.datetime
) -> int:
    """Queue ``user``'s digest of ``day`` (what came from ``since`` until ``until``); 1 when
    one was written, 0 when nothing happened or it was written before."""
    if not user.email:
        return 0
    entries = collect(session, user, since, until)
    if not entries:
        return 0
    ids = queue(
        session,
        organisation_id=user.organisation_id,
        template="threads/email/digest",
        purpose=PURPOSE,
        recipients=[
            Recipient(address=user.email, dedupe_key=dedupe_key(user.id, day), language=user.locale)
        ],
        context=_context(entries),
        ref=f"user:{user.id}",
    )
    return len(ids)


def _context(entries: list[Entry]) -> dict[str, Any]:
    listed = [
        {
            "question_title": entry.thread.answer.question.title,
            "link": notices.thread_link(entry.thread),
            "new_answer": entry.new_answer,
            "answer": notices.answer_summary(entry.thread.answer),
            "follow_ups": [notices.excerpt(c.body, 200) for c in entry.follow_ups],
        }
        for entry in entries[:MAX_THREADS]
    ]
    return {
        "threads": listed,
        "answers": sum(1 for e in entries if e.new_answer),
        "follow_ups": sum(len(e.follow_ups) for e in entries),
        "count": len(entries),
        "more": max(0, len(entries) - MAX_THREADS),
        "inbox_link": f"{current_app.config['STOOP'].base_url}/app/inbox",
    }
