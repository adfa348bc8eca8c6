"""The webhook form of the settings page: the address, what it is, and the events it wants."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField, widgets

from panel.webhooks.events import ANSWER_CREATED, COMMENT_CREATED, SEND_FINISHED, THREAD_REPLIED


def event_choices() -> list[tuple[str, Any]]:
    """Each event with what it means to a person."""
    return [
        (ANSWER_CREATED, _l("A tenant answered (answer.created)")),
        (THREAD_REPLIED, _l("Someone replied to a tenant (thread.replied)")),
        (COMMENT_CREATED, _l("A comment was added to a thread (comment.created)")),
        (SEND_FINISHED, _l("A send has gone out (send.finished)")),
    ]


class CheckboxesField(SelectMultipleField):
    """Several choices as a list of checkboxes (nothing ticked is an empty list)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def pre_validate(self, form: Any) -> None:
        # The service says which events exist, in words a person understands.
        pass


class WebhookForm(FlaskForm):
    url = StringField(
        _l("Address"),
        description=_l(
            "The address of the receiving system that Stoop sends events to, starting with "
            "https://."
        ),
    )
    description = StringField(
        _l("What it is"),
        description=_l("For your colleagues, e.g. “Case system, test environment”. Optional."),
    )
    events = CheckboxesField(
        _l("Events"),
        choices=event_choices(),
    )
