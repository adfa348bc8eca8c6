"""What each inbox row shows, and the choices of the filter form.

The inbox's query (:mod:`panel.threads.inbox`) gives each thread with the words of its answer
and the tenant's name; the names of questions, places and owners come from the filter form's
choices, which the page loads anyway. A tenant is named
only when they let the asker see who answered (the answer's ``consent_identity``).
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from panel.accounts.models import User
from panel.core.scoping import required_organisation
from panel.places.models import Place
from panel.questions.models import Question
from panel.threads.notices import excerpt

EXCERPT = 140
# The touchpoints room is never imported by panel (see STYLE.md): its table is read by name.
_touchpoint = sa.table(
    "touchpoint", sa.column("id"), sa.column("name"), sa.column("organisation_id")
)


@dataclass(frozen=True)
class Options:
    """The filter form's choices: ``(id, label)`` pairs, and names by id for the rows."""

    questions: list[tuple[int, str]]
    touchpoints: list[tuple[int, str]]
    places: list[tuple[int, str]]
    people: dict[int, str]

    @property
    def question_titles(self) -> dict[int, str]:
        return dict(self.questions)

    @property
    def place_paths(self) -> dict[int, str]:
        return dict(self.places)


@functools.lru_cache(maxsize=2)
def _choices(people: bool) -> sa.CompoundSelect:
    """The choices' one query (built once). Each part names the organisation itself: a union is
    beyond the session's scoping, and the touchpoint table is read by name."""
    org = sa.bindparam("organisation_id", type_=sa.Integer)
    parts = [
        sa.select(sa.literal("q"), Question.id, Question.title).where(
            Question.organisation_id == org
        ),
        sa.select(sa.literal("t"), _touchpoint.c.id, _touchpoint.c.name).where(
            _touchpoint.c.organisation_id == org
        ),
        sa.select(sa.literal("p"), Place.id, Place.path).where(Place.organisation_id == org),
    ]
    if people:
        name = sa.func.coalesce(sa.func.nullif(User.name, ""), User.email)
        parts.append(sa.select(sa.literal("u"), User.id, name).where(User.organisation_id == org))
    return sa.union_all(*parts)


def load_options(session: Session, *, people: bool = True) -> Options:
    """The organisation's questions (newest first), touchpoints and places; and colleagues'
    names when the page names owners (``people``). One query: a page asks for them every time."""
    org = required_organisation(session, "The inbox's choices")
    found: dict[str, list[tuple[int, str]]] = {"q": [], "t": [], "p": [], "u": []}
    for kind, row_id, label in session.execute(_choices(people), {"organisation_id": org}):
        found[kind].append((row_id, label))
    return Options(
        questions=sorted(found["q"], reverse=True),
        touchpoints=sorted(found["t"], key=lambda pair: (pair[1].casefold(), pair[0])),
        places=sorted(found["p"], key=lambda pair: pair[1]),
        people=dict(found["u"]),
    )


@dataclass(frozen=True)
class Row:
    """One thread as the inbox lists it."""

    id: int
    url: str
    unread: bool
    status: str
    overdue: bool
    question: str
    excerpt: str
    kind: str  # what the excerpt is: text, choice, score, video, audio, empty
    score: int | None
    channel: str
    has_video: bool
    place: str | None  # the place's own name; ``place_path`` the whole way down to it
    place_path: str | None
    who: str | None  # None: the tenant did not let the asker see who answered
    owner: str | None
    last_activity_at: dt.datetime
    local_time: str  # the moment in the organisation's time zone, as 2026-03-09 14:05


def _words(answer: Any) -> tuple[str, str]:
    """The excerpt of an answer and what it is."""
    if answer.text and answer.text.strip():
        return excerpt(answer.text, EXCERPT), "text"
    if answer.choice:
        return answer.choice, "choice"
    if answer.score is not None:
        return str(answer.score), "score"
    if answer.clip_kind in ("video", "audio"):
        return "", answer.clip_kind
    return "", "empty"


def _who(answer: Any) -> str | None:
    if not answer.consent_identity:
        return None
    return answer.contact_name or answer.respondent_name or None


def build_rows(
    threads: list[Any],
    options: Options,
    *,
    overdue_before: dt.datetime,
    zone: dt.tzinfo = dt.UTC,
) -> list[Row]:
    """The rows of a page of threads (as :func:`panel.threads.inbox.inbox_page` gives them,
    with their answers' words), moments shown in the organisation's time zone ``zone``."""
    titles, paths = options.question_titles, options.place_paths
    rows = []
    for thread in threads:
        text, kind = _words(thread)
        path = paths.get(thread.place_id) if thread.place_id else None
        waiting = thread.waiting_since
        rows.append(
            Row(
                id=thread.id,
                url=f"/app/threads/{thread.id}",
                unread=bool(thread.unread),
                status=thread.status,
                overdue=waiting is not None and waiting < overdue_before,
                question=titles.get(thread.question_id, ""),
                excerpt=text,
                kind=kind,
                score=thread.score,
                channel=thread.channel,
                has_video=thread.has_video,
                place=path.rsplit(" / ", 1)[-1] if path else None,
                place_path=path,
                who=_who(thread),
                owner=options.people.get(thread.owner_id) if thread.owner_id else None,
                last_activity_at=thread.last_activity_at,
                local_time=thread.last_activity_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            )
        )
    return rows
