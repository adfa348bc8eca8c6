"""The staff app's main navigation: the entries rooms declare, shaped by role and settings."""

from __future__ import annotations

from collections.abc import Iterable

from flask import Flask, current_app
from flask_login import current_user

from panel.core.rooms import NavItem, Room

NAV_KEY = "stoop.nav"


def main_nav() -> list[tuple[str, str]]:
    """(endpoint, label) pairs for the logged-in user, in the rooms' order."""
    settings = current_app.config["STOOP"]
    outbox = settings.email_outbox or settings.sms_outbox
    is_admin = current_user.is_authenticated and current_user.is_admin
    return [
        (item.endpoint, str(item.label))
        for item in current_app.extensions[NAV_KEY]
        if (is_admin or not item.admins_only) and (outbox or not item.outbox_only)
    ]


def init_navigation(app: Flask, rooms: Iterable[Room]) -> None:
    """Collect the rooms' entries; make ``main_nav`` and ``current_locale`` available to every
    template."""
    from flask_babel import get_locale

    items: list[NavItem] = sorted((i for r in rooms for i in r.nav), key=lambda i: i.order)
    app.extensions[NAV_KEY] = items
    app.jinja_env.globals.update(main_nav=main_nav, current_locale=lambda: str(get_locale()))
