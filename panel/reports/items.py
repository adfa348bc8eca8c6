"""Quotes and clips a communicator picks for a report, and the answers to pick them from.

An answer may be a quote when the tenant allowed quoting (``consent_quote``) and it has words
(its text, or the transcript of its recording); a clip when the tenant allowed the clip to be
shown (``consent_show_clip``) and a processed video or sound is there. Only answers the report
takes in may be picked. Items keep their order in ``position`` (0, 1, 2...).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session, selectinload

from media.models import MediaFile, MediaStatus
from panel.answers.models import Answer
from panel.core.errors import Conflict, NotFound, ValidationError
from panel.core.i18n import lazy_text as _l
from panel.core.routing import parse_id
from panel.reports.body import clip_ready, may_quote, may_show_clip, words_of
from panel.reports.figures import ReportFilter, answers_of
from panel.reports.models import Report, ReportItem

PAGE_SIZE = 20
KINDS = ("quote", "clip")


@dataclass(frozen=True)
class Candidate:
    """An answer as the picker shows it: what may be done with it, and why not."""

    answer: Answer
    words: str
    quote_item: ReportItem | None
    clip_item: ReportItem | None
    quote_refused: str | None  # why it may not be a quote (None: it may)
    clip_refused: str | None  # None: it may be a clip; "" when it has no clip at all


@dataclass(frozen=True)
class Listing:
    candidates: list[Candidate]
    page: int
    more: bool
    total: int


def _why_no_quote(answer: Answer) -> str | None:
    if not words_of(answer):
        return _("No words to quote.")
    if not answer.consent_quote:
        return _("The tenant did not allow quoting.")
    return None


def _why_no_clip(answer: Answer) -> str | None:
    if not answer.clip_kind:
        return ""
    if not clip_ready(answer):
        return _("The recording is not ready.")
    if not answer.consent_show_clip:
        return _("The tenant did not allow the clip to be shown.")
    return None


def _with_words_or_clip() -> sa.ColumnElement[bool]:
    return sa.or_(
        sa.func.length(sa.func.trim(sa.func.coalesce(Answer.text, ""))) > 0,
        MediaFile.transcript.is_not(None),
        sa.and_(Answer.clip_kind.is_not(None), MediaFile.status == MediaStatus.READY),
    )


def candidates(
    session: Session,
    report: Report,
    report_filter: ReportFilter,
    *,
    search: str = "",
    page: int = 1,
) -> Listing:
    """One page of the report's answers that have words or a clip, newest first; ``search``
    looks in the words and the transcript."""
    query = (
        sa.select(Answer)
        .outerjoin(MediaFile, MediaFile.id == Answer.media_id)
        .where(Answer.id.in_(answers_of(report_filter).scalar_subquery()), _with_words_or_clip())
    )
    if search:
        pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(
            sa.or_(
                Answer.text.ilike(pattern, escape="\\"),
                MediaFile.transcript.ilike(pattern, escape="\\"),
            )
        )
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    page = max(page, 1)
    answers = session.scalars(
        query.options(selectinload(Answer.media), selectinload(Answer.place))
        .order_by(Answer.created_at.desc(), Answer.id.desc())
        .limit(PAGE_SIZE + 1)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    more = len(answers) > PAGE_SIZE
    answers = answers[:PAGE_SIZE]
    existing = {
        (item.answer_id, item.kind): item
        for item in session.scalars(
            sa.select(ReportItem).where(
                ReportItem.report_id == report.id,
                ReportItem.answer_id.in_([a.id for a in answers]),
            )
        )
    }
    return Listing(
        candidates=[
            Candidate(
                answer=answer,
                words=words_of(answer),
                quote_item=existing.get((answer.id, "quote")),
                clip_item=existing.get((answer.id, "clip")),
                quote_refused=_why_no_quote(answer),
                clip_refused=_why_no_clip(answer),
            )
            for answer in answers
        ],
        page=page,
        more=more,
        total=total,
    )


@dataclass(frozen=True)
class Picked:
    item: ReportItem
    words: str
    shown: bool  # False: consent withdrawn (or the clip gone) since it was picked
    why_hidden: str | None


def picked(session: Session, report: Report) -> list[Picked]:
    """The report's items in order, with those that are no longer shown marked."""
    rows = session.scalars(
        sa.select(ReportItem)
        .where(ReportItem.report_id == report.id)
        .options(
            selectinload(ReportItem.answer).selectinload(Answer.media),
            selectinload(ReportItem.answer).selectinload(Answer.place),
        )
        .order_by(ReportItem.position, ReportItem.id)
    ).all()
    result = []
    for item in rows:
        answer = item.answer
        why = _why_no_quote(answer) if item.kind == "quote" else _why_no_clip(answer)
        result.append(Picked(item, words_of(answer), why is None, why or None))
    return result


def add(
    session: Session, report: Report, report_filter: ReportFilter, answer_id: Any, kind: str
) -> ReportItem:
    """Put an answer in the report as a quote or a clip, last. NotFound for an answer that is
    not the organisation's; ValidationError when it is outside the report or consent forbids."""
    if kind not in KINDS:
        raise ValidationError(_l("Add it as a quote or as a clip."))
    aid = parse_id(answer_id)
    answer = (
        session.scalar(
            sa.select(Answer).where(Answer.id == aid).options(selectinload(Answer.media))
        )
        if aid
        else None
    )
    if answer is None:
        raise NotFound(_l("There is no such answer."))
    inside = session.scalar(
        sa.select(sa.literal(True)).where(
            Answer.id == answer.id,
            Answer.id.in_(answers_of(report_filter).scalar_subquery()),
        )
    )
    if not inside:
        raise ValidationError(
            _l("This answer is not among the report's answers: change the report's choices first.")
        )
    if kind == "quote" and not may_quote(answer):
        raise ValidationError(
            _l("This answer cannot be quoted: the tenant did not allow it, or it has no words.")
            if words_of(answer)
            else _l("This answer has no words to quote.")
        )
    if kind == "clip" and not may_show_clip(answer):
        raise ValidationError(
            _l("This clip cannot be shown: the tenant did not allow it, or it is not ready.")
        )
    exists = session.scalar(
        sa.select(ReportItem.id).where(
            ReportItem.report_id == report.id,
            ReportItem.answer_id == answer.id,
            ReportItem.kind == kind,
        )
    )
    if exists:
        raise Conflict(_l("It is in the report already."))
    last = session.scalar(
        sa.select(sa.func.max(ReportItem.position)).where(ReportItem.report_id == report.id)
    )
    item = ReportItem(
        organisation_id=report.organisation_id,
        report_id=report.id,
        answer_id=answer.id,
        kind=kind,
        position=(last + 1) if last is not None else 0,
    )
    session.add(item)
    session.flush()
    return item


def _item(session: Session, report: Report, item_id: Any) -> ReportItem:
    iid = parse_id(item_id)
    item = (
        session.scalar(
            sa.select(ReportItem).where(ReportItem.id == iid, ReportItem.report_id == report.id)
        )
        if iid
        else None
    )
    if item is None:
        raise NotFound(_l("That quote or clip is not in this report."))
    return item


def _renumber(session: Session, report: Report) -> list[ReportItem]:
    rows = list(
        session.scalars(
            sa.select(ReportItem)
            .where(ReportItem.report_id == report.id)
            .order_by(ReportItem.position, ReportItem.id)
        )
    )
    for position, row in enumerate(rows):
        row.position = position
    return rows


def move(session: Session, report: Report, item_id: Any, step: int) -> None:
    """Move an item one place up (``step=-1``) or down (``+1``); at an end it stays."""
    item = _item(session, report, item_id)
    rows = _renumber(session, report)
    at = rows.index(item)
    to = at + step
    if 0 <= to < len(rows):
        rows[at].position, rows[to].position = rows[to].position, rows[at].position
    session.flush()


def remove(session: Session, report: Report, item_id: Any) -> None:
    """Take an item out of the report and close the gap."""
    item = _item(session, report, item_id)
    session.delete(item)
    session.flush()
    _renumber(session, report)
    session.flush()
