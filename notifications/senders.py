"""An organisation's sender identity: who its e-mails and SMS come from, and which organisation
an inbound SMS or call belongs to (found by the number it was sent to).

The identity lives in notifications' own tables (``sender_settings``, ``sender_number``); what
is not set falls back to Stoop's settings: ``STOOP_MAIL_FROM``'s address under the
organisation's name, ``STOOP_TWILIO_FROM``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import formataddr, parseaddr
from typing import Any

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from notifications.brand import EMAIL_BOX, Logo
from notifications.models import SenderNumber, SenderSettings
from panel.core.config import Settings
from panel.core.errors import Conflict, NotFound, ValidationError
from panel.core.scoping import ALL_ORGS_OPTION

DEFAULT_COLOUR = "#1f5f5b"
COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
E164 = re.compile(r"^\+[1-9]\d{6,14}$")
MESSAGING_SERVICE = re.compile(r"^MG[0-9a-fA-F]{32}$")
DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
# The organisation's name, slug and settings (its logo), read by table name: notifications may
# not import the domain.
ORGANISATION = sa.table(
    "organisation",
    sa.column("id"),
    sa.column("name"),
    sa.column("slug"),
    sa.column("settings", sa.JSON()),
)


@dataclass(frozen=True)
class SenderIdentity:
    """Everything a channel and a template need to speak for one organisation."""

    organisation_id: int
    name: str
    email_address: str
    reply_domain: str | None
    twilio_from: str
    colour: str = DEFAULT_COLOUR
    # The organisation's logo as an absolute URL (e-mails need one), drawn at this size in the
    # header of e-mails; None when the organisation has no logo.
    logo_url: str | None = None
    logo_width: int = 0
    logo_height: int = 0

    @property
    def email_from(self) -> str:
        """The ``From`` header: the name (encoded when not ASCII) and the address."""
        return formataddr((self.name, self.email_address))

    @property
    def text_on_colour(self) -> str:
        """Black or white, whichever reads better on :attr:`colour` (WCAG relative luminance)."""
        return "#ffffff" if _luminance(self.colour) < 0.4 else "#1b2326"

    def reply_address(self, token: str) -> str | None:
        """A per-thread reply address at the reply domain, or None when none is set."""
        return f"reply+{token}@{self.reply_domain}" if self.reply_domain else None


def sender_settings(session: Session, organisation_id: int) -> SenderSettings | None:
    """The organisation's own sender settings, or None when it has kept Stoop's defaults."""
    return session.scalar(
        sa.select(SenderSettings)
        .where(SenderSettings.organisation_id == organisation_id)
        .execution_options(**{ALL_ORGS_OPTION: True})
    )


def sender_identity(session: Session, organisation_id: int, settings: Settings) -> SenderIdentity:
    """The sender identity of one organisation (its own settings over Stoop's defaults)."""
    row = sender_settings(session, organisation_id)
    default_name, default_address = parseaddr(settings.mail_from)
    organisation = _organisation(session, organisation_id)
    name = (row and row.email_from_name) or (organisation.name if organisation else None)
    logo = Logo.from_settings(organisation.settings) if organisation else None
    width, height = logo.fit(EMAIL_BOX) if logo else (0, 0)
    return SenderIdentity(
        organisation_id=organisation_id,
        name=name or default_name or "Stoop",
        email_address=(row and row.email_from_address) or default_address,
        reply_domain=row.reply_domain if row else None,
        twilio_from=(row and row.twilio_messaging_service_sid)
        or _first_sms_number(session, organisation_id)
        or settings.twilio_from,
        colour=(row and row.brand_colour) or DEFAULT_COLOUR,
        logo_url=settings.base_url + logo.path(organisation.slug) if logo else None,
        logo_width=width,
        logo_height=height,
    )


def configure_sender(
    session: Session,
    organisation_id: int,
    *,
    email_from_name: str | None = None,
    email_from_address: str | None = None,
    reply_domain: str | None = None,
    twilio_messaging_service_sid: str | None = None,
    brand_colour: str | None = None,
) -> SenderSettings:
    """Set an organisation's sender settings (None or "" clears a value); refuses malformed
    ones with a message an administrator understands."""
    row = sender_settings(session, organisation_id)
    if row is None:
        row = SenderSettings(organisation_id=organisation_id)
        session.add(row)
    row.email_from_name = _field("email_from_name", _clean_name, email_from_name)
    row.email_from_address = _field("email_from_address", _clean_address, email_from_address)
    row.reply_domain = _field("reply_domain", _clean_domain, reply_domain)
    row.twilio_messaging_service_sid = _field(
        "twilio_messaging_service_sid", _clean_service, twilio_messaging_service_sid
    )
    row.brand_colour = _field("brand_colour", _clean_colour, brand_colour)
    session.flush()
    return row


def add_sender_number(
    session: Session,
    organisation_id: int,
    phone_number: str,
    *,
    sms: bool = True,
    voice: bool = False,
) -> SenderNumber:
    """Register a number the organisation sends from and receives on. A number belongs to one
    organisation only: inbound messages to it are that organisation's."""
    if not E164.match(phone_number or ""):
        raise ValidationError(
            _(
                "%(number)s is not a phone number in international form (+46701234567).",
                number=phone_number,
            )
        )
    taken = Conflict(
        _("%(number)s is already in use.", number=phone_number),
        code="phone_number_taken",
        details={"phone_number": [_("This number is already in use.")]},
    )
    if organisation_for_number(session, phone_number) is not None:
        raise taken
    number = SenderNumber(
        organisation_id=organisation_id, phone_number=phone_number, sms=sms, voice=voice
    )
    try:
        # A savepoint: two admins adding the same number at once make one row and one
        # refusal, and the caller's transaction lives on.
        with session.begin_nested():
            session.add(number)
    except IntegrityError:
        raise taken from None
    return number


def sender_numbers(session: Session, organisation_id: int) -> list[SenderNumber]:
    """The organisation's numbers, in the order they were added."""
    return list(
        session.scalars(
            sa.select(SenderNumber)
            .where(SenderNumber.organisation_id == organisation_id)
            .order_by(SenderNumber.id)
            .execution_options(**{ALL_ORGS_OPTION: True})
        )
    )


def find_sender_number(session: Session, phone_number: str) -> SenderNumber | None:
    """The number row for ``phone_number`` (E.164), whichever organisation owns it."""
    return session.scalar(
        sa.select(SenderNumber)
        .where(SenderNumber.phone_number == phone_number)
        .execution_options(**{ALL_ORGS_OPTION: True})
    )


def remove_sender_number(session: Session, organisation_id: int, number_id: int) -> str:
    """Forget one of the organisation's numbers (SMS to it and calls to it reach no one here
    any more); returns the number. What uses it is the caller's to check first."""
    number = session.scalar(
        sa.select(SenderNumber)
        .where(SenderNumber.id == number_id, SenderNumber.organisation_id == organisation_id)
        .execution_options(**{ALL_ORGS_OPTION: True})
    )
    if number is None:
        raise NotFound(_("There is no such phone number. It may have been removed already."))
    session.delete(number)
    session.flush()
    return number.phone_number


def organisation_for_number(session: Session, phone_number: str) -> int | None:
    """The organisation that owns ``phone_number`` (an inbound SMS's or call's To), if any."""
    return session.scalar(
        sa.select(SenderNumber.organisation_id)
        .where(SenderNumber.phone_number == phone_number)
        .execution_options(**{ALL_ORGS_OPTION: True})
    )


def organisation_slug(session: Session, organisation_id: int) -> str:
    """The organisation's short name in URLs (``angsbacken``), as a List-Id takes it."""
    return (
        session.scalar(sa.select(ORGANISATION.c.slug).where(ORGANISATION.c.id == organisation_id))
        or f"org-{organisation_id}"
    )


def _organisation(session: Session, organisation_id: int) -> sa.Row[Any] | None:
    return session.execute(
        sa.select(ORGANISATION.c.name, ORGANISATION.c.slug, ORGANISATION.c.settings).where(
            ORGANISATION.c.id == organisation_id
        )
    ).first()


def _first_sms_number(session: Session, organisation_id: int) -> str | None:
    return session.scalar(
        sa.select(SenderNumber.phone_number)
        .where(SenderNumber.organisation_id == organisation_id, SenderNumber.sms.is_(True))
        .order_by(SenderNumber.id)
        .limit(1)
        .execution_options(**{ALL_ORGS_OPTION: True})
    )


def _luminance(colour: str) -> float:
    def channel(hex_pair: str) -> float:
        value = int(hex_pair, 16) / 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (channel(colour[i : i + 2]) for i in (1, 3, 5))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def _field(name: str, clean: Callable[[str | None], str | None], value: str | None) -> str | None:
    """``clean(value)``; a refusal names the field in its ``details``, so a form can show the
    message beside it."""
    try:
        return clean(value)
    except ValidationError as exc:
        exc.details = {name: exc.text}
        raise


def _clean_name(value: str | None) -> str | None:
    value = (value or "").strip()
    if not value:
        return None
    if len(value) > 120 or "\r" in value or "\n" in value:
        raise ValidationError(_("The sender name must be one line of at most 120 characters."))
    return value


def _clean_address(value: str | None) -> str | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValidationError(
            _("%(address)s is not a valid e-mail address.", address=value)
        ) from exc


def _clean_domain(value: str | None) -> str | None:
    value = (value or "").strip().lower().rstrip(".")
    if not value:
        return None
    if not DOMAIN.match(value):
        raise ValidationError(_("%(domain)s is not a domain name.", domain=value))
    return value


def _clean_service(value: str | None) -> str | None:
    value = (value or "").strip()
    if not value:
        return None
    if not MESSAGING_SERVICE.match(value):
        raise ValidationError(
            _("A Twilio messaging service id starts with MG and has 32 more characters.")
        )
    return value


def _clean_colour(value: str | None) -> str | None:
    value = (value or "").strip()
    if not value:
        return None
    if not COLOUR.match(value):
        raise ValidationError(_("A colour is written like #1f5f5b."))
    return value.lower()
