"""The wall poster of an area's action plan (PDF, A3 or A4, WeasyPrint).

For the area office's wall: the area's name and the organisation's logo and colour, each action
with what, where, who and by when, a tick box ticked (and the line struck through) for the done
ones, and the figures the plan answers to: computed by :func:`panel.reports.figures.compute`
over the area, with the filter of the report most of the actions came from, or over the area's
last 12 months when none did. Printed in the organisation's language, with the date.

Everything the PDF shows is inlined (the logo as a data: URI), so WeasyPrint fetches nothing.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import logging
from collections import Counter
from dataclasses import dataclass

import sqlalchemy as sa
from flask import render_template
from flask_babel import force_locale, format_decimal
from sqlalchemy.orm import Session, selectinload

from notifications.senders import DEFAULT_COLOUR, sender_settings
from panel.actions import service
from panel.actions.models import ActionItem, ActionStatus
from panel.organisations.brand import logo_of
from panel.organisations.models import Organisation
from panel.places.models import Place
from panel.reports import figures
from panel.reports.models import Report
from panel.reports.service import filter_of

log = logging.getLogger(__name__)

LANGUAGES = ("sv", "nl", "en")  # the staff app's: the poster hangs in the office
SIZES = {"A3": "297mm 420mm", "A4": "210mm 297mm"}
MAX_ITEMS = 60  # more than a wall takes; the rest are left out, and the poster says so
MAX_BELOW = 12  # stairwells below target named


@dataclass(frozen=True)
class PlanFigures:
    """What the poster shows of the figures (None where not computable)."""

    answers: int
    mean: float | None
    share_at_target: float | None
    target_share: float
    score_target: int
    below_target: tuple[str, ...]  # the stairwells below target, by name
    starts_on: dt.date | None
    ends_on: dt.date | None
    report_title: str | None


def _filter_for(
    organisation: Organisation, area: Place, report: Report | None, today: dt.date
) -> figures.ReportFilter:
    """The report's filter over the area, or the area's last 12 months."""
    if report is None:
        return figures.ReportFilter(
            organisation_id=organisation.id,
            place_id=area.id,
            starts_on=today - dt.timedelta(days=364),
            ends_on=today,
        )
    return dataclasses.replace(filter_of(report), place_id=area.id)


def plan_figures(
    session: Session,
    organisation: Organisation,
    area: Place,
    items: list[ActionItem],
    today: dt.date,
) -> PlanFigures | None:
    """The figures of the plan's area (see the module's text); None when they cannot be
    computed."""
    reports = Counter(item.report_id for item in items if item.report_id is not None)
    report = None
    if reports:
        report_id = reports.most_common(1)[0][0]
        report = session.scalar(sa.select(Report).where(Report.id == report_id))
    wanted = _filter_for(organisation, area, report, today)
    computed = figures.compute(session, wanted, tuple(report.index_ids or ()) if report else ())
    row = next((p for p in computed.places if p.place_id == area.id), None)
    mean, share = (row.mean, row.share_at_target) if row else (None, None)
    if row is None or row.hidden:
        mean, share = _weighted(computed)
    below = tuple(
        p.path.split(" / ", 1)[-1] if p.path.startswith(area.path) else p.name
        for p in computed.places
        if p.below_target and not p.hidden and p.kind == "stairwell"
    )
    return PlanFigures(
        answers=int(computed.answers.value or 0),
        mean=mean,
        share_at_target=share,
        target_share=computed.target_share,
        score_target=computed.score_target,
        below_target=below,
        starts_on=wanted.starts_on,
        ends_on=wanted.ends_on,
        report_title=report.title if report else None,
    )


def _weighted(computed: figures.ReportFigures) -> tuple[float | None, float | None]:
    scored = [s for s in computed.scores if s.answers and s.mean.value is not None]
    total = sum(s.answers for s in scored)
    if not total:
        return None, None
    mean = sum(s.mean.value * s.answers for s in scored) / total  # type: ignore[operator]
    shares = [s for s in scored if s.share_at_target.value is not None]
    share_total = sum(s.answers for s in shares)
    share = (
        sum(s.share_at_target.value * s.answers for s in shares) / share_total  # type: ignore[operator]
        if share_total
        else None
    )
    return mean, share


def plan_items(session: Session, area: Place) -> list[ActionItem]:
    """The actions at the area or below it: open ones first, the soonest due first."""
    return list(
        session.scalars(
            sa.select(ActionItem)
            .where(service.under_place(area.id))
            .options(selectinload(ActionItem.place), selectinload(ActionItem.responsible))
            .order_by(*service.ordered())
            .limit(MAX_ITEMS + 1)
        )
    )


def _logo_uri(organisation: Organisation) -> str | None:
    logo = logo_of(organisation)
    if logo is None:
        return None
    from media.storage import current_storage

    try:
        data = current_storage().read(logo.key)
    except Exception:  # a poster without its logo beats no poster: log and go on
        log.warning("poster: logo %s could not be read", logo.key, exc_info=True)
        return None
    return f"data:image/png;base64,{base64.b64encode(data).decode()}" if data else None


def where_of(item: ActionItem, area: Place) -> str:
    """Where an item is, said shortly within the area ("Björkvägen 3 / 3B")."""
    if item.place is None:
        return ""
    if item.place.id == area.id:
        return item.place.name
    prefix = area.path + " / "
    return item.place.path[len(prefix) :] if item.place.path.startswith(prefix) else item.place.path


def render_poster(session: Session, organisation: Organisation, area: Place, size: str) -> bytes:
    """The poster as PDF bytes, in the organisation's language."""
    from weasyprint import HTML  # imports in ~0.5 s: only when a poster is asked for

    today = service.organisation_today(organisation)
    items = plan_items(session, area)
    more = len(items) > MAX_ITEMS
    items = items[:MAX_ITEMS]
    numbers = plan_figures(session, organisation, area, items, today)
    row = sender_settings(session, organisation.id)
    colour = (row.brand_colour if row else None) or DEFAULT_COLOUR
    language = organisation.default_language if organisation.default_language in LANGUAGES else "sv"
    with force_locale(language):
        html = render_template(
            "actions/poster.html",
            organisation=organisation,
            area=area,
            items=items,
            more=more,
            done=sum(1 for i in items if i.status == ActionStatus.DONE.value),
            figures=numbers,
            below=numbers.below_target[:MAX_BELOW] if numbers else (),
            more_below=max(0, len(numbers.below_target) - MAX_BELOW) if numbers else 0,
            logo=_logo_uri(organisation),
            colour=colour,
            page_size=SIZES[size],
            size=size,
            today=today,
            language=language,
            where_of=lambda item: where_of(item, area),
            overdue=lambda item: service.is_overdue(item, today),
            number=lambda value, pattern: format_decimal(value, format=pattern),
        )
    return HTML(string=html).write_pdf()
