"""The organisation's brand: the name and address its e-mails come from, its colour, and its
logo, which e-mails and tenant pages show.

The logo is redrawn as a small PNG (:func:`media.images.logo_picture`), stored in media storage
under ``<organisation>/brand/logo-<digest>.png`` and described in the organisation's settings
(:data:`notifications.brand.LOGO_SETTING`). Its public URL carries the digest, so a new logo
gets a new URL and an old one can be cached for a year.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass

from flask import Flask, render_template
from markupsafe import Markup
from sqlalchemy.orm import Session

from media.images import Picture
from media.storage import Storage, StorageError, StorageUnavailable
from notifications.brand import LOGO_SETTING, PAGE_BOX, Logo
from notifications.senders import DEFAULT_COLOUR, configure_sender, sender_settings
from panel.organisations.models import Organisation

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Sender:
    """What the brand section's form shows: the sender's name and address, and the colour."""

    name: str
    address: str
    colour: str


def logo_of(organisation: Organisation | None) -> Logo | None:
    """The organisation's logo, or None."""
    return Logo.from_settings(organisation.settings) if organisation is not None else None


def logo_key(organisation_id: int, digest: str) -> str:
    """Where a logo's PNG lives in media storage (beside the organisation's clips)."""
    return f"{organisation_id}/brand/logo-{digest}.png"


def current_sender(session: Session, organisation: Organisation) -> Sender:
    """The organisation's own sender values (blank where Stoop's defaults apply)."""
    row = sender_settings(session, organisation.id)
    return Sender(
        name=(row.email_from_name if row else None) or "",
        address=(row.email_from_address if row else None) or "",
        colour=(row.brand_colour if row else None) or DEFAULT_COLOUR,
    )


def save_sender(
    session: Session, organisation: Organisation, *, name: str, address: str, colour: str
) -> None:
    """Set the sender's name, address and colour; the reply domain and Twilio service stay as
    they are. Refuses malformed values (ValidationError) before changing anything."""
    row = sender_settings(session, organisation.id)
    configure_sender(
        session,
        organisation.id,
        email_from_name=name,
        email_from_address=address,
        brand_colour=colour,
        reply_domain=row.reply_domain if row else None,
        twilio_messaging_service_sid=row.twilio_messaging_service_sid if row else None,
    )


def store_logo(storage: Storage, organisation: Organisation, picture: Picture) -> Logo | None:
    """Store ``picture`` as the organisation's logo and describe it in its settings (the
    caller commits). Returns the logo it replaces, whose file the caller removes after the
    commit with :func:`discard_logo_file`."""
    key = logo_key(organisation.id, picture.digest)
    storage.put(key, io.BytesIO(picture.png), content_type="image/png")
    previous = logo_of(organisation)
    logo = Logo(key=key, digest=picture.digest, width=picture.width, height=picture.height)
    # A new dict: the JSON column notices reassignment, not changes in place.
    organisation.settings = {**(organisation.settings or {}), LOGO_SETTING: logo.as_setting()}
    return previous if previous is not None and previous.key != key else None


def remove_logo(organisation: Organisation) -> Logo | None:
    """Forget the organisation's logo (the caller commits, then discards the file)."""
    previous = logo_of(organisation)
    settings = dict(organisation.settings or {})
    settings.pop(LOGO_SETTING, None)
    organisation.settings = settings
    return previous


def discard_logo_file(storage: Storage, logo: Logo | None) -> None:
    """Delete a logo's file once nothing names it. A storage that cannot be reached leaves the
    file behind (logged): the settings no longer point at it, and nothing breaks."""
    if logo is None:
        return
    try:
        storage.delete(logo.key)
    except (StorageError, StorageUnavailable, ValueError):
        log.warning("could not delete the replaced logo %s", logo.key, exc_info=True)


def org_mark(organisation: Organisation | None) -> Markup:
    """The organisation's logo, or its name, for a tenant page's header (the macro in
    ``_org_mark.html``, offered to every template as ``org_mark``). A page that has no
    organisation (a tenant's 404) shows Stoop's name."""
    if not isinstance(organisation, Organisation):  # None, or a template's Undefined
        organisation = None
    logo = logo_of(organisation)
    size = logo.fit(PAGE_BOX) if logo else (0, 0)
    html = render_template("_org_mark.html", organisation=organisation, logo=logo, size=size)
    return Markup(html)  # noqa: S704 - the output of an autoescaped template


def init_templates(app: Flask) -> None:
    """Offer :func:`org_mark` to every template (tenant pages of every room call it)."""
    app.jinja_env.globals["org_mark"] = org_mark
