"""What staff see of a question's answers on its page: how many, the mean score, the latest,
each shown as far as the tenant's consent allows (see :func:`visible`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from media.service import media_urls
from panel.answers.models import Answer

LATEST = 20


@dataclass(frozen=True)
class Figures:
    answers: int
    mean_score: float | None
    with_clip: int


@dataclass(frozen=True)
class Shown:
    """One answer as a staff member may see it."""

    answer: Answer
    who: str | None  # None: the tenant did not allow the asker to see who answered
    clip_urls: dict[str, str]  # empty: no clip, not ready, or not to be shown to this user


def figures(session: Session, question_id: int) -> Figures:
    row = session.execute(
        sa.select(
            sa.func.count(Answer.id), sa.func.avg(Answer.score), sa.func.count(Answer.media_id)
        ).where(Answer.question_id == question_id)
    ).one()
    mean = float(row[1]) if row[1] is not None else None
    return Figures(row[0], mean, row[2])


def visible(answer: Answer, user: Any, owner_id: int) -> Shown:
    """The answer as ``user`` may see it: who answered only with the tenant's consent; the clip
    for the asker, and for colleagues only when the tenant allowed it to be shown."""
    who = None
    if answer.consent_identity:
        contact = answer.contact
        who = answer.respondent_name or (contact.name if contact else None) or None
    may_watch = user.id == owner_id or answer.consent_show_clip
    urls = media_urls(answer.media) if answer.media is not None and may_watch else {}
    return Shown(answer, who, urls)


def latest(session: Session, question_id: int, user: Any, owner_id: int) -> list[Shown]:
    answers = session.scalars(
        sa.select(Answer)
        .where(Answer.question_id == question_id)
        .options(
            selectinload(Answer.media), selectinload(Answer.contact), selectinload(Answer.place)
        )
        .order_by(Answer.id.desc())
        .limit(LATEST)
    )
    return [visible(answer, user, owner_id) for answer in answers]
