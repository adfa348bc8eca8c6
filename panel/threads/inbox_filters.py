"""What the inbox is asked to show: a scope, filters and a page, read from query parameters.

Three scopes: *mine* (threads I own), *my team* (threads owned by anyone with my ``team``) and
*all* (the whole organisation; admins and communicators only). The parameters come from a plain
GET form and from links people keep, so :func:`parse` never refuses one: a value it cannot use
is left out, and the page says which and why. The cursor of a page is opaque to the browser:
the activity moment (microseconds) and id of the last thread shown, in hexadecimal.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from panel.accounts.models import Role, User
from panel.answers.models import AnswerChannel
from panel.core.i18n import LazyText
from panel.core.i18n import lazy_text as _l
from panel.core.routing import MAX_DB_ID, parse_id
from panel.threads import search
from panel.threads.models import ThreadStatus

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
