"""The highlight reel from the database: a report's plan as it is now, its picked clips, and
their in/out points. Every query runs in the caller's organisation scope, so another
organisation's report or clip is simply not found."""

from __future__ import annotations

import math
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload

from notifications.senders import DEFAULT_COLOUR, sender_settings
from panel.answers.models import Answer
from panel.core.errors import NotFound, ValidationError
from panel.core.i18n import lazy_text as _l
from panel.reports.models import Report, ReportItem
from panel.reports.reel import Plan, build_plan, check_trim


def get_report(session: Session, report_id: int) -> Report:
    """The report, or NotFound (also for another organisation's)."""
    report = session.scalar(sa.select(Report).where(Report.id == report_id))
    if report is None:
        raise NotFound(_l("This report does not exist."))
    return report


def clip_items(session: Session, report_id: int) -> list[ReportItem]:
    """The report's picked clips with their answers, media, questions and places."""
    return list(
        session.scalars(
            sa.select(ReportItem)
            .where(ReportItem.report_id == report_id, ReportItem.kind == "clip")
            .options(
                joinedload(ReportItem.answer).options(
                    joinedload(Answer.media), joinedload(Answer.question), joinedload(Answer.place)
                )
            )
            .order_by(ReportItem.position, ReportItem.id)
        ).unique()
    )


def brand_colour(session: Session, organisation_id: int) -> str:
    """The organisation's colour (the title cards' background)."""
    row = sender_settings(session, organisation_id)
    return (row.brand_colour if row else None) or DEFAULT_COLOUR


def current_plan(session: Session, report: Report) -> Plan:
    """The reel of ``report`` as it is now (consent and in/out points read afresh)."""
    return build_plan(
        report,
        clip_items(session, report.id),
        colour=brand_colour(session, report.organisation_id),
    )


def get_clip_item(session: Session, report: Report, item_id: int) -> ReportItem:
    """One picked clip of ``report``, or NotFound."""
    item = next((i for i in clip_items(session, report.id) if i.id == item_id), None)
    if item is None:
        raise NotFound(_l("This clip is not in the report."))
    return item


def set_trim(item: ReportItem, starts_at: Any, ends_at: Any) -> None:
    """Save a clip's in and out points (seconds; None or "" for the start or the end), checked
    against ``0 ≤ in < out ≤ duration`` (ValidationError otherwise)."""
    media = item.answer.media
    if media is None or not media.duration_seconds:
        raise ValidationError(_l("This clip is not processed yet, so it cannot be trimmed."))
    start, end = seconds(starts_at), seconds(ends_at)
    check_trim(start, end, float(media.duration_seconds))
    item.starts_at = None if not start else round(start, 3)
    item.ends_at = None if end is None else round(min(end, media.duration_seconds), 3)


def seconds(value: Any) -> float | None:
    """A time in seconds from a form or JSON value; None for nothing."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValidationError(_l("Times must be numbers of seconds, e.g. 2.5."))
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValidationError(_l("Times must be numbers of seconds, e.g. 2.5.")) from None
    if not math.isfinite(number):
        raise ValidationError(_l("Times must be numbers of seconds, e.g. 2.5."))
    return number
