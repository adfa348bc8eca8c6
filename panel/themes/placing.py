"""A new answer joins the nearest theme of each scope it is in, as it arrives.

Only scopes whose themes were found already take part: the answer's question, and its
touchpoint when it came through one. An answer a communicator put in a theme by hand stays
there. The theme's centroid follows the answer in (a running mean), so later answers are placed
against what the theme holds now; finding the themes again settles every centroid exactly.
"""

from __future__ import annotations

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from panel.answers.models import Answer
from panel.core.db import utcnow
from panel.themes import clustering
from panel.themes.embeddings import from_bytes, to_bytes
from panel.themes.models import AnswerTheme, Theme
from panel.themes.scopes import Scope, scopes_of


def place(session: Session, answer: Answer, vector: np.ndarray) -> list[AnswerTheme]:
    """Put ``answer`` in the nearest theme of each of its scopes with themes; the placements."""
    placed = []
    for scope in scopes_of(answer):
        placement = place_in(session, scope, answer, vector)
        if placement is not None:
            placed.append(placement)
    return placed


def place_in(
    session: Session, scope: Scope, answer: Answer, vector: np.ndarray
) -> AnswerTheme | None:
    """Put ``answer`` in the nearest theme of ``scope``; None when the scope has no themes or
    the answer was put somewhere by hand."""
    themes = [
        theme
        for theme in session.scalars(
            sa.select(Theme)
            .where(Theme.scope_kind == scope.kind, Theme.scope_id == scope.id)
            .order_by(Theme.position, Theme.id)
        )
        if theme.centroid
    ]
    if not themes:
        return None
    placement = session.scalar(
        sa.select(AnswerTheme).where(
            AnswerTheme.answer_id == answer.id,
            AnswerTheme.scope_kind == scope.kind,
            AnswerTheme.scope_id == scope.id,
        )
    )
    if placement is not None and placement.by_hand:
        return None
    sizes = dict(
        session.execute(
            sa.select(AnswerTheme.theme_id, sa.func.count())
            .where(AnswerTheme.theme_id.in_([t.id for t in themes]))
            .group_by(AnswerTheme.theme_id)
        ).all()
    )
    centroids = np.stack([from_bytes(t.centroid) for t in themes if t.centroid])
    counts = np.array([sizes.get(t.id, 0) for t in themes], dtype=np.float64)
    best, similarity = clustering.nearest(vector, centroids, counts)
    theme = themes[best]
    if placement is None:
        placement = AnswerTheme(
            organisation_id=answer.organisation_id,
            answer_id=answer.id,
            scope_kind=scope.kind,
            scope_id=scope.id,
            theme_id=theme.id,
            by_hand=False,
            created_at=utcnow(),
        )
        session.add(placement)
    if placement.theme_id != theme.id or placement.id is None:
        joined = counts[best]
        theme.centroid = to_bytes((centroids[best] * joined + vector) / (joined + 1))
    placement.theme_id = theme.id
    placement.similarity = similarity
    return placement
