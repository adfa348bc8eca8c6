"""The report builder's form. Ids are taken as given and checked by the service
(:mod:`panel.reports.service`): another organisation's id is refused there with a message
beside its field."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from panel.reports.service import MAX_TITLE

# Quick picks of the date range: (value, label).
QUICK_PICKS = (
    ("last30", _l("Last 30 days")),
    ("last90", _l("Last 90 days")),
    ("quarter", _l("This quarter")),
    ("last_quarter", _l("Last quarter")),
    ("year", _l("This year")),
)


class IdsField(SelectMultipleField):
    """Several ids, kept as the strings sent (the service checks each one)."""

    def pre_validate(self, form: Any) -> None:  # any id may be sent; the service decides
        return None


class ChecksField(IdsField):
    widget = ListWidget(html_tag="ul", prefix_label=False)
    option_widget = CheckboxInput()


class ReportForm(FlaskForm):
    """What a report takes in and shows."""

    title = StringField(
        _l("Title"),
        validators=[DataRequired(_l("Give the report a title.")), Length(max=MAX_TITLE)],
        description=_l("For example “Autumn 2026: how tenants see our service”."),
    )
    question_ids = IdsField(
        _l("Questions"),
        description=_l("Hold Ctrl (⌘ on a Mac) to pick several. None picked: every question."),
    )
    touchpoint_ids = IdsField(_l("Touchpoints"))
    starts_on = DateField(_l("From"), validators=[Optional()])
    ends_on = DateField(_l("To (inclusive)"), validators=[Optional()])
    place_id = SelectField(_l("Place"), validate_choice=False)
    segment_ids = ChecksField(_l("Segments"))
    period = RadioField(
        _l("Show the trend per"),
        choices=[("week", _l("week")), ("month", _l("month"))],
        default="month",
    )
    index_ids = ChecksField(_l("Composite indices to show"))

    def values(self) -> dict[str, Any]:
        """What the service takes."""
        return {
            "title": self.title.data,
            "question_ids": self.question_ids.data or [],
            "touchpoint_ids": self.touchpoint_ids.data or [],
            "segment_ids": self.segment_ids.data or [],
            "place_id": self.place_id.data or None,
            "starts_on": self.starts_on.data,
            "ends_on": self.ends_on.data,
            "period": self.period.data or "month",
            "index_ids": self.index_ids.data or [],
        }


def quick_range(pick: str, today: dt.date) -> tuple[dt.date, dt.date] | None:
    """The dates of a quick pick (None for an unknown one)."""
    quarter_start = dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    if pick == "last30":
        return today - dt.timedelta(days=29), today
    if pick == "last90":
        return today - dt.timedelta(days=89), today
    if pick == "quarter":
        return quarter_start, today
    if pick == "last_quarter":
        end = quarter_start - dt.timedelta(days=1)
        return dt.date(end.year, 3 * ((end.month - 1) // 3) + 1, 1), end
    if pick == "year":
        return dt.date(today.year, 1, 1), today
    return None
