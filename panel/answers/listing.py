"""Which answers a list shows: the filters shared by the API (and later the inbox) — question,
touchpoint, channel, place at any level, a date range, with or without a clip."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from panel.answers.models import Answer
from panel.places.models import Place


def under_place(place_id: int) -> sa.ColumnElement[bool]:
    """Answers at the place or anywhere below it (the tree keeps each node's ancestors)."""
    below = sa.select(Place.id).where(
        sa.or_(Place.id == place_id, Place.area_id == place_id, Place.building_id == place_id)
    )
    return Answer.place_id.in_(below)


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)


def answer_filters(
    *,
    question_id: int | None = None,
    touchpoint_id: int | None = None,
    channel: str | None = None,
    place_id: int | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    has_media: bool | None = None,
) -> list[sa.ColumnElement[bool]]:
    """The WHERE clauses of a filtered answer list (days are whole UTC days, both included)."""
    clauses: list[sa.ColumnElement[bool]] = []
    if question_id is not None:
        clauses.append(Answer.question_id == question_id)
    if touchpoint_id is not None:
        clauses.append(Answer.touchpoint_id == touchpoint_id)
    if channel:
        clauses.append(Answer.channel == channel)
    if place_id is not None:
        clauses.append(under_place(place_id))
    if since is not None:
        clauses.append(Answer.created_at >= _day_start(since))
    if until is not None:
        clauses.append(Answer.created_at < _day_start(until + dt.timedelta(days=1)))
    if has_media is not None:
        clauses.append(Answer.media_id.is_not(None) if has_media else Answer.media_id.is_(None))
    return clauses


def filters_from(args: dict[str, Any]) -> list[sa.ColumnElement[bool]]:
    """The filters named in parsed query arguments."""
    names = ("question_id", "touchpoint_id", "channel", "place_id", "since", "until", "has_media")
    return answer_filters(**{name: args.get(name) for name in names})
