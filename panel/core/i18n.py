"""Language choice: a staff member's own setting, else the browser's, else the default."""

from __future__ import annotations

from typing import Any

import flask_babel
from flask import Flask, current_app, g, request
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


def current_translations() -> Any:
    """The translations of the current language, found once per language and context.

    Flask-Babel looks the context, domain, locale and catalogue up again on every call: with
    hundreds of ``_()`` in a list page that was a third of its time. This keeps the catalogue
    next to Flask-Babel's own per-context state and uses it while the locale object there is
    the same one, so ``force_locale`` (an e-mail in the recipient's language) and ``refresh``
    (a changed setting) are honoured: both replace or drop that object.
    """
    state = g.get("_flask_babel")
    locale = getattr(state, "babel_locale", None)
    cached = getattr(state, "stoop_translations", None)
    if locale is not None and cached is not None and cached[0] is locale:
        return cached[1]
    translations = flask_babel.get_translations()
    state = g.get("_flask_babel")
    locale = getattr(state, "babel_locale", None)
    if state is not None and locale is not None:
        state.stoop_translations = (locale, translations)
    return translations


def init_template_gettext(app: Flask) -> None:
    """Templates translate through :func:`current_translations` (after ``babel.init_app``)."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: current_translations().ugettext(s),
        ngettext=lambda s, p, n: current_translations().ungettext(s, p, n),
        pgettext=lambda c, s: current_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: current_translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
