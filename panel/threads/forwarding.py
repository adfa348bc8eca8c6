"""Forwarding an answer by e-mail: "this is for you", to a colleague or to anyone (a caretaker
at a contractor), with as much of the answer as the tenant's consent allows.

The stricter reading of consent is the rule, because the e-mail leaves Stoop and may leave the
organisation:

- the answer's words (its text, and a clip's transcript) only if the tenant allowed quoting
  (``consent_quote``); otherwise the e-mail says so and points colleagues to Stoop;
- the tenant's name, e-mail address and phone number only if they allowed the asker to see who
  answered (``consent_identity``);
- a link to the clip only if they allowed it to be shown (``consent_show_clip``). The link is a
  signed, expiring capability (:data:`CLIP_DAYS` days) that needs no login, and consent is
  checked again each time it is opened, so withdrawing it from ``/me`` closes the link.

A score and a choice are figures, not words, and always travel; so do the question, the place
and the forwarder's own message. The forward is written into the thread's history ("Forwarded
to x@y by Z"). Forwarding the same thread to the same address again within
:data:`REPEAT_WINDOW` is the same forward (a double click, a reload): one e-mail, one entry.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from media.models import MediaFile, MediaStatus
from notifications.messages import Recipient, queue
from panel.accounts.models import LANGUAGES, User
from panel.accounts.service import normalise_email
from panel.answers.models import Answer
from panel.core.db import utcnow
from panel.core.errors import NotFound, StoopError, ValidationError
from panel.core.i18n import lazy_text as _l
from panel.core.scoping import ALL_ORGS_OPTION, scoped_to
from panel.organisations.models import Organisation
from panel.threads import notices, service
from panel.threads.models import Comment, CommentKind, Thread

PURPOSE = "thread-forward"
EVENT = "forwarded"
MAX_MESSAGE = 2000
MAX_WORDS = 4000  # the answer's words as quoted in the e-mail
REPEAT_WINDOW = dt.timedelta(minutes=10)
CLIP_DAYS = 14
CLIP_SALT = "stoop.threads.forward-clip"
CLIP_PATH = "/clips/{token}"
CLIP_RENDITION = {"video": "mp4", "audio": "audio"}


class LinkExpired(StoopError):
    """A forwarded clip's link older than :data:`CLIP_DAYS` days."""

    status = 410
    code = "link_expired"


@dataclass(frozen=True)
class Allowed:
    """What the tenant's consent lets a forward carry."""

    words: bool
    identity: bool
    clip: bool


def allowed(answer: Answer) -> Allowed:
    """What a forward of ``answer`` may include (the module's rules); the clip only once it
    is ready to play."""
    media = answer.media
    ready = media is not None and media.status == MediaStatus.READY
    return Allowed(
        words=answer.consent_quote,
        identity=answer.consent_identity,
        clip=answer.consent_show_clip and ready,
    )


@dataclass(frozen=True)
class Forwarded:
    """The forward's entry in the thread, and whether this call made it (False: the same
    forward was made a moment ago)."""

    comment: Comment
    created: bool


def forward(
    session: Session,
    thread: Thread,
    by: User,
    address: str | None,
    message: str | None = None,
    *,
    now: dt.datetime | None = None,
) -> Forwarded:
    """E-mail the answer of ``thread`` to ``address`` with ``message``, as consent allows,
    and record it in the thread's history. In the caller's transaction."""
    to = clean_address(address)
    words = clean_message(message)
    now = now or utcnow()
    earlier = _recent(session, thread, to, now)
    if earlier is not None:
        return Forwarded(earlier, created=False)
    permitted = allowed(thread.answer)
    comment = service.event(
        session,
        thread,
        by,
        {
            "event": EVENT,
            "to": to,
            "words": permitted.words,
            "identity": permitted.identity,
            "clip": permitted.clip,
        },
        body=words,
    )
    colleague = _colleague(session, to)
    ids = queue(
        session,
        organisation_id=thread.organisation_id,
        template="threads/email/forward",
        purpose=PURPOSE,
        recipients=[
            Recipient(
                address=to,
                dedupe_key=_dedupe_key(thread, to, now),
                language=_language(session, thread, by, colleague),
            )
        ],
        context=_context(thread, by, comment, permitted, words, colleague is not None),
        ref=f"thread:{thread.id}",
        headers={"Reply-To": by.email},
    )
    if not ids:  # a forward racing this one (the same bucket) was first: keep just that one
        session.delete(comment)
        session.flush()
        return Forwarded(_recent(session, thread, to, now) or comment, created=False)
    return Forwarded(comment, created=True)


def clean_address(address: str | None) -> str:
    """A valid e-mail address (lower-cased), or a ValidationError for the form's field."""
    text = (address or "").strip()
    if not text:
        raise ValidationError(
            _l("Write the e-mail address to forward it to."),
            details={"address": [_l("Required.")]},
        )
    if len(text) > 254:
        raise ValidationError(
            _l("“%(email)s” is not a valid e-mail address.", email=text[:60] + "…"),
            code="invalid_email",
            details={"address": [_l("Not an e-mail address.")]},
        )
    try:
        return normalise_email(text)
    except ValidationError as exc:
        exc.details = {"address": [_l("Not an e-mail address.")]}
        raise


def clean_message(message: str | None) -> str:
    """The forwarder's optional message, at most :data:`MAX_MESSAGE` characters."""
    text = (message or "").replace("\r\n", "\n").strip()
    if len(text) > MAX_MESSAGE:
        raise ValidationError(
            _l("Please keep the message under %(max)s characters.", max=MAX_MESSAGE),
            details={"message": [_l("Too long.")]},
        )
    return text


def is_forward(comment: Comment) -> bool:
    """The comment is a forward's entry in the history."""
    return comment.kind == CommentKind.EVENT and (comment.data or {}).get("event") == EVENT


def _recent(session: Session, thread: Thread, to: str, now: dt.datetime) -> Comment | None:
    query = (
        sa.select(Comment)
        .where(
            Comment.thread_id == thread.id,
            Comment.kind == CommentKind.EVENT.value,
            Comment.created_at >= now - REPEAT_WINDOW,
        )
        .order_by(Comment.id.desc())
    )
    for comment in session.scalars(query):
        if is_forward(comment) and comment.data.get("to") == to:
            return comment
    return None


def _dedupe_key(thread: Thread, to: str, now: dt.datetime) -> str:
    bucket = int(now.timestamp() // REPEAT_WINDOW.total_seconds())
    who = hashlib.sha256(to.encode()).hexdigest()[:16]
    return f"thread-forward:{thread.id}:{who}:{bucket}"


def _colleague(session: Session, address: str) -> User | None:
    """The active colleague with this address (scoping keeps it to the organisation)."""
    return session.scalar(
        sa.select(User).where(sa.func.lower(User.email) == address, User.is_active.is_(True))
    )


def _language(session: Session, thread: Thread, by: User, colleague: User | None) -> str:
    """A colleague reads it in their language; anyone else in the organisation's (when Stoop
    speaks it to staff), else in the forwarder's."""
    if colleague is not None:
        return colleague.locale
    organisation = session.get(Organisation, thread.organisation_id)
    language = organisation.default_language if organisation is not None else None
    return language if language in LANGUAGES else by.locale


def _context(
    thread: Thread,
    by: User,
    comment: Comment,
    permitted: Allowed,
    message: str,
    to_colleague: bool,
) -> dict[str, Any]:
    answer: Answer = thread.answer
    contact = answer.contact
    media = answer.media
    who = None
    if permitted.identity:
        who = {
            "name": (contact.name if contact else None) or answer.respondent_name,
            "email": (contact.email if contact else None) or answer.respondent_email,
            "phone": (contact.phone if contact else None) or answer.respondent_phone,
        }
        who = who if any(who.values()) else None
    words = None
    if permitted.words:
        spoken = media.transcript if media is not None else None
        words = {
            "text": notices.excerpt(answer.text, MAX_WORDS),
            "transcript": notices.excerpt(spoken, MAX_WORDS),
        }
    return {
        "question_title": answer.question.title,
        "author": by.display_name,
        "message": message,
        "place": answer.place.path if answer.place is not None else None,
        "answered_at": answer.created_at,
        "channel": notices.CHANNEL_NAMES.get(answer.channel, answer.channel),
        "score": answer.score,
        "choice": answer.choice,
        "has_words": bool(answer.text or (media is not None and media.transcript)),
        "words": words,
        "who": who,
        "clip_kind": answer.clip_kind,
        "clip_link": clip_link(comment) if permitted.clip else None,
        "clip_days": CLIP_DAYS,
        "link": notices.thread_link(thread),
        "identity_shared": permitted.identity,
        "to_colleague": to_colleague,
    }


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=CLIP_SALT)


def clip_link(comment: Comment) -> str:
    """The absolute, expiring link to the clip a forward carries."""
    token = _serializer().dumps([comment.id])
    return current_app.config["STOOP"].base_url + CLIP_PATH.format(token=token)


def clip_of_link(session: Session, token: str) -> tuple[MediaFile, str]:
    """The clip a forward's link opens and the rendition to serve (``mp4`` or ``audio``).

    NotFound for a token we did not sign, a forward that carried no clip, and a clip whose
    tenant has since withdrawn consent or that is gone; LinkExpired after :data:`CLIP_DAYS`."""
    gone = NotFound(_l("This link does not lead to a recording (any more)."))
    try:
        payload = _serializer().loads(token, max_age=CLIP_DAYS * 24 * 3600)
    except SignatureExpired:
        raise LinkExpired(
            _l("This link has expired. Ask whoever sent it to you to forward it again.")
        ) from None
    except BadSignature:
        raise gone from None
    if not (isinstance(payload, list) and len(payload) == 1 and _an_id(payload[0])):
        raise gone
    # Opened by someone without a login: the look-up is deliberately global; the token is
    # the capability.
    comment = session.scalar(
        sa.select(Comment)
        .where(Comment.id == payload[0])
        .execution_options(**{ALL_ORGS_OPTION: True})
    )
    if comment is None or not is_forward(comment) or not comment.data.get("clip"):
        raise gone
    with scoped_to(session, comment.organisation_id):
        answer = session.scalar(
            sa.select(Answer)
            .join(Thread, Thread.answer_id == Answer.id)
            .where(Thread.id == comment.thread_id)
        )
        if answer is None or not allowed(answer).clip:
            raise gone
        media = answer.media
        assert media is not None  # allowed(answer).clip says it is there and ready
        rendition = CLIP_RENDITION.get(media.kind or "", "mp4")
        if not (media.renditions or {}).get(rendition):
            raise gone
    return media, rendition


def _an_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**31
