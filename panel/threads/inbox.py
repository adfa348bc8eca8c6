"""The inbox: a page of a staff member's threads, filtered, newest activity first.

Filters narrow a scope (see :mod:`panel.threads.inbox_filters`) by the columns the thread copies
from its answer, so a page is one range of ``ix_thread_owner_inbox`` or ``ix_thread_inbox`` read
backwards (on PostgreSQL an index-only scan: the indexes carry what the filters read), however
many threads there are. Pages follow each other by keyset on ``(last_activity_at, id)``: a
thread that moves while someone pages is neither shown twice nor skipped over, and the
hundredth page costs what the first does. A search is answered by the GIN index of the search
vectors when its words are rare, and by reading the newest threads when they are common.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import ngettext
from sqlalchemy.orm import Session, aliased

from panel.accounts.models import User
from panel.answers.models import Answer
from panel.contacts.models import Contact
from panel.core.db import utcnow
from panel.core.navigation import Badge
from panel.places.models import Place
from panel.threads import search
from panel.threads.inbox_filters import Filters, Scope, encode_cursor
from panel.threads.models import Thread, ThreadRead
from panel.threads.service import unread_count

PAGE_SIZE = 50
OVERDUE_DAYS = 3  # the default of the organisation's ``reply_overdue_days``
DEFAULT_TIMEZONE = "Europe/Stockholm"


@dataclass(frozen=True)
class Context:
    """What the query needs besides the filters: who asks, the organisation's clock and rules."""

    user: User
    dialect: str
    timezone: str = DEFAULT_TIMEZONE
    overdue_days: int = OVERDUE_DAYS
    now: dt.datetime = field(default_factory=utcnow)

    @property
    def overdue_before(self) -> dt.datetime:
        """Threads waiting since before this moment are overdue."""
        return self.now - dt.timedelta(days=self.overdue_days)

    @property
    def zone(self) -> ZoneInfo:
        """The organisation's time zone (Stockholm's when its setting names none we know)."""
        try:
            return ZoneInfo(self.timezone)
        except (KeyError, ValueError):
            return ZoneInfo(DEFAULT_TIMEZONE)

    def day_start(self, day: dt.date) -> dt.datetime:
        """Midnight at the start of ``day`` in the organisation's time zone, in UTC."""
        return dt.datetime.combine(day, dt.time.min, tzinfo=self.zone).astimezone(dt.UTC)


def context_for(user: User, organisation: Any, dialect: str) -> Context:
    """The query context of a user of an organisation (its time zone and overdue setting)."""
    days = organisation.setting("reply_overdue_days", OVERDUE_DAYS)
    try:
        days = max(int(days), 0)
    except (TypeError, ValueError):
        days = OVERDUE_DAYS
    timezone = str(organisation.setting("timezone", DEFAULT_TIMEZONE))
    return Context(user=user, dialect=dialect, timezone=timezone, overdue_days=days)


def places_under(session: Session, place_id: int) -> list[int]:
    """The place and every place below it (each node keeps its ancestors' ids). Looked up
    first, so the page's query names them: the planner then knows how many threads to expect
    (a subquery it guesses at one place, and reads a whole area's threads to sort them)."""
    query = sa.select(Place.id).where(
        sa.or_(Place.id == place_id, Place.area_id == place_id, Place.building_id == place_id)
    )
    return list(session.scalars(query))


def scope_clause(filters: Filters, user: User) -> sa.ColumnElement[bool] | None:
    """Whose threads the scope takes in (None: the whole organisation)."""
    if filters.scope == Scope.MINE:
        return Thread.owner_id == user.id
    if filters.scope == Scope.TEAM:
        team = sa.select(User.id).where(User.team == user.team)
        return Thread.owner_id.in_(team)
    return None


def filter_clauses(
    filters: Filters, ctx: Context, read: Any, places: list[int] | None = None
) -> list[sa.ColumnElement[bool]]:
    """The WHERE clauses of the filters (``read`` is the user's ThreadRead, outer-joined;
    ``places`` the ids :func:`places_under` found for the place filter)."""
    clauses: list[sa.ColumnElement[bool]] = []
    scoped = scope_clause(filters, ctx.user)
    if scoped is not None:
        clauses.append(scoped)
    simple = {
        Thread.status: filters.status,
        Thread.question_id: filters.question,
        Thread.touchpoint_id: filters.touchpoint,
        Thread.channel: filters.channel,
    }
    clauses.extend(column == value for column, value in simple.items() if value is not None)
    if filters.place is not None:
        clauses.append(Thread.place_id.in_(places or []))
    if filters.since is not None:
        clauses.append(Thread.last_activity_at >= ctx.day_start(filters.since))
    if filters.until is not None:
        until = ctx.day_start(filters.until + dt.timedelta(days=1))
        clauses.append(Thread.last_activity_at < until)
    if filters.has_video:
        clauses.append(Thread.has_video.is_(True))
    if filters.overdue:
        clauses.append(Thread.waiting_since < ctx.overdue_before)
    if filters.unread:
        clauses.append(unread(read))
    found = search.search_clause(ctx.dialect, filters.q) if filters.q else None
    if found is not None:
        clauses.append(found)
    return clauses


def unread(read: Any) -> sa.ColumnElement[bool]:
    """Activity the user has not seen: never read, or read before the last activity."""
    return sa.or_(read.read_at.is_(None), read.read_at < Thread.last_activity_at)


def statement(
    filters: Filters,
    ctx: Context,
    cursor: tuple[dt.datetime, int] | None,
    limit: int,
    places: list[int] | None = None,
) -> sa.Select[Any]:
    """The page's one query: ``limit`` threads of the scope and filters after ``cursor``,
    newest activity first, each with whether the user has read it, and what its row shows of
    its answer. The threads are found first (a subquery with its own LIMIT, read from the
    inbox's index) and only those are joined to their answers, whatever plan finds them."""
    read = aliased(ThreadRead)
    page = (
        sa.select(
            Thread.id,
            Thread.answer_id,
            Thread.owner_id,
            Thread.status,
            Thread.question_id,
            Thread.place_id,
            Thread.channel,
            Thread.has_video,
            Thread.last_activity_at,
            Thread.waiting_since,
            unread(read).label("unread"),
        )
        .outerjoin(read, sa.and_(read.thread_id == Thread.id, read.user_id == ctx.user.id))
        .where(
            Thread.organisation_id == ctx.user.organisation_id,
            *filter_clauses(filters, ctx, read, places),
        )
    )
    if cursor is not None:
        moment, thread_id = cursor
        page = page.where(
            sa.tuple_(Thread.last_activity_at, Thread.id)
            < sa.tuple_(sa.literal(moment, Thread.last_activity_at.type), sa.literal(thread_id))
        )
    found = page.order_by(Thread.last_activity_at.desc(), Thread.id.desc()).limit(limit).subquery()
    return (
        sa.select(
            found,
            Answer.text,
            Answer.score,
            Answer.choice,
            Answer.clip_kind,
            Answer.consent_identity,
            Answer.respondent_name,
            Contact.name.label("contact_name"),
        )
        .join(Answer, Answer.id == found.c.answer_id)
        .outerjoin(Contact, Contact.id == Answer.contact_id)
        .order_by(found.c.last_activity_at.desc(), found.c.id.desc())
    )


@dataclass
class Page:
    """One page of the inbox: its rows (as the query gave them) and the cursor of the next."""

    rows: list[Any]
    older: str | None


def inbox_page(
    session: Session,
    filters: Filters,
    ctx: Context,
    cursor: tuple[dt.datetime, int] | None = None,
    limit: int = PAGE_SIZE,
) -> Page:
    """A page of the inbox, and the cursor of the page after it (None on the last)."""
    places = places_under(session, filters.place) if filters.place is not None else None
    rows = list(session.execute(statement(filters, ctx, cursor, limit + 1, places)))
    more = len(rows) > limit
    rows = rows[:limit]
    older = encode_cursor(rows[-1].last_activity_at, rows[-1].id) if more else None
    return Page(rows, older)


def has_any(session: Session, filters: Filters, ctx: Context) -> bool:
    """Whether the scope has any thread at all (to tell "nothing yet" from "nothing matches")."""
    scoped = scope_clause(filters, ctx.user)
    query = sa.select(Thread.id)
    if scoped is not None:
        query = query.where(scoped)
    return session.scalar(query.limit(1)) is not None


# --- the menu's count ----------------------------------------------------------------------------

BADGE_MAX = 99


def nav_badge(session: Session, user: User) -> Badge | None:
    """The Inbox entry's count: the user's own threads with something new (None for none)."""
    count = unread_count(session, user)
    if not count:
        return None
    text = f"{BADGE_MAX}+" if count > BADGE_MAX else str(count)
    return Badge(text=text, label=ngettext("%(num)s unread", "%(num)s unread", count))
