"""The touchpoint form: its fields (Flask-WTF, for the CSRF token) and the schedule's rows.

The schedule is a list of rows (a question and a start day) read by hand from the form, so that
staff can add and remove rows without JavaScript: "Add a step" posts the form back with one
more empty row, a ticked "Remove" drops a row on save.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from touchpoints.models import TouchpointKind
from touchpoints.service import MAX_ENTRIES, MAX_NAME


def kind_choices() -> list[tuple[str, Any]]:
    """The kinds staff make, with what each is for."""
    return [
        (TouchpointKind.QR.value, _l("QR code and printable flyer")),
        (TouchpointKind.LINK.value, _l("Link (social media, newsletters)")),
        (TouchpointKind.EMBED.value, _l("Embedded on a website")),
        (TouchpointKind.EMAIL.value, _l("E-mail to the contacts of a place")),
        (TouchpointKind.SMS.value, _l("SMS to the contacts of a place")),
        (TouchpointKind.VOICE.value, _l("A phone number tenants call")),
    ]


class TouchpointForm(FlaskForm):
    """A touchpoint's own fields; ``place_id`` choices are set by the view."""

    name = StringField(
        _l("Name"),
        validators=[
            DataRequired(_l("Give the touchpoint a name, e.g. “Flyer in stairwell 3B”.")),
            Length(max=MAX_NAME),
        ],
        description=_l("For you and your colleagues; tenants do not see it."),
    )
    kind = SelectField(_l("Kind"), choices=kind_choices)
    place_id = SelectField(
        _l("Place"),
        choices=[],
        validate_choice=False,
        description=_l("Answers that come through this touchpoint are tagged with this place."),
    )
    phone_number = SelectField(
        _l("Number tenants call"),
        choices=[],
        validate_choice=False,
        description=_l(
            "For a phone touchpoint: one of your organisation's numbers that takes calls. "
            "A call to it hears today's question and can answer it."
        ),
    )
    is_active = BooleanField(_l("Active: tenants can open it"), default=True)

    def set_places(self, places: list[tuple[int, str]]) -> None:
        """Offer the given (id, path) places, after a 'no place' choice."""
        self.place_id.choices = [("", _l("— No place —")), *((str(i), p) for i, p in places)]

    def set_numbers(self, numbers: list[tuple[str, str]], *, optional: bool) -> None:
        """Offer the given (E.164, shown) numbers; ``optional`` adds a 'no number' choice (a
        phone touchpoint being changed may give its number up)."""
        none = [("", _l("— No number: calls are not answered —"))] if optional else []
        self.phone_number.choices = [*none, *numbers]

    def without_voice(self) -> None:
        """A touchpoint of another kind does not become a phone touchpoint (it has no number)."""
        self.kind.choices = [c for c in kind_choices() if c[0] != TouchpointKind.VOICE.value]


@dataclass
class Row:
    """One row of the schedule as the form shows it (values as typed)."""

    question_id: str = ""
    starts_on: str = ""

    @property
    def is_blank(self) -> bool:
        # The empty row comes with a suggested day: without a question it adds nothing.
        return not self.question_id


def rows_from_form(form: MultiDict[str, str]) -> list[Row]:
    """The rows posted (``question-N``, ``starts_on-N``), minus those ticked ``remove-N``."""
    rows = []
    for index in range(MAX_ENTRIES + 5):
        if f"question-{index}" not in form and f"starts_on-{index}" not in form:
            continue
        if form.get(f"remove-{index}"):
            continue
        rows.append(
            Row(
                question_id=form.get(f"question-{index}", "").strip(),
                starts_on=form.get(f"starts_on-{index}", "").strip(),
            )
        )
    return rows


def rows_from_entries(entries: list[Any]) -> list[Row]:
    return [Row(str(e.question_id), e.starts_on.isoformat()) for e in entries]


def schedule_pairs(rows: list[Row]) -> list[tuple[str, str]]:
    """The rows with a question as (question_id, starts_on); one without a day is kept so
    that the service names what is missing."""
    return [(r.question_id, r.starts_on) for r in rows if not r.is_blank]


def blank_row_day(rows: list[Row], today: dt.date) -> str:
    """A sensible day for a new row: the first of the month after the last step."""
    days = []
    for row in rows:
        try:
            days.append(dt.date.fromisoformat(row.starts_on))
        except ValueError:
            continue
    last = max(days, default=today)
    first_next = (last.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return (first_next if days else today).isoformat()
