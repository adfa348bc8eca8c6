"""The conversation as the tenant sees it on their own page ``/me/<token>``: under each of their
answers, the organisation's replies and what they wrote back — never the staff's internal notes
or the thread's history — and their own way to write back (a follow-up by ``web``).

What a tenant writes is checked here, with messages in their language (the tenant catalogue,
``babel-tenant.cfg``), before the thread takes it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from panel.answers.models import Answer
from panel.core.db import utcnow
from panel.core.errors import ValidationError
from panel.core.i18n import lazy_text as _l
from panel.questions.playback import Player, player_for
from panel.threads import service
from panel.threads.models import Comment, CommentKind, Thread

MAX_MESSAGE = 2000  # as long as a written answer may be
SHOWN = (CommentKind.REPLY.value, CommentKind.FOLLOW_UP.value)
# The same words sent again this soon are one message (a double tap, a form sent twice).
REPEAT_WINDOW = dt.timedelta(minutes=10)


@dataclass
class Entry:
    """One message of the conversation: ours (a reply) or theirs (a follow-up)."""

    comment: Comment
    player: Player | None = None

    @property
    def ours(self) -> bool:
        return self.comment.kind == CommentKind.REPLY.value


@dataclass
class Conversation:
    """The thread of one answer, as its tenant sees it."""

    thread: Thread
    entries: list[Entry] = field(default_factory=list)


def conversations(session: Session, answers: Iterable[Answer]) -> dict[int, Conversation]:
    """The conversation of each answer that has a thread, by answer id (one query for the
    threads, one for their replies and follow-ups)."""
    ids = [answer.id for answer in answers]
    if not ids:
        return {}
    threads = session.scalars(sa.select(Thread).where(Thread.answer_id.in_(ids))).all()
    found = {thread.id: Conversation(thread) for thread in threads}
    if not found:
        return {}
    comments = session.scalars(
        sa.select(Comment)
        .where(Comment.thread_id.in_(list(found)), Comment.kind.in_(SHOWN))
        .order_by(Comment.thread_id, Comment.id)
        .options(selectinload(Comment.media))
    )
    for comment in comments:
        found[comment.thread_id].entries.append(Entry(comment, player_for(comment.media)))
    return {conversation.thread.answer_id: conversation for conversation in found.values()}


def clean_message(text: str | None) -> str:
    """The tenant's message, trimmed; a ValidationError (in their words) when it is empty or
    too long."""
    message = (text or "").replace("\r\n", "\n").strip()
    if not message:
        raise ValidationError(
            _l("Write your message first."), details={"message": [_l("Required.")]}
        )
    if len(message) > MAX_MESSAGE:
        raise ValidationError(
            _l("Please keep your message under %(max)s characters.", max=MAX_MESSAGE),
            details={"message": [_l("Too long.")]},
        )
    return message


def write_back(
    session: Session, thread: Thread, text: str | None, *, now: dt.datetime | None = None
) -> Comment:
    """The tenant writes back from their page: a follow-up in the thread (it opens again and
    its owner is told). The same words sent again within minutes are the first message."""
    message = clean_message(text)
    now = now or utcnow()
    last = session.scalar(
        sa.select(Comment)
        .where(Comment.thread_id == thread.id)
        .order_by(Comment.id.desc())
        .limit(1)
    )
    if (
        last is not None
        and last.kind == CommentKind.FOLLOW_UP.value
        and last.channel == "web"
        and last.body == message
        and _aware(last.created_at) > now - REPEAT_WINDOW
    ):
        return last
    comment = service.follow_up(session, thread, message, channel="web", now=now)
    assert comment is not None  # only a redelivered inbound message makes none
    return comment


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
