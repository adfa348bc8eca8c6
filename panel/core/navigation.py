"""The staff app's main navigation: the entries rooms declare, shaped by role and settings."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flask import Flask, current_app, request, url_for
from flask_login import current_user

from panel.core.rooms import NavItem, Room

NAV_KEY = "stoop.nav"


@dataclass(frozen=True)
class NavLink:
    """One link of the main menu as a page draws it."""

    href: str
    label: str
    current: bool


def main_nav() -> list[NavLink]:
    """The menu's links for the logged-in user, in the rooms' order, with the current section
    marked (a page of a room is within that room's entry; the overview and the account pages
    only on themselves)."""
    settings = current_app.config["STOOP"]
    outbox = settings.email_outbox or settings.sms_outbox
    is_admin = current_user.is_authenticated and current_user.is_admin
    endpoint = request.endpoint or ""
    section = endpoint.split(".")[0]
    return [
        NavLink(
            href=url_for(item.endpoint),
            label=str(item.label),
            current=endpoint == item.endpoint
            or (section == item.endpoint.split(".")[0] and section not in ("home", "accounts")),
        )
        for item in current_app.extensions[NAV_KEY]
        if (is_admin or not item.admins_only) and (outbox or not item.outbox_only)
    ]


def init_navigation(app: Flask, rooms: Iterable[Room]) -> None:
    """Collect the rooms' entries; make ``main_nav``, ``has_page`` (is a feature's page
    there?) and ``current_locale`` available to every template."""
    from flask_babel import get_locale

    items: list[NavItem] = sorted((i for r in rooms for i in r.nav), key=lambda i: i.order)
    app.extensions[NAV_KEY] = items
    app.jinja_env.globals.update(
        main_nav=main_nav,
        has_page=lambda endpoint: endpoint in current_app.view_functions,
        current_locale=lambda: str(get_locale()),
    )
