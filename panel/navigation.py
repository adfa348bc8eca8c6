"""The staff app's main navigation, shaped by role and by the embedded outboxes."""

from __future__ import annotations

from flask import Flask, current_app
from flask_babel import gettext as _
from flask_login import current_user


def main_nav() -> list[tuple[str, str]]:
    """(endpoint, label) pairs for the logged-in user."""
    items = [
        ("home.dashboard", _("Overview")),
        ("questions.index", _("Questions")),
        ("contacts.index", _("Contacts")),
        ("places.index", _("Places")),
    ]
    if current_user.is_authenticated and current_user.is_admin:
        items.append(("accounts.users", _("Team")))
    settings = current_app.config["STOOP"]
    if settings.email_outbox or settings.sms_outbox:
        items.append(("dev.outbox", _("Outbox")))
    # Leave out pages whose feature is not registered (yet), rather than failing every page.
    return [item for item in items if item[0] in current_app.view_functions]


def init_navigation(app: Flask) -> None:
    """Make ``main_nav`` and ``current_locale`` available to every template."""
    from flask_babel import get_locale

    app.jinja_env.globals.update(main_nav=main_nav, current_locale=lambda: str(get_locale()))
