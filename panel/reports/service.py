"""Reports: create, change and look up a report, with every id it names checked.

A report names questions, touchpoints, segments, a place and composite indices by id; each must
be the organisation's own (another organisation's id is refused the same way as one that does
not exist, so nothing is learnt about other organisations). The pages (the builder form) and the
API both save through :func:`create_report` and :func:`update_report`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from panel.core.errors import NotFound, ValidationError
from panel.core.i18n import lazy_text as _l
from panel.core.routing import parse_id
from panel.core.scoping import required_organisation
from panel.panels.models import Segment
from panel.places.models import Place
from panel.questions.models import Question
from panel.reports.figures import ReportFilter
from panel.reports.models import CompositeIndex, Report

MAX_TITLE = 200
MAX_IDS = 200
PERIODS = ("week", "month")
# What is said of an id that is not the organisation's (nor anyone's, as far as it is told).
MISSING = {
    "question_ids": lambda i: _l("There is no question with id %(id)s.", id=i),
    "touchpoint_ids": lambda i: _l("There is no touchpoint with id %(id)s.", id=i),
    "segment_ids": lambda i: _l("There is no segment with id %(id)s.", id=i),
    "index_ids": lambda i: _l("There is no composite index with id %(id)s.", id=i),
}
# The touchpoints room is never imported by panel (see STYLE.md): its table is read by name.
TOUCHPOINT = sa.table("touchpoint", sa.column("id"), sa.column("organisation_id"))


def get_report(session: Session, report_id: Any) -> Report:
    """The report with this id in the session's organisation, or NotFound."""
    report = None
    if (rid := parse_id(report_id)) is not None:
        # A query, not session.get(): the identity map would skip the organisation criteria.
        report = session.scalar(sa.select(Report).where(Report.id == rid))
    if report is None:
        raise NotFound(_l("There is no such report. It may have been deleted."))
    return report


def filter_of(report: Report) -> ReportFilter:
    """The answers a report takes in, as the figures engine's filter."""
    return ReportFilter(
        organisation_id=report.organisation_id,
        question_ids=tuple(report.question_ids or ()),
        touchpoint_ids=tuple(report.touchpoint_ids or ()),
        segment_ids=tuple(report.segment_ids or ()),
        place_id=report.place_id,
        starts_on=report.starts_on,
        ends_on=report.ends_on,
        period=report.period if report.period in PERIODS else "month",
    )


def create_report(
    session: Session,
    *,
    organisation_id: int,
    created_by_id: int | None,
    title: Any,
    question_ids: Any = (),
    touchpoint_ids: Any = (),
    segment_ids: Any = (),
    place_id: Any = None,
    starts_on: Any = None,
    ends_on: Any = None,
    period: Any = "month",
    index_ids: Any = (),
) -> Report:
    """A new report of the organisation, every choice checked (ValidationError or NotFound
    saying which). The caller commits."""
    if required_organisation(session, "Creating a report") != organisation_id:
        raise NotFound(_l("There is no such organisation."))
    values = _clean(
        session,
        organisation_id,
        title=title,
        question_ids=question_ids,
        touchpoint_ids=touchpoint_ids,
        segment_ids=segment_ids,
        place_id=place_id,
        starts_on=starts_on,
        ends_on=ends_on,
        period=period,
        index_ids=index_ids,
    )
    report = Report(
        organisation_id=organisation_id, created_by_id=created_by_id, texts={}, **values
    )
    session.add(report)
    session.flush()
    return report


def update_report(session: Session, report: Report, **changes: Any) -> Report:
    """Change the report's choices (only those given), every one checked. The caller commits."""
    allowed = {
        "title",
        "question_ids",
        "touchpoint_ids",
        "segment_ids",
        "place_id",
        "starts_on",
        "ends_on",
        "period",
        "index_ids",
    }
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError(
            _l("A report has no setting called %(name)s.", name=", ".join(sorted(unknown)))
        )
    current = {
        "title": report.title,
        "question_ids": report.question_ids or [],
        "touchpoint_ids": report.touchpoint_ids or [],
        "segment_ids": report.segment_ids or [],
        "place_id": report.place_id,
        "starts_on": report.starts_on,
        "ends_on": report.ends_on,
        "period": report.period,
        "index_ids": report.index_ids or [],
    }
    current.update(changes)
    values = _clean(session, report.organisation_id, **current)
    for key, value in values.items():
        setattr(report, key, value)
    session.flush()
    return report


# --- checking ------------------------------------------------------------------------------------


def _clean(session: Session, organisation_id: int, **values: Any) -> dict[str, Any]:
    starts_on = clean_date(values["starts_on"], "starts_on")
    ends_on = clean_date(values["ends_on"], "ends_on")
    if starts_on and ends_on and ends_on < starts_on:
        raise ValidationError(
            _l("The report cannot end before it starts: choose an end date on or after the start."),
            details={"ends_on": [_l("On or after the start date.")]},
        )
    period = values["period"] or "month"
    if period not in PERIODS:
        raise ValidationError(
            _l("Show the trend per week or per month."),
            details={"period": [_l("Either “week” or “month”.")]},
        )
    return {
        "title": clean_title(values["title"]),
        "question_ids": own_ids(session, organisation_id, Question, values["question_ids"],
                                "question_ids"),
        "touchpoint_ids": own_ids(session, organisation_id, TOUCHPOINT, values["touchpoint_ids"],
                                  "touchpoint_ids"),
        "segment_ids": own_ids(session, organisation_id, Segment, values["segment_ids"],
                               "segment_ids"),
        "index_ids": own_ids(session, organisation_id, CompositeIndex, values["index_ids"],
                             "index_ids"),
        "place_id": own_place(session, organisation_id, values["place_id"]),
        "starts_on": starts_on,
        "ends_on": ends_on,
        "period": period,
    }  # fmt: skip


def clean_title(title: Any) -> str:
    """A report's title, whitespace tidied, or ValidationError."""
    text = " ".join(str(title or "").split())
    if not text:
        raise ValidationError(_l("Give the report a title."), details={"title": [_l("Required.")]})
    if len(text) > MAX_TITLE or "\x00" in text:
        raise ValidationError(
            _l("Use at most %(limit)s characters for a title.", limit=MAX_TITLE),
            details={"title": [_l("At most %(limit)s characters.", limit=MAX_TITLE)]},
        )
    return text


def clean_date(value: Any, field: str) -> dt.date | None:
    """A date (a ``date`` or ``YYYY-MM-DD``), None when empty, else ValidationError."""
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        parsed = dt.date.fromisoformat(str(value).strip())
    except ValueError:
        parsed = None
    if parsed is None or not (1900 <= parsed.year <= 2999):
        raise ValidationError(
            _l("“%(value)s” is not a date: write it as 2026-12-31.", value=str(value)[:40]),
            details={field: [_l("A date such as 2026-12-31.")]},
        )
    return parsed


def own_ids(
    session: Session,
    organisation_id: int,
    model: Any,
    ids: Any,
    field: str,
) -> list[int]:
    """The ids as a list without repeats, each one a row of ``model`` of the organisation; a
    ValidationError names the first that is not (another organisation's ids included)."""
    if ids in (None, ""):
        return []
    if isinstance(ids, (str, int)) or not isinstance(ids, Iterable):
        ids = [ids]
    wanted: list[int] = []
    for raw in ids:
        value = parse_id(raw)
        if value is None:
            raise ValidationError(
                _l("“%(value)s” is not an id: ids are whole numbers.", value=str(raw)[:40]),
                details={field: [_l("Ids are whole numbers.")]},
            )
        if value not in wanted:
            wanted.append(value)
    if len(wanted) > MAX_IDS:
        raise ValidationError(
            _l("Choose at most %(limit)s of them.", limit=MAX_IDS),
            details={field: [_l("At most %(limit)s.", limit=MAX_IDS)]},
        )
    if not wanted:
        return []
    columns = model.c if isinstance(model, sa.TableClause) else model
    found = set(
        session.scalars(
            sa.select(columns.id).where(
                columns.organisation_id == organisation_id, columns.id.in_(wanted)
            )
        )
    )
    for value in wanted:
        if value not in found:
            raise ValidationError(
                MISSING[field](value),
                code="unknown_id",
                details={field: [_l("No such id: %(id)s.", id=value)]},
            )
    return wanted


def own_place(session: Session, organisation_id: int, place_id: Any) -> int | None:
    """The place's id when it is the organisation's, None when empty, else ValidationError."""
    if place_id in (None, ""):
        return None
    pid = parse_id(place_id)
    found = pid is not None and session.scalar(
        sa.select(Place.id).where(Place.organisation_id == organisation_id, Place.id == pid)
    )
    if not found:
        raise ValidationError(
            _l("There is no such place. Choose one from the list."),
            code="unknown_id",
            details={"place_id": [_l("No such place.")]},
        )
    return pid
