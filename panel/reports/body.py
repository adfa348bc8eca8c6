"""What the body of a report shows, as plain values for ``reports/_body.html``.

The report page, the public share page and the PDF render the same body from a
:class:`ReportBody`: the figures, their charts, the communicator's texts, the themes and the
picked quotes and clips. ``personal=False`` (a share link that hides personal data, the PDF
made from it) leaves out every tenant's name; ``personal=True`` shows a name only where the
tenant allowed it (``consent_identity``). A quote is shown only while its answer may be quoted
(``consent_quote``) and a clip only while it may be shown (``consent_show_clip``): a tenant who
withdraws consent disappears from every report at once.

:func:`build` makes the body; ``links`` (:class:`Links`) is given only to the staff page: with
it the body shows forms to edit each section's text and links to the actions, themes and reel.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session, selectinload

from media.models import MediaStatus
from media.service import media_urls
from panel.answers.models import Answer
from panel.reports import charts
from panel.reports.figures import ReportFigures
from panel.reports.models import Report, ReportItem
from panel.themes.models import AnswerTheme
from panel.themes.scopes import of_report
from panel.themes.service import themes_of

# The sections in their order, each with the communicator's own text above it.
SECTIONS: tuple[tuple[str, Any], ...] = (
    ("intro", _l("Introduction")),
    ("figures", _l("Answers")),
    ("trend", _l("Over time")),
    ("scores", _l("Scores")),
    ("indices", _l("Indices")),
    ("breakdown", _l("By place")),
    ("themes", _l("What tenants talk about")),
    ("quotes", _l("In their own words")),
    ("closing", _l("Closing words")),
)
SECTION_KEYS = tuple(key for key, _title in SECTIONS)
TEXT_MAX = 5000
THEME_ANSWERS = 3
DASH = "\u2013"
MINUS = "\u2212"


@dataclass(frozen=True)
class ShownItem:
    """A quote or clip as the report shows it (only built when consent allows it)."""

    item_id: int
    answer_id: int
    kind: str  # quote | clip
    words: str
    place: str | None
    answered_on: dt.date
    who: str | None
    score: int | None
    clip_kind: str | None = None
    clip_urls: dict[str, str] = field(default_factory=dict)
    starts_at: float | None = None
    ends_at: float | None = None


@dataclass(frozen=True)
class ThemeAnswer:
    words: str
    place: str | None
    answered_on: dt.date


@dataclass(frozen=True)
class ThemeBlock:
    """One theme: its name, how many answers, and a few of them that may be quoted."""

    theme_id: int
    label: str
    keywords: tuple[str, ...]
    count: int
    share: float | None  # percent of the report's placed answers
    mean_score: float | None
    answers: tuple[ThemeAnswer, ...]
    unquotable: int  # of the shown examples, how many were left out for lack of consent


@dataclass(frozen=True)
class Links:
    """Addresses the staff page gives the body (None parts are left out)."""

    texts: str  # POST section + text
    themes: str | None = None  # the report's themes page
    find_themes: str | None = None  # POST
    items: str | None = None  # the quotes and clips picker
    reel: str | None = None
    actions: str = "/app/actions"  # ?place=<id> is added


@dataclass
class ReportBody:
    title: str
    texts: dict[str, str]
    figures: ReportFigures
    personal: bool
    channel_chart: charts.Chart | None
    send_chart: charts.Chart | None
    trend_chart: charts.Chart | None
    score_charts: dict[int, charts.Chart]
    themes: list[ThemeBlock]
    theme_answers: int  # answers with words in the report (what themes are found in)
    items: list[ShownItem]
    links: Links | None = None
    can_edit: bool = False
    sections: tuple[tuple[str, Any], ...] = SECTIONS

    # Formatting for the template: ``body.num(x, 1)``, ``body.pct(x)``, ``body.change(x)``.
    num = staticmethod(lambda value, digits=1: number(value, digits))
    pct = staticmethod(lambda value: percent(value))
    change = staticmethod(lambda value, digits=1, unit="": change(value, digits, unit))
    heat = staticmethod(charts.heat_level)

    @property
    def quotes(self) -> list[ShownItem]:
        return [item for item in self.items if item.kind == "quote"]

    @property
    def clips(self) -> list[ShownItem]:
        return [item for item in self.items if item.kind == "clip"]

    def text(self, key: str) -> str:
        return (self.texts or {}).get(key, "") or ""


def channel_names() -> dict[str, str]:
    from flask_babel import gettext as _

    return {
        "web": _("Web"),
        "embed": _("Website"),
        "qr": _("QR flyer"),
        "email": _("E-mail link"),
        "sms": _("SMS"),
        "voice": _("Phone call"),
    }


def words_of(answer: Answer) -> str:
    """The tenant's words: what they wrote, else the transcript of their recording."""
    text = (answer.text or "").strip()
    if text:
        return text
    media = answer.media
    return (media.transcript or "").strip() if media is not None else ""


def clip_ready(answer: Answer) -> bool:
    """The answer has a processed video or sound clip."""
    media = answer.media
    return bool(answer.clip_kind and media is not None and media.status == MediaStatus.READY)


def may_quote(answer: Answer) -> bool:
    return bool(answer.consent_quote and words_of(answer))


def may_show_clip(answer: Answer) -> bool:
    return bool(answer.consent_show_clip and clip_ready(answer))


def _who(answer: Answer, personal: bool) -> str | None:
    if not (personal and answer.consent_identity):
        return None
    contact = answer.contact
    return answer.respondent_name or (contact.name if contact else None) or None


def shown_items(report: Report, personal: bool) -> list[ShownItem]:
    """The report's quotes and clips in order, leaving out any whose consent was withdrawn."""
    shown = []
    for item in sorted(report.items, key=lambda i: (i.position, i.id)):
        answer = item.answer
        if item.kind == "quote" and not may_quote(answer):
            continue
        if item.kind == "clip" and not may_show_clip(answer):
            continue
        shown.append(
            ShownItem(
                item_id=item.id,
                answer_id=answer.id,
                kind=item.kind,
                words=words_of(answer),
                place=answer.place.path if answer.place is not None else None,
                answered_on=answer.created_at.date(),
                who=_who(answer, personal),
                score=answer.score,
                clip_kind=answer.clip_kind if item.kind == "clip" else None,
                clip_urls=media_urls(answer.media) if item.kind == "clip" else {},
                starts_at=item.starts_at,
                ends_at=item.ends_at,
            )
        )
    return shown


def theme_blocks(
    session: Session, report_id: int, answer_ids: Collection[int]
) -> tuple[list[ThemeBlock], int]:
    """The report's themes, largest first, each with a few answers that may be quoted; and how
    many of the report's answers have words."""
    scope = of_report(report_id, answer_ids)
    themes = themes_of(session, scope)
    from panel.themes.page import _reading

    with_words, _analysed = _reading(session, scope) if answer_ids else (0, 0)
    if not themes:
        return [], with_words
    counts = dict(
        session.execute(
            sa.select(AnswerTheme.theme_id, sa.func.count())
            .where(AnswerTheme.scope_kind == scope.kind, AnswerTheme.scope_id == scope.id)
            .group_by(AnswerTheme.theme_id)
        ).all()
    )
    means = dict(
        session.execute(
            sa.select(AnswerTheme.theme_id, sa.func.avg(Answer.score))
            .join(Answer, Answer.id == AnswerTheme.answer_id)
            .where(AnswerTheme.scope_kind == scope.kind, AnswerTheme.scope_id == scope.id)
            .group_by(AnswerTheme.theme_id)
        ).all()
    )
    placed = sum(counts.values())
    blocks = []
    for theme in themes:
        nearest = session.scalars(
            sa.select(Answer)
            .join(AnswerTheme, AnswerTheme.answer_id == Answer.id)
            .where(AnswerTheme.theme_id == theme.id)
            .order_by(AnswerTheme.similarity.desc().nulls_last(), Answer.id)
            .options(selectinload(Answer.media), selectinload(Answer.place))
            .limit(THEME_ANSWERS * 4)
        ).all()
        shown: list[ThemeAnswer] = []
        seen: set[str] = set()
        left_out = 0
        for answer in nearest:
            words = words_of(answer)
            if not words or words.casefold() in seen:
                continue
            if not answer.consent_quote:
                left_out += 1
                continue
            seen.add(words.casefold())
            place = answer.place.path if answer.place is not None else None
            shown.append(ThemeAnswer(words, place, answer.created_at.date()))
            if len(shown) == THEME_ANSWERS:
                break
        count = counts.get(theme.id, 0)
        mean = means.get(theme.id)
        blocks.append(
            ThemeBlock(
                theme_id=theme.id,
                label=theme.label or "",
                keywords=tuple(theme.keywords or ()),
                count=count,
                share=100 * count / placed if placed else None,
                mean_score=float(mean) if mean is not None else None,
                answers=tuple(shown),
                unquotable=left_out,
            )
        )
    blocks.sort(key=lambda block: -block.count)
    return blocks, with_words


def build(
    session: Session,
    report: Report,
    figures: ReportFigures,
    answer_ids: Collection[int],
    *,
    personal: bool,
    links: Links | None = None,
    can_edit: bool = False,
) -> ReportBody:
    """The body of ``report`` over ``figures`` (computed by the caller from the report's
    filter) and the ids of its answers (for themes)."""
    names = channel_names()
    themes, with_words = theme_blocks(session, report.id, answer_ids)
    return ReportBody(
        title=report.title,
        texts=dict(report.texts or {}),
        figures=figures,
        personal=personal,
        channel_chart=charts.channel_chart(figures.channels, names) if figures.channels else None,
        send_chart=charts.send_rate_chart(figures.sends) if figures.sends else None,
        trend_chart=charts.trend_chart(figures.trend, figures.filter.period)
        if figures.trend
        else None,
        score_charts={
            score.question_id: charts.distribution_chart(
                score.distribution, figures.score_target, score.title
            )
            for score in figures.scores
        },
        themes=themes,
        theme_answers=with_words,
        items=shown_items(report, personal),
        links=links,
        can_edit=can_edit,
    )


def items_query(report_id: int) -> sa.Select[tuple[ReportItem]]:
    """A report's items with their answers, media and places, in order."""
    return (
        sa.select(ReportItem)
        .where(ReportItem.report_id == report_id)
        .options(
            selectinload(ReportItem.answer).selectinload(Answer.media),
            selectinload(ReportItem.answer).selectinload(Answer.place),
            selectinload(ReportItem.answer).selectinload(Answer.contact),
        )
        .order_by(ReportItem.position, ReportItem.id)
    )


def number(value: float | None, digits: int = 1) -> str:
    """A figure in the page's language (``7,4`` in Swedish), or a dash when there is none."""
    if value is None:
        return DASH
    from flask_babel import format_decimal

    pattern = "#,##0" if digits == 0 else "#,##0." + "0" * digits
    return format_decimal(round(value, digits), format=pattern)


def percent(value: float | None) -> str:
    """A share in percent, whole, with a narrow space before the sign as in print."""
    return DASH if value is None else f"{number(value, 0)}\u202f%"


def change(value: float | None, digits: int = 1, unit: str = "") -> str:
    """A change with its sign (``+0,4``, a minus sign before ``3 %``; ``±0``), or empty when
    there is none."""
    if value is None:
        return ""
    rounded = round(value, digits)
    if rounded == 0:
        return f"±0{unit}"
    sign = "+" if rounded > 0 else MINUS
    return f"{sign}{number(abs(rounded), digits)}{unit}"
