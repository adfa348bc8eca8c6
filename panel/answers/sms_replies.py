"""The SMS Stoop sends back on its own: to someone it never asked, and to an answer it could
not take (unreadable, or to a closed question).

Every such reply goes through the outbox (sent at most once, after the handler's commit), and
is bounded so that two automatic responders can never keep each other talking: at most one
automatic reply per number per day (the outbox's dedupe key says so), never to one of Stoop's
own numbers, never to a number that is not a phone number (a short code, a sender name), and
never to a number that opted out of the organisation's SMS.
"""

from __future__ import annotations

import datetime as dt
import logging

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from notifications import optouts
from notifications.dispatch import E164, Outgoing, queue_messages
from notifications.models import Channel, InboundMessage
from notifications.senders import sender_identity
from panel.answers.callers import is_ours
from panel.answers.placements import placed_question
from panel.core.db import utcnow
from panel.organisations.models import Organisation
from panel.questions.models import AnswerMode, Question

log = logging.getLogger(__name__)

PURPOSE = "sms_auto_reply"
# Kinds of touchpoint whose question someone who texts us unasked is offered.
OFFERED_KINDS = ("sms", "link")


def may_reply(session: Session, message: InboundMessage) -> bool:
    """True when an automatic reply to ``message``'s sender cannot start a loop or reach
    someone who said no."""
    sender = message.sender
    if not E164.match(sender or "") or sender == message.recipient or is_ours(session, sender):
        return False
    organisation_id = message.organisation_id or 0
    found = optouts.opt_outs_of(session, organisation_id, addresses=[sender])
    return not any(row.channel == Channel.SMS for row in found)


def send_reply(
    session: Session, message: InboundMessage, text: str, *, language: str, day: dt.date
) -> bool:
    """Queue ``text`` to the sender, unless they had an automatic reply on ``day`` already."""
    if not may_reply(session, message):
        log.info("inbound SMS %s: no automatic reply to %s", message.id, message.sender)
        return False
    assert message.organisation_id is not None
    reply = Outgoing(
        channel=Channel.SMS,
        recipient=message.sender,
        body_text=text,
        purpose=PURPOSE,
        dedupe_key=f"auto-reply:{message.sender}:{day.isoformat()}",
        language=language,
        contact_id=message.contact_id,
    )
    return bool(queue_messages(session, message.organisation_id, [reply]))


def _organisation(session: Session, message: InboundMessage) -> tuple[str, str]:
    """The organisation's name and default language."""
    organisation = session.get(Organisation, message.organisation_id)
    assert organisation is not None and message.organisation_id is not None
    name = sender_identity(session, message.organisation_id, current_app.config["STOOP"]).name
    return name, organisation.default_language


def reply_unasked(session: Session, message: InboundMessage) -> bool:
    """Thank someone we never asked, in the organisation's language, and offer its current
    ``sms`` or ``link`` question (its page) when it has one."""
    assert message.organisation_id is not None
    name, language = _organisation(session, message)
    placed = placed_question(session, message.organisation_id, OFFERED_KINDS)
    with force_locale(language):
        if placed is None:
            text = _(
                "Thank you for your message to %(organisation)s. We could not link it to a "
                "question, so it has not been passed on as an answer.",
                organisation=name,
            )
        else:
            text = _(
                "Thank you for your message to %(organisation)s. We could not link it to a "
                "question we asked you. Our question right now: %(title)s Answer here: %(link)s",
                organisation=name,
                title=placed.question.title,
                link=f"{placed.link}?src=sms",
            )
    return send_reply(session, message, text, language=language, day=utcnow().date())


def reply_closed(
    session: Session, message: InboundMessage, question: Question, language: str
) -> bool:
    """Tell a tenant their answer came after the question closed."""
    with force_locale(language):
        text = _(
            "Thank you for your answer. The question “%(title)s” is closed now, so we could "
            "not take it.",
            title=question.title,
        )
    return send_reply(session, message, text, language=language, day=utcnow().date())


def reply_unreadable(
    session: Session, message: InboundMessage, question: Question, language: str
) -> bool:
    """Tell a tenant we could not read an answer in their message, and how to answer."""
    modes = set(question.answer_modes or ())
    with force_locale(language):
        if AnswerMode.SCORE in modes:
            hint = _("Reply with a number from 1 to 10.")
        elif AnswerMode.CHOICE in modes and question.choices:
            listed = ", ".join(f"{n} {c}" for n, c in enumerate(question.choices, start=1))
            hint = _("Reply with one of these: %(choices)s", choices=listed)
        else:
            hint = _("Reply with your answer in words.")
        text = _(
            "Thank you! We could not read an answer to “%(title)s” in your message. %(hint)s",
            title=question.title,
            hint=hint,
        )
    return send_reply(session, message, text, language=language, day=utcnow().date())
