"""Answers that arrive as inbound messages: an SMS reply (with the pictures and clips of an MMS)
and the recording of a phone call; and what follows them (an SMS or an e-mail), for threads.

``create_app`` registers :func:`handle_message` as notifications' one inbound handler. It runs
scoped to the message's organisation, in the transaction that marks the message handled: the
answer, its media and any reply to the tenant commit together — or, when Twilio cannot serve a
file right now, not at all, and the sweep offers the message again later.

An SMS that answers the SMS reply we last sent its number is a follow-up in that reply's thread
(:func:`panel.threads.inbound.thread_replied_to`). Otherwise an SMS answers the question last
sent by SMS to its number (the newest SMS invitation of the organisation's contact with that
phone) while the question takes answers. Once that invitation has its answer, a further SMS is
a follow-up in the answer's thread, the message marked with the answer it follows (``ref``
``answer:<id>``). An SMS from a number never asked, one with no answer we can read, and one to a
closed question each get a polite reply (:mod:`panel.answers.sms_replies`); STOP and START never
reach this handler (the webhook answers them). An e-mail (to a thread's reply address) is a
follow-up in that thread (:func:`panel.threads.inbound.email_follow_up`).
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from media.models import MediaFile, MediaStatus
from media.service import delete_media
from notifications.models import Channel, InboundMessage
from panel.answers import callers, sms_replies
from panel.answers.mms import fetch_files
from panel.answers.models import AnswerChannel
from panel.answers.phone import answer_recording
from panel.answers.service import QuestionClosed, record_answer
from panel.answers.sms_words import read_sms
from panel.core.errors import ValidationError
from panel.organisations.models import Organisation
from panel.questions.service import accepts_answers
from panel.threads import inbound as follow_ups
from panel.threads.service import thread_of_answer

log = logging.getLogger(__name__)

FOLLOW_UP_REF = "answer:{id}"


def handle_message(session: Session, message: InboundMessage) -> None:
    """Turn one inbound message into domain work (the registered inbound handler)."""
    if message.channel == Channel.SMS:
        answer_sms(session, message)
    elif message.channel == Channel.VOICE and (message.payload or {}).get("RecordingSid"):
        answer_recording(session, message)
    elif message.channel == Channel.EMAIL:
        follow_ups.email_follow_up(session, message)
    else:
        log.info("inbound %s message %s kept (nothing acts on it)", message.channel, message.id)


def answer_sms(session: Session, message: InboundMessage) -> None:
    """Make the answer an SMS gives to the question last sent to its number (see above)."""
    if callers.is_ours(session, message.sender) or message.sender == message.recipient:
        log.warning("inbound SMS %s comes from our own number %s", message.id, message.sender)
        return
    replied = follow_ups.thread_replied_to(session, message)
    if replied is not None:
        follow_ups.sms_follow_up(session, message, replied)
        return
    invitation = callers.latest_sms_invitation(session, message.sender)
    if invitation is None:
        sms_replies.reply_unasked(session, message)
        return
    earlier = callers.answer_to(session, invitation)
    if earlier is not None and earlier.provider_id != message.provider_id:
        message.ref = FOLLOW_UP_REF.format(id=earlier.id)
        thread = thread_of_answer(session, earlier.id)
        if thread is not None:
            follow_ups.sms_follow_up(session, message, thread)
        log.info("inbound SMS %s follows answer %s in its thread", message.id, earlier.id)
        return
    question, contact = invitation.question, invitation.contact
    language = contact.language if contact is not None else _default_language(session, message)
    if not accepts_answers(question):
        sms_replies.reply_closed(session, message, question, language)
        return
    given = read_sms(question, message.body).given()
    files = fetch_files(session, message, question, language)
    given.clip_kind = files.clip_kind
    pictures = [p for p in files.pictures if p.status == MediaStatus.READY]
    _discard([p for p in files.pictures if p.status != MediaStatus.READY], session)
    try:
        record_answer(
            session,
            question,
            given,
            channel=AnswerChannel.SMS,
            language=language,
            invitation=invitation,
            contact_id=invitation.contact_id,
            place_id=contact.place_id if contact is not None else None,
            provider_id=message.provider_id,
            media_id=files.clip.id if files.clip is not None else None,
            picture_ids=[p.id for p in pictures],
        )
    except QuestionClosed:
        _discard([files.clip, *pictures], session)
        sms_replies.reply_closed(session, message, question, language)
    except ValidationError as problem:
        log.info("inbound SMS %s: no answer read (%s)", message.id, problem.message)
        _discard([files.clip, *pictures], session)
        sms_replies.reply_unreadable(session, message, question, language)


def _discard(media: list[MediaFile | None], session: Session) -> None:
    """Media fetched for an answer that was not made: files and rows (nothing stays orphaned;
    the payload still names the files at Twilio)."""
    for one in media:
        if one is not None:
            delete_media(session, one)


def _default_language(session: Session, message: InboundMessage) -> str:
    organisation = session.get(Organisation, message.organisation_id)
    return organisation.default_language if organisation is not None else "sv"
