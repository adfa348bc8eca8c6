"""Telling staff what happened in their threads: a new answer, a follow-up, a mention, a
hand-over. Each notice is an e-mail in the outbox, one per recipient and purpose (its dedupe key
names the event and the person), written in the same transaction as what it tells of.

A new answer or follow-up reaches the owner by e-mail at once only if they chose so
(``notify_mode`` instant; digest readers get the daily digest, see :mod:`panel.threads.digest`);
a mention or a hand-over is addressed to one person and reaches them unless they chose no
e-mail at all. The counts in the navigation are always there.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import current_app
from sqlalchemy.orm import Session

from notifications.messages import Recipient, queue
from panel.accounts.models import NotifyMode, User
from panel.answers.models import Answer
from panel.core.i18n import lazy_text as _l
from panel.threads.models import Comment, Thread

PURPOSE = "thread-notice"
EXCERPT = 300
# How an answer came, as staff read it (the question page's names).
CHANNEL_NAMES = {
    "web": _l("Web"),
    "embed": _l("Website"),
    "qr": _l("QR flyer"),
    "email": _l("E-mail link"),
    "sms": _l("SMS"),
    "voice": _l("Phone call"),
}


def thread_link(thread: Thread) -> str:
    """The thread's page in the staff app."""
    return f"{current_app.config['STOOP'].base_url}/app/threads/{thread.id}"


def excerpt(text: str | None, limit: int = EXCERPT) -> str:
    """The start of a text, cut at a word."""
    text = " ".join((text or "").split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + "…"


def answer_summary(answer: Answer) -> dict[str, Any]:
    """What a notice may say of an answer: its words, score and choice, and the tenant's name
    only when they let the asker see who answered."""
    contact = answer.contact
    name = (contact.name if contact is not None else None) or answer.respondent_name
    return {
        "text": excerpt(answer.text),
        "score": answer.score,
        "choice": answer.choice,
        "clip": answer.clip_kind,
        "who": name if answer.consent_identity and name else None,
        "channel": CHANNEL_NAMES.get(answer.channel, answer.channel),
    }


def _send(
    session: Session,
    thread: Thread,
    users: Iterable[User],
    template: str,
    key: str,
    context: dict[str, Any],
) -> None:
    recipients = [
        Recipient(address=user.email, dedupe_key=f"{key}:{user.id}", language=user.locale)
        for user in users
        if user.is_active and user.email
    ]
    if not recipients:
        return
    question = thread.answer.question
    queue(
        session,
        organisation_id=thread.organisation_id,
        template=f"threads/email/{template}",
        purpose=PURPOSE,
        recipients=recipients,
        context={
            "question_title": question.title,
            "link": thread_link(thread),
            "answer": answer_summary(thread.answer),
            **context,
        },
        ref=f"thread:{thread.id}",
    )


def _owner(session: Session, thread: Thread) -> User | None:
    return session.get(User, thread.owner_id) if thread.owner_id else None


def answer_arrived(session: Session, thread: Thread, answer: Answer) -> None:
    """A new answer: its owner hears of it at once if they chose so."""
    owner = _owner(session, thread)
    if owner is not None and owner.notify_mode == NotifyMode.INSTANT:
        _send(session, thread, [owner], "new_answer", f"notice:answer:{thread.id}", {})


def follow_up_arrived(session: Session, thread: Thread, comment: Comment) -> None:
    """The tenant wrote again: the owner hears of it at once if they chose so."""
    owner = _owner(session, thread)
    if owner is not None and owner.notify_mode == NotifyMode.INSTANT:
        context = {"follow_up": excerpt(comment.body), "follow_up_channel": comment.channel}
        _send(session, thread, [owner], "follow_up", f"notice:follow-up:{comment.id}", context)


def mentioned(session: Session, thread: Thread, comment: Comment, users: list[User]) -> None:
    """Colleagues named in a note: each is told, unless they chose no e-mail."""
    wanted = [user for user in users if user.notify_mode != NotifyMode.NONE]
    author = session.get(User, comment.author_id) if comment.author_id else None
    context = {"note": excerpt(comment.body), "author": author.display_name if author else ""}
    _send(session, thread, wanted, "mention", f"notice:mention:{comment.id}", context)


def handed_over(session: Session, thread: Thread, comment: Comment, to: User, by: User) -> None:
    """The new owner is told who handed the thread over, and why."""
    if to.notify_mode == NotifyMode.NONE or to.id == by.id:
        return
    context = {"reason": comment.body, "author": by.display_name}
    _send(session, thread, [to], "handed_over", f"notice:handover:{comment.id}", context)
