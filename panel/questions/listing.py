"""Questions for the two busy lists (the staff page and ``GET /api/v1/questions/``), read as
plain columns rather than ORM objects.

A list reads up to 500 questions, each with its clip. Made into ORM objects (identity map,
attribute instrumentation, the joined clip as a second object) they cost more CPU than the
database took to find them. Here one SELECT of the columns the lists show gives light records
with the same attribute names, which the list code and the API's dump read as they would read
the models. A test holds the API's answer equal to the schema's dump of the ORM objects.

The statements run on the session's connection, past the ORM's execution path (which cost more
than the database's work for a page of 24): the scoping event does not see them, so the
organisation is filtered here, explicitly, from the session's scope, which must be set.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from media.models import MediaFile, MediaStatus
from panel.accounts.models import User
from panel.core.scoping import required_organisation
from panel.questions.models import Question, QuestionStatus

# What the staff page's cards show: every column read is converted on every row of every page.
# The records' fields come in this order, then the API's other columns: a row of either list
# fills a record by position (the page's leaves the rest at their defaults).
PAGE_QUESTION_COLUMNS = ("id", "title", "language", "answer_modes", "status", "updated_at")
PAGE_CLIP_COLUMNS = ("id", "public_id", "status", "kind", "duration_seconds", "renditions")
QUESTION_COLUMNS = (
    *PAGE_QUESTION_COLUMNS,
    "prompt",
    "choices",
    "closes_at",
    "published_at",
    "closed_at",
    "owner_id",
    "created_at",
)
CLIP_COLUMNS = (
    *PAGE_CLIP_COLUMNS,
    "progress",
    "error_code",
    "error_params",
    "error_text",
    "width",
    "height",
    "captions_vtt",
)
STATUSES = tuple(status.value for status in QuestionStatus)


@dataclass(slots=True)
class ListedClip:
    """A question's clip as the lists show it; reads like :class:`media.models.MediaFile`."""

    id: int
    public_id: str
    status: MediaStatus
    kind: str | None
    duration_seconds: float | None
    renditions: dict[str, Any]
    progress: int = 0
    error_code: str | None = None
    error_params: dict[str, Any] | None = None
    error_text: str | None = None
    width: int | None = None
    height: int | None = None
    captions_vtt: str | None = None

    @property
    def error(self) -> str | None:
        """Why the clip was refused, in the current language (as ``MediaFile.error``)."""
        if self.error_code:
            from media.rejections import describe

            return describe(self.error_code, self.error_params or {})
        return self.error_text


@dataclass(slots=True)
class ListedQuestion:
    """A question as the lists show it; reads like :class:`Question` for what they use (the
    page reads fewer columns: the others keep their defaults there)."""

    id: int
    title: str
    language: str
    answer_modes: list[str]
    status: QuestionStatus
    updated_at: dt.datetime
    prompt: str = ""
    choices: list[str] = field(default_factory=list)
    closes_at: dt.datetime | None = None
    published_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    owner_id: int | None = None
    created_at: dt.datetime | None = None
    media: ListedClip | None = None
    owner_name: str = ""


@dataclass(frozen=True)
class Shape:
    """Which columns a list statement reads, in order, so rows become records by position."""

    question: tuple[str, ...]
    clip: tuple[str, ...]
    owner: bool
    counts: bool


FULL = Shape(QUESTION_COLUMNS, CLIP_COLUMNS, owner=False, counts=False)
PAGE = Shape(PAGE_QUESTION_COLUMNS, PAGE_CLIP_COLUMNS, owner=True, counts=True)


@functools.cache
def list_statement(*, page: bool = False) -> sa.Select[Any]:
    """The columns of a list: the question's and its clip's (outer join); for the staff page
    only what the cards show, plus the owner's name and address (who asked). Built once:
    callers add their filters to a copy."""
    shape = PAGE if page else FULL
    columns: list[Any] = [getattr(Question, name) for name in shape.question]
    columns += [getattr(MediaFile, name).label(f"clip_{name}") for name in shape.clip]
    query = sa.select(*columns).outerjoin(MediaFile, MediaFile.id == Question.media_id)
    if shape.owner:
        query = query.add_columns(User.name.label("owner_name"), User.email.label("owner_email"))
        query = query.join(User, User.id == Question.owner_id)
    return query


def listed(row: Any, shape: Shape = FULL) -> ListedQuestion:
    """A record of one row of :func:`list_statement` (its columns in that order)."""
    n, m = len(shape.question), len(shape.question) + len(shape.clip)
    question = ListedQuestion(*row[:n])
    if row[n] is not None:
        question.media = ListedClip(*row[n:m])
    if shape.owner:
        question.owner_name = row[m] or row[m + 1]
    return question


def list_questions(
    session: Session, query: sa.Select[Any], *, limit: int
) -> tuple[list[ListedQuestion], bool]:
    """Up to ``limit`` records of ``query`` (a :func:`list_statement` ordered and filtered by
    the caller), and whether there are more. Only the session's organisation's questions."""
    organisation_id = required_organisation(session, "A list of questions")
    query = query.where(Question.organisation_id == organisation_id).limit(limit + 1)
    rows = session.connection().execute(query).all()
    return [listed(row) for row in rows[:limit]], len(rows) > limit


def list_page(
    session: Session, query: sa.Select[Any], *, limit: int, owner_id: int | None
) -> tuple[list[ListedQuestion], bool, dict[str, int], int]:
    """The staff page's list: up to ``limit`` records of ``query`` (a page
    :func:`list_statement`), whether there are more, the counts per status of the questions
    (``owner_id``'s only, when given) with their total as ``all``, and how many questions the
    organisation has in all.

    The counts ride on the list's own statement as subqueries the database works out once:
    one round trip instead of two, on the busiest page. An empty page counts on its own.
    """
    organisation_id = required_organisation(session, "A list of questions")
    counts = _count_columns(mine=owner_id is not None)
    params = {"count_org": organisation_id, "count_owner": owner_id}
    query = query.where(Question.organisation_id == organisation_id).limit(limit + 1)
    rows = session.connection().execute(query.add_columns(*counts), params).all()
    if not rows:
        rows = [session.connection().execute(sa.select(*counts), params).one()]
        records: list[ListedQuestion] = []
    else:
        records = [listed(row, PAGE) for row in rows[:limit]]
    numbers = rows[0][-len(counts) :]
    by_status = dict(zip(STATUSES, numbers, strict=False))
    by_status["all"] = sum(by_status.values())
    return records, len(rows) > limit, by_status, numbers[-1]


@functools.cache
def _count_columns(*, mine: bool) -> tuple[Any, ...]:
    table = Question.__table__
    ours = table.c.organisation_id == sa.bindparam("count_org")
    whose = [ours, table.c.owner_id == sa.bindparam("count_owner")] if mine else [ours]
    columns = [
        sa.select(sa.func.count())
        .where(*whose, table.c.status == QuestionStatus(status))
        .scalar_subquery()
        for status in STATUSES
    ]
    return (*columns, sa.select(sa.func.count()).where(ours).scalar_subquery())
