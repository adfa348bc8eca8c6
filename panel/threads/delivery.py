"""How a reply reaches the tenant: over the channel their answer came from.

- an SMS or a phone call → an SMS to their number;
- a panel member, or an answer from a personal e-mail link → an e-mail whose Reply-To is the
  thread's own address (``reply+<token>@<reply domain>``), so their answer comes back to it;
- an anonymous answer on the web → their ``/me`` page only, plus an e-mail (or else an SMS) when
  they left an address and ticked "you may contact me".

Every reply is on the tenant's ``/me`` page as well. A reply is written to the outbox in the
caller's transaction with a key of its own, so it is sent once.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy.orm import Session

from notifications import optouts
from notifications.messages import Recipient, queue
from notifications.models import Channel
from notifications.senders import sender_identity
from panel.answers.models import Answer, AnswerChannel
from panel.threads.models import Comment, Thread

WEB = "web"
REPLY_PURPOSE = "thread-reply"


@dataclass(frozen=True)
class Route:
    """Where a reply goes: ``channel`` sms, email or web (the ``/me`` page only)."""

    channel: str
    address: str | None
    language: str
    contact_id: int | None = None


def route_for(session: Session, thread: Thread) -> Route:
    """The way a reply to this thread reaches the tenant (see the module's rules)."""
    answer: Answer = thread.answer
    contact = answer.contact
    language = (contact.language if contact is not None else None) or answer.language
    contact_id = contact.id if contact is not None else None
    phone = (contact.phone if contact is not None else None) or answer.respondent_phone
    email = contact.email if contact is not None else None
    spoken = answer.channel in (AnswerChannel.SMS, AnswerChannel.VOICE)
    candidates: list[tuple[str, str | None]] = []
    if spoken:
        candidates.append((Channel.SMS, phone))
    if contact is not None:
        candidates += [(Channel.EMAIL, email), (Channel.SMS, phone)]
    if answer.may_contact:
        candidates += [(Channel.EMAIL, answer.respondent_email), (Channel.SMS, phone)]
    for channel, address in candidates:
        if address and not _opted_out(session, thread, channel, contact_id, address):
            return Route(str(channel), address, language, contact_id)
    return Route(WEB, None, language, contact_id)


def _opted_out(
    session: Session, thread: Thread, channel: str, contact_id: int | None, address: str
) -> bool:
    held = optouts.suppressed(session, thread.organisation_id, Channel(channel))
    return held.holds(contact_id, address)


def me_link(thread: Thread) -> str:
    """The tenant's own page, where every reply shows."""
    return f"{current_app.config['STOOP'].base_url}/me/{thread.answer.me_token}"


def reply_address(session: Session, thread: Thread) -> str:
    """The thread's own reply-to address: the organisation's reply domain, or else the domain
    of Stoop's sender address."""
    settings = current_app.config["STOOP"]
    sender = sender_identity(session, thread.organisation_id, settings)
    configured = sender.reply_address(thread.token)
    if configured:
        return configured
    domain = settings.mail_from.rpartition("@")[2].strip(" >") or "stoop.localhost"
    return f"reply+{thread.token}@{domain}"


def send_reply(session: Session, thread: Thread, comment: Comment, route: Route) -> int | None:
    """Queue the reply to the tenant; the outbox row's id (None: the ``/me`` page only)."""
    if route.channel == WEB or route.address is None:
        return None
    channel = Channel(route.channel)
    question = thread.answer.question
    context = {
        "question_title": question.title,
        "body": comment.body,
        "has_video": comment.media_id is not None,
        # Written in the staff member's language and translated (panel.language.replies).
        "machine_translated": bool((comment.data or {}).get("original")),
        "link": me_link(thread),
    }
    headers = {"Reply-To": reply_address(session, thread)} if channel == Channel.EMAIL else None
    ids = queue(
        session,
        organisation_id=thread.organisation_id,
        template="threads/email/reply" if channel == Channel.EMAIL else "threads/sms/reply",
        purpose=REPLY_PURPOSE,
        recipients=[
            Recipient(
                address=route.address,
                dedupe_key=f"thread-reply:{comment.id}",
                language=route.language,
                contact_id=route.contact_id,
            )
        ],
        context=context,
        channel=channel,
        ref=f"thread:{thread.id}",
        headers=headers,
    )
    return ids[0] if ids else None
