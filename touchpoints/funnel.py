"""The funnel: per touchpoint, day and source, how many viewed, started and answered.

Counters only: no cookies, no addresses, nothing that tells one visitor from another. Each
event adds one to its day's row with an upsert, so concurrent requests never lose a count.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from panel.organisations.models import Organisation
from touchpoints.models import FunnelCount, FunnelEvent, FunnelSource, Touchpoint

EVENTS = tuple(e.value for e in FunnelEvent)
SOURCES = tuple(s.value for s in FunnelSource)


def source_of(src: Any) -> str:
    """``?src=`` as a known source; anything else (or nothing) is ``direct``."""
    value = str(src or "").strip().lower()
    return value if value in SOURCES else FunnelSource.DIRECT.value


def record(
    session: Session,
    touchpoint_id: int,
    src: Any,
    event: str | FunnelEvent,
    *,
    day: dt.date | None = None,
    organisation_id: int | None = None,
    amount: int = 1,
) -> None:
    """Add one ``event`` (view, start, answer) from ``src`` to today's counter of the
    touchpoint (today in its organisation's time zone). Part of the caller's transaction.

    A caller that has the touchpoint's organisation and day at hand (the tenant page) passes
    them: the count is then one statement."""
    event = FunnelEvent(event).value
    source = source_of(src)
    if organisation_id is None:
        organisation_id = session.scalar(
            sa.select(Touchpoint.organisation_id)
            .where(Touchpoint.id == touchpoint_id)
            .execution_options(all_organisations=True)
        )
    if organisation_id is None:
        raise LookupError(f"no touchpoint {touchpoint_id}")
    if day is None:
        from touchpoints.service import organisation_today

        day = organisation_today(session.get(Organisation, organisation_id))
    table = FunnelCount.__table__
    dialect = session.get_bind().dialect.name
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(table)
    statement = insert.values(
        organisation_id=organisation_id,
        touchpoint_id=touchpoint_id,
        day=day,
        source=source,
        event=event,
        count=amount,
    ).on_conflict_do_update(
        index_elements=["touchpoint_id", "day", "source", "event"],
        set_={"count": table.c.count + amount},
    )
    session.execute(statement)


@dataclass
class FunnelRow:
    """One day and source: its views, starts and answers."""

    day: dt.date
    source: str
    counts: dict[str, int] = field(default_factory=dict)

    def __getitem__(self, event: str) -> int:
        return self.counts.get(event, 0)


@dataclass
class Funnel:
    """A touchpoint's funnel over some days: a row per day and source, and totals."""

    rows: list[FunnelRow]
    totals: dict[str, int]
    by_source: dict[str, dict[str, int]]

    @property
    def is_empty(self) -> bool:
        return not self.rows


def funnel(session: Session, touchpoint: Touchpoint, since: dt.date) -> Funnel:
    """The touchpoint's counters from ``since`` on, newest day first."""
    counts = session.execute(
        sa.select(FunnelCount.day, FunnelCount.source, FunnelCount.event, FunnelCount.count)
        .where(
            FunnelCount.touchpoint_id == touchpoint.id,
            FunnelCount.organisation_id == touchpoint.organisation_id,
            FunnelCount.day >= since,
        )
        .order_by(FunnelCount.day.desc(), FunnelCount.source)
    ).all()
    rows: dict[tuple[dt.date, str], FunnelRow] = {}
    totals: dict[str, int] = dict.fromkeys(EVENTS, 0)
    by_source: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(EVENTS, 0))
    for day, source, event, count in counts:
        if event not in EVENTS:
            continue  # written by something other than record(): not a funnel step
        row = rows.setdefault((day, source), FunnelRow(day=day, source=source))
        row.counts[event] = count
        totals[event] = totals.get(event, 0) + count
        by_source[source][event] += count
    return Funnel(rows=list(rows.values()), totals=totals, by_source=dict(by_source))
