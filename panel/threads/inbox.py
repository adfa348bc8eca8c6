"""The inbox: which threads a staff member sees, filtered, newest activity first, a page at a time.

Three scopes: *mine* (threads I own), *my team* (threads owned by anyone with my ``team``) and
*all* (the whole organisation; admins and communicators only). Filters narrow a scope by the
columns the thread copies from its answer, so a page is one range of ``ix_thread_owner_inbox``
or ``ix_thread_inbox`` read backwards, however many threads there are. Pages follow each other
by keyset on ``(last_activity_at, id)``: a thread that moves while someone pages is neither
shown twice nor skipped over, and the hundredth page costs what the first does.

Query parameters come from a plain GET form and from links people keep, so :func:`parse` never
refuses one: a value it cannot use is left out, and the page says which and why.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import ngettext
from sqlalchemy.orm import Session, aliased

from panel.accounts.models import Role, User
from panel.answers.models import Answer, AnswerChannel
from panel.contacts.models import Contact
from panel.core.db import utcnow
from panel.core.i18n import LazyText
from panel.core.i18n import lazy_text as _l
from panel.core.navigation import Badge
from panel.core.routing import MAX_DB_ID, parse_id
from panel.places.models import Place
from panel.threads import search
from panel.threads.models import Thread, ThreadRead, ThreadStatus
from panel.threads.service import unread_count

PAGE_SIZE = 50
OVERDUE_DAYS = 3  # the default of the organisation's ``reply_overdue_days``
DEFAULT_TIMEZONE = "Europe/Stockholm"
# The first and last days a date filter takes (a day outside cannot be turned into a moment).
FIRST_DAY = dt.date(1970, 1, 1)
LAST_DAY = dt.date(9998, 12, 31)
_CURSOR = re.compile(r"([0-9a-f]{1,15})\.([0-9a-f]{1,8})")
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class Scope(enum.StrEnum):
    MINE = "mine"
    TEAM = "team"
    ALL = "all"


def sees_all(user: User) -> bool:
    """Admins and communicators may read every thread of the organisation."""
    return user.role in (Role.ADMIN, Role.COMMUNICATOR)


@dataclass(frozen=True)
class Filters:
    """What the inbox shows: a scope and the filters that narrow it (None: not filtered)."""

    scope: Scope = Scope.MINE
    status: str | None = None
    question: int | None = None
    touchpoint: int | None = None
    channel: str | None = None
    place: int | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    has_video: bool = False
    overdue: bool = False
    unread: bool = False
    q: str = ""

    @property
    def active(self) -> bool:
        """Whether anything but the scope narrows the list."""
        return self != Filters(scope=self.scope)

    @property
    def count(self) -> int:
        """How many filters are set (the search counts as one)."""
        blank = Filters(scope=self.scope)
        return sum(getattr(self, name) != getattr(blank, name) for name in _ARG_NAMES)

    def args(self, **changes: Any) -> dict[str, Any]:
        """The query arguments that show this list again (with ``changes``), for links."""
        filters = replace(self, **changes) if changes else self
        values: dict[str, Any] = {"scope": str(filters.scope)}
        for name in _ARG_NAMES:
            value = getattr(filters, name)
            if value is True:
                values[name] = "1"
            elif isinstance(value, dt.date):
                values[name] = value.isoformat()
            elif value not in (None, False, ""):
                values[name] = value
        return values


_ARG_NAMES = (
    "q",
    "status",
    "question",
    "touchpoint",
    "channel",
    "place",
    "since",
    "until",
    "has_video",
    "overdue",
    "unread",
)


@dataclass
class Parsed:
    """Filters read from a request, the cursor of the page asked for, and what was left out."""

    filters: Filters
    cursor: tuple[dt.datetime, int] | None = None
    problems: list[LazyText] = field(default_factory=list)
    scope_refused: bool = False  # "all" asked for by someone who may not see it


NOT_A_DATE = {
    "since": _l("“%(value)s” is not a date, so the first day of last activity was left out."),
    "until": _l("“%(value)s” is not a date, so the last day of last activity was left out."),
}
NOT_AN_ID = {
    "question": _l("“%(value)s” is not a question, so the question filter was left out."),
    "touchpoint": _l("“%(value)s” is not a touchpoint, so the touchpoint filter was left out."),
    "place": _l("“%(value)s” is not a place, so the place filter was left out."),
}
NOT_KNOWN = {
    "status": _l("“%(value)s” is not a status, so the status filter was left out."),
    "channel": _l("“%(value)s” is not a channel, so the channel filter was left out."),
}
NO_TEAM = _l("You are in no team, so you see your own conversations. An admin can add you to one.")
NO_WORDS = _l("There are no words in that search, so it was left out.")
BAD_CURSOR = _l("That page link is not one the inbox gave out, so the newest are shown.")
STATUSES = tuple(status.value for status in ThreadStatus)
CHANNELS = tuple(channel.value for channel in AnswerChannel)
SCOPES = tuple(scope.value for scope in Scope)


class _Reader:
    """Reads query arguments into values, noting each it had to leave out."""

    def __init__(self, args: Mapping[str, str]) -> None:
        self.args = args
        self.problems: list[LazyText] = []

    def text(self, name: str) -> str:
        return (self.args.get(name) or "").strip()

    def _left_out(self, message: LazyText, value: str) -> None:
        self.problems.append(_l(message.msgid, value=value[:40]))

    def choice(self, name: str, allowed: tuple[str, ...]) -> str | None:
        value = self.text(name)
        if value and value not in allowed:
            self._left_out(NOT_KNOWN[name], value)
            return None
        return value or None

    def id(self, name: str) -> int | None:
        value = self.text(name)
        found = parse_id(value) if value else None
        if value and found is None:
            self._left_out(NOT_AN_ID[name], value)
        return found

    def day(self, name: str) -> dt.date | None:
        value = self.text(name)
        if not value:
            return None
        try:
            day = dt.date.fromisoformat(value) if len(value) == 10 else None
        except ValueError:
            day = None
        if day is None or not FIRST_DAY <= day <= LAST_DAY:
            self._left_out(NOT_A_DATE[name], value)
            return None
        return day

    def flag(self, name: str) -> bool:
        return self.text(name) == "1"


def parse(args: Mapping[str, str], user: User) -> Parsed:
    """The filters in a request's query arguments. Never refuses: a value that cannot be used
    is left out and named in ``problems`` (``scope_refused`` when ``all`` is not allowed)."""
    read = _Reader(args)
    scope = _scope(read.text("scope"))
    refused = scope == Scope.ALL and not sees_all(user)
    if refused:
        scope = Scope.MINE
    if scope == Scope.TEAM and not user.team:
        read.problems.append(NO_TEAM)
        scope = Scope.MINE
    query, cut = search.clean_query(args.get("q"))
    if query and not search.words(query):
        read.problems.append(NO_WORDS)
        query = ""
    if cut:
        read.problems.append(
            _l("Only the first %(max)s characters of the search were used.", max=search.MAX_QUERY)
        )
    filters = Filters(
        scope=scope,
        status=read.choice("status", STATUSES),
        question=read.id("question"),
        touchpoint=read.id("touchpoint"),
        channel=read.choice("channel", CHANNELS),
        place=read.id("place"),
        since=read.day("since"),
        until=read.day("until"),
        has_video=read.flag("has_video"),
        overdue=read.flag("overdue"),
        unread=read.flag("unread"),
        q=query,
    )
    cursor = decode_cursor(read.text("after")) if read.text("after") else None
    if read.text("after") and cursor is None:
        read.problems.append(BAD_CURSOR)
    return Parsed(filters, cursor, read.problems, refused)


def _scope(value: str) -> Scope:
    return Scope(value) if value in SCOPES else Scope.MINE


# --- the cursor ----------------------------------------------------------------------------------


def encode_cursor(moment: dt.datetime, thread_id: int) -> str:
    """The opaque cursor of the page after the thread with this activity moment and id."""
    micros = (moment - _EPOCH) // dt.timedelta(microseconds=1)
    return f"{max(micros, 0):x}.{thread_id:x}"


def decode_cursor(text: str) -> tuple[dt.datetime, int] | None:
    """``(last_activity_at, id)`` of a cursor :func:`encode_cursor` made; None for anything
    else."""
    match = _CURSOR.fullmatch(text)
    if match is None:
        return None
    micros, thread_id = int(match.group(1), 16), int(match.group(2), 16)
    if not 1 <= thread_id <= MAX_DB_ID:
        return None
    try:
        moment = _EPOCH + dt.timedelta(microseconds=micros)
    except OverflowError:
        return None
    return (moment, thread_id) if moment.year <= LAST_DAY.year else None


# --- the query -----------------------------------------------------------------------------------


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
