"""Forms of the contacts pages (Flask-WTF). The field rules live in ``contacts.service``; these
forms only carry the values and show the service's messages next to the right field."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, StringField, TelField, TextAreaField
from wtforms.validators import Length, Optional

from panel.contacts.service import AGE_BANDS, MAX_CONSENT_TEXT, MAX_NAME, MAX_TEXT_VERSION
from panel.places.forms import ImportForm

__all__ = ["ConsentForm", "ContactForm", "ContactImportForm", "ImportForm", "NewContactForm"]

LANGUAGE_CHOICES = [("sv", "Svenska"), ("nl", "Nederlands"), ("en", "English")]


def basis_choices(blank: Any = None) -> list[tuple[str, Any]]:
    """The legal bases of a consent entry, optionally after a blank choice."""
    choices = [
        ("consent", _l("Consent: the tenant agreed")),
        ("contract", _l("Contract: part of the tenancy")),
        ("legitimate_interest", _l("Legitimate interest")),
    ]
    return [("", blank), *choices] if blank else choices


class ContactForm(FlaskForm):
    """A contact's fields. ``place_id`` choices are the organisation's places, set by the view."""

    name = StringField(_l("Name"), validators=[Optional(), Length(max=MAX_NAME)])
    email = EmailField(
        _l("E-mail"),
        validators=[Optional(), Length(max=254)],
        description=_l("An e-mail address or a phone number is needed, or both."),
    )
    phone = TelField(
        _l("Mobile phone"),
        validators=[Optional(), Length(max=40)],
        description=_l("With or without country code, e.g. 070-123 45 67 or +46 70 123 45 67."),
    )
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)
    place_id = SelectField(_l("Place"), choices=[], validate_choice=False)
    age_band = SelectField(
        _l("Age band"),
        choices=[("", _l("Not known")), *((b, b) for b in AGE_BANDS)],
        validate_choice=False,  # checked by the service, which explains what it takes
    )
    tags = StringField(
        _l("Tags"),
        validators=[Optional(), Length(max=900)],
        description=_l("Separate tags with commas, e.g. panel, senior."),
    )

    def set_places(self, places: list[tuple[int, str]]) -> None:
        """Offer the given (id, path) places, after a 'no place' choice."""
        self.place_id.choices = [("", _l("— No place —")), *((str(i), p) for i, p in places)]


class NewContactForm(ContactForm):
    """A new contact, with an optional first consent entry."""

    consent_basis = SelectField(
        _l("Legal basis"), choices=basis_choices(_l("Nothing to record now")), validate_choice=False
    )
    consent_text = TextAreaField(
        _l("What the tenant agreed to"),
        validators=[Optional(), Length(max=MAX_CONSENT_TEXT)],
        description=_l("The text they saw, e.g. 'I want to join the tenant panel'."),
    )


class ConsentForm(FlaskForm):
    """A new entry in a contact's consent log."""

    granted = SelectField(
        _l("What happened"),
        choices=[("1", _l("Agreed")), ("0", _l("Withdrew"))],
    )
    basis = SelectField(_l("Legal basis"), choices=basis_choices())
    channel = SelectField(
        _l("For"),
        choices=[("any", _l("E-mail and SMS")), ("email", _l("E-mail")), ("sms", _l("SMS"))],
    )
    text = TextAreaField(
        _l("Text"),
        validators=[Optional(), Length(max=MAX_CONSENT_TEXT)],
        description=_l("What the tenant agreed to or withdrew from, in their words or ours."),
    )
    text_version = StringField(
        _l("Text version (optional)"), validators=[Optional(), Length(max=MAX_TEXT_VERSION)]
    )


class ContactImportForm(ImportForm):
    """A CSV of contacts, and the legal basis of the rows whose file does not state one."""

    consent_basis = SelectField(
        _l("Legal basis for the rows without consent_basis"),
        choices=basis_choices(_l("None: record no consent for them")),
        default="",
        description=_l(
            "On what basis you may contact these tenants. A row's own consent_basis cell wins."
        ),
    )
    consent_text = TextAreaField(
        _l("What they agreed to"),
        validators=[Optional(), Length(max=MAX_CONSENT_TEXT)],
        description=_l("The text they saw, e.g. the tenancy agreement's clause."),
    )
    consent_text_version = StringField(
        _l("Text version (optional)"), validators=[Optional(), Length(max=MAX_TEXT_VERSION)]
    )
