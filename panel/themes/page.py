"""What the themes page shows of a scope: each theme with its size, words, three examples, mean
score and sentiment; the answers of one theme (or code) to move and tag; and why anything is
missing (too few answers, answers still being read, a model refused, languages without a
sentiment model). Answers are shown as far as the tenant's consent allows
(:func:`panel.answers.summary.visible`), with a mark on those the tenant did not allow to be
quoted; a theme's examples are the three answers nearest its centre.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from media.models import MediaFile
from panel.answers.models import Answer
from panel.answers.summary import Shown, visible
from panel.core.config import Settings
from panel.themes import clustering, codes, sentiment
from panel.themes.embeddings import MODEL_NAME, E5Embedder, EmbedderUnavailable, get_embedder
from panel.themes.models import AnswerAnalysis, AnswerTheme, Code, Theme
from panel.themes.scopes import Scope
from panel.themes.service import themes_of

EXAMPLES = 3
PAGE_SIZE = 50


@dataclass
class Card:
    """One theme as its card shows it."""

    theme: Theme
    count: int
    mean_score: float | None
    feelings: dict[str, int]
    examples: list[Shown] = field(default_factory=list)

    @property
    def with_feeling(self) -> int:
        return sum(self.feelings.values())


@dataclass
class Overview:
    """The themes of a scope and what the page says around them."""

    cards: list[Card]
    with_words: int
    analysed: int
    placed: int
    unplaced: int
    no_sentiment: list[tuple[str, int]]  # languages without a sentiment model, answers in each
    model_problem: str | None
    codes: list[codes.CodeCount]

    @property
    def largest(self) -> int:
        return max((card.count for card in self.cards), default=0)

    @property
    def waiting(self) -> int:
        return max(self.with_words - self.analysed, 0)

    @property
    def can_find(self) -> bool:
        return self.analysed >= clustering.MIN_ANSWERS


@dataclass
class Listing:
    """Answers of one theme, of one code, or not in a theme yet: a page of them."""

    kind: str  # theme | code | unplaced
    title: str
    shown: list[Shown]
    codes: dict[int, list[Code]]
    placements: dict[int, AnswerTheme]
    feelings: dict[int, str]  # each answer's sentiment, where a model read its language
    page: int
    more: bool
    theme: Theme | None = None
    code: Code | None = None


def overview(session: Session, scope: Scope, user: Any, settings: Settings) -> Overview:
    themes = themes_of(session, scope)
    figures = {
        theme_id: (count, mean)
        for theme_id, count, mean in session.execute(
            sa.select(AnswerTheme.theme_id, sa.func.count(), sa.func.avg(Answer.score))
            .join(Answer, Answer.id == AnswerTheme.answer_id)
            .where(AnswerTheme.scope_kind == scope.kind, AnswerTheme.scope_id == scope.id)
            .group_by(AnswerTheme.theme_id)
        )
    }
    feelings: dict[int, dict[str, int]] = {theme.id: {} for theme in themes}
    for theme_id, feeling, count in session.execute(
        sa.select(AnswerTheme.theme_id, AnswerAnalysis.sentiment, sa.func.count())
        .join(AnswerAnalysis, AnswerAnalysis.answer_id == AnswerTheme.answer_id)
        .where(
            AnswerTheme.scope_kind == scope.kind,
            AnswerTheme.scope_id == scope.id,
            AnswerAnalysis.sentiment.is_not(None),
        )
        .group_by(AnswerTheme.theme_id, AnswerAnalysis.sentiment)
    ):
        feelings.setdefault(theme_id, {})[feeling] = count
    cards = []
    for theme in themes:
        count, mean = figures.get(theme.id, (0, None))
        card = Card(theme, count, float(mean) if mean is not None else None, feelings[theme.id])
        card.examples = [visible(a, user, a.question.owner_id) for a in _examples(session, theme)]
        cards.append(card)
    with_words, analysed = _reading(session, scope)
    placed = sum(card.count for card in cards)
    problem = model_problem(settings) if with_words > analysed or not analysed else None
    return Overview(
        cards=cards,
        with_words=with_words,
        analysed=analysed,
        placed=placed,
        unplaced=_unplaced_count(session, scope) if themes else 0,
        no_sentiment=_no_sentiment(session, scope),
        model_problem=problem,
        codes=codes.codes_with_counts(session, scope),
    )


def model_problem(settings: Settings) -> str | None:
    """Why answers cannot be read here (embeddings off, the model missing or refused), or
    None. The model file is checked in full, as the worker checks it before loading."""
    try:
        embedder = get_embedder(settings)
    except EmbedderUnavailable as exc:
        return str(exc)
    return embedder.problem() if isinstance(embedder, E5Embedder) else None


def theme_answers(
    session: Session, scope: Scope, theme: Theme, user: Any, page: int = 1
) -> Listing:
    query = (
        sa.select(Answer)
        .join(AnswerTheme, AnswerTheme.answer_id == Answer.id)
        .where(AnswerTheme.theme_id == theme.id)
        .order_by(AnswerTheme.similarity.desc().nulls_last(), Answer.id)
    )
    return _listing(session, scope, query, user, page, kind="theme", title=theme.label, theme=theme)


def code_answers(session: Session, scope: Scope, code: Code, user: Any, page: int = 1) -> Listing:
    from panel.themes.models import AnswerCode

    query = (
        sa.select(Answer)
        .join(AnswerCode, AnswerCode.answer_id == Answer.id)
        .where(AnswerCode.code_id == code.id, scope.condition())
        .order_by(Answer.id.desc())
    )
    return _listing(session, scope, query, user, page, kind="code", title=code.name, code=code)


def unplaced_answers(session: Session, scope: Scope, user: Any, page: int = 1) -> Listing:
    query = (
        _with_words(sa.select(Answer), scope).where(~_placed_in(scope)).order_by(Answer.id.desc())
    )
    return _listing(session, scope, query, user, page, kind="unplaced", title="")


def _listing(
    session: Session,
    scope: Scope,
    query: sa.Select[Any],
    user: Any,
    page: int,
    **what: Any,
) -> Listing:
    page = max(page, 1)
    answers = list(
        session.scalars(
            query.options(
                selectinload(Answer.media), selectinload(Answer.contact), selectinload(Answer.place)
            )
            .limit(PAGE_SIZE + 1)
            .offset((page - 1) * PAGE_SIZE)
        )
    )
    more = len(answers) > PAGE_SIZE
    answers = answers[:PAGE_SIZE]
    ids = [answer.id for answer in answers]
    placements = {
        placement.answer_id: placement
        for placement in session.scalars(
            sa.select(AnswerTheme).where(
                AnswerTheme.answer_id.in_(ids),
                AnswerTheme.scope_kind == scope.kind,
                AnswerTheme.scope_id == scope.id,
            )
        )
    }
    feelings = dict(
        session.execute(
            sa.select(AnswerAnalysis.answer_id, AnswerAnalysis.sentiment).where(
                AnswerAnalysis.answer_id.in_(ids), AnswerAnalysis.sentiment.is_not(None)
            )
        ).all()
    )
    return Listing(
        shown=[visible(answer, user, answer.question.owner_id) for answer in answers],
        codes=codes.codes_of(session, ids),
        placements=placements,
        feelings=feelings,
        page=page,
        more=more,
        **what,
    )


def _examples(session: Session, theme: Theme) -> list[Answer]:
    """The answers nearest the theme's centre: what it is about, at its most typical, each
    saying something the others do not (tenants often send the same words). Whether each may be
    quoted is shown beside it."""
    nearest = session.scalars(
        sa.select(Answer)
        .join(AnswerTheme, AnswerTheme.answer_id == Answer.id)
        .where(AnswerTheme.theme_id == theme.id)
        .order_by(AnswerTheme.similarity.desc().nulls_last(), Answer.id)
        .options(
            selectinload(Answer.media), selectinload(Answer.contact), selectinload(Answer.place)
        )
        .limit(EXAMPLES * 10)
    )
    chosen: list[Answer] = []
    seen: set[str] = set()
    for answer in nearest:
        words = " ".join((answer.text or "").lower().split())
        if words and words in seen:
            continue
        seen.add(words)
        chosen.append(answer)
        if len(chosen) == EXAMPLES:
            break
    return chosen


def _with_words(query: sa.Select[Any], scope: Scope) -> sa.Select[Any]:
    return query.outerjoin(MediaFile, MediaFile.id == Answer.media_id).where(
        scope.condition(),
        sa.or_(
            sa.func.length(sa.func.trim(sa.func.coalesce(Answer.text, ""))) > 0,
            MediaFile.transcript.is_not(None),
        ),
    )


def _placed_in(scope: Scope) -> sa.ColumnElement[bool]:
    return sa.exists().where(
        AnswerTheme.answer_id == Answer.id,
        AnswerTheme.scope_kind == scope.kind,
        AnswerTheme.scope_id == scope.id,
    )


def _reading(session: Session, scope: Scope) -> tuple[int, int]:
    """How many of the scope's answers have words, and how many have been read."""
    with_words = session.scalar(_with_words(sa.select(sa.func.count(Answer.id)), scope)) or 0
    analysed = session.scalar(
        sa.select(sa.func.count(AnswerAnalysis.answer_id))
        .join(Answer, Answer.id == AnswerAnalysis.answer_id)
        .where(
            scope.condition(),
            AnswerAnalysis.embedding.is_not(None),
            AnswerAnalysis.embedding_model == MODEL_NAME,
        )
    )
    return with_words, analysed or 0


def _unplaced_count(session: Session, scope: Scope) -> int:
    query = _with_words(sa.select(sa.func.count(Answer.id)), scope).where(~_placed_in(scope))
    return session.scalar(query) or 0


def _no_sentiment(session: Session, scope: Scope) -> list[tuple[str, int]]:
    rows = session.execute(
        _with_words(sa.select(Answer.language, sa.func.count(Answer.id)), scope).group_by(
            Answer.language
        )
    ).all()
    counts: dict[str, int] = {}
    for language, count in rows:
        if not sentiment.has_model(language):
            code = sentiment.language_of(language)
            counts[code] = counts.get(code, 0) + count
    return sorted(counts.items())
