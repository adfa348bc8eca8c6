"""A report's figures, computed in the database.

The interface the report pages, the API, the PDF, the newsletter and the wall poster use.
Every figure comes from grouped queries over the answers the filter selects (one scan where the
database allows it), never from loading answers into Python. The organisation's settings give
the score target (a score at or above it counts as satisfied), the share of satisfied answers a
place must reach, and the smallest group shown (smaller groups are hidden so that no tenant can
be identified).

How it is computed (:func:`compute`):

- On PostgreSQL, for a report without a place or a segment: the totals, channels, scores,
  indices and the trend are sums over the answers' rollup (:mod:`panel.reports.rollup`: the
  answers counted per day, question, touchpoint and channel with each score's count, kept by
  triggers), for the report's period and the one before; the breakdown is one grouped scan of
  the period's answers per place.
- Otherwise one grouped scan of the answers of the report's period. On PostgreSQL it is one
  statement with ``GROUPING SETS``, hashed in one pass: per (question, channel, score)
  (totals, channels, each score question's distribution, mean and share at target, the
  composite indices), per week or month (the trend) and per place (the breakdown). Other
  databases (SQLite) run the same three groupings as three statements. When the report has
  dates, the period of the same length before it is grouped per (question, channel, score) by
  a second scan, over its own rows only.
- The breakdown adds the per-place sums up the tree in Python (:mod:`panel.reports.breakdown`);
  the answer rate per send is one grouped query over the invitations and their messages
  (:mod:`panel.reports.send_rates`, which also says what "delivered" means); the WHERE clause
  is :mod:`panel.reports.filters`.
- A score answer is an answer with a score of 1 to 10 to a question whose ``answer_modes``
  include ``score``. A score question's ``answers`` are its score answers. A composite index is
  the weighted mean of its questions' means and the weighted mean of their shares at target,
  over the questions that have score answers in the report (a question the report leaves out
  has no part in it); its ``answers`` are the score answers of those questions.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import Session

# Organisation settings (Organisation.settings keys) and their defaults.
SCORE_TARGET = ("report_score_target", 8)  # a score >= this counts as "at target"
TARGET_SHARE = ("report_target_share", 80.0)  # percent at target a place must reach
MIN_GROUP = ("report_min_group", 5)  # groups with fewer answers are hidden


@dataclass(frozen=True)
class ReportFilter:
    """Which answers a report takes in. Empty ``question_ids`` and ``touchpoint_ids``: every
    question's answers. ``place_id`` may be an area, a building or a stairwell (the answers at
    it or anywhere below it). ``ends_on`` is inclusive. ``period`` is ``week`` or ``month``."""

    organisation_id: int
    question_ids: tuple[int, ...] = ()
    touchpoint_ids: tuple[int, ...] = ()
    segment_ids: tuple[int, ...] = ()
    place_id: int | None = None
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    period: str = "month"

    def previous(self) -> ReportFilter | None:
        """The same filter over the period of the same length just before (None without
        both dates)."""
        if self.starts_on is None or self.ends_on is None:
            return None
        length = self.ends_on - self.starts_on + dt.timedelta(days=1)
        return ReportFilter(
            organisation_id=self.organisation_id,
            question_ids=self.question_ids,
            touchpoint_ids=self.touchpoint_ids,
            segment_ids=self.segment_ids,
            place_id=self.place_id,
            starts_on=self.starts_on - length,
            ends_on=self.starts_on - dt.timedelta(days=1),
            period=self.period,
        )


@dataclass(frozen=True)
class Compared:
    """A figure beside the same figure for the previous period (None where not computable)."""

    value: float | None
    previous: float | None

    @property
    def change(self) -> float | None:
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous


@dataclass(frozen=True)
class ChannelCount:
    channel: str  # panel.answers.models.AnswerChannel values
    answers: int


@dataclass(frozen=True)
class SendRate:
    """Answer rate of one send: invitations answered / invitations delivered."""

    send_id: int
    question_title: str
    audience: str  # the panel's name (and segment's, if any)
    sent_at: dt.datetime | None
    delivered: int
    answered: int

    @property
    def rate(self) -> float | None:
        return 100.0 * self.answered / self.delivered if self.delivered else None


@dataclass(frozen=True)
class TrendPoint:
    starts_on: dt.date  # first day of the week (Monday) or month
    answers: int
    mean: float | None  # mean score of the score answers in the period
    share_at_target: float | None  # percent


@dataclass(frozen=True)
class ScoreFigures:
    """One score question."""

    question_id: int
    title: str
    answers: int
    mean: Compared
    share_at_target: Compared  # percent of answers with score >= target
    distribution: tuple[int, ...]  # counts of scores 1..10 (index 0 is score 1)


@dataclass(frozen=True)
class IndexFigures:
    """A composite index: the weighted mean of its questions' means, and the weighted share
    at target; ``meets_target`` is None when the index has no answers."""

    index_id: int
    name: str
    answers: int
    mean: Compared
    share_at_target: Compared
    target_mean: float | None
    target_share: float | None
    meets_target: bool | None


@dataclass(frozen=True)
class PlaceRow:
    """One place of the breakdown, in tree order (area, its buildings, each building's
    stairwells). ``hidden``: fewer answers than the smallest group shown, so its figures are
    None and it is never marked. ``withheld``: enough answers, but its mean and share are held
    back so that those of a small place beside it cannot be worked out by subtraction (see
    :mod:`panel.reports.breakdown`). ``below_target``: its share at target is under the target
    share. ``has_action``: an action item exists for the place."""

    place_id: int
    kind: str  # area | building | stairwell
    name: str
    path: str
    parent_id: int | None
    depth: int
    answers: int
    mean: float | None
    share_at_target: float | None
    hidden: bool
    below_target: bool
    has_action: bool
    withheld: bool = False


@dataclass(frozen=True)
class ReportFigures:
    filter: ReportFilter
    score_target: int
    target_share: float
    min_group: int
    answers: Compared  # total answers, against the previous period
    channels: tuple[ChannelCount, ...]
    sends: tuple[SendRate, ...]
    trend: tuple[TrendPoint, ...]
    scores: tuple[ScoreFigures, ...]
    indices: tuple[IndexFigures, ...]
    places: tuple[PlaceRow, ...]


SCORES = range(1, 11)
PERIODS = ("week", "month")


@dataclass(frozen=True)
class Settings:
    """An organisation's report settings, read with their defaults (bad values fall back)."""

    score_target: int
    target_share: float
    min_group: int
    zone: Any  # zoneinfo.ZoneInfo: the organisation's clock


def report_settings(session: Session, organisation_id: int) -> Settings:
    """The organisation's score target, target share, smallest group shown and time zone."""
    from panel.organisations.models import Organisation
    from panel.reports.filters import ZONE_SETTING, zone_named

    raw = session.scalar(sa.select(Organisation.settings).where(Organisation.id == organisation_id))
    raw = raw or {}

    def number(key: tuple[str, float], low: float, high: float, kind: type) -> Any:
        try:
            value = kind(raw.get(key[0], key[1]))
        except (TypeError, ValueError):
            return key[1]
        return value if low <= value <= high else key[1]

    return Settings(
        score_target=number(SCORE_TARGET, 1, 10, int),
        target_share=number(TARGET_SHARE, 0, 100, float),
        min_group=number(MIN_GROUP, 1, 100, int),
        zone=zone_named(raw.get(ZONE_SETTING)),
    )


def answers_of(report_filter: ReportFilter, session: Session | None = None) -> sa.Select:
    """``SELECT answer.id`` of the answers the filter takes in (for themes, exports, quotes).

    ``session`` tells the database's dialect and reads the chosen segments; without it, the
    application's session is used."""
    from panel.answers.models import Answer
    from panel.reports.filters import answer_conditions, time_window

    if session is None:
        from panel.core.extensions import db

        session = db.session()
    zone = report_settings(session, report_filter.organisation_id).zone
    since, until = time_window(report_filter.starts_on, report_filter.ends_on, zone)
    return sa.select(Answer.id).where(
        *answer_conditions(session, report_filter, since=since, until=until)
    )


def compute(
    session: Session, report_filter: ReportFilter, index_ids: tuple[int, ...] = ()
) -> ReportFigures:
    """Every figure of a report over the filter's answers, with the composite indices named."""
    with _collector_paused():
        return _compute(session, report_filter, index_ids)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector held off while the figures are put together: the
    tens of thousands of short-lived tuples of a large breakdown would otherwise be promoted
    and set off a full collection of the whole process's heap (a tenth of a second in a web
    process); freed by reference counting, they never reach it."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _compute(
    session: Session, report_filter: ReportFilter, index_ids: tuple[int, ...]
) -> ReportFigures:
    from panel.reports.breakdown import Sums, place_rows
    from panel.reports.send_rates import send_rates

    settings = report_settings(session, report_filter.organisation_id)
    questions = _questions(session, report_filter.organisation_id)
    score_ids = {qid for qid, (_title, is_score) in questions.items() if is_score}
    scan = _scan(session, report_filter, questions, settings)

    totals = {True: 0, False: 0}
    channels: dict[str, int] = {}
    per_question: dict[tuple[bool, int], Sums] = {}
    distribution: dict[int, list[int]] = {}
    for row in scan.by_question:
        current = bool(row.current)
        totals[current] += row.answers
        if current:
            channels[row.channel] = channels.get(row.channel, 0) + row.answers
        if row.score is None or row.question_id not in score_ids or not 1 <= row.score <= 10:
            continue
        sums = per_question.setdefault((current, row.question_id), Sums())
        sums.add(Sums(row.answers, row.scored, row.total or 0, row.at_target or 0))
        if current:
            distribution.setdefault(row.question_id, [0] * len(SCORES))[row.score - 1] += (
                row.answers
            )

    previous = report_filter.previous()
    has_previous = previous is not None

    def compared(current: float | None, before: float | None) -> Compared:
        return Compared(current, before if has_previous else None)

    score_order = [q for q in report_filter.question_ids if q in score_ids] or sorted(
        {qid for _current, qid in per_question}
    )
    scores = []
    for qid in score_order:
        now, before = per_question.get((True, qid), Sums()), per_question.get((False, qid), Sums())
        scores.append(
            ScoreFigures(
                question_id=qid,
                title=questions[qid][0],
                answers=now.scored,
                mean=compared(now.mean, before.mean),
                share_at_target=compared(now.share, before.share),
                distribution=tuple(distribution.get(qid, [0] * len(SCORES))),
            )
        )

    trend = _trend(report_filter, scan.by_bucket)
    places = place_rows(
        session,
        report_filter.organisation_id,
        {row.place_id: Sums(row.answers, row.scored, row.total or 0, row.at_target or 0)
         for row in scan.by_place if row.current and row.place_id is not None},
        min_group=settings.min_group,
        target_share=settings.target_share,
        root_id=report_filter.place_id,
    )  # fmt: skip
    return ReportFigures(
        filter=report_filter,
        score_target=settings.score_target,
        target_share=settings.target_share,
        min_group=settings.min_group,
        answers=compared(totals[True], totals[False]),
        channels=tuple(
            ChannelCount(channel, count)
            for channel, count in sorted(channels.items(), key=lambda c: (-c[1], c[0]))
        ),
        sends=send_rates(session, report_filter, settings.zone),
        trend=trend,
        scores=tuple(scores),
        indices=_indices(session, report_filter, index_ids, per_question, has_previous),
        places=places,
    )


# --- the scan --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scan:
    """The grouped rows of the one scan (``current`` is 1 for the report's period, 0 for the
    period before)."""

    by_question: list[
        Any
    ]  # current, question_id, channel, score, answers, scored, total, at_target
    by_bucket: list[Any]  # current, bucket, answers, scored, total, at_target
    by_place: list[Any]  # current, place_id, answers, scored, total, at_target


def _questions(session: Session, organisation_id: int) -> dict[int, tuple[str, bool]]:
    """Every question of the organisation: its title, and whether it takes a score."""
    from panel.questions.models import Question

    rows = session.execute(
        sa.select(Question.id, Question.title, Question.answer_modes)
        .where(Question.organisation_id == organisation_id)
        .execution_options(all_organisations=True)
    )
    return {qid: (title, "score" in (modes or [])) for qid, title, modes in rows}


class Group(NamedTuple):
    """One grouped row of the scan: the keys of its grouping (others None) and its sums."""

    current: bool
    question_id: int | None
    channel: str | None
    score: int | None
    bucket: dt.date | None
    place_id: int | None
    answers: int
    scored: int
    total: int
    at_target: int


def _scan(
    session: Session,
    report_filter: ReportFilter,
    questions: dict[int, tuple[str, bool]],
    settings: Settings,
) -> Scan:
    """Read from the answers' rollup where the report allows (:func:`_rolled_scan`); else the
    report's period grouped three ways in one scan, and the period before (when the report has
    dates) grouped per question in a second, over other rows (a range of the index on
    organisation and time)."""
    from panel.reports import rollup
    from panel.reports.filters import time_window

    zone = settings.zone
    since, until = time_window(report_filter.starts_on, report_filter.ends_on, zone)
    if rollup.usable(session, report_filter, zone.key):
        return _rolled_scan(session, report_filter, questions, settings, since, until)
    now = _grouped(session, report_filter, questions, settings, since, until, True)
    before: dict[str, list[Group]] = {"question": []}
    previous = report_filter.previous()
    if previous is not None:
        was_since, was_until = time_window(previous.starts_on, previous.ends_on, zone)
        before = _grouped(session, report_filter, questions, settings, was_since, was_until, False)
    return Scan(now["question"] + before["question"], now["bucket"], now["place"])


def _rolled_scan(
    session: Session,
    report_filter: ReportFilter,
    questions: dict[int, tuple[str, bool]],
    settings: Settings,
    since: dt.datetime | None,
    until: dt.datetime | None,
) -> Scan:
    """The same groups read from the answers' rollup (:mod:`panel.reports.rollup`): per
    (question, channel, score) for the report's period and the one before, per week or month;
    only the per-place sums scan the answers (one grouped statement)."""
    from panel.reports import rollup
    from panel.reports.filters import period_start

    previous = report_filter.previous()
    target = settings.score_target
    by_question: list[Group] = []
    for current, question_id, channel, answers, *counts in rollup.per_question(
        session,
        report_filter,
        report_filter.starts_on,
        previous.starts_on if previous is not None else None,
    ):
        current, answers = bool(current), int(answers or 0)
        for score, count in enumerate(counts, 1):
            count = int(count or 0)
            if count:
                answers -= count
                hit = count if score >= target else 0
                by_question.append(
                    Group(current, question_id, channel, score, None, None, count, count,
                          score * count, hit)
                )  # fmt: skip
        if answers:
            by_question.append(
                Group(current, question_id, channel, None, None, None, answers, 0, 0, 0)
            )

    period = _period(report_filter)
    not_scored = sorted(q for q, (_title, is_score) in questions.items() if not is_score)
    buckets: dict[dt.date, list[int]] = {}
    for day, *sums in rollup.per_day(session, report_filter, target, not_scored):
        found = buckets.setdefault(period_start(day, period), [0, 0, 0, 0])
        for n, value in enumerate(sums):
            found[n] += value
    by_bucket = [
        Group(True, None, None, None, start, None, *sums) for start, sums in buckets.items()
    ]
    return Scan(
        by_question,
        by_bucket,
        _place_sums(session, report_filter, questions, settings, since, until),
    )


def _place_sums(
    session: Session,
    report_filter: ReportFilter,
    questions: dict[int, tuple[str, bool]],
    settings: Settings,
    since: dt.datetime | None,
    until: dt.datetime | None,
) -> list[Group]:
    """The answers of ``[since, until)`` grouped per place in one statement (PostgreSQL)."""
    from panel.answers.models import Answer
    from panel.reports.filters import answer_conditions

    score = _score_column(report_filter, questions)
    query = (
        sa.select(
            Answer.place_id,
            sa.func.count(),
            sa.func.count(score),
            sa.func.sum(score),
            sa.func.count().filter(score >= settings.score_target),
        )
        .where(*answer_conditions(session, report_filter, since=since, until=until))
        .group_by(Answer.place_id)
        .execution_options(all_organisations=True)
    )
    return [
        Group(True, None, None, None, None, place_id, answers, scored, int(total or 0), hit)
        for place_id, answers, scored, total, hit in session.execute(query).tuples()
    ]


def _grouped(
    session: Session,
    report_filter: ReportFilter,
    questions: dict[int, tuple[str, bool]],
    settings: Settings,
    since: dt.datetime | None,
    until: dt.datetime | None,
    current: bool,
) -> dict[str, list[Group]]:
    """The answers of ``[since, until)`` grouped per (question, channel, score) and, for the
    report's own period, per week or month and per place: answers, score answers, the sum of
    the scores, and those at target. PostgreSQL: one statement with GROUPING SETS over a
    subquery kept apart (``OFFSET 0``, so the planner estimates its groups sanely) and
    ``work_mem`` raised for it, so that it hashes all three sets in one pass; elsewhere one
    statement per grouping."""
    from panel.answers.models import Answer
    from panel.reports.filters import answer_conditions, bucket_of

    postgres = session.get_bind().dialect.name == "postgresql"
    where = answer_conditions(session, report_filter, since=since, until=until)
    score = _score_column(report_filter, questions)
    columns = [
        Answer.question_id.label("question_id"),
        Answer.channel.label("channel"),
        score.label("score"),
        # 1 at or above the target, 0 below, NULL without a score: summed, the count at target.
        sa.case((score >= settings.score_target, 1), (score.is_not(None), 0)).label("hit"),
    ]
    starts: list[dt.date] = []
    if current:
        first, last = _trend_span(session, report_filter, settings.zone)
        bucket, starts = bucket_of(
            session, Answer.created_at, _period(report_filter), settings.zone, first, last
        )
        columns += [Answer.place_id.label("place_id"), bucket.label("bucket")]
    inner = sa.select(*columns).where(*where).execution_options(all_organisations=True)
    if postgres:
        inner = inner.offset(0)
    c = inner.subquery("a").c
    measures = (
        sa.func.count().label("answers"),
        sa.func.count(c.score).label("scored"),
        sa.func.sum(c.score).label("total"),
        sa.func.sum(c.hit).label("at_target"),
    )
    groupings = {"question": (c.question_id, c.channel, c.score)}
    if current:
        groupings |= {"bucket": (c.bucket,), "place": (c.place_id,)}
    # Every row as a plain tuple: (question_id, channel, score, bucket, place_id, answers,
    # scored, total, at_target), the keys its grouping does not have None.
    keys = (
        (c.question_id, c.channel, c.score, c.bucket, c.place_id)
        if current
        else groupings["question"]
    )
    found: dict[str, list[tuple[Any, ...]]] = {name: [] for name in ("question", "bucket", "place")}
    if postgres and len(groupings) > 1:
        # GROUPING(question_id, bucket, place_id): a 1 bit for each column NOT grouped by.
        sets = {0b011: "question", 0b101: "bucket", 0b110: "place"}
        query = sa.select(
            sa.func.grouping(c.question_id, c.bucket, c.place_id), *keys, *measures
        ).group_by(sa.func.grouping_sets(*(sa.tuple_(*cols) for cols in groupings.values())))
        with _work_mem(session, GROUPING_WORK_MEM):
            for which, *row in session.execute(query).tuples():
                found[sets[which]].append(tuple(row))
    else:
        for name, grouped in groupings.items():
            columns = [k if any(k is g for g in grouped) else sa.null() for k in keys]
            query = sa.select(*columns, *measures).group_by(*grouped)
            found[name] = [tuple(row) for row in session.execute(query).tuples()]
    if not current:
        found["question"] = [(*row[:3], None, None, *row[3:]) for row in found["question"]]

    last = len(starts) - 1
    groups: dict[str, list[Group]] = {}
    for name, rows in found.items():
        groups[name] = [
            Group(
                current,
                row[0],
                row[1],
                row[2],
                starts[min(int(row[3]), last)] if name == "bucket" else None,
                row[4],
                row[5],
                row[6],
                int(row[7] or 0),
                int(row[8] or 0),
            )
            for row in rows
        ]
    return groups


# Enough for the planner to hash the three groupings in one pass (a few MB are used: some
# thousand groups); with PostgreSQL's default of 4MB it sorts the answers three times instead.
GROUPING_WORK_MEM = "32MB"


@contextlib.contextmanager
def _work_mem(session: Session, value: str) -> Iterator[None]:
    """``work_mem`` raised for the statements of the block only (restored after it)."""
    before = session.scalar(sa.text("SELECT current_setting('work_mem')"))
    session.execute(sa.text("SELECT set_config('work_mem', :value, true)"), {"value": value})
    try:
        yield
    finally:
        session.execute(sa.text("SELECT set_config('work_mem', :value, true)"), {"value": before})


def _score_column(report_filter: ReportFilter, questions: dict[int, tuple[str, bool]]) -> Any:
    """An answer's score where it counts as one: a score is only ever stored for a question
    that takes one, from 1 to 10 (``panel.answers.service.record_answer``), so the column is
    read as it is, unless the report may take in questions that take no score now (their
    modes changed after they were answered): then their scores are left out."""
    from panel.answers.models import Answer

    in_scope = report_filter.question_ids if not report_filter.touchpoint_ids else ()
    candidates = in_scope or tuple(questions)
    without = sorted(q for q in candidates if q in questions and not questions[q][1])
    if not without:
        return Answer.score
    return sa.case((Answer.question_id.not_in(without), Answer.score), else_=None)


def _period(report_filter: ReportFilter) -> str:
    return report_filter.period if report_filter.period in PERIODS else "month"


def _trend_span(session: Session, report_filter: ReportFilter, zone: Any) -> tuple[Any, Any]:
    """The first and last day the trend spans: the report's dates, or where it has none the
    days of the organisation's first and last answers (from the index on organisation and
    time)."""
    from panel.answers.models import Answer

    first, last = report_filter.starts_on, report_filter.ends_on
    if first is None or last is None:
        low, high = session.execute(
            sa.select(sa.func.min(Answer.created_at), sa.func.max(Answer.created_at))
            .where(Answer.organisation_id == report_filter.organisation_id)
            .execution_options(all_organisations=True)
        ).one()
        today = dt.datetime.now(zone).date()
        first = first or (low.astimezone(zone).date() if low else today)
        last = last or (high.astimezone(zone).date() if high else today)
    return first, max(first, last)


# --- trend and indices -----------------------------------------------------------------------


def _trend(report_filter: ReportFilter, rows: list[Any]) -> tuple[TrendPoint, ...]:
    """A point per week or month of the report's period (empty ones included), in order."""
    from panel.reports.filters import next_period, period_start

    period = _period(report_filter)
    found = {row.bucket: row for row in rows if row.current}
    if not found and (report_filter.starts_on is None or report_filter.ends_on is None):
        return ()
    first = period_start(report_filter.starts_on or min(found), period)
    last = period_start(report_filter.ends_on or max(found), period)
    points = []
    day = first
    while day <= last and len(points) < 1000:
        row = found.get(day)
        scored = row.scored if row else 0
        points.append(
            TrendPoint(
                starts_on=day,
                answers=row.answers if row else 0,
                mean=(row.total or 0) / scored if scored else None,
                share_at_target=100.0 * (row.at_target or 0) / scored if scored else None,
            )
        )
        day = next_period(day, period)
    return tuple(points)


def _indices(
    session: Session,
    report_filter: ReportFilter,
    index_ids: tuple[int, ...],
    per_question: dict[tuple[bool, int], Any],
    has_previous: bool,
) -> tuple[IndexFigures, ...]:
    from panel.reports.models import CompositeIndex, IndexComponent

    if not index_ids:
        return ()
    organisation_id = report_filter.organisation_id
    indices = {
        index.id: index
        for index in session.scalars(
            sa.select(CompositeIndex)
            .where(
                CompositeIndex.organisation_id == organisation_id,
                CompositeIndex.id.in_(list(index_ids)),
            )
            .execution_options(all_organisations=True)
        )
    }
    weights: dict[int, list[tuple[int, float]]] = {}
    for index_id, question_id, weight in session.execute(
        sa.select(IndexComponent.index_id, IndexComponent.question_id, IndexComponent.weight)
        .where(
            IndexComponent.organisation_id == organisation_id,
            IndexComponent.index_id.in_(list(indices)),
        )
        .execution_options(all_organisations=True)
    ):
        if weight and weight > 0:
            weights.setdefault(index_id, []).append((question_id, float(weight)))
    figures = []
    for index_id in dict.fromkeys(index_ids):
        index = indices.get(index_id)
        if index is None:
            continue
        now = weighted(weights.get(index_id, []), per_question, True)
        before = weighted(weights.get(index_id, []), per_question, False)
        meets = None
        if now.answers:
            meets = (index.target_mean is None or (now.mean or 0) >= index.target_mean) and (
                index.target_share is None or (now.share or 0) >= index.target_share
            )
        figures.append(
            IndexFigures(
                index_id=index.id,
                name=index.name,
                answers=now.answers,
                mean=Compared(now.mean, before.mean if has_previous else None),
                share_at_target=Compared(now.share, before.share if has_previous else None),
                target_mean=index.target_mean,
                target_share=index.target_share,
                meets_target=meets,
            )
        )
    return tuple(figures)


@dataclass(frozen=True)
class Weighted:
    answers: int
    mean: float | None
    share: float | None


def weighted(
    components: list[tuple[int, float]], per_question: dict[tuple[bool, int], Any], current: bool
) -> Weighted:
    """The weighted mean of the components' means and of their shares at target, over the
    components with score answers."""
    answers = 0
    weight_sum = mean_sum = share_sum = 0.0
    for question_id, weight in components:
        sums = per_question.get((current, question_id))
        if sums is None or not sums.scored:
            continue
        answers += sums.scored
        weight_sum += weight
        mean_sum += weight * sums.mean
        share_sum += weight * sums.share
    if not weight_sum:
        return Weighted(answers, None, None)
    return Weighted(answers, mean_sum / weight_sum, share_sum / weight_sum)
