"""The staff app's main navigation: the entries rooms declare, shaped by role and settings."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from flask import Flask, current_app, g, request, url_for
from flask_login import current_user

from panel.core.extensions import db
from panel.core.rooms import NavItem, Room, resolve

log = logging.getLogger(__name__)

NAV_KEY = "stoop.nav"
_DRAWN = "stoop_nav"


@dataclass(frozen=True)
class Badge:
    """A count beside a menu entry: ``text`` as it shows ("3", "99+"), ``label`` as a screen
    reader says it ("3 unread")."""

    text: str
    label: str


@dataclass(frozen=True)
class NavLink:
    """One link of the main menu as a page draws it."""

    href: str
    label: str
    current: bool
    badge: Badge | None = None


def _badge(item: NavItem) -> Badge | None:
    if item.badge is None or not current_user.is_authenticated:
        return None
    try:
        return resolve(item.badge)(db.session(), current_user._get_current_object())
    except sa.exc.SQLAlchemyError:
        # A count beside a label must never break a page: the error page of a request whose
        # transaction failed draws the menu too.
        log.warning("menu badge %s failed", item.badge, exc_info=True)
        return None


def main_nav() -> list[NavLink]:
    """The menu's links for the logged-in user, in the rooms' order, with the current section
    marked (a page of a room is within that room's entry; the overview and the account pages
    only on themselves). Worked out once per request: a page may draw the menu twice, and a
    badge costs a query."""
    drawn = g.get(_DRAWN)
    if drawn is not None:
        return drawn
    settings = current_app.config["STOOP"]
    outbox = settings.email_outbox or settings.sms_outbox
    is_admin = current_user.is_authenticated and current_user.is_admin
    endpoint = request.endpoint or ""
    section = endpoint.split(".")[0]
    links = []
    for item in current_app.extensions[NAV_KEY]:
        if (item.admins_only and not is_admin) or (item.outbox_only and not outbox):
            continue
        badge = _badge(item)
        if item.badge_only and badge is None:
            continue
        links.append(
            NavLink(
                href=url_for(item.endpoint),
                label=str(item.label),
                current=endpoint == item.endpoint
                or (section == item.endpoint.split(".")[0] and section not in ("home", "accounts"))
                or section in item.sections,
                badge=badge,
            )
        )
    setattr(g, _DRAWN, links)
    return links


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
