"""Language choice, and messages that are translated where they are shown.

The language of a staff page is the staff member's own setting, else the browser's, else the
default: Swedish, Dutch or English (:data:`LANGUAGES`). Tenant pages (:data:`TENANT_PATHS`)
speak more (:data:`TENANT_LANGUAGES`: also Arabic, right to left, Turkish, Polish and
Somali); :func:`use_tenant_language` is the one rule that picks theirs.

The JSON API has no staff language of its own: it answers in the language of the request's
``Accept-Language`` and in English without one, so a client's logs read the same whatever the
server's default is.

Errors and per-field messages are made far from any request (in services, imports, tasks), so
they are :class:`LazyText`: a message id and its parameters, translated each time it is turned
into text, in the language in force there.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import flask_babel
from flask import Flask, current_app, g, has_request_context, request
from flask_babel import gettext
from flask_login import current_user

LANGUAGES = ("en", "sv", "nl")
# The tenant pages' languages, in the order the language switch offers them. The last four
# have catalogues of the tenant pages' strings only (see tests/test_translations.py).
TENANT_LANGUAGES = ("sv", "nl", "en", "ar", "tr", "pl", "so")
RIGHT_TO_LEFT = frozenset({"ar"})
# Each language in its own name: whoever needs the switch cannot read the others.
LANGUAGE_NAMES = {
    "en": "English",
    "sv": "Svenska",
    "nl": "Nederlands",
    "ar": "العربية",
    "tr": "Türkçe",
    "pl": "Polski",
    "so": "Soomaali",
}
# The pages tenants see (SPEC: public surface); an error on one of them speaks as they do.
TENANT_PATHS = ("/t/", "/a/", "/thanks/", "/join/", "/me/", "/unsubscribe/", "/n/")
API_PREFIX = "/api/"
API_DEFAULT_LANGUAGE = "en"


def select_locale() -> str:
    """Flask-Babel's locale selector."""
    forced = getattr(g, "locale", None)
    if forced in TENANT_LANGUAGES:
        return forced
    if not has_request_context():
        return current_app.config["STOOP"].default_language
    if request.path.startswith(API_PREFIX):
        return request.accept_languages.best_match(LANGUAGES) or API_DEFAULT_LANGUAGE
    if is_tenant_page():
        asked = switched_language()
        if asked:
            return asked
        best = request.accept_languages.best_match(TENANT_LANGUAGES)
        return best or current_app.config["STOOP"].default_language
    if current_user and getattr(current_user, "is_authenticated", False):
        return current_user.locale
    best = request.accept_languages.best_match(LANGUAGES)
    return best or current_app.config["STOOP"].default_language


def is_tenant_page() -> bool:
    """Whether the current request is for a tenant's page (or an error on one)."""
    return has_request_context() and request.path.startswith(TENANT_PATHS)


def use_tenant_language(*known: str | None, fallback: str | None = None, default: str) -> str:
    """Pick a tenant page's language, use it for the rest of the request, and return it.

    In this order: the language switch on the page (``?lang=``); what we know of the tenant,
    ``known`` (the language chosen in a form, the contact's language); the browser's
    ``Accept-Language``; ``fallback`` (the question's language: a page with no other clue reads
    like its question); ``default`` (the organisation's). The question's language comes after
    the browser's on purpose: staff write in one language, the page around it follows the
    tenant.
    """
    choices = (switched_language(), *known)
    language = next((c for c in choices if c in TENANT_LANGUAGES), None)
    language = language or request.accept_languages.best_match(TENANT_LANGUAGES)
    if language is None:
        language = fallback if fallback in TENANT_LANGUAGES else default
    g.locale = language
    flask_babel.refresh()
    return language


def switched_language() -> str | None:
    """The language picked with the page's switch (``?lang=``), if it is a tenant language.
    An answer form posts to an address that keeps it, so the thank-you page speaks it too."""
    asked = request.args.get("lang")
    return asked if asked in TENANT_LANGUAGES else None


def language_url(language: str) -> str:
    """This page's address with ``?lang=language``, its other parameters kept (``embed=1``)."""
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"]
    return f"{request.path}?{urlencode([*args, ('lang', language)])}"


def text_direction(language: str) -> str:
    """``rtl`` for a language written right to left, else ``ltr`` (for ``dir=``)."""
    return "rtl" if language in RIGHT_TO_LEFT else "ltr"


class LazyText:
    """A translatable message and its parameters, translated whenever it becomes text.

    Unlike Flask-Babel's lazy strings it has no ``__html__``, so a template escapes it like any
    other text (parameters often carry what a user typed). Parameters that are LazyText
    themselves (a field's name) are translated in the same language.
    """

    __slots__ = ("msgid", "params")

    def __init__(self, msgid: str, **params: Any) -> None:
        self.msgid = msgid
        self.params = params

    def __str__(self) -> str:
        if not self.params:
            return translate(self.msgid)
        return translate(self.msgid, **{k: _text(v) for k, v in self.params.items()})

    def __repr__(self) -> str:
        return f"LazyText({self.msgid!r}, **{self.params!r})"

    def __contains__(self, text: str) -> bool:
        return text in str(self)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LazyText):
            return (self.msgid, self.params) == (other.msgid, other.params)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.msgid)


def _text(value: Any) -> Any:
    return str(value) if isinstance(value, LazyText) else value


def lazy_text(msgid: str, **params: Any) -> LazyText:
    """Mark ``msgid`` for translation (``pybabel extract -k _l``) and keep its parameters.

    Modules import it as ``_l``: ``_l("There is no place %(path)s.", path=path)``.
    """
    return LazyText(msgid, **params)


def rendered(value: Any) -> Any:
    """``value`` with every LazyText in it (in dicts, lists, tuples) turned into text now."""
    if isinstance(value, LazyText):
        return str(value)
    if isinstance(value, Mapping):
        return {k: rendered(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [rendered(v) for v in value]
    return value


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


def translate(msgid: str, **params: Any) -> str:
    """``gettext`` through :func:`current_translations`: the same text as Flask-Babel's, for
    code that translates many labels in one request (a list page's cards, the menu). Outside
    a request Flask-Babel's own look-up is used."""
    if not has_request_context():
        return gettext(msgid, **params)
    text = current_translations().ugettext(msgid)
    return text % params if params else text


def init_template_gettext(app: Flask) -> None:
    """Templates translate through :func:`current_translations` (after ``babel.init_app``),
    and know the page's writing direction (``text_direction()``) and the tenant languages
    with their names (``tenant_languages``)."""
    app.jinja_env.globals.update(
        text_direction=lambda: text_direction(str(flask_babel.get_locale())),
        tenant_languages=[(code, LANGUAGE_NAMES[code]) for code in TENANT_LANGUAGES],
        language_url=language_url,
        is_tenant_page=is_tenant_page,
    )
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: current_translations().ugettext(s),
        ngettext=lambda s, p, n: current_translations().ungettext(s, p, n),
        pgettext=lambda c, s: current_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: current_translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
