"""Which threads a list shows: status, owner, question, touchpoint, channel, place at any level,
a range of days of last activity, with or without a video, unread, and a text search.

Pure functions from values to WHERE clauses, so that the API and the inbox can share them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from panel.places.models import Place
from panel.threads.models import Thread
from panel.threads.search import search_clause
from panel.threads.service import unread_clause


@dataclass(frozen=True)
class ThreadFilter:
    """What to narrow a thread list to; None (or empty) means: do not filter on it.
    ``unread_for`` is the user whose reading decides ``unread``."""

    status: str | None = None
    owner_id: int | None = None
    question_id: int | None = None
    touchpoint_id: int | None = None
    channel: str | None = None
    place_id: int | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    has_video: bool | None = None
    unread: bool | None = None
    unread_for: int | None = None
    q: str | None = None


def under_place(place_id: int) -> sa.ColumnElement[bool]:
    """Threads at the place or anywhere below it (a place row keeps its area and building)."""
    below = sa.select(Place.id).where(
        sa.or_(Place.id == place_id, Place.area_id == place_id, Place.building_id == place_id)
    )
    return Thread.place_id.in_(below)


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)


def thread_filters(wanted: ThreadFilter, dialect: str) -> list[sa.ColumnElement[bool]]:
    """The WHERE clauses of a filtered thread list on ``dialect`` (days are whole UTC days of
    the last activity, both included)."""
    clauses: list[sa.ColumnElement[bool]] = []
    equal = {
        Thread.status: wanted.status,
        Thread.owner_id: wanted.owner_id,
        Thread.question_id: wanted.question_id,
        Thread.touchpoint_id: wanted.touchpoint_id,
        Thread.channel: wanted.channel,
        Thread.has_video: wanted.has_video,
    }
    clauses += [column == value for column, value in equal.items() if value is not None]
    if wanted.place_id is not None:
        clauses.append(under_place(wanted.place_id))
    if wanted.since is not None:
        clauses.append(Thread.last_activity_at >= _day_start(wanted.since))
    if wanted.until is not None and wanted.until < dt.date.max:  # the last day: no bound
        clauses.append(Thread.last_activity_at < _day_start(wanted.until + dt.timedelta(days=1)))
    if wanted.unread is not None and wanted.unread_for is not None:
        unread = unread_clause(wanted.unread_for)
        clauses.append(unread if wanted.unread else sa.not_(unread))
    if wanted.q and (found := search_clause(dialect, wanted.q)) is not None:
        clauses.append(found)
    return clauses
