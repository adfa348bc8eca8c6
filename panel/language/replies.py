"""A reply translated into the tenant's language before it is sent, with the staff member's
own words kept beside it.

The staff member writes in their language and asks for a translation; they see both texts and
may correct the translation; only then is it sent. The reply's body is what the tenant got; its
``data["original"]`` keeps what the staff member wrote, in which language, by which engine, and
whether they changed the machine's text, so colleagues read both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from panel.accounts.models import User
from panel.core.errors import ValidationError
from panel.core.i18n import lazy_text as _l
from panel.core.model_files import ModelRefused
from panel.language import service
from panel.language.names import language_name
from panel.language.service import Pair, PairState
from panel.threads import delivery
from panel.threads import service as threads
from panel.threads.models import Comment, Thread


@dataclass(frozen=True)
class Preview:
    """A reply and its machine translation, as the staff member checks them before sending."""

    original: str
    translation: str
    source: str
    target: str
    engine: str


def offer(reader: str, tenant: str) -> Pair | None:
    """Whether the composer offers to translate: None when the staff member and the tenant
    read the same language; else the pair (ready, missing or refused, to say why not)."""
    if reader == tenant:
        return None
    return service.pair(reader, tenant)


def preview(session: Session, thread: Thread, author: User, body: str | None) -> Preview:
    """Translate the reply for the author to check (the translation is kept in the cache; the
    caller commits). A ValidationError says why it cannot be translated."""
    text = threads.clean_body(body)
    target = delivery.route_for(session, thread).language
    source = author.locale
    pair = offer(source, target)
    if pair is None:
        raise ValidationError(
            _l("The tenant reads your language: your reply goes as you write it."),
            details={"translate": [_l("Not needed.")]},
        )
    if not pair.ready:
        raise _unavailable(pair)
    try:
        made = service.translate(session, text, source, target)
    except ModelRefused:
        raise _unavailable(service.pair(source, target)) from None
    if made is None:
        raise _unavailable(Pair(source, target, PairState.MISSING))
    return Preview(text, made.text, source, target, made.engine)


def _unavailable(pair: Pair) -> ValidationError:
    names = {"source": language_name(pair.source), "target": language_name(pair.target)}
    if pair.state == PairState.REFUSED:
        message = _l(
            "The translation model for %(source)s → %(target)s did not pass its check, so it "
            "was not used. Send your reply as you wrote it, or ask your IT department.",
            **names,
        )
    else:
        message = _l(
            "No translation model for %(source)s → %(target)s is installed on this server. "
            "Send your reply as you wrote it.",
            **names,
        )
    return ValidationError(message, details={"body": [message]})


def send_translated(
    session: Session,
    thread: Thread,
    author: User,
    original: str | None,
    translation: str | None,
    *,
    media_id: int | None = None,
) -> Comment:
    """Send ``translation`` to the tenant; the reply keeps ``original`` beside it."""
    words = threads.clean_body(original)
    try:
        sent = threads.clean_body(translation)
    except ValidationError as exc:
        raise ValidationError(exc.message, details={"translation": [exc.message]}) from None
    target = delivery.route_for(session, thread).language
    machine = service.cached(session, words, author.locale, target)
    kept: dict[str, Any] = {
        "text": words,
        "language": author.locale,
        "engine": machine.engine if machine else None,
        "edited": machine is None or machine.text.strip() != sent,
    }
    return threads.reply(session, thread, author, sent, media_id=media_id, data={"original": kept})
