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
import functools
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


# Filters that compare one column with one value, by the name the page's query binds it as.
_EQUALS = {
    "status": Thread.status,
    "question": Thread.question_id,
    "touchpoint": Thread.touchpoint_id,
    "channel": Thread.channel,
}


@dataclass(frozen=True)
class Shape:
    """Which filters a page's query has, not their values: the query is built once per shape
    (building it cost more than running it) and given the values as parameters."""

    dialect: str
    scope: Scope
    filters: frozenset[str]  # the names of those set: status, place, since, unread...
    words: int  # the search's words as the statement binds them (0: no search)
    cursor: bool
    limit: int


def shape_and_values(
    filters: Filters,
    ctx: Context,
    cursor: tuple[dt.datetime, int] | None,
    limit: int,
    places: list[int] | None = None,
) -> tuple[Shape, dict[str, Any]]:
    """The shape of the page's query and the values of its parameters (``places``: the ids
    :func:`places_under` found for the place filter)."""
    values: dict[str, Any] = {"user_id": ctx.user.id, "organisation_id": ctx.user.organisation_id}
    if filters.scope == Scope.TEAM:
        values["team"] = ctx.user.team
    values.update({name: getattr(filters, name) for name in _EQUALS})
    values.update(
        place=places if filters.place is not None else None,
        since=ctx.day_start(filters.since) if filters.since else None,
        until=ctx.day_start(filters.until + dt.timedelta(days=1)) if filters.until else None,
        overdue=ctx.overdue_before if filters.overdue else None,
        has_video=filters.has_video or None,
        unread=filters.unread or None,
    )
    values = {name: value for name, value in values.items() if value is not None}
    found = search.search_values(ctx.dialect, filters.q) if filters.q else {}
    values.update(found)
    if cursor is not None:
        values["after_at"], values["after_id"] = cursor
    named = frozenset(values) - {"user_id", "organisation_id", "team", "after_at", "after_id"}
    words = search.bound_words(ctx.dialect, found)
    shape = Shape(ctx.dialect, filters.scope, named - set(found), words, cursor is not None, limit)
    return shape, values


def unread(read: Any) -> sa.ColumnElement[bool]:
    """Activity the user has not seen: never read, or read before the last activity."""
    return sa.or_(read.read_at.is_(None), read.read_at < Thread.last_activity_at)


def _where(shape: Shape, read: Any) -> list[sa.ColumnElement[bool]]:
    """The WHERE clauses of a shape, with its values as named parameters."""
    clauses = [Thread.organisation_id == sa.bindparam("organisation_id")]
    if shape.scope == Scope.MINE:
        clauses.append(Thread.owner_id == sa.bindparam("user_id"))
    elif shape.scope == Scope.TEAM:
        team = sa.select(User.id).where(User.team == sa.bindparam("team", type_=sa.String))
        clauses.append(Thread.owner_id.in_(team))
    clauses += [column == sa.bindparam(n) for n, column in _EQUALS.items() if n in shape.filters]
    named = {
        "place": lambda: Thread.place_id.in_(sa.bindparam("place", expanding=True)),
        "since": lambda: Thread.last_activity_at >= sa.bindparam("since"),
        "until": lambda: Thread.last_activity_at < sa.bindparam("until"),
        "overdue": lambda: Thread.waiting_since < sa.bindparam("overdue"),
        "has_video": lambda: Thread.has_video.is_(True),
        "unread": lambda: unread(read),
    }
    clauses += [make() for name, make in named.items() if name in shape.filters]
    if shape.words:
        clauses.append(search.bound_clause(shape.dialect, shape.words))
    if shape.cursor:
        after = (sa.bindparam("after_at", type_=Thread.last_activity_at.type), "after_id")
        clauses.append(
            sa.tuple_(Thread.last_activity_at, Thread.id)
            < sa.tuple_(after[0], sa.bindparam(after[1], type_=sa.Integer))
        )
    return clauses


@functools.lru_cache(maxsize=512)
def statement(shape: Shape) -> sa.Select[Any]:
    """The page's one query: ``shape.limit`` threads of the scope and filters (after the
    cursor), newest activity first, each with whether the user has read it and what its row
    shows of its answer. The threads are found first (a subquery with its own LIMIT, read from
    the inbox's index) and only those are joined to their answers, whatever plan finds them."""
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
        .outerjoin(
            read, sa.and_(read.thread_id == Thread.id, read.user_id == sa.bindparam("user_id"))
        )
        .where(*_where(shape, read))
    )
    found = (
        page.order_by(Thread.last_activity_at.desc(), Thread.id.desc())
        .limit(shape.limit)
        .subquery()
    )
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
    shape, values = shape_and_values(filters, ctx, cursor, limit + 1, places)
    rows = list(session.execute(statement(shape), values))
    more = len(rows) > limit
    rows = rows[:limit]
    older = encode_cursor(rows[-1].last_activity_at, rows[-1].id) if more else None
    return Page(rows, older)


def has_any(session: Session, filters: Filters, ctx: Context) -> bool:
    """Whether the scope has any thread at all (to tell "nothing yet" from "nothing matches")."""
    shape, values = shape_and_values(Filters(scope=filters.scope), ctx, None, 1)
    return session.execute(statement(shape), values).first() is not None


# --- the menu's count ----------------------------------------------------------------------------

BADGE_MAX = 99


def nav_badge(session: Session, user: User) -> Badge | None:
    """The Inbox entry's count: the user's own threads with something new (None for none)."""
    count = unread_count(session, user)
    if not count:
        return None
    text = f"{BADGE_MAX}+" if count > BADGE_MAX else str(count)
    return Badge(text=text, label=ngettext("%(num)s unread", "%(num)s unread", count))
