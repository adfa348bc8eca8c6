"""The daily digest: one e-mail a day to each staff member who chose it (``notify_mode`` digest),
listing the new answers and the tenants' follow-ups in their threads.

Each organisation's day turns at 07:00 in its time zone (``Organisation.settings["timezone"]``,
an IANA name; Europe/Stockholm when unset or unknown, as on every other page of Stoop). The
digest of a day covers what arrived before that day's 07:00 and after the previous digest's (or,
without one in the last week, the 24 hours before), so every answer is in exactly one digest
however the job is timed, and what comes at 10:00 waits for tomorrow's. Nothing happened: no
e-mail.

The periodic job runs every quarter of an hour and sends a day's digests during the
:data:`SEND_WITHIN` after 07:00 (so a quiet reader costs a few checks a day, not one every
quarter of an hour until midnight); a job that was down all that time skips the day, and the
next digest covers it. Only a reader who has had no digest for a week (or never) starts from the
24 hours before their next morning. The outbox's dedupe key ``thread-digest:<user>:<date>``
makes it one e-mail per person and day even when two runs overlap; the previous digests are
found by those keys too (no table of its own).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session, joinedload

from notifications.messages import Recipient, queue
from notifications.models import OutboundMessage
from panel.accounts.models import NotifyMode, User
from panel.answers.models import Answer
from panel.core.db import utcnow
from panel.organisations.models import Organisation
from panel.threads import notices
from panel.threads.inbox import DEFAULT_TIMEZONE
from panel.threads.models import Comment, CommentKind, Thread

PURPOSE = "thread-digest"
ZONE_SETTING = "timezone"  # the key questions, sends, touchpoints and the inbox read
SEND_AT = dt.time(7, 0)
SEND_WITHIN = dt.timedelta(hours=3)
LOOK_BACK_DAYS = 7
MAX_THREADS = 50  # listed in one digest; the rest are counted, with a link to the inbox


def zone_of(organisation: Organisation) -> ZoneInfo:
    """The organisation's time zone (Stoop's default when it has none, or an unknown one)."""
    name = organisation.setting(ZONE_SETTING)
    try:
        return ZoneInfo(name if isinstance(name, str) and name else DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIMEZONE)


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


Window = tuple[dt.datetime, dt.datetime]


def collect(session: Session, windows: dict[int, Window]) -> dict[int, list[Entry]]:
    """For each user (id → their window, ``since`` until ``until``): the new answers and
    follow-ups in their threads, the thread with the latest news first. Two queries for any
    number of users, each row then kept for its owner's window."""
    if not windows:
        return {}
    since = min(start for start, _ in windows.values())
    until = max(end for _, end in windows.values())
    owners = Thread.owner_id.in_(list(windows))
    loaded = (joinedload(Thread.answer).joinedload(Answer.contact),)

    def inside(user_id: int | None, moment: dt.datetime) -> bool:
        start, end = windows.get(user_id, (until, until))  # type: ignore[arg-type]
        return start <= moment < end

    found: dict[int, dict[int, Entry]] = {user_id: {} for user_id in windows}
    new = session.scalars(
        sa.select(Thread)
        .where(owners, Thread.created_at >= since, Thread.created_at < until)
        .options(*loaded)
    )
    for thread in new:
        if inside(thread.owner_id, thread.created_at):
            found[thread.owner_id][thread.id] = Entry(thread, new_answer=True)
    follow_ups = session.execute(
        sa.select(Comment, Thread)
        .join(Thread, Thread.id == Comment.thread_id)
        .where(
            owners,
            Comment.kind == CommentKind.FOLLOW_UP.value,
            Comment.created_at >= since,
            Comment.created_at < until,
        )
        .options(*loaded)
        .order_by(Comment.id)
    )
    for comment, thread in follow_ups:
        if inside(thread.owner_id, comment.created_at):
            entries = found[thread.owner_id]
            entries.setdefault(thread.id, Entry(thread)).follow_ups.append(comment)
    return {
        user_id: sorted(entries.values(), key=_latest, reverse=True)
        for user_id, entries in found.items()
    }


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
    zone = zone_of(organisation)
    until = cutoff(day, zone)
    windows: dict[int, Window] = {}
    for user in users:
        if day in sent.get(user.id, ()) or not user.email:
            continue
        previous = max(sent.get(user.id, ()), default=None)
        windows[user.id] = (
            cutoff(previous, zone) if previous else until - dt.timedelta(hours=24),
            until,
        )
    found = collect(session, windows)
    return sum(send_digest(session, user, day, found.get(user.id, [])) for user in users)


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


def send_digest(session: Session, user: User, day: dt.date, entries: list[Entry]) -> int:
    """Queue ``user``'s digest of ``day`` listing ``entries`` (see :func:`collect`); 1 when
    one was written, 0 when there is nothing to tell or it was written before."""
    if not entries or not user.email:
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
