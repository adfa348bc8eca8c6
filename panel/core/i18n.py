"""Language choice: a staff member's own setting, else the browser's, else the default."""

from __future__ import annotations

from flask import current_app, g, request
from flask_login import current_user

LANGUAGES = ("en", "sv", "nl")
LANGUAGE_NAMES = {"en": "English", "sv": "Svenska", "nl": "Nederlands"}


def select_locale() -> str:
    """Flask-Babel's locale selector."""
    forced = getattr(g, "locale", None)
    if forced in LANGUAGES:
        return forced
    if current_user and getattr(current_user, "is_authenticated", False):
        return current_user.locale
    best = request.accept_languages.best_match(LANGUAGES) if request else None
    return best or current_app.config["STOOP"].default_language
