"""Languages named in the reader's own language ("Swedish", "svenska", "Zweeds"): a staff page
says "Machine translation from Swedish", not "from Svenska"."""

from __future__ import annotations

from babel import Locale, UnknownLocaleError
from flask import Flask
from flask_babel import get_locale


def language_name(code: str) -> str:
    """``code``'s name in the page's language (the code itself for one babel does not know)."""
    locale = get_locale() or Locale("en")
    try:
        return str(locale.languages.get(code) or Locale.parse(code).get_language_name(locale))
    except (UnknownLocaleError, ValueError):
        return code


def init_templates(app: Flask) -> None:
    """Templates name languages with ``language_name(code)``."""
    app.jinja_env.globals["language_name"] = language_name
