"""Forms of the thread page and of the saved replies (Flask-WTF: CSRF, values, errors shown
beside their field). The rules live in :mod:`panel.threads.service` and
:mod:`panel.threads.saved_replies`; these forms carry the values and show the services' messages,
so that nothing a person typed is lost when something is refused."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, Field, HiddenField, SelectField, StringField, TextAreaField

from panel.core.errors import StoopError
from panel.threads.saved_replies import MAX_TITLE, language_choices
from panel.threads.service import MAX_BODY


class ReplyForm(FlaskForm):
    """A reply to the tenant: words, a recorded video (its uploaded MediaFile's id), the saved
    reply to insert when the page runs without JavaScript, and its translation."""

    body = TextAreaField(_l("Your reply"), render_kw={"maxlength": MAX_BODY, "rows": 6})
    media_id = HiddenField()
    saved_reply = SelectField(_l("Saved reply"), choices=[], validate_choice=False)
    # Translate into the tenant's language first (panel.language.replies): the staff member
    # sees both texts, may correct ``translation``, and only then sends it.
    translate = BooleanField()
    translation = TextAreaField(render_kw={"maxlength": MAX_BODY, "rows": 6})


class NoteForm(FlaskForm):
    """An internal note for colleagues (``@name`` tells them)."""

    body = TextAreaField(_l("Note"), render_kw={"maxlength": MAX_BODY, "rows": 3})


class StatusForm(FlaskForm):
    """Close a conversation, or open it again."""

    status = HiddenField()


class SavedReplyForm(FlaskForm):
    """A saved reply's title, language and words."""

    title = StringField(
        _l("Title"),
        render_kw={"maxlength": MAX_TITLE},
        description=_l("Only staff see it, in the list to pick from."),
    )
    language = SelectField(
        _l("Language"),
        choices=language_choices(),
        description=_l("Offered first on conversations with tenants who read this language."),
    )
    body = TextAreaField(_l("Reply"), render_kw={"maxlength": 5000, "rows": 6})

    def values(self) -> dict[str, Any]:
        """The values as the service takes them."""
        return {"title": self.title.data, "language": self.language.data, "body": self.body.data}


def show_problems(form: FlaskForm, exc: StoopError, fallback: str = "body") -> None:
    """Put a service's refusal beside the fields it names (or beside ``fallback``). The first
    field gets the refusal's own message (a sentence), the others their details."""
    details = exc.details if isinstance(exc.details, dict) else {}
    visible = [
        name
        for name in details
        if isinstance(getattr(form, name, None), Field)
        and not isinstance(getattr(form, name), HiddenField)
    ]
    if not visible:
        visible, details = [fallback], {}
    for position, name in enumerate(visible):
        field = getattr(form, name)
        words = [exc.message] if position == 0 else [str(m) for m in details[name]]
        field.errors = [*list(field.errors), *words]
