"""What happens in a thread: it opens with an answer, staff reply or write notes, the tenant
follows up, the thread is handed over, closed and reopened.

Every function works in the caller's transaction (the caller commits), writes the comment, moves
the thread's status and activity, keeps its search text current, and queues what must reach
people (the reply to the tenant, notices to staff) in the outbox in the same transaction, so that
a reply is sent exactly once or not at all.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from panel.accounts.models import User
from panel.answers.models import Answer
from panel.core.db import utcnow
from panel.core.errors import Conflict, NotFound, ValidationError
from panel.core.i18n import lazy_text as _l
from panel.threads import delivery, notices
from panel.threads.models import Comment, CommentKind, Thread, ThreadRead, ThreadStatus
from panel.webhooks.events import COMMENT_CREATED, THREAD_REPLIED, comment_created
from panel.webhooks.service import emit

MAX_BODY = 5000
MAX_REASON = 500
# Text search configurations PostgreSQL ships for the languages tenants answer in.
TEXT_SEARCH = {"sv": "swedish", "nl": "dutch", "en": "english", "tr": "turkish"}
MENTION = re.compile(r"(?<![\w.])@([\w.+-]+@[\w-]+(?:\.[\w-]+)+|[\w.-]+)", re.UNICODE)


def new_token() -> str:
    """The secret of a thread's reply-to address: 192 random bits."""
    return secrets.token_urlsafe(24)


def text_search_config(language: str | None) -> str:
    """PostgreSQL's text search configuration for a language (``simple`` for the rest)."""
    return TEXT_SEARCH.get((language or "")[:2], "simple")


def open_thread(session: Session, answer: Answer, owner_id: int | None) -> int:
    """Open the thread of a new answer, owned by its question's owner; its id. The owner is
    told of it by :func:`tell_owner`, in a task after the commit
    (``panel.answers.tasks.answer_arrived``), so the tenant's request writes one row here (a
    statement compiled once, its search vector computed in it) and waits for no e-mail."""
    row = thread_row(answer, owner_id)
    row["owner_told"] = False
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        row["vector_config"] = text_search_config(row["language"])
        row["vector_text"] = row["search_text"]
    return session.execute(_open_statement(dialect), row).scalar_one()


def _open_statement(dialect: str) -> Any:
    found = _OPEN.get(dialect)
    if found is None:
        insert = sa.insert(Thread.__table__)
        if dialect == "postgresql":
            config = sa.cast(sa.bindparam("vector_config", type_=sa.String), postgresql.REGCONFIG)
            text = sa.bindparam("vector_text", type_=sa.Text)
            insert = insert.values(search_vector=sa.func.to_tsvector(config, text))
        found = _OPEN[dialect] = insert.returning(Thread.__table__.c.id)
    return found


_OPEN: dict[str, Any] = {}


def tell_owner(session: Session, thread: Thread) -> bool:
    """Tell the thread's owner of its answer (if they chose to hear at once), once: the first
    caller marks the thread told, in the transaction that queues the notice, and a second
    (a task delivered again, the sweep) finds it told. Whether this call told them."""
    claimed = session.execute(
        sa.update(Thread)
        .where(Thread.id == thread.id, Thread.owner_told.is_(False))
        .values(owner_told=True)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        return False
    set_committed_value(thread, "owner_told", True)
    notices.answer_arrived(session, thread, thread.answer)
    return True


def new_thread(answer: Answer, owner_id: int | None) -> Thread:
    """An open thread for ``answer`` (not yet added), its filter columns copied from it."""
    return Thread(**thread_row(answer, owner_id))


def thread_row(answer: Answer, owner_id: int | None) -> dict[str, Any]:
    """The columns of a new open thread for ``answer``."""
    return {
        "organisation_id": answer.organisation_id,
        "answer_id": answer.id,
        "owner_id": owner_id,
        "status": ThreadStatus.OPEN.value,
        "token": new_token(),
        "question_id": answer.question_id,
        "touchpoint_id": answer.touchpoint_id,
        "place_id": answer.place_id,
        "channel": answer.channel,
        "has_video": answer.clip_kind == "video",
        "language": answer.language,
        "created_at": answer.created_at,
        "last_activity_at": answer.created_at,
        "waiting_since": answer.created_at,
        "search_text": answer.text or "",
    }


def thread_of_answer(session: Session, answer_id: int) -> Thread | None:
    """The thread an answer opened."""
    return session.scalar(sa.select(Thread).where(Thread.answer_id == answer_id))


def get_thread(session: Session, thread_id: int) -> Thread:
    """A thread of the session's organisation, or NotFound (also for another's)."""
    thread = session.get(Thread, thread_id)
    if thread is None:
        raise NotFound(_l("There is no conversation with id %(id)s.", id=thread_id))
    return thread


def clean_body(body: str | None, *, required: bool = True) -> str:
    """A comment's words, trimmed; a ValidationError when missing (if ``required``) or too long."""
    text = (body or "").replace("\r\n", "\n").strip()
    if required and not text:
        raise ValidationError(_l("Write something first."), details={"body": [_l("Required.")]})
    if len(text) > MAX_BODY:
        raise ValidationError(
            _l("Please keep it under %(max)s characters.", max=MAX_BODY),
            details={"body": [_l("Too long.")]},
        )
    return text


def _comment(session: Session, thread: Thread, kind: CommentKind, **values: Any) -> Comment:
    now = values.pop("now", None) or utcnow()
    comment = Comment(
        organisation_id=thread.organisation_id,
        thread_id=thread.id,
        kind=kind.value,
        created_at=now,
        **values,
    )
    session.add(comment)
    thread.last_activity_at = now
    session.flush()
    return comment


def reply(
    session: Session,
    thread: Thread,
    author: User,
    body: str | None,
    *,
    media_id: int | None = None,
    now: dt.datetime | None = None,
    data: dict[str, Any] | None = None,
) -> Comment:
    """Answer the tenant: the reply goes over the channel the answer came from (see
    :mod:`panel.threads.delivery`) and shows on their ``/me`` page. A video reply may come
    without words. ``data`` is kept with it (a translated reply's original words)."""
    text = clean_body(body, required=media_id is None)
    route = delivery.route_for(session, thread)
    comment = _comment(
        session,
        thread,
        CommentKind.REPLY,
        author_id=author.id,
        body=text,
        language=route.language,
        channel=route.channel,
        media_id=media_id,
        data=data or {},
        now=now,
    )
    comment.outbound_message_id = delivery.send_reply(session, thread, comment, route)
    thread.status = ThreadStatus.REPLIED.value
    thread.waiting_since = None
    _index(session, thread, text)
    mark_read(session, thread, author, comment.created_at)
    _announce(session, thread, comment, THREAD_REPLIED)
    return comment


def _announce(session: Session, thread: Thread, comment: Comment, *also: str) -> None:
    """Tell the organisation's webhooks of a new comment (and of a reply)."""
    data = comment_created(thread, comment)
    for event in (COMMENT_CREATED, *also):
        emit(session, thread.organisation_id, event, data, now=comment.created_at)


def note(
    session: Session, thread: Thread, author: User, body: str | None, *, now: Any = None
) -> Comment:
    """An internal note, for colleagues only. Colleagues it ``@mentions`` (by the part of
    their e-mail before the @, or the whole address) are told; nobody else is."""
    text = clean_body(body)
    mentioned = mentioned_users(session, text, exclude=author.id)
    comment = _comment(
        session,
        thread,
        CommentKind.NOTE,
        author_id=author.id,
        body=text,
        data={"mentions": [user.id for user in mentioned]} if mentioned else {},
        now=now,
    )
    _index(session, thread, text)
    mark_read(session, thread, author, comment.created_at)
    notices.mentioned(session, thread, comment, mentioned)
    _announce(session, thread, comment)
    return comment


def mentioned_users(session: Session, text: str, *, exclude: int | None = None) -> list[User]:
    """The active colleagues ``@name`` or ``@name@example.org`` names in ``text``."""
    handles = {m.group(1).lower().rstrip(".") for m in MENTION.finditer(text)}
    if not handles:
        return []
    users = session.scalars(sa.select(User).where(User.is_active.is_(True)).order_by(User.id)).all()
    found = []
    for user in users:
        email = user.email.lower()
        if user.id != exclude and (email in handles or email.partition("@")[0] in handles):
            found.append(user)
    return found


def follow_up(
    session: Session,
    thread: Thread,
    body: str | None,
    *,
    channel: str,
    inbound_message_id: int | None = None,
    media_id: int | None = None,
    now: dt.datetime | None = None,
) -> Comment | None:
    """The tenant wrote again (an SMS, an e-mail reply, their ``/me`` page): the thread opens
    again and its owner is told. A message that came before (a redelivery) makes nothing."""
    if inbound_message_id is not None and session.scalar(
        sa.select(Comment.id).where(Comment.inbound_message_id == inbound_message_id)
    ):
        return None
    text = clean_body(body, required=media_id is None)
    comment = _comment(
        session,
        thread,
        CommentKind.FOLLOW_UP,
        body=text,
        language=thread.language,
        channel=channel,
        inbound_message_id=inbound_message_id,
        media_id=media_id,
        now=now,
    )
    thread.status = ThreadStatus.OPEN.value
    thread.waiting_since = thread.waiting_since or comment.created_at
    _index(session, thread, text)
    notices.follow_up_arrived(session, thread, comment)
    _announce(session, thread, comment)
    return comment


def hand_over(
    session: Session,
    thread: Thread,
    by: User,
    to: User,
    reason: str | None = None,
    *,
    notify: bool = True,
) -> Comment:
    """Give the thread to a colleague, who is told; the history keeps who, when and why.

    ``notify=False`` leaves the telling to the caller: a bulk reassignment sends each new
    owner one e-mail listing all the threads they got (:mod:`panel.threads.overdue`)."""
    if to.organisation_id != thread.organisation_id or not to.is_active:
        raise NotFound(_l("There is no active colleague with that id."))
    if to.id == thread.owner_id:
        raise Conflict(_l("%(name)s already owns this conversation.", name=to.display_name))
    why = (reason or "").strip()
    if len(why) > MAX_REASON:
        raise ValidationError(
            _l("Please keep the reason under %(max)s characters.", max=MAX_REASON),
            details={"reason": [_l("Too long.")]},
        )
    previous = thread.owner_id
    comment = _comment(
        session,
        thread,
        CommentKind.EVENT,
        author_id=by.id,
        body=why,
        data={"event": "handed_over", "from": previous, "to": to.id},
    )
    thread.owner_id = to.id
    if notify:
        notices.handed_over(session, thread, comment, to, by)
    return comment


def set_status(session: Session, thread: Thread, by: User, status: str) -> Comment | None:
    """Close a thread, or open it again; the history keeps who did it."""
    try:
        wanted = ThreadStatus(status)
    except ValueError:
        raise ValidationError(
            _l("A conversation is open, replied or closed."),
            details={"status": [_l("Not a status.")]},
        ) from None
    if wanted.value == thread.status:
        return None
    comment = _comment(
        session,
        thread,
        CommentKind.EVENT,
        author_id=by.id,
        data={"event": "status", "from": thread.status, "to": wanted.value},
    )
    thread.status = wanted.value
    thread.waiting_since = None if wanted != ThreadStatus.OPEN else comment.created_at
    mark_read(session, thread, by, comment.created_at)
    return comment


def event(
    session: Session, thread: Thread, by: User, data: dict[str, Any], body: str = ""
) -> Comment:
    """An entry of the thread's history that is neither a hand-over nor a status change (a
    forward by e-mail: ``{"event": "forwarded", ...}``); the author has seen the thread."""
    comment = _comment(session, thread, CommentKind.EVENT, author_id=by.id, body=body, data=data)
    mark_read(session, thread, by, comment.created_at)
    return comment


def mark_read(session: Session, thread: Thread, user: User, at: dt.datetime | None = None) -> None:
    """The user has seen the thread as it is now (one upsert)."""
    values = {"thread_id": thread.id, "user_id": user.id, "read_at": at or utcnow()}
    dialect = session.get_bind().dialect.name
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(ThreadRead.__table__)
    session.execute(
        insert.values(**values).on_conflict_do_update(
            index_elements=["thread_id", "user_id"], set_={"read_at": values["read_at"]}
        )
    )
    if user.id == thread.owner_id:
        # Kept on the thread too: the menu counts the owner's unread threads by one index.
        thread.owner_read_at = values["read_at"]


def unread_clause(user_id: int) -> sa.ColumnElement[bool]:
    """Threads with activity the user has not seen."""
    seen = (
        sa.select(ThreadRead.read_at)
        .where(ThreadRead.thread_id == Thread.id, ThreadRead.user_id == user_id)
        .scalar_subquery()
    )
    return sa.or_(seen.is_(None), seen < Thread.last_activity_at)


def unread_count(session: Session, user: User) -> int:
    """How many of the user's own threads have something new (the navigation's badge): read
    from the owner's read mark kept on the thread, by the partial index of the unread ones
    (``ix_thread_owner_unread``), however many threads the user owns."""
    owner_unread = sa.or_(
        Thread.owner_read_at.is_(None), Thread.owner_read_at < Thread.last_activity_at
    )
    query = sa.select(sa.func.count()).where(Thread.owner_id == user.id, owner_unread)
    return session.scalar(query) or 0


def _index(session: Session, thread: Thread, added: str | None = None) -> None:
    """Keep the thread's search text (and, on PostgreSQL, its tsvector) current."""
    if added:
        thread.search_text = f"{thread.search_text}\n{added}" if thread.search_text else added
    if session.get_bind().dialect.name == "postgresql":
        session.flush()
        session.execute(
            sa.update(Thread)
            .where(Thread.id == thread.id)
            .values(search_vector=_vector(thread.language, Thread.search_text))
            .execution_options(synchronize_session=False)
        )


def _vector(language: str | None, text: Any) -> Any:
    """The tsvector of ``text`` (a column or a value) in the language's configuration."""
    config = text_search_config(language)
    return sa.func.to_tsvector(sa.cast(config, postgresql.REGCONFIG), text)


def reindex(session: Session, threads: Iterable[Thread]) -> None:
    """Recompute search vectors (after a transcript or a correction changes the text)."""
    for thread in threads:
        _index(session, thread)
