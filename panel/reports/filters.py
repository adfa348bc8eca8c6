"""Which answers a report takes in, as SQL: the WHERE clause of every figure.

- Questions and touchpoints: an answer to one of the chosen questions, or one that came through
  one of the chosen touchpoints (either list may be empty; both empty: every answer).
- Dates: ``Answer.created_at`` from the start of ``starts_on`` to the end of ``ends_on``
  (inclusive), days as the organisation's clock has them (``Organisation.settings["timezone"]``,
  Stockholm's unless it chose another, as questions, sends, touchpoints and the inbox read it).
  Weeks (Monday to Sunday) and months of the trend are the organisation's too.
- Place: answers at the place or anywhere below it (the place's own id, or a node whose
  ``building_id`` or ``area_id`` is it).
- Segments: answers by contacts who are members of the segment's panel (in any member status:
  someone who has since left still answered as a member) and match its criteria, evaluated by
  :func:`panel.panels.segments.member_contacts` as sends do; any of the chosen segments.

Every table is filtered by the organisation explicitly, so the statements are safe in a scoped
or an unscoped session and as subqueries.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from sqlalchemy.orm import Session

from panel.answers.models import Answer
from panel.panels.models import Segment
from panel.panels.segments import member_contacts, segment_criteria
from panel.places.models import Place
from panel.questions.forms import DEFAULT_TIMEZONE

if TYPE_CHECKING:
    from panel.reports.figures import ReportFilter


ZONE_SETTING = "timezone"
MAX_BUCKETS = 5000  # weeks or months a trend reaches over (about a century of weeks)


def zone_named(name: Any) -> ZoneInfo:
    """The time zone of that name (Stockholm's when it names none we know)."""
    try:
        return ZoneInfo(name if isinstance(name, str) and name else DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIMEZONE)


def day_start(day: dt.date, zone: dt.tzinfo = dt.UTC) -> dt.datetime:
    """Midnight at the start of ``day`` in ``zone``, in UTC."""
    return dt.datetime.combine(day, dt.time(), tzinfo=zone).astimezone(dt.UTC)


def time_window(
    starts_on: dt.date | None, ends_on: dt.date | None, zone: dt.tzinfo = dt.UTC
) -> tuple[dt.datetime | None, dt.datetime | None]:
    """The half-open ``[from, until)`` of the dates (``ends_on`` inclusive); None: open."""
    since = day_start(starts_on, zone) if starts_on else None
    until = day_start(ends_on + dt.timedelta(days=1), zone) if ends_on else None
    return since, until


def places_below(organisation_id: int, place_id: int) -> sa.Select[Any]:
    """``SELECT place.id`` of the place and every node below it."""
    return sa.select(Place.id).where(
        Place.organisation_id == organisation_id,
        sa.or_(Place.id == place_id, Place.building_id == place_id, Place.area_id == place_id),
    )


def segment_members(session: Session, organisation_id: int, segment_ids: tuple[int, ...]) -> Any:
    """``SELECT contact.id`` of the members of any of the segments (a union), or None when
    none of the segments is the organisation's (then no answer matches)."""
    segments = session.scalars(
        sa.select(Segment)
        .where(Segment.organisation_id == organisation_id, Segment.id.in_(segment_ids))
        .order_by(Segment.id)
        .execution_options(all_organisations=True)
    ).all()
    queries = [
        member_contacts(
            session, segment.panel_id, organisation_id, status=None, **segment_criteria(segment)
        )
        for segment in segments
    ]
    if not queries:
        return None
    return queries[0] if len(queries) == 1 else sa.union(*queries)


def chosen_conditions(report_filter: ReportFilter, table: Any) -> list[sa.ColumnElement[bool]]:
    """The rows of ``table`` (answers, or their rollup: it has ``organisation_id``,
    ``question_id`` and ``touchpoint_id``) of the filter's organisation and of its questions
    or touchpoints (neither chosen: all of them)."""
    clauses: list[sa.ColumnElement[bool]] = [table.organisation_id == report_filter.organisation_id]
    chosen = []
    if report_filter.question_ids:
        chosen.append(table.question_id.in_(list(report_filter.question_ids)))
    if report_filter.touchpoint_ids:
        chosen.append(table.touchpoint_id.in_(list(report_filter.touchpoint_ids)))
    if chosen:
        clauses.append(sa.or_(*chosen) if len(chosen) > 1 else chosen[0])
    return clauses


def answer_conditions(
    session: Session,
    report_filter: ReportFilter,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> list[sa.ColumnElement[bool]]:
    """The WHERE clauses on :class:`Answer` of the filter, over ``[since, until)`` (the
    filter's own dates are not applied here: the caller passes the window it scans)."""
    organisation_id = report_filter.organisation_id
    clauses = chosen_conditions(report_filter, Answer)
    if since is not None:
        clauses.append(Answer.created_at >= since)
    if until is not None:
        clauses.append(Answer.created_at < until)
    if report_filter.place_id is not None:
        clauses.append(Answer.place_id.in_(places_below(organisation_id, report_filter.place_id)))
    if report_filter.segment_ids:
        members = segment_members(session, organisation_id, report_filter.segment_ids)
        clauses.append(sa.false() if members is None else Answer.contact_id.in_(members))
    return clauses


def period_start(day: dt.date, period: str) -> dt.date:
    """The Monday of the day's week, or the first of its month."""
    if period == "week":
        return day - dt.timedelta(days=day.weekday())
    return day.replace(day=1)


def next_period(day: dt.date, period: str) -> dt.date:
    """The start of the week or month after the one starting on ``day``."""
    if period == "week":
        return day + dt.timedelta(days=7)
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def bucket_of(
    session: Session,
    column: Any,
    period: str,
    zone: ZoneInfo,
    first: dt.date,
    last: dt.date,
) -> tuple[sa.ColumnElement[int], list[dt.date]]:
    """Which week (Monday to Sunday) or month of the organisation's clock a UTC timestamp
    column falls in: an expression giving the period's number, and the periods' first days
    (from ``first``'s period to ``last``'s; earlier moments count in the first, later in the
    last). The periods' starts are worked out here, as UTC instants, so the database needs no
    time zones: PostgreSQL looks the moment up among them with ``width_bucket`` (a binary
    search over an array), others with a balanced CASE (a dozen comparisons for a few thousand
    periods)."""
    starts = [period_start(first, period)]
    while starts[-1] < period_start(last, period) and len(starts) < MAX_BUCKETS:
        starts.append(next_period(starts[-1], period))
    edges = [day_start(day, zone) for day in starts[1:]]
    if not edges:
        return sa.literal(0, sa.Integer), starts
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import ARRAY

        thresholds = sa.bindparam("bucket_edges", edges, type_=ARRAY(sa.DateTime(timezone=True)))
        return sa.func.width_bucket(column, thresholds, type_=sa.Integer), starts

    def split(low: int, high: int) -> Any:
        # Periods low..high-1; edges[k - 1] is where period k starts.
        if high - low == 1:
            return sa.literal(low, sa.Integer)
        middle = (low + high) // 2
        return sa.case((column < edges[middle - 1], split(low, middle)), else_=split(middle, high))

    return split(0, len(starts)), starts


def as_date(value: Any) -> dt.date:
    """A bucket as a date, whichever way the database handed it back."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])
