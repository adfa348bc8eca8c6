"""What a page shows beside a tenant's words in another language than the reader's.

For each text: its translation from the cache; or, when the text is short and a model is
installed, one made on the spot; or "being translated" (a longer text, sent to the speech
queue); or why there is none (no model for the direction, or the model failed its check).
Nothing is shown when the text is in the reader's own language.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass, field, replace

from sqlalchemy.orm import Session

from panel.answers.models import Answer
from panel.core.celery import enqueue_after_commit
from panel.core.config import Settings
from panel.core.model_files import ModelRefused
from panel.language import service
from panel.language.service import PairState

log = logging.getLogger(__name__)

ON_THE_SPOT = 400  # characters translated while the page waits (a few sentences, ~0.2 s)


class State(enum.StrEnum):
    DONE = "done"
    PENDING = "pending"
    MISSING = "missing"
    REFUSED = "refused"


@dataclass(frozen=True)
class Shown:
    """A text's translation as a page draws it (``text`` only when ``state`` is done)."""

    state: State
    source: str
    target: str
    text: str | None = None
    engine: str | None = None
    reason: str | None = None
    fresh: bool = False  # made now (the caller commits to keep it)


def shown(
    session: Session,
    text: str | None,
    source: str | None,
    reader: str,
    *,
    settings: Settings,
    on_the_spot: bool = True,
) -> Shown | None:
    """The translation of ``text`` (in ``source``) for a reader of ``reader``, or None when
    there is nothing to show (no words, the reader's own language)."""
    words = (text or "").strip()
    if not words or not source or source == reader:
        return None
    found = service.cached(session, words, source, reader)
    if found is not None:
        return Shown(State.DONE, source, reader, found.text, found.engine)
    pair = service.pair(source, reader, settings)
    if pair.state == PairState.MISSING:
        return Shown(State.MISSING, source, reader)
    if pair.state == PairState.REFUSED:
        return Shown(State.REFUSED, source, reader, reason=pair.reason)
    if not on_the_spot or len(words) > ON_THE_SPOT:
        return Shown(State.PENDING, source, reader)
    try:
        made = service.translate(session, words, source, reader, settings=settings)
    except ModelRefused as exc:
        return Shown(State.REFUSED, source, reader, reason=str(exc))
    if made is None:
        return Shown(State.MISSING, source, reader)
    return Shown(State.DONE, source, reader, made.text, made.engine, fresh=True)


def _no_reason(item: Shown | None) -> Shown | None:
    return replace(item, reason=None) if item is not None and item.reason else item


@dataclass
class ThreadTranslations:
    """Everything of a thread the reader may want in their language: the answer's words, its
    recording's transcript, and the tenant's follow-ups (by comment id)."""

    reader: str
    answer: Shown | None = None
    transcript: Shown | None = None
    follow_ups: dict[int, Shown] = field(default_factory=dict)

    def items(self) -> list[Shown]:
        found = [self.answer, self.transcript, *self.follow_ups.values()]
        return [item for item in found if item is not None]

    @property
    def pending(self) -> bool:
        """Some text waits for the speech queue's task."""
        return any(item.state == State.PENDING for item in self.items())

    @property
    def changed(self) -> bool:
        """Something was made or queued: the caller's commit keeps it and starts the task."""
        return self.pending or any(item.fresh for item in self.items())


def for_answer(
    session: Session,
    answer: Answer,
    follow_ups: list[tuple[int, str, str | None]],
    reader: str,
    *,
    settings: Settings,
    transcript_shown: bool,
    with_reasons: bool = False,
) -> ThreadTranslations:
    """The translations a thread page shows; longer texts not yet translated are queued (the
    speech queue's task, after the page's commit) and shown as being translated. Why a model
    was refused (a file's name, a path) is kept only ``with_reasons`` (for an admin)."""
    found = ThreadTranslations(reader)
    found.answer = shown(session, answer.text, answer.language, reader, settings=settings)
    media = answer.media
    if transcript_shown and media is not None and media.transcript:
        language = media.language or answer.language
        found.transcript = shown(session, media.transcript, language, reader, settings=settings)
    for comment_id, body, language in follow_ups:
        item = shown(session, body, language or answer.language, reader, settings=settings)
        if item is not None:
            found.follow_ups[comment_id] = item
    if not with_reasons:
        found.answer, found.transcript = _no_reason(found.answer), _no_reason(found.transcript)
        found.follow_ups = {
            key: replace(item, reason=None) for key, item in found.follow_ups.items()
        }
    if found.pending:
        from panel.language.tasks import translate_answer

        enqueue_after_commit(session, translate_answer, answer.id)  # the reader is staff
    return found
