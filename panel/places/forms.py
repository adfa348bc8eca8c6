"""Forms of the places pages (Flask-WTF, so each carries a CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length, Optional

from panel.places.service import MAX_CODE, MAX_NAME


class PlaceForm(FlaskForm):
    """Add a place: an area (no parent), or a building or stairwell under ``parent_id``."""

    name = StringField(
        _l("Name"),
        validators=[DataRequired(_l("Give the place a name.")), Length(max=MAX_NAME)],
    )
    code = StringField(
        _l("Code (optional)"),
        validators=[Optional(), Length(max=MAX_CODE)],
        description=_l("Your own reference, e.g. the property number. Imports can use it."),
    )
    parent_id = HiddenField()


class RenameForm(FlaskForm):
    """Rename a place, or change its code."""

    name = StringField(
        _l("Name"),
        validators=[DataRequired(_l("Give the place a name.")), Length(max=MAX_NAME)],
    )
    code = StringField(_l("Code"), validators=[Optional(), Length(max=MAX_CODE)])


class DeleteForm(FlaskForm):
    """Only the CSRF token: deleting asks for nothing else."""


class ImportForm(FlaskForm):
    """Upload a CSV file."""

    file = FileField(_l("CSV file"), validators=[FileRequired(_l("Choose a CSV file to import."))])
