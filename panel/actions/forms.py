"""Forms of the action plan pages (Flask-WTF: CSRF, values kept, errors beside their field).
The rules live in :mod:`panel.actions.service`; a form carries the values and shows the
service's refusal beside the field it names."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, SelectField, StringField, TextAreaField

from panel.actions.models import ActionItem, ActionStatus
from panel.actions.service import MAX_COMMENT, MAX_DESCRIPTION, MAX_TITLE
from panel.core.errors import StoopError

STATUS_CHOICES = [
    (ActionStatus.PLANNED.value, _l("Planned")),
    (ActionStatus.DOING.value, _l("Doing")),
    (ActionStatus.DONE.value, _l("Done")),
]


class ActionForm(FlaskForm):
    """An action item's fields. Selects take any value: the service checks each id is the
    organisation's own, and says so beside the field."""

    title = StringField(
        _l("What is to be done"),
        render_kw={"maxlength": MAX_TITLE, "autocomplete": "off"},
        description=_l("Short and concrete, e.g. “Replace the lighting in stairwell 3B”."),
    )
    description = TextAreaField(
        _l("Description"), render_kw={"maxlength": MAX_DESCRIPTION, "rows": 4}
    )
    place_id = SelectField(
        _l("Where"),
        choices=[],
        validate_choice=False,
        description=_l("An area, a building or a stairwell."),
    )
    report_id = SelectField(_l("From the report"), choices=[], validate_choice=False)
    responsible_id = SelectField(_l("Responsible"), choices=[], validate_choice=False)
    due_on = StringField(_l("Due date"), render_kw={"type": "date"})
    status = SelectField(_l("Status"), choices=STATUS_CHOICES, validate_choice=False)

    @classmethod
    def of(cls, item: ActionItem) -> ActionForm:
        """The form showing a stored item."""
        return cls(
            formdata=None,
            title=item.title,
            description=item.description,
            place_id=str(item.place_id or ""),
            report_id=str(item.report_id or ""),
            responsible_id=str(item.responsible_id or ""),
            due_on=item.due_on.isoformat() if item.due_on else "",
            status=item.status,
        )

    def fill_choices(self, places: list[Any], reports: list[Any], people: list[Any]) -> None:
        """The organisation's places (indented by level), reports and staff."""
        # In tree order; below an area, the path from the area down ("Björkvägen 3 /
        # Trapphus B"), indented by level, so that each stairwell says whose it is.
        indent = {"area": "", "building": "\u00a0\u00a0", "stairwell": "\u00a0" * 4}
        self.place_id.choices = [("", _l("No particular place"))] + [
            (str(p.id), indent.get(p.kind.value, "") + p.path.split(" / ", 1)[-1]) for p in places
        ]
        self.report_id.choices = [("", _l("None"))] + [(str(r.id), r.title) for r in reports]
        self.responsible_id.choices = [("", _l("Nobody yet"))] + [
            (str(u.id), u.display_name) for u in people
        ]

    def values(self) -> dict[str, Any]:
        """The values as the service takes them."""
        return {
            "title": self.title.data,
            "description": self.description.data,
            "place_id": self.place_id.data,
            "report_id": self.report_id.data,
            "responsible_id": self.responsible_id.data,
            "due_on": self.due_on.data,
            "status": self.status.data,
        }

    def show(self, exc: StoopError) -> None:
        """Put the service's refusal beside the field it names (else beside the title)."""
        details = exc.details if isinstance(exc.details, dict) else {}
        names = [n for n in details if isinstance(getattr(self, n, None), Field)] or ["title"]
        field = getattr(self, names[0])
        field.errors = [*list(field.errors), exc.message]


class CommentForm(FlaskForm):
    """A comment on an action item."""

    body = TextAreaField(_l("Comment"), render_kw={"maxlength": MAX_COMMENT, "rows": 3})
