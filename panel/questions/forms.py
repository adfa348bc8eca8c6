"""Forms of the question pages (Flask-WTF). The field rules live in ``questions.service``;
these forms carry the values and show the service's messages next to the right field. One rule
is the form's own: a closing day a person picks must not have passed (the API takes any
moment)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from panel.core.db import utcnow
from panel.questions.service import MAX_PROMPT, MAX_TITLE, parse_choices

LANGUAGE_CHOICES = [("sv", "Svenska"), ("nl", "Nederlands"), ("en", "English")]
DEFAULT_TIMEZONE = "Europe/Stockholm"


def answer_mode_choices() -> list[tuple[str, Any]]:
    """The answer modes with the words staff know them by."""
    return [
        ("text", _l("Written answer")),
        ("score", _l("Score from 1 to 10")),
        ("choice", _l("Multiple choice")),
        ("video", _l("Video clip")),
        ("audio", _l("Voice message")),
    ]


class CheckboxesField(SelectMultipleField):
    """Several choices as a list of checkboxes (nothing ticked is an empty list, not an error)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form: Any) -> None:
        # The service says which modes exist, in words a person understands.
        pass


class QuestionForm(FlaskForm):
    """A question's fields."""

    title = StringField(
        _l("Title"),
        validators=[Length(max=MAX_TITLE)],
        description=_l("Short and clear; tenants see it above the video."),
    )
    prompt = TextAreaField(
        _l("Written question"),
        validators=[Optional(), Length(max=MAX_PROMPT)],
        description=_l(
            "What you will say in the video, written out. It shows as the teleprompter while "
            "you record, and tenants who cannot play the video read it."
        ),
    )
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)
    answer_modes = CheckboxesField(
        _l("How can tenants answer?"),
        choices=answer_mode_choices(),
        description=_l("Choose one or several, e.g. a score and a written “why?”."),
    )
    choices = TextAreaField(
        _l("Options"),
        validators=[Optional(), Length(max=5_000)],
        description=_l("For multiple choice: one option per line."),
    )
    closes_on = DateField(
        _l("Closes on (optional)"),
        validators=[Optional()],
        description=_l("Answers are accepted until the end of this day."),
    )

    # Set by the view: the organisation's time zone, and the day the question closes now (an
    # unchanged day may have passed).
    timezone = DEFAULT_TIMEZONE
    current_closes_on: dt.date | None = None

    def validate_closes_on(self, field: DateField) -> None:
        """A newly chosen closing day must not have passed."""
        if field.data is None or field.data == self.current_closes_on:
            return
        closing = end_of_day(field.data, self.timezone)
        if closing is not None and closing <= utcnow():
            raise ValidationError(_l("The closing date must be in the future."))

    def values(self, timezone: str = DEFAULT_TIMEZONE) -> dict[str, Any]:
        """The form's values as the service takes them."""
        return {
            "title": self.title.data or "",
            "prompt": self.prompt.data or "",
            "language": self.language.data,
            "answer_modes": list(self.answer_modes.data or []),
            "choices": parse_choices(self.choices.data or ""),
            "closes_at": end_of_day(self.closes_on.data, timezone),
        }


def end_of_day(day: dt.date | None, timezone: str = DEFAULT_TIMEZONE) -> dt.datetime | None:
    """The last moment of ``day`` in the organisation's time zone, in UTC."""
    if day is None:
        return None
    try:
        zone = ZoneInfo(timezone)
    except (KeyError, ValueError):
        zone = ZoneInfo(DEFAULT_TIMEZONE)
    local = dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=zone)
    return local.astimezone(dt.UTC)


def local_day(moment: dt.datetime | None, timezone: str = DEFAULT_TIMEZONE) -> dt.date | None:
    """The day of ``moment`` in the organisation's time zone (for the date field)."""
    if moment is None:
        return None
    try:
        zone = ZoneInfo(timezone)
    except (KeyError, ValueError):
        zone = ZoneInfo(DEFAULT_TIMEZONE)
    return moment.astimezone(zone).date()
