"""What the thread page shows: the tenant as far as they allowed, the answer, and the timeline of
comments with each reply's delivery state, in words and shapes the template draws.

Nothing here writes; it reads one thread and shapes it. The tenant's name, e-mail address and
phone number (and the number a reply went to) appear only when they let the asker see who
answered (``consent_identity``); the answer's clip follows :func:`panel.answers.summary.visible`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from notifications.models import DeliveryState
from panel.accounts.models import User
from panel.answers.models import Answer, AnswerChannel
from panel.questions.playback import Player, player_for
from panel.threads.delivery import WEB, Route
from panel.threads.models import Comment, CommentKind, Thread

# The outbox's states as the page names them: a worker's claim is "sending" to a person, a
# provider's "undelivered" is a failure, "unknown" stays unknown (it is never resent).
DELIVERY = {
    DeliveryState.QUEUED: "queued",
    DeliveryState.CLAIMED: "sending",
    DeliveryState.SENDING: "sending",
    DeliveryState.SENT: "sent",
    DeliveryState.DELIVERED: "delivered",
    DeliveryState.UNDELIVERED: "failed",
    DeliveryState.FAILED: "failed",
    DeliveryState.UNKNOWN: "unknown",
    DeliveryState.SUPPRESSED: "suppressed",
}


@dataclass(frozen=True)
class Tenant:
    """Who answered, as the staff may see them: ``known`` only with the tenant's consent."""

    known: bool
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    contact_id: int | None = None


@dataclass
class Entry:
    """One comment of the timeline as the page draws it."""

    comment: Comment
    author: str | None = None
    delivery: str | None = None  # queued, sending, sent, delivered, failed, unknown, suppressed
    error: str | None = None
    recipient: str | None = None  # only when the tenant let the asker see who they are
    player: Player | None = None
    event: str | None = None  # handed_over, closed, reopened, replied, forwarded
    handed_from: str | None = None
    handed_to: str | None = None
    forwarded_to: str | None = None  # the address a forward went to
    mentions: list[str] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return self.comment.kind


def tenant_of(answer: Answer) -> Tenant:
    """The tenant as the staff may see them."""
    if not answer.consent_identity:
        return Tenant(known=False)
    contact = answer.contact
    name = (contact.name if contact else None) or answer.respondent_name
    email = (contact.email if contact else None) or answer.respondent_email
    phone = (contact.phone if contact else None) or answer.respondent_phone
    return Tenant(True, name, email, phone, contact.id if contact else None)


def route_kind(route: Route, answer: Answer) -> str:
    """How a reply will travel, as the composer says it: ``sms_back`` (to the number they
    answered from), ``sms``, ``email`` or ``web`` (their own page only)."""
    if route.channel == WEB:
        return "web"
    if route.channel == "sms":
        spoken = answer.channel in (AnswerChannel.SMS, AnswerChannel.VOICE)
        return "sms_back" if spoken else "sms"
    return "email"


def timeline(session: Session, thread: Thread, tenant: Tenant) -> list[Entry]:
    """The thread's comments, oldest first, each with what the page shows of it."""
    comments = session.scalars(
        sa.select(Comment)
        .where(Comment.thread_id == thread.id)
        .options(selectinload(Comment.outbound_message), selectinload(Comment.media))
        .order_by(Comment.id)
    ).all()
    names = _names(session, comments)
    return [_entry(comment, names, tenant) for comment in comments]


def _names(session: Session, comments: Any) -> dict[int, str]:
    """Display names of everyone the comments name (authors, hand-overs, mentions)."""
    ids: set[int] = set()
    for comment in comments:
        ids.update(i for i in (comment.author_id,) if i)
        data = comment.data or {}
        ids.update(i for i in (data.get("from"), data.get("to")) if isinstance(i, int))
        ids.update(i for i in data.get("mentions") or () if isinstance(i, int))
    if not ids:
        return {}
    users = session.scalars(sa.select(User).where(User.id.in_(ids)))
    return {user.id: user.display_name for user in users}


def _entry(comment: Comment, names: dict[int, str], tenant: Tenant) -> Entry:
    entry = Entry(comment, author=names.get(comment.author_id or 0))
    data = comment.data or {}
    if comment.media is not None:
        entry.player = player_for(comment.media)
    if comment.kind == CommentKind.REPLY:
        message = comment.outbound_message
        if message is not None:
            entry.delivery = DELIVERY.get(DeliveryState(message.state), "unknown")
            entry.error = message.error if entry.delivery in ("failed", "unknown") else None
            entry.recipient = message.recipient if tenant.known else None
        elif comment.channel != WEB:
            entry.delivery = "unknown"  # its outbox row was erased
    elif comment.kind == CommentKind.NOTE:
        entry.mentions = [names[i] for i in data.get("mentions") or () if i in names]
    elif comment.kind == CommentKind.EVENT:
        if data.get("event") == "handed_over":
            entry.event = "handed_over"
            entry.handed_from = names.get(data.get("from") or 0)
            entry.handed_to = names.get(data.get("to") or 0)
        elif data.get("event") == "status":
            to = data.get("to")
            entry.event = {"closed": "closed", "open": "reopened"}.get(to, "replied")
        elif data.get("event") == "forwarded":  # panel.threads.forwarding
            entry.event = "forwarded"
            entry.forwarded_to = str(data.get("to") or "")
    return entry
