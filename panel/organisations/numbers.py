"""The organisation's phone numbers, as its settings page shows them: the numbers tenants text
and call (kept by notifications, :mod:`notifications.senders`), what each takes, and what
answers it.

What answers a number is a voice touchpoint, which lives in the touchpoints room that ``panel``
never imports: that room registers a finder when the app is built
(:func:`register_number_users`), as it does for the answers room's placements. A number in use
is not removed: calls to it would reach no one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app, url_for
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from wtforms import BooleanField, StringField

from notifications.senders import add_sender_number, remove_sender_number, sender_numbers
from panel.contacts.phones import (
    PhoneNumberError,
    display_phone,
    normalise_phone,
    region_for_language,
)
from panel.core.errors import Conflict, ValidationError
from panel.core.i18n import lazy_text
from panel.organisations.models import Organisation

USERS_KEY = "organisations.number_users"


@dataclass(frozen=True)
class NumberUse:
    """What answers a number: its name, and the staff page about it."""

    name: str
    url: str


NumberUsers = Callable[[Session, int], dict[str, NumberUse]]


def register_number_users(app: Flask, finder: NumberUsers) -> None:
    """Make ``finder(session, organisation_id)`` the way to learn which of the organisation's
    numbers something answers: ``{"+46812345670": NumberUse(...)}``."""
    app.extensions[USERS_KEY] = finder


def number_uses(session: Session, organisation_id: int) -> dict[str, NumberUse]:
    """What answers each of the organisation's numbers (empty without a finder)."""
    finder: NumberUsers | None = current_app.extensions.get(USERS_KEY)
    return finder(session, organisation_id) if finder else {}


@dataclass(frozen=True)
class NumberRow:
    """One number as the settings page lists it."""

    id: int
    phone_number: str
    shown: str
    sms: bool
    voice: bool
    used_by: NumberUse | None


class PhoneNumberForm(FlaskForm):
    """A number to add, and what it takes."""

    phone_number = StringField(
        _l("Phone number"),
        description=_l(
            "With its country code (+46 8 123 456 70), or as you write it in your country "
            "(08-123 456 70)."
        ),
    )
    sms = BooleanField(_l("Takes SMS"), default=True)
    voice = BooleanField(_l("Takes calls"), default=True)


def number_rows(session: Session, organisation_id: int) -> list[NumberRow]:
    """The organisation's numbers, each with what answers it."""
    uses = number_uses(session, organisation_id)
    return [
        NumberRow(
            id=number.id,
            phone_number=number.phone_number,
            shown=display_phone(number.phone_number),
            sms=number.sms,
            voice=number.voice,
            used_by=uses.get(number.phone_number),
        )
        for number in sender_numbers(session, organisation_id)
    ]


def webhook_urls() -> dict[str, str]:
    """The addresses Twilio posts a number's SMS and calls to (the public base URL, which is
    also what signatures are checked against)."""
    base = current_app.config["STOOP"].base_url
    return {
        "sms": base + url_for("hooks.twilio_sms"),
        "voice": base + url_for("hooks.twilio_voice"),
    }


def add_number(
    session: Session, organisation: Organisation, text: str, *, sms: bool, voice: bool
) -> str:
    """Add a number written as people write it (read in the organisation's country); returns
    it in E.164. Refused: not a number (422), taking neither SMS nor calls (422), another
    organisation's or already ours (409)."""
    text = (text or "").strip()
    if not text:
        raise _field_error(lazy_text("Write the phone number."))
    try:
        number = normalise_phone(text, region_for_language(organisation.default_language))
    except PhoneNumberError as exc:
        raise _field_error(exc.args[0]) from exc
    if not (sms or voice):
        raise _field_error(lazy_text("Tick what the number takes: SMS, calls or both."))
    add_sender_number(session, organisation.id, number, sms=sms, voice=voice)
    return number


def remove_number(session: Session, organisation_id: int, number_id: int) -> str:
    """Remove one of the organisation's numbers, unless something answers it (409)."""
    for row in number_rows(session, organisation_id):
        if row.id == number_id and row.used_by is not None:
            raise Conflict(
                lazy_text(
                    "%(number)s answers calls for the touchpoint “%(name)s”. Give that "
                    "touchpoint another number, or none, first.",
                    number=row.shown,
                    name=row.used_by.name,
                ),
                code="phone_number_in_use",
            )
    return remove_sender_number(session, organisation_id, number_id)


def _field_error(message: object) -> ValidationError:
    return ValidationError(message, details={"phone_number": [message]})  # type: ignore[arg-type]
