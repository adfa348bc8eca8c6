"""What the API shows of a thread and its comments, as plain dicts that the schemas of
:mod:`panel.threads.schemas` dump (and document).

Who the tenant is shows only with their consent: a thread's ``respondent_name`` and its
answer's ``respondent`` are null unless the answer's ``consent_identity`` is set.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from media.service import media_urls
from panel.answers.models import Answer
from panel.contacts.models import Contact
from panel.threads.models import Comment, CommentKind, Thread
from panel.threads.notices import excerpt


def listed_columns() -> tuple[sa.ColumnElement[Any], ...]:
    """What the list shows of each thread's answer, read with the thread (joined to its answer
    and the answer's contact): the text, the score, and the tenant's name only with consent."""
    name = sa.case(
        (
            Answer.consent_identity,
            sa.func.coalesce(sa.func.nullif(Answer.respondent_name, ""), Contact.name),
        ),
        else_=sa.null(),
    )
    return Answer.text, Answer.score, name.label("respondent_name")


def respondent_name(answer: Answer) -> str | None:
    """The tenant's name, only when they let the asker see who answered."""
    if not answer.consent_identity:
        return None
    contact = answer.contact
    return answer.respondent_name or (contact.name if contact is not None else None)


def dump_thread(
    thread: Thread, unread: bool, text: str | None, score: int | None, name: str | None
) -> dict[str, Any]:
    """A thread as the list shows it, with its answer's text, score and (with consent) the
    tenant's name."""
    return {
        "id": thread.id,
        "answer_id": thread.answer_id,
        "question_id": thread.question_id,
        "touchpoint_id": thread.touchpoint_id,
        "place_id": thread.place_id,
        "channel": thread.channel,
        "language": thread.language,
        "status": thread.status,
        "owner_id": thread.owner_id,
        "has_video": thread.has_video,
        "created_at": thread.created_at,
        "last_activity_at": thread.last_activity_at,
        "waiting_since": thread.waiting_since,
        "unread": bool(unread),
        "excerpt": excerpt(text),
        "score": score,
        "respondent_name": name,
    }


def _person(user: Any) -> dict[str, Any] | None:
    return {"id": user.id, "name": user.display_name} if user is not None else None


def _clip(comment: Comment) -> dict[str, Any] | None:
    media = comment.media
    if media is None:
        return None
    return {
        "id": media.id,
        "kind": media.kind,
        "status": media.status.value,
        "urls": media_urls(media, absolute=True),
    }


def _delivery(comment: Comment) -> dict[str, Any] | None:
    message = comment.outbound_message
    if message is None:
        return None
    return {
        "channel": message.channel.value,
        "state": message.state.value,
        "sent_at": message.sent_at,
        "status_at": message.status_at,
    }


def _event(comment: Comment) -> dict[str, Any] | None:
    if comment.kind != CommentKind.EVENT.value:
        return None
    data = comment.data or {}
    kind = data.get("event")
    if kind == "handed_over":
        return {"type": kind, "from_user_id": data.get("from"), "to_user_id": data.get("to")}
    if kind == "status":
        return {"type": kind, "from_status": data.get("from"), "to_status": data.get("to")}
    return {"type": str(kind or "")}


def dump_comment(comment: Comment) -> dict[str, Any]:
    """One comment: who wrote it, the words, its clip, and a reply's delivery."""
    return {
        "id": comment.id,
        "kind": comment.kind,
        "author": _person(comment.author),
        "body": comment.body,
        "language": comment.language,
        "channel": comment.channel,
        "created_at": comment.created_at,
        "clip": _clip(comment),
        "delivery": _delivery(comment),
        "mentions": list((comment.data or {}).get("mentions") or []),
        "event": _event(comment),
    }


def dump_thread_detail(
    thread: Thread, unread: bool, reply_channel: str, comments: list[Comment]
) -> dict[str, Any]:
    """One thread with its owner, its answer (who answered only with consent) and comments."""
    answer = thread.answer
    listed = dump_thread(thread, unread, answer.text, answer.score, respondent_name(answer))
    return listed | {
        "owner": _person(thread.owner),
        "reply_channel": reply_channel,
        "answer": thread.answer,
        "comments": [dump_comment(comment) for comment in comments],
    }
