"""Forms of the panels' staff pages. The rules live in the service; these carry values."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from panel.panels.service import MAX_CONSENT, MAX_DESCRIPTION, MAX_NAME


class PanelForm(FlaskForm):
    """A panel's name, description, consent text and whether anyone may join."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=MAX_NAME)])
    description = TextAreaField(
        _l("Description"),
        validators=[Optional(), Length(max=MAX_DESCRIPTION)],
        description=_l("Shown on the join page: what the panel is for, how often we ask."),
    )
    consent_text = TextAreaField(
        _l("Consent text"),
        validators=[Optional(), Length(max=MAX_CONSENT)],
        description=_l(
            "What a tenant agrees to when joining. Changing it makes a new version; members "
            "keep the version they agreed to."
        ),
    )
    is_open = BooleanField(_l("Anyone with the link may join"), default=True)
