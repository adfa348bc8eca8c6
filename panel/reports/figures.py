"""A report's figures, computed in the database.

The interface the report pages, the API, the PDF, the newsletter and the wall poster use.
Every figure comes from grouped queries over the answers the filter selects (one scan where the
database allows it), never from loading answers into Python. The organisation's settings give
the score target (a score at or above it counts as satisfied), the share of satisfied answers a
place must reach, and the smallest group shown (smaller groups are hidden so that no tenant can
be identified).

THE BODY OF :func:`compute` IS WRITTEN ON BRANCH ``figures``; the dataclasses below are the
contract the other branches code against.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

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
    None and it is never marked. ``below_target``: its share at target is under the target
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


def answers_of(report_filter: ReportFilter) -> sa.Select:
    """``SELECT answer.id`` of the answers the filter takes in (for themes, exports, quotes)."""
    raise NotImplementedError("written on branch figures")


def compute(
    session: Session, report_filter: ReportFilter, index_ids: tuple[int, ...] = ()
) -> ReportFigures:
    """Every figure of a report over the filter's answers, with the composite indices named."""
    raise NotImplementedError("written on branch figures")
