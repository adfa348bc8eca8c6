"""The touchpoint page, kept ready for a short while.

A flyer in a stairwell or a button on a busy website sends many tenants to the same page, which
changes only when staff change the touchpoint, its schedule or its question. Its HTML is kept
for ``STOOP_PAGE_CACHE_SECONDS`` (30) in the shared cache (:mod:`panel.core.cache`), under a
key of what makes it differ: the touchpoint, framed or not, the source, the language the
visitor asked for (the switch or the browser's), and the build of the static files. Each
visitor still gets a form key of their own (put in place of :data:`SUBMISSION_SLOT`) and is
still counted in the funnel. A change reaches visitors within that time; an answer sent to a
question closed meanwhile is refused kindly by the POST, which always reads the database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import asdict, dataclass

from flask import current_app, request

from panel.core.assets import asset
from panel.core.cache import cache
from panel.core.i18n import TENANT_LANGUAGES, switched_language

SUBMISSION_SLOT = "@@submission@@"


@dataclass(frozen=True)
class KeptPage:
    """A rendered page and what a visit to it still needs without the database."""

    html: str
    touchpoint_id: int
    organisation_id: int
    timezone: str
    csp: str | None


def page_key(slug: str, embedded: bool, source: str) -> str:
    """The cache key of the page as this request would see it."""
    asked = switched_language() or request.accept_languages.best_match(TENANT_LANGUAGES) or "-"
    build = asset("static", "stoop.css").digest[:12]
    return f"tp-page:{build}:{slug.lower()}:{int(embedded)}:{source}:{asked}"


def _seconds() -> int:
    return current_app.config["STOOP"].page_cache_seconds


def kept(key: str) -> KeptPage | None:
    """The page kept under ``key``, if any (never, when keeping is off)."""
    if _seconds() <= 0:
        return None
    found = cache().get(key)
    if not isinstance(found, dict):
        return None
    try:
        return KeptPage(**found)
    except TypeError:
        return None


def keep(key: str, page: KeptPage) -> None:
    if _seconds() > 0:
        cache().set(key, asdict(page), _seconds())


def with_submission(html: str, submission: str) -> str:
    return html.replace(SUBMISSION_SLOT, submission, 1)


@dataclass(frozen=True)
class Facts:
    """What an answer to a touchpoint needs to know of it, kept like its page: its ids, its
    place, its organisation's time zone, and its schedule (which question on which day)."""

    touchpoint_id: int
    organisation_id: int
    place_id: int | None
    is_active: bool
    timezone: str
    schedule: list[tuple[str, int]]  # (ISO day it starts, question id)

    def question_on(self, day: dt.date) -> int | None:
        """The id of the question the schedule shows on ``day`` (None before its first step)."""
        started = [
            (start, question) for start, question in self.schedule if start <= day.isoformat()
        ]
        return max(started)[1] if started and self.is_active else None


def facts(slug: str, load: Callable[[], Facts | None]) -> Facts | None:
    """The touchpoint's facts, kept for as long as its page; ``load`` reads them afresh."""
    key = f"tp-facts:{slug.lower()}"
    if _seconds() > 0:
        found = cache().get(key)
        if isinstance(found, dict):
            try:
                return Facts(**{**found, "schedule": [tuple(s) for s in found["schedule"]]})
            except (TypeError, KeyError):
                pass
    made = load()
    if made is not None and _seconds() > 0:
        cache().set(key, asdict(made), _seconds())
    return made
