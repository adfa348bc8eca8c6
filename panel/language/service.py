"""Translations made once and kept: a text in another language, by the offline engine.

A translation is looked up by the SHA-256 of its source text and the language pair in the
organisation's cache (:class:`~panel.language.models.MachineTranslation`) before the engine is
asked, and stored there once made: the same words on two pages, in two answers, or in a task
that ran twice cost one translation. It is only ever shown beside its original, marked as a
machine translation.

Which directions can be translated is :func:`pair`: ready (a model, or two through English),
missing (no model is installed), or refused (a model failed its check).
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from panel.accounts.models import User
from panel.core.config import Settings
from panel.core.db import utcnow
from panel.core.errors import ValidationError
from panel.core.i18n import lazy_text as _l
from panel.core.scoping import required_organisation
from panel.language import engine
from panel.language.engine import Route
from panel.language.models import MachineTranslation

MAX_TEXT = 20_000  # the longest transcript a person may write


class PairState(enum.StrEnum):
    READY = "ready"  # a model is installed (it may still fail its check when first loaded)
    MISSING = "missing"  # no model for the direction, nor through English
    REFUSED = "refused"  # the model failed its check; ``reason`` says which file


@dataclass(frozen=True)
class Pair:
    """Whether texts can go from ``source`` to ``target`` on this server, and how."""

    source: str
    target: str
    state: PairState
    route: Route | None = None
    reason: str | None = None

    @property
    def ready(self) -> bool:
        return self.state == PairState.READY


@dataclass(frozen=True)
class Translation:
    """A machine translation of a text: what it says in ``target`` and what made it."""

    text: str
    source: str
    target: str
    engine: str


def settings_now() -> Settings:
    settings: Settings = current_app.config["STOOP"]
    return settings


def pair(source: str, target: str, settings: Settings | None = None) -> Pair:
    """Whether a text in ``source`` can be translated into ``target`` here."""
    found = engine.route(settings or settings_now(), source, target)
    if found is None:
        return Pair(source, target, PairState.MISSING)
    reason = engine.refusal(found)
    if reason:
        return Pair(source, target, PairState.REFUSED, found, reason)
    return Pair(source, target, PairState.READY, found)


def source_hash(text: str) -> str:
    """The cache's key of a text: the SHA-256 of its words (outer spaces aside)."""
    return hashlib.sha256(text.strip().encode("utf-8")).hexdigest()


def cached(session: Session, text: str, source: str, target: str) -> Translation | None:
    """The translation made before, if there is one."""
    row = session.scalar(
        sa.select(MachineTranslation).where(
            MachineTranslation.source_hash == source_hash(text),
            MachineTranslation.source_language == source,
            MachineTranslation.target_language == target,
        )
    )
    if row is None:
        return None
    return Translation(row.text, source, target, row.engine)


def translate(
    session: Session,
    text: str | None,
    source: str,
    target: str,
    *,
    settings: Settings | None = None,
) -> Translation | None:
    """``text`` in ``target``, from the cache or made now and kept (in the caller's
    transaction; the caller commits).

    None when there is nothing to translate (no words, the same language) or no model for the
    direction; :class:`~panel.core.model_files.ModelRefused` when the model failed its check.
    """
    words = (text or "").strip()
    if not words or source == target:
        return None
    if len(words) > MAX_TEXT:
        raise ValidationError(
            _l("A text to translate can be at most %(num)s characters.", num=f"{MAX_TEXT:,}"),
            details={"text": [_l("Too long.")]},
        )
    found = cached(session, words, source, target)
    if found is not None:
        return found
    settings = settings or settings_now()
    way = engine.route(settings, source, target)
    if way is None:
        return None
    [translated] = engine.translate_route(settings, way, [words])
    made = Translation(translated, source, target, way.engine[:80])
    _store(session, words, made)
    return made


def _store(session: Session, words: str, made: Translation) -> None:
    """Keep a translation; one made at the same moment elsewhere (a page and the task) wins
    and this one is dropped: they are the same words from the same model."""
    dialect = session.get_bind().dialect.name
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(
        MachineTranslation.__table__
    )
    session.execute(
        insert.values(
            organisation_id=required_organisation(session, "a machine translation"),
            source_hash=source_hash(words),
            source_language=made.source,
            target_language=made.target,
            text=made.text,
            engine=made.engine,
            created_at=utcnow(),
        ).on_conflict_do_nothing()
    )


def staff_languages(session: Session) -> list[str]:
    """The languages the organisation's active staff read the app in."""
    query = sa.select(User.locale).where(User.is_active.is_(True)).distinct()
    return sorted({locale for locale in session.scalars(query) if locale})


def forget(session: Session, texts: list[str]) -> int:
    """Delete the translations of these texts (an erased answer's words go with it)."""
    hashes = [source_hash(text) for text in texts if text and text.strip()]
    if not hashes:
        return 0
    result = session.execute(
        sa.delete(MachineTranslation).where(MachineTranslation.source_hash.in_(hashes))
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def answer_translations(session: Session, answer: Any) -> list[dict[str, Any]]:
    """The machine translations made so far of an answer's words and its transcript, for the
    API: what each translates (``text`` or ``transcript``), into which language, by what."""
    media = answer.media
    sources = [("text", answer.text, answer.language)]
    if media is not None:
        sources.append(("transcript", media.transcript, media.language or answer.language))
    wanted = {
        (source_hash(text), language): kind for kind, text, language in reversed(sources) if text
    }
    if not wanted:
        return []
    rows = session.scalars(
        sa.select(MachineTranslation)
        .where(MachineTranslation.source_hash.in_([key for key, _ in wanted]))
        .order_by(MachineTranslation.id)
    )
    return [
        {
            "of": wanted[(row.source_hash, row.source_language)],
            "language": row.target_language,
            "text": row.text,
            "engine": row.engine,
            "machine_translation": True,
        }
        for row in rows
        if (row.source_hash, row.source_language) in wanted
    ]
