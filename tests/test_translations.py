"""The catalogues: complete, faithful to their placeholders, compiled, and actually chosen for
a staff member's own language and for a visitor's browser language.

Swedish and Dutch carry every string. Arabic, Turkish, Polish and Somali are for tenants only:
they must carry every string a tenant can read, which is whatever babel extracts with
``babel-tenant.cfg`` (the tenant pages, what they are built of, the errors they can show).
Extracting at test time, rather than trusting a list, means a new string on a tenant page fails
here until it is translated into every tenant language.
"""

from __future__ import annotations

import functools
import html
import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from babel.util import pathmatch

from panel.core.i18n import TENANT_LANGUAGES
from tests.factories import UserFactory, login

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "panel" / "translations"
TENANT_MAPPING = ROOT / "babel-tenant.cfg"
SOURCE_ROOTS = ("panel", "touchpoints", "notifications", "media")
LANGUAGES = ("sv", "nl")
TENANT_ONLY = ("ar", "tr", "pl", "so")
PLACEHOLDER = re.compile(r"%\(\w+\)[sdifr]")
TAG = re.compile(r"</?([a-zA-Z][a-zA-Z0-9]*)")


def _read_po(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh, locale=locale)


def _catalog(language: str) -> Catalog:
    return _read_po(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po", language)


def _template() -> Catalog:
    return _read_po(TRANSLATIONS / "messages.pot")


def _forms(value: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """A message's id or string as a tuple (one item, or one per plural form)."""
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def _show(message: Message) -> str:
    return repr(_forms(message.id)[0])


def _translated(message: Message | None) -> bool:
    if message is None or message.fuzzy:
        return False
    return all(form.strip() for form in _forms(message.string))


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_has_a_checked_translation(language):
    catalog = _catalog(language)

    missing = [
        _show(message)
        for message in _template()
        if message.id and not _translated(catalog.get(message.id, message.context))
    ]

    assert not missing, (
        f"{len(missing)} message(s) without a (non-fuzzy) {language} translation; run "
        "`pybabel update` and translate them:\n" + "\n".join(missing)
    )


def _mapping() -> tuple[list[tuple[str, str]], dict[str, dict[str, str]]]:
    with TENANT_MAPPING.open() as fh:
        return parse_mapping_cfg(fh)


def _in_sources(path: str) -> bool:
    relative = Path(path).relative_to(ROOT)
    return bool(relative.parts) and relative.parts[0] in SOURCE_ROOTS


@functools.cache
def tenant_messages() -> frozenset[str]:
    """The message ids tenants can read, extracted as ``pybabel extract -F babel-tenant.cfg``."""
    method_map, options_map = _mapping()
    keywords = {**DEFAULT_KEYWORDS, "_l": None}
    found = extract_from_dir(
        ROOT, method_map, options_map, keywords=keywords, directory_filter=_in_sources
    )
    return frozenset(
        _forms(message)[0] for _file, _line, message, _comments, _context in found if message
    )


def test_the_tenant_languages_are_ours_and_have_catalogues():
    assert TENANT_LANGUAGES[:3] == ("sv", "nl", "en")
    assert set(TENANT_LANGUAGES[3:]) == set(TENANT_ONLY)
    for language in TENANT_ONLY:
        assert (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").is_file(), language
    # The tenant pages are really there to extract from (a broken pattern finds nothing).
    assert {"Read the question", "Page not found", "Join"} <= tenant_messages()


@pytest.mark.parametrize("language", TENANT_ONLY)
def test_every_tenant_message_has_a_checked_translation(language):
    catalog = _catalog(language)

    missing = sorted(
        repr(msgid) for msgid in tenant_messages() if not _translated(catalog.get(msgid))
    )

    assert not missing, (
        f"{len(missing)} string(s) on tenant pages without a (non-fuzzy) {language} "
        "translation; add them at the end of "
        f"panel/translations/{language}/LC_MESSAGES/messages.po:\n" + "\n".join(missing)
    )


TENANT_PAGE = re.compile(
    r"""\{%-?\s*(extends\s+["']panels/tenant_layout\.html["']|block\s+body_class\s*-?%\}\s*tenant)"""
)


def test_every_tenant_page_template_is_in_the_tenant_mapping():
    """A template that draws a tenant page (the tenant layout, or the tenant body class) and is
    not named in babel-tenant.cfg would go untranslated in Arabic, Turkish, Polish and Somali."""
    method_map, _options = _mapping()
    jinja_patterns = [pattern for pattern, method in method_map if method == "jinja2"]
    pages = [
        path.relative_to(ROOT).as_posix()
        for root in SOURCE_ROOTS
        for path in (ROOT / root).rglob("*.html")
        if TENANT_PAGE.search(path.read_text(encoding="utf-8"))
    ]

    assert len(pages) > 5
    unlisted = [p for p in pages if not any(pathmatch(pattern, p) for pattern in jinja_patterns)]
    assert not unlisted, "add to babel-tenant.cfg: " + ", ".join(unlisted)


@pytest.mark.parametrize("language", LANGUAGES + TENANT_ONLY)
def test_translations_keep_placeholders_and_tags(language):
    wrong = []
    for message in _catalog(language):
        if not message.id or not _translated(message):
            continue
        ids = _forms(message.id)
        want_placeholders = set().union(*(PLACEHOLDER.findall(form) for form in ids))
        want_tags = sorted(TAG.findall(ids[0]))
        for form in _forms(message.string):
            if set(PLACEHOLDER.findall(form)) != want_placeholders:
                wrong.append(f"{_show(message)}: placeholders in {form!r}")
            if sorted(TAG.findall(form)) != want_tags:
                wrong.append(f"{_show(message)}: HTML tags in {form!r}")

    assert not wrong, "\n".join(wrong)


def _compiled(compiled: Catalog, message: Message) -> tuple[str, ...]:
    """A message's translation as the compiled catalogue holds it."""
    found = compiled.get(message.id, message.context)
    return _forms(found.string) if found is not None else ()


@pytest.mark.parametrize("language", LANGUAGES + TENANT_ONLY)
def test_compiled_catalogue_matches_the_po_file(language):
    """The app reads the .mo file: a translation only in the .po file is invisible."""
    folder = TRANSLATIONS / language / "LC_MESSAGES"
    with (folder / "messages.mo").open("rb") as fh:
        compiled = read_mo(fh)

    stale = [
        _show(message)
        for message in _catalog(language)
        if message.id
        and _translated(message)
        and _compiled(compiled, message) != _forms(message.string)
    ]

    assert not stale, "run `pybabel compile -d panel/translations`; stale:\n" + "\n".join(stale)


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.mark.parametrize(
    ("locale", "expected", "english"),
    [
        ("sv", ["Kontakter", "Platser", "Logga ut", "Trevligt att se dig"], "Good to see you"),
        ("nl", ["Contacten", "Locaties", "Uitloggen", "Fijn je te zien"], "Good to see you"),
    ],
)
def test_staff_member_sees_the_dashboard_in_their_own_language(
    client, db_session, locale, expected, english
):
    user = UserFactory(locale=locale, name="Kim")
    login(client, user)

    response = client.get("/app/", headers={"Accept-Language": "en"})

    assert response.status_code == 200
    body = _text(response)
    assert f'<html lang="{locale}">' in body
    for text in expected:
        assert text in body
    assert english not in body


def test_anonymous_visitor_gets_the_login_page_in_the_browser_language(client, db_session):
    response = client.get("/login", headers={"Accept-Language": "nl-NL,nl;q=0.9,en;q=0.5"})

    assert response.status_code == 200
    body = _text(response)
    assert '<html lang="nl">' in body
    assert "Wachtwoord vergeten?" in body
    assert "Welkom terug. Log in met je zakelijke e-mailadres." in body
    assert "Forgot your password?" not in body
