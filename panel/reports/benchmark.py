"""The benchmark across organisations: opt-in, anonymous, per quarter.

An organisation that opts in (``Organisation.settings["benchmark_opt_in"]``, admins, on the
settings page) shares, per quarter, the figures of its composite indices that say which
national kind they are (``benchmark_key``: service, product, safety, overall): the mean, the
share at target and how many score answers they rest on. Nothing else leaves it: no name, no
place, no answer. :func:`refresh` (a periodic job) writes them as :class:`BenchmarkFigure` rows
for the current quarter to date and the last complete one; running it twice writes the same
rows (one upsert per organisation, quarter and kind). An organisation that opts out has its rows
deleted (at once, and by the job).

Every opted-in organisation sees where it stands: the quartiles (min, Q1, median, Q3, max) of
all opted-in organisations' figures, never whose they are, and only where at least
:data:`MIN_ORGANISATIONS` share that kind and quarter. Reading the other organisations' rows is
the one place reports step outside the organisation scope, on purpose, for those numbers only.

An organisation with several indices of one kind shares the first (lowest id).
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from panel.core.db import utcnow
from panel.core.scoping import all_organisations, scoped_to
from panel.organisations.models import Organisation
from panel.reports.figures import ReportFilter, compute, report_settings
from panel.reports.indices import BENCHMARK_KEYS
from panel.reports.models import BenchmarkFigure, CompositeIndex, IndexComponent
from panel.reports.report_settings import BENCHMARK_OPT_IN

MIN_ORGANISATIONS = 4


def quarter_of(day: dt.date) -> str:
    """``2026Q4`` for a day in October to December 2026."""
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def quarter_bounds(quarter: str) -> tuple[dt.date, dt.date]:
    """The first and last day of a quarter such as ``2026Q4``."""
    year, number = int(quarter[:4]), int(quarter[5])
    first = dt.date(year, 3 * number - 2, 1)
    after = dt.date(year + 1, 1, 1) if number == 4 else dt.date(year, 3 * number + 1, 1)
    return first, after - dt.timedelta(days=1)


def previous_quarter(quarter: str) -> str:
    first, _last = quarter_bounds(quarter)
    return quarter_of(first - dt.timedelta(days=1))


# --- writing -------------------------------------------------------------------------------------


def opted_in(session: Session) -> list[int]:
    """The ids of the organisations that take part (the settings are read in Python: a few
    hundred organisations at most, and JSON is read differently per database)."""
    rows = session.execute(sa.select(Organisation.id, Organisation.settings)).all()
    return [oid for oid, settings in rows if (settings or {}).get(BENCHMARK_OPT_IN) is True]


def refresh(session: Session, now: dt.datetime | None = None) -> int:
    """Write every opted-in organisation's figures for the current quarter to date and the last
    complete one, and delete those of organisations that opted out. Returns the rows written.
    Commits per organisation."""
    now = now or utcnow()
    with all_organisations(session):
        taking_part = opted_in(session)
        session.execute(
            sa.delete(BenchmarkFigure).where(BenchmarkFigure.organisation_id.not_in(taking_part))
            if taking_part
            else sa.delete(BenchmarkFigure)
        )
        session.commit()
    written = 0
    for organisation_id in taking_part:
        with scoped_to(session, organisation_id):
            try:
                written += refresh_organisation(session, organisation_id, now)
                session.commit()
            except Exception:
                session.rollback()
                raise
    return written


def refresh_organisation(session: Session, organisation_id: int, now: dt.datetime) -> int:
    """One organisation's rows (the session scoped to it)."""
    zone = report_settings(session, organisation_id).zone
    today = now.astimezone(zone).date()
    current = quarter_of(today)
    quarters = {current: today, previous_quarter(current): None}
    chosen = _indices_by_key(session, organisation_id)
    session.execute(
        sa.delete(BenchmarkFigure).where(
            BenchmarkFigure.organisation_id == organisation_id,
            BenchmarkFigure.benchmark_key.not_in(list(chosen) or [""]),
        )
    )
    written = 0
    for key, (index_id, question_ids) in chosen.items():
        for quarter, until in quarters.items():
            first, last = quarter_bounds(quarter)
            report_filter = ReportFilter(
                organisation_id=organisation_id,
                question_ids=tuple(question_ids),
                starts_on=first,
                ends_on=min(last, until) if until else last,
            )
            (figure,) = compute(session, report_filter, (index_id,)).indices
            _upsert(
                session,
                {
                    "organisation_id": organisation_id,
                    "quarter": quarter,
                    "benchmark_key": key,
                    "mean": figure.mean.value,
                    "share_at_target": figure.share_at_target.value,
                    "answers": figure.answers,
                    "computed_at": now,
                },
            )
            written += 1
    return written


def _indices_by_key(session: Session, organisation_id: int) -> dict[str, tuple[int, list[int]]]:
    """Per benchmark kind, the organisation's first index of it and its questions."""
    indices = session.execute(
        sa.select(CompositeIndex.id, CompositeIndex.benchmark_key)
        .where(
            CompositeIndex.organisation_id == organisation_id,
            CompositeIndex.benchmark_key.in_(BENCHMARK_KEYS),
        )
        .order_by(CompositeIndex.id)
    ).all()
    chosen: dict[str, tuple[int, list[int]]] = {}
    for index_id, key in indices:
        if key in chosen:
            continue
        questions = session.scalars(
            sa.select(IndexComponent.question_id).where(IndexComponent.index_id == index_id)
        ).all()
        chosen[key] = (index_id, list(questions))
    return chosen


def _upsert(session: Session, values: dict[str, Any]) -> None:
    dialect = session.get_bind().dialect.name
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(BenchmarkFigure.__table__)
    changing = ("mean", "share_at_target", "answers", "computed_at")
    session.execute(
        insert.values(**values).on_conflict_do_update(
            index_elements=["organisation_id", "quarter", "benchmark_key"],
            set_={key: values[key] for key in changing},
        )
    )


def forget(session: Session, organisation_id: int) -> None:
    """Delete what the organisation shared (it opted out). Not committed."""
    session.execute(
        sa.delete(BenchmarkFigure).where(BenchmarkFigure.organisation_id == organisation_id)
    )


# --- reading -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Spread:
    """The quartiles of the opted-in organisations' figures (None: too few share it)."""

    organisations: int
    low: float
    q1: float
    median: float
    q3: float
    high: float

    def scaled(self, low: float, high: float, value: float | None = None) -> dict[str, float]:
        """Where the figures sit on a scale from ``low`` to ``high``, in percent (for a plot);
        ``you`` is ``value``'s place."""
        span = (high - low) or 1.0

        def at(x: float) -> float:
            return round(max(0.0, min(100.0, 100.0 * (x - low) / span)), 2)

        found = {
            "low": at(self.low),
            "q1": at(self.q1),
            "median": at(self.median),
            "q3": at(self.q3),
            "high": at(self.high),
        }
        if value is not None:
            found["you"] = at(value)
        return found

    def position(self, value: float) -> int:
        """Which quarter of the field ``value`` is in: 1 (lowest) to 4 (highest)."""
        if value < self.q1:
            return 1
        if value < self.median:
            return 2
        if value < self.q3:
            return 3
        return 4


@dataclass(frozen=True)
class Standing:
    """One kind of index in one quarter: this organisation's figure beside everyone's."""

    key: str
    quarter: str
    mean: float | None
    share_at_target: float | None
    answers: int
    mean_spread: Spread | None
    share_spread: Spread | None


def spread(values: list[float]) -> Spread | None:
    """Min, quartiles and max (the inclusive method: the median of an even number of values is
    the mean of the middle two); None for fewer than :data:`MIN_ORGANISATIONS` values."""
    if len(values) < MIN_ORGANISATIONS:
        return None
    q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return Spread(len(values), min(values), q1, median, q3, max(values))


def standings(session: Session, organisation_id: int, now: dt.datetime | None = None) -> list:
    """For each kind of index the organisation shares, in the current quarter to date and the
    last complete one (where it has answers): its figure and the spread of all opted-in
    organisations'."""
    now = now or utcnow()
    zone = report_settings(session, organisation_id).zone
    current = quarter_of(now.astimezone(zone).date())
    quarters = [current, previous_quarter(current)]
    own = {
        (row.benchmark_key, row.quarter): row
        for row in session.scalars(
            sa.select(BenchmarkFigure).where(
                BenchmarkFigure.organisation_id == organisation_id,
                BenchmarkFigure.quarter.in_(quarters),
            )
        )
    }
    # Every opted-in organisation's numbers, deliberately across organisations: the mean and
    # share only, never whose they are.
    everyone: dict[tuple[str, str], list[tuple[float, float | None]]] = {}
    for key, quarter, mean, share in session.execute(
        sa.select(
            BenchmarkFigure.benchmark_key,
            BenchmarkFigure.quarter,
            BenchmarkFigure.mean,
            BenchmarkFigure.share_at_target,
        )
        .where(
            BenchmarkFigure.quarter.in_(quarters),
            BenchmarkFigure.mean.is_not(None),
            BenchmarkFigure.answers > 0,
        )
        .execution_options(all_organisations=True)
    ):
        everyone.setdefault((key, quarter), []).append((mean, share))
    found = []
    for key in BENCHMARK_KEYS:
        for quarter in quarters:
            mine = own.get((key, quarter))
            if mine is None or not mine.answers:
                continue
            values = everyone.get((key, quarter), [])
            found.append(
                Standing(
                    key=key,
                    quarter=quarter,
                    mean=mine.mean,
                    share_at_target=mine.share_at_target,
                    answers=mine.answers,
                    mean_spread=spread([m for m, _s in values]),
                    share_spread=spread([s for _m, s in values if s is not None]),
                )
            )
    return found
