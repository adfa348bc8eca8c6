"""Questions for the two busy lists (the staff page and ``GET /api/v1/questions/``), read as
plain columns rather than ORM objects.

A list reads up to 500 questions, each with its clip. Made into ORM objects (identity map,
attribute instrumentation, the joined clip as a second object) they cost more CPU than the
database took to find them. Here one SELECT of the columns the lists show gives light records
with the same attribute names, which the list code and the API's dump read as they would read
the models. A test holds the API's answer equal to the schema's dump of the ORM objects.
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
from panel.questions.models import Question, QuestionStatus

QUESTION_COLUMNS = (
    "id",
    "title",
    "prompt",
    "language",
    "answer_modes",
    "choices",
    "status",
    "closes_at",
    "published_at",
    "closed_at",
    "owner_id",
    "created_at",
    "updated_at",
)
CLIP_COLUMNS = (
    "id",
    "public_id",
    "status",
    "progress",
    "error_code",
    "error_params",
    "error_text",
    "kind",
    "duration_seconds",
    "width",
    "height",
    "renditions",
    "captions_vtt",
)


@dataclass(slots=True)
class ListedClip:
    """A question's clip as the lists show it; reads like :class:`media.models.MediaFile`."""

    id: int
    public_id: str
    status: MediaStatus
    progress: int
    error_code: str | None
    error_params: dict[str, Any] | None
    error_text: str | None
    kind: str | None
    duration_seconds: float | None
    width: int | None
    height: int | None
    renditions: dict[str, Any]
    captions_vtt: str | None

    @property
    def error(self) -> str | None:
        """Why the clip was refused, in the current language (as ``MediaFile.error``)."""
        if self.error_code:
            from media.rejections import describe

            return describe(self.error_code, self.error_params or {})
        return self.error_text


@dataclass(slots=True)
class ListedQuestion:
    """A question as the lists show it; reads like :class:`Question` for what they use."""

    id: int
    title: str
    prompt: str
    language: str
    answer_modes: list[str]
    choices: list[str]
    status: QuestionStatus
    closes_at: dt.datetime | None
    published_at: dt.datetime | None
    closed_at: dt.datetime | None
    owner_id: int
    created_at: dt.datetime
    updated_at: dt.datetime
    media: ListedClip | None = None
    owner_name: str = field(default="")


@functools.cache
def list_statement(*, with_owner: bool) -> sa.Select[Any]:
    """The columns of a list: the question's, its clip's (outer join) and, for the page, the
    owner's name and address (who asked). Built once: callers add their filters to a copy."""
    columns: list[Any] = [getattr(Question, name) for name in QUESTION_COLUMNS]
    columns += [getattr(MediaFile, name).label(f"clip_{name}") for name in CLIP_COLUMNS]
    query = sa.select(*columns).outerjoin(MediaFile, MediaFile.id == Question.media_id)
    if with_owner:
        query = query.add_columns(User.name.label("owner_name"), User.email.label("owner_email"))
        query = query.join(User, User.id == Question.owner_id)
    return query


_CLIP_START = len(QUESTION_COLUMNS)
_OWNER_START = _CLIP_START + len(CLIP_COLUMNS)


def listed(row: Any) -> ListedQuestion:
    """A record of one row of :func:`list_statement` (its columns in that order)."""
    question = ListedQuestion(*row[:_CLIP_START])
    if row[_CLIP_START] is not None:
        question.media = ListedClip(*row[_CLIP_START:_OWNER_START])
    if len(row) > _OWNER_START:
        question.owner_name = row[_OWNER_START] or row[_OWNER_START + 1]
    return question


def list_questions(
    session: Session, query: sa.Select[Any], *, limit: int
) -> tuple[list[ListedQuestion], bool]:
    """Up to ``limit`` records of ``query`` (ordered and filtered by the caller), and whether
    there are more."""
    rows = session.execute(query.limit(limit + 1)).all()
    return [listed(row) for row in rows[:limit]], len(rows) > limit
