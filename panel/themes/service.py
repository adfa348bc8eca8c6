"""Themes of a scope: found by the machine, then shaped by communicators.

:func:`find_themes` groups every answer of the scope that has an embedding
(:mod:`panel.themes.clustering`). What a communicator did by hand is kept when themes are found
again: a name they gave, and every answer they moved, merged or split (those answers stay where
they were put; a new group that mostly holds a theme's answers becomes that theme again, name
and all). :func:`rename`, :func:`merge`, :func:`split` and :func:`move` are their tools.

After every change :func:`settle` works out each theme's centroid, how near each answer is to
it (the nearest are a theme's examples), its most telling words and its place in the list.
Nothing here commits: the caller does.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from media.models import MediaFile
from panel.answers.models import Answer
from panel.core.db import utcnow
from panel.core.errors import NotFound, ValidationError
from panel.core.i18n import lazy_text as _l
from panel.core.routing import parse_id
from panel.themes import clustering
from panel.themes.embeddings import MODEL_NAME, from_bytes, to_bytes
from panel.themes.labels import label_from, telling_words
from panel.themes.models import AnswerAnalysis, AnswerTheme, Theme
from panel.themes.scopes import Scope

MAX_LABEL = 200
MIN_TO_SPLIT = 4


class TooFewAnswers(ValidationError):
    """Not enough answers with words have been read to find themes in them."""


@dataclass(frozen=True)
class Found:
    """What finding the themes did."""

    themes: int
    answers: int
    kept_by_hand: int


def themes_of(session: Session, scope: Scope) -> list[Theme]:
    """The scope's themes, in their order (largest first as last settled)."""
    return list(
        session.scalars(
            sa.select(Theme)
            .where(Theme.scope_kind == scope.kind, Theme.scope_id == scope.id)
            .order_by(Theme.position, Theme.id)
        )
    )


def get_theme(session: Session, scope: Scope, theme_id: object) -> Theme:
    """A theme of this scope (and organisation), or NotFound."""
    parsed = parse_id(theme_id)
    theme = session.get(Theme, parsed) if parsed is not None else None
    if theme is None or (theme.scope_kind, theme.scope_id) != (scope.kind, scope.id):
        raise NotFound(_l("There is no such theme here. Its themes may have been found again."))
    return theme


def get_answer(session: Session, scope: Scope, answer_id: object) -> Answer:
    """An answer of this scope (and organisation), or NotFound."""
    parsed = parse_id(answer_id)
    answer = (
        session.scalar(sa.select(Answer).where(Answer.id == parsed, scope.condition()))
        if parsed is not None
        else None
    )
    if answer is None:
        raise NotFound(_l("There is no such answer among these answers."))
    return answer


def analysed(session: Session, scope: Scope) -> tuple[list[int], np.ndarray]:
    """Ids and embeddings of the scope's answers that have one from the current model."""
    rows = session.execute(
        sa.select(AnswerAnalysis.answer_id, AnswerAnalysis.embedding)
        .join(Answer, Answer.id == AnswerAnalysis.answer_id)
        .where(
            scope.condition(),
            AnswerAnalysis.embedding.is_not(None),
            AnswerAnalysis.embedding_model == MODEL_NAME,
        )
        .order_by(AnswerAnalysis.answer_id)
    ).all()
    if not rows:
        return [], np.zeros((0, 0), dtype=np.float32)
    return [row[0] for row in rows], np.stack([from_bytes(row[1]) for row in rows])


def find_themes(session: Session, scope: Scope) -> Found:
    """Group the scope's answers into themes (again), keeping what was done by hand."""
    ids, vectors = analysed(session, scope)
    if len(ids) < clustering.MIN_ANSWERS:
        raise TooFewAnswers(
            _l(
                "Themes need at least %(min)s answers with words; %(num)s have been read so far.",
                min=clustering.MIN_ANSWERS,
                num=len(ids),
            )
        )
    grouping = clustering.group(vectors)
    placed = {p.answer_id: p for p in _placements(session, scope)}
    kept = {t.id for t in themes_of(session, scope) if t.named_by_hand}
    kept |= {p.theme_id for p in placed.values() if p.by_hand}
    theme_of_group = _match(grouping.labels, ids, placed, kept)
    _clear_machine_work(session, scope, kept)
    for group in range(grouping.count):
        if group not in theme_of_group:
            theme = Theme(
                organisation_id=_organisation(session),
                scope_kind=scope.kind,
                scope_id=scope.id,
                label="",
                keywords=[],
                position=group,
            )
            session.add(theme)
            session.flush()
            theme_of_group[group] = theme.id
    now = utcnow()
    rows = [
        {
            "organisation_id": _organisation(session),
            "answer_id": answer_id,
            "theme_id": theme_of_group[int(group)],
            "scope_kind": scope.kind,
            "scope_id": scope.id,
            "by_hand": False,
            "created_at": now,
        }
        for answer_id, group in zip(ids, grouping.labels, strict=True)
        if not (answer_id in placed and placed[answer_id].by_hand)
    ]
    if rows:
        session.execute(sa.insert(AnswerTheme), rows)
    settle(session, scope)
    by_hand = sum(1 for p in placed.values() if p.by_hand)
    return Found(themes=len(themes_of(session, scope)), answers=len(ids), kept_by_hand=by_hand)


def rename(session: Session, scope: Scope, theme_id: object, label: str) -> Theme:
    """Give a theme a name of one's own; it keeps it when themes are found again."""
    theme = get_theme(session, scope, theme_id)
    label = " ".join((label or "").split())
    if not label:
        raise ValidationError(
            _l("Write a name for the theme."), details={"label": [_l("Write a name.")]}
        )
    if len(label) > MAX_LABEL:
        raise ValidationError(
            _l("A theme's name can be at most %(num)s characters.", num=MAX_LABEL),
            details={"label": [_l("Too long.")]},
        )
    theme.label = label
    theme.named_by_hand = True
    return theme


def merge(session: Session, scope: Scope, theme_id: object, into_id: object) -> Theme:
    """Put every answer of one theme into another and remove the first; the answers of both
    stay together when themes are found again."""
    theme = get_theme(session, scope, theme_id)
    into = get_theme(session, scope, into_id)
    if theme.id == into.id:
        raise ValidationError(_l("Choose another theme to merge this one with."))
    session.execute(
        sa.update(AnswerTheme)
        .where(AnswerTheme.theme_id.in_([theme.id, into.id]))
        .values(theme_id=into.id, by_hand=True)
    )
    session.delete(theme)
    session.flush()
    settle(session, scope)
    return into


def split(session: Session, scope: Scope, theme_id: object) -> tuple[Theme, Theme]:
    """Split a theme in two by what its answers say; the larger part keeps the theme (and its
    name). The answers of both stay where they are when themes are found again."""
    theme = get_theme(session, scope, theme_id)
    members = session.execute(
        sa.select(AnswerTheme, AnswerAnalysis.embedding)
        .join(AnswerAnalysis, AnswerAnalysis.answer_id == AnswerTheme.answer_id)
        .where(
            AnswerTheme.theme_id == theme.id,
            AnswerAnalysis.embedding.is_not(None),
            AnswerAnalysis.embedding_model == MODEL_NAME,
        )
        .order_by(AnswerTheme.answer_id)
    ).all()
    if len(members) < MIN_TO_SPLIT:
        raise ValidationError(
            _l("A theme needs at least %(num)s read answers to be split.", num=MIN_TO_SPLIT)
        )
    _, everything = analysed(session, scope)
    halves = clustering.split_in_two(
        np.stack([from_bytes(row[1]) for row in members]), everything.mean(axis=0)
    )
    other = Theme(
        organisation_id=theme.organisation_id,
        scope_kind=scope.kind,
        scope_id=scope.id,
        label="",
        keywords=[],
        position=theme.position + 1,
    )
    session.add(other)
    session.flush()
    for (placement, _), half in zip(members, halves, strict=True):
        placement.by_hand = True
        if half == 1:
            placement.theme_id = other.id
    session.flush()
    settle(session, scope)
    return theme, other


def move(session: Session, scope: Scope, answer_id: object, theme_id: object) -> AnswerTheme:
    """Put an answer in another theme by hand; it stays there when themes are found again."""
    theme = get_theme(session, scope, theme_id)
    answer = get_answer(session, scope, answer_id)
    placement = session.scalar(
        sa.select(AnswerTheme).where(
            AnswerTheme.answer_id == answer.id,
            AnswerTheme.scope_kind == scope.kind,
            AnswerTheme.scope_id == scope.id,
        )
    )
    if placement is None:
        placement = AnswerTheme(
            organisation_id=answer.organisation_id,
            answer_id=answer.id,
            scope_kind=scope.kind,
            scope_id=scope.id,
            theme_id=theme.id,
            created_at=utcnow(),
        )
        session.add(placement)
    placement.theme_id = theme.id
    placement.by_hand = True
    session.flush()
    settle(session, scope)
    return placement


def settle(session: Session, scope: Scope) -> None:
    """Work out every theme's centroid, its answers' nearness to it, its most telling words,
    its name (unless given by hand) and its place in the list."""
    themes = themes_of(session, scope)
    if not themes:
        return
    members = session.execute(
        sa.select(
            AnswerTheme.id,
            AnswerTheme.theme_id,
            AnswerAnalysis.embedding,
            AnswerAnalysis.embedding_model,
            Answer.text,
            MediaFile.transcript,
        )
        .join(Answer, Answer.id == AnswerTheme.answer_id)
        .outerjoin(AnswerAnalysis, AnswerAnalysis.answer_id == AnswerTheme.answer_id)
        .outerjoin(MediaFile, MediaFile.id == Answer.media_id)
        .where(AnswerTheme.scope_kind == scope.kind, AnswerTheme.scope_id == scope.id)
        .order_by(AnswerTheme.id)
    ).all()
    vectors: dict[int, list[np.ndarray]] = defaultdict(list)
    with_vector: list[tuple[int, int, np.ndarray]] = []
    for placement_id, theme_id, embedding, model, *_ in members:
        if embedding and model == MODEL_NAME:
            vector = from_bytes(embedding)
            vectors[theme_id].append(vector)
            with_vector.append((placement_id, theme_id, vector))
    centroids = {t: np.mean(found, axis=0) for t, found in vectors.items() if found}
    nearness = _nearness(with_vector, centroids)
    if nearness:
        session.execute(
            sa.update(AnswerTheme),
            [{"id": placement_id, "similarity": value} for placement_id, value in nearness.items()],
        )
    texts: dict[int, list[str]] = defaultdict(list)
    weights: dict[int, list[float]] = defaultdict(list)
    for placement_id, theme_id, _, _, text, transcript in members:
        texts[theme_id].append(" ".join(part for part in (text, transcript) if part))
        # An answer without an embedding (placed by hand) counts as one at the theme's edge.
        weights[theme_id].append(max(nearness.get(placement_id, 0.0), 0.0) ** 2 or 0.01)
    sizes = Counter(theme_id for _, theme_id, *_ in members)
    themes.sort(key=lambda t: (-sizes[t.id], t.position, t.id))
    words = telling_words([texts[t.id] for t in themes], [weights[t.id] for t in themes])
    for position, (theme, telling) in enumerate(zip(themes, words, strict=True)):
        theme.position = position
        theme.keywords = telling
        if not theme.named_by_hand:
            theme.label = label_from(telling)
        theme.centroid = to_bytes(centroids[theme.id]) if theme.id in centroids else None
    session.flush()


def _nearness(
    members: list[tuple[int, int, np.ndarray]], centroids: dict[int, np.ndarray]
) -> dict[int, float]:
    """How near each placed answer is to its theme's centroid (cosine, around the scope's
    mean), by placement id."""
    if not members:
        return {}
    order = sorted(centroids)
    row_of = {theme_id: row for row, theme_id in enumerate(order)}
    answers = np.stack([vector for _, _, vector in members])
    mean = answers.mean(axis=0)
    towards = clustering.normalised(np.stack([centroids[t] for t in order]) - mean)
    rows = np.array([row_of[theme_id] for _, theme_id, _ in members])
    values = (clustering.normalised(answers - mean) * towards[rows]).sum(axis=1)
    return {
        placement_id: float(value)
        for (placement_id, _, _), value in zip(members, values, strict=True)
    }


def _placements(session: Session, scope: Scope) -> list[AnswerTheme]:
    return list(
        session.scalars(
            sa.select(AnswerTheme).where(
                AnswerTheme.scope_kind == scope.kind, AnswerTheme.scope_id == scope.id
            )
        )
    )


def _match(
    labels: np.ndarray, ids: list[int], placed: dict[int, AnswerTheme], kept: set[int]
) -> dict[int, int]:
    """Groups that mostly hold a kept theme's answers become that theme (one each, the
    largest overlaps first)."""
    overlap: Counter[tuple[int, int]] = Counter()
    for answer_id, group in zip(ids, labels, strict=True):
        placement = placed.get(answer_id)
        if placement is not None and placement.theme_id in kept:
            overlap[(int(group), placement.theme_id)] += 1
    matched: dict[int, int] = {}
    for (group, theme_id), _ in sorted(overlap.items(), key=lambda kv: (-kv[1], kv[0])):
        if group not in matched and theme_id not in matched.values():
            matched[group] = theme_id
    return matched


def _clear_machine_work(session: Session, scope: Scope, kept: set[int]) -> None:
    """Remove the machine's placements and the themes nobody shaped by hand."""
    session.execute(
        sa.delete(AnswerTheme).where(
            AnswerTheme.scope_kind == scope.kind,
            AnswerTheme.scope_id == scope.id,
            ~AnswerTheme.by_hand,
        )
    )
    gone = sa.delete(Theme).where(Theme.scope_kind == scope.kind, Theme.scope_id == scope.id)
    if kept:
        gone = gone.where(Theme.id.not_in(sorted(kept)))
    session.execute(gone)


def _organisation(session: Session) -> int:
    from panel.core.scoping import required_organisation

    return required_organisation(session, "Finding themes")
