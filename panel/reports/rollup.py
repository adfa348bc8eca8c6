"""The answers' rollup: what a report's totals, scores and trend read on PostgreSQL.

A report over a year of a large housing company's answers would otherwise group a million
answer rows three ways. :class:`~panel.reports.models.AnswerRollup` holds the same answers
counted per (day, question, touchpoint, channel) with each score's count, a few tens of
thousands of rows for a million answers; the per-question figures, the channels, the indices
and the trend are sums over it. Only the breakdown per place still reads the answers (one
grouped scan, as the hand-written query for the per-stairwell means does).

How it is kept (PostgreSQL only; migration 0017):

- Statement triggers on ``answer`` add a row of changes per key for every INSERT (+), DELETE
  (-) and UPDATE (- the old, + the new, nothing when no counted column changed): however an
  answer comes or goes (a tenant's answer, an import, an erasure, a retention sweep, a
  question's deletion cascading) the rollup follows in the same transaction. Inserting rows
  rather than updating one row per key keeps concurrent answers from waiting on each other.
- :func:`compact` (periodic, ``reports-compact-rollup``) merges the rows of changes into one
  ``compacted`` row per key. Figures add up every row of a key, so they are right whether or
  not the merge has run; it only keeps the table small.
- Days are the organisation's (``organisation.rollup_zone``, which a trigger keeps to the
  valid zone of ``settings["timezone"]``, Stockholm's otherwise); when it changes, a trigger
  counts the organisation's answers again in the new zone.

When it is read (:func:`usable`): on PostgreSQL, when the report has neither a place nor a
segment (the rollup has no place and no contact; those reports scan their narrower set of
answers), and when the rollup's zone is the zone the report reads days in.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from panel.organisations.models import Organisation
from panel.reports.filters import chosen_conditions
from panel.reports.models import SCORE_COLUMNS, AnswerRollup

if TYPE_CHECKING:
    from panel.reports.figures import ReportFilter

KEY = ("organisation_id", "day", "question_id", "touchpoint_id", "channel")
COUNTS = ("answers", *SCORE_COLUMNS)


def usable(session: Session, report_filter: ReportFilter, zone_name: str) -> bool:
    """Whether the report's totals, scores and trend may be read from the rollup."""
    if session.get_bind().dialect.name != "postgresql":
        return False
    if report_filter.place_id is not None or report_filter.segment_ids:
        return False
    rollup_zone = session.scalar(
        sa.select(Organisation.rollup_zone).where(Organisation.id == report_filter.organisation_id)
    )
    return rollup_zone == zone_name


def per_question(
    session: Session,
    report_filter: ReportFilter,
    starts_on: dt.date | None,
    previous_from: dt.date | None,
) -> list[tuple[Any, ...]]:
    """``(current, question_id, channel, answers, s1, ..., s10)`` summed over the report's days
    (from ``starts_on`` to ``ends_on``) and, when ``previous_from`` is given, the period before
    (from ``previous_from`` to the day before ``starts_on``; ``current`` false)."""
    r = AnswerRollup
    where = chosen_conditions(report_filter, AnswerRollup)
    lowest = previous_from or starts_on
    if lowest is not None:
        where.append(r.day >= lowest)
    if report_filter.ends_on is not None:
        where.append(r.day <= report_filter.ends_on)
    keys: list[Any] = [r.question_id, r.channel]
    if starts_on is not None:
        keys.insert(0, (r.day >= starts_on).label("current"))
    query = (
        sa.select(
            sa.literal(True).label("current") if starts_on is None else keys[0],
            r.question_id,
            r.channel,
            *(sa.func.sum(getattr(r, name)) for name in COUNTS),
        )
        .where(*where)
        .group_by(*keys)
        .execution_options(all_organisations=True)
    )
    return [tuple(row) for row in session.execute(query).tuples()]


def per_day(
    session: Session,
    report_filter: ReportFilter,
    score_target: int,
    not_scored: list[int],
) -> list[tuple[dt.date, int, int, int, int]]:
    """``(day, answers, score answers, sum of scores, score answers at target)`` per day of
    the report's period; the scores of ``not_scored`` questions (which take no score now) are
    left out of the score sums."""
    r = AnswerRollup
    where = chosen_conditions(report_filter, AnswerRollup)
    if report_filter.starts_on is not None:
        where.append(r.day >= report_filter.starts_on)
    if report_filter.ends_on is not None:
        where.append(r.day <= report_filter.ends_on)
    counts = [getattr(r, name) for name in SCORE_COLUMNS]
    scored: Any = sum(counts[1:], counts[0])
    total: Any = sum((score * column for score, column in enumerate(counts[1:], 2)), counts[0])
    hits = counts[score_target - 1 :]
    at_target: Any = sum(hits[1:], hits[0])
    if not_scored:
        kept = r.question_id.not_in(not_scored)
        scored, total, at_target = (
            sa.case((kept, value), else_=0) for value in (scored, total, at_target)
        )
    query = (
        sa.select(
            r.day,
            sa.func.sum(r.answers),
            sa.func.sum(scored),
            sa.func.sum(total),
            sa.func.sum(at_target),
        )
        .where(*where)
        .group_by(r.day)
        .execution_options(all_organisations=True)
    )
    return [
        (day, int(answers or 0), int(n or 0), int(t or 0), int(hit or 0))
        for day, answers, n, t, hit in session.execute(query).tuples()
    ]


# One statement: the rows of changes taken out and merged into their keys' compacted rows.
# (Built from this module's constant column names only.)
_MERGE = sa.text(
    f"""
    WITH fresh AS (
        DELETE FROM answer_rollup WHERE NOT compacted
        RETURNING {", ".join(KEY)}, {", ".join(COUNTS)}
    )
    INSERT INTO answer_rollup ({", ".join(KEY)}, {", ".join(COUNTS)}, compacted)
    SELECT {", ".join(KEY)}, {", ".join(f"sum({c})" for c in COUNTS)}, true
    FROM fresh GROUP BY {", ".join(KEY)}
    ON CONFLICT ({", ".join(KEY)}) WHERE compacted DO UPDATE SET
        {", ".join(f"{c} = answer_rollup.{c} + excluded.{c}" for c in COUNTS)}
    RETURNING id, ({" AND ".join(f"answer_rollup.{c} = 0" for c in COUNTS)}) AS empty
    """  # noqa: S608
)


def compact(session: Session) -> int:
    """Merge the rows of changes into one row per key and drop keys that came to nothing;
    the number of keys merged (0 elsewhere than on PostgreSQL, or while another worker
    merges). Commits."""
    if session.get_bind().dialect.name != "postgresql":
        return 0
    got_lock = session.scalar(
        sa.text("SELECT pg_try_advisory_xact_lock(hashtext('stoop-answer-rollup-compact'))")
    )
    if not got_lock:
        session.rollback()
        return 0
    merged = session.execute(_MERGE).all()
    empty = [row.id for row in merged if row.empty]
    if empty:
        session.execute(
            sa.delete(AnswerRollup)
            .where(AnswerRollup.id.in_(empty))
            .execution_options(all_organisations=True)  # every organisation's merged rows
        )
    session.commit()
    return len(merged)
