"""Follow-ups that arrive as messages: what a tenant sends after their answer lands in that
answer's thread, reopens it and tells its owner (:func:`panel.threads.service.follow_up`).

- **An SMS after an answered SMS invitation**: :mod:`panel.answers.inbound` finds the answer
  and hands the message over (:func:`sms_follow_up`).
- **An SMS that answers our SMS reply**: notifications links every inbound SMS to the last SMS
  the organisation sent to that number; when that one was a thread's reply (its ``ref`` is
  ``thread:<id>``), the SMS follows up in that thread (:func:`thread_replied_to`). This is how a
  caller, or someone who answered a touchpoint's SMS without an invitation, writes back.
- **An e-mail to the thread's reply address** ``reply+<token>@…`` (:func:`email_follow_up`):
  the token names the thread. An automatic message (an out-of-office, a bounce) is kept as it
  came and goes no further: no follow-up, no notice, never an answer, so no mail loop (nor
  does a message from the organisation's own sending address). A message from another
  address than the tenant's is taken all the same — the token, which only the tenant was
  sent, is the credential, and people answer from their work address or their partner's — and
  its comment says so (``data["from_other_address"]``) for staff to see.
- **A clip**: the first audio or video file (an MMS's, or an e-mail's attachment) becomes the
  comment's clip, stored and processed like an answer's; without one, an MMS's first picture.
  Further files are listed in the comment's ``data["attachments"]``, not kept.

Everything runs in the inbound handler's transaction, scoped to the message's organisation: a
message given twice makes one comment (the comment names its inbound message).
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.orm import Session

from media.ingest import ingest_bytes
from media.models import MediaFile, MediaStatus
from media.rejections import MediaRejected
from media.service import delete_media, recording_limit
from media.uploads import accepted_type
from notifications.email_inbound import register_reply_owner
from notifications.mail_reading import Attachment, MailUnreadable, attachment_files, reply_token
from notifications.models import InboundMessage, OutboundMessage
from notifications.senders import sender_identity
from panel.answers.clips import max_clip_bytes
from panel.answers.mms import announced, fetch_files
from panel.core.scoping import ALL_ORGS_OPTION
from panel.organisations.models import Organisation
from panel.threads import service
from panel.threads.models import Comment, Thread

log = logging.getLogger(__name__)

THREAD_REF = "thread:"
CLIP_KINDS = ("audio", "video")
PURPOSE = "follow_up"  # the purpose of a follow-up's clip (media.models.MediaFile.purpose)
ATTACHED = "📎 "  # an e-mail with files and no words: its comment lists the files after this


def init_app(app: Flask) -> None:
    """Tell notifications whose reply address a token is (the room's ``setup``)."""
    register_reply_owner(app, reply_owner)


def reply_owner(session: Session, token: str) -> int | None:
    """The organisation of the thread whose reply address carries ``token`` (looked up across
    organisations: the token is all the e-mail has)."""
    if not token or len(token) > 64:
        return None
    return session.scalar(
        sa.select(Thread.organisation_id)
        .where(Thread.token == token)
        .execution_options(**{ALL_ORGS_OPTION: True})
    )


def thread_replied_to(session: Session, message: InboundMessage) -> Thread | None:
    """The thread whose reply the message answers: the last message we sent its sender on its
    channel was that thread's reply (None when it was something else, or nothing)."""
    if message.in_reply_to_id is None:
        return None
    ref = session.scalar(
        sa.select(OutboundMessage.ref).where(OutboundMessage.id == message.in_reply_to_id)
    )
    number = (ref or "").removeprefix(THREAD_REF)
    if not (ref or "").startswith(THREAD_REF) or not number.isdigit():
        return None
    return session.scalar(sa.select(Thread).where(Thread.id == int(number)))


def _taken(session: Session, message: InboundMessage) -> bool:
    """The message made its comment before (it is being handled again)."""
    found = sa.select(Comment.id).where(Comment.inbound_message_id == message.id)
    return session.scalar(found) is not None


# --- SMS -----------------------------------------------------------------------------------------


def sms_follow_up(session: Session, message: InboundMessage, thread: Thread) -> Comment | None:
    """The SMS (and an MMS's first clip, else its first picture) as a follow-up in ``thread``;
    None when it was taken before or brings nothing."""
    if _taken(session, message):
        return None
    media, left = _mms_media(session, message, thread) if announced(message) else (None, 0)
    text = (message.body or "").strip()
    if not text and media is None:
        log.info("inbound SMS %s brings nothing to thread %s", message.id, thread.id)
        return None
    comment = service.follow_up(
        session,
        thread,
        text,
        channel="sms",
        inbound_message_id=message.id,
        media_id=media.id if media is not None else None,
    )
    if comment is not None and left:
        comment.data = {"files_not_kept": left}
    return comment


def _mms_media(
    session: Session, message: InboundMessage, thread: Thread
) -> tuple[MediaFile | None, int]:
    """The MMS's clip (else its first picture) kept for the comment, and how many of its
    files were not kept (they stay at Twilio, named in the message's payload)."""
    question = thread.answer.question
    files = fetch_files(
        session, message, question, thread.language, clip_kinds=CLIP_KINDS, purpose=PURPOSE
    )
    pictures = [p for p in files.pictures if p.status == MediaStatus.READY]
    chosen: MediaFile | None = None
    if files.clip is not None and files.clip.status != MediaStatus.FAILED:
        chosen = files.clip
    elif pictures:
        chosen = pictures[0]
    for other in [files.clip, *files.pictures]:
        if other is not None and other is not chosen:
            delete_media(session, other)
    return chosen, len(announced(message)) - (chosen is not None)


# --- e-mail --------------------------------------------------------------------------------------


def email_follow_up(session: Session, message: InboundMessage) -> Comment | None:
    """An e-mail to a thread's reply address as a follow-up in it (see the module); None when
    it is automatic, to an unknown thread, taken before, or empty."""
    payload = message.payload or {}
    if payload.get("automatic"):
        log.info(
            "inbound e-mail %s is automatic (an out-of-office?): kept, not passed on", message.id
        )
        return None
    found = reply_token([message.recipient or ""])
    thread = session.scalar(sa.select(Thread).where(Thread.token == found[1])) if found else None
    if thread is not None and _from_us(session, thread, message.sender):
        log.info("inbound e-mail %s comes from our own address: not passed on", message.id)
        return None
    if thread is None:
        log.warning(
            "inbound e-mail %s: no conversation has address %s", message.id, message.recipient
        )
        return None
    if _taken(session, message):
        return None
    media, listed = _email_media(session, message, thread)
    text = (message.body or "").strip()
    if not text and media is None and listed:
        text = ATTACHED + ", ".join(item["filename"] for item in listed)
    if not text and media is None:
        log.info("inbound e-mail %s brings nothing new to thread %s", message.id, thread.id)
        return None
    data: dict[str, Any] = {}
    if len(text) > service.MAX_BODY:
        text, data["truncated"] = text[: service.MAX_BODY - 1].rstrip() + "…", True
    comment = service.follow_up(
        session,
        thread,
        text,
        channel="email",
        inbound_message_id=message.id,
        media_id=media.id if media is not None else None,
    )
    if comment is None:
        return None
    other = _other_address(thread, message.sender)
    if other:
        data["from_other_address"] = other
    if listed:
        data["attachments"] = listed
    comment.data = data
    return comment


def _from_us(session: Session, thread: Thread, sender: str) -> bool:
    """True when the message comes from the address the organisation's e-mails are sent from
    (one of ours coming back: never a tenant's follow-up)."""
    settings = current_app.config["STOOP"]
    ours = sender_identity(session, thread.organisation_id, settings).email_address
    return bool(sender) and sender.strip().lower() == (ours or "").strip().lower()


def _other_address(thread: Thread, sender: str) -> str | None:
    """``sender`` when it is not the address the tenant answered with or is known by."""
    answer = thread.answer
    known = {
        (address or "").strip().lower()
        for address in (
            answer.contact.email if answer.contact is not None else None,
            answer.respondent_email,
        )
    } - {""}
    return None if (sender or "").strip().lower() in known else sender


def _email_media(
    session: Session, message: InboundMessage, thread: Thread
) -> tuple[MediaFile | None, list[dict[str, Any]]]:
    """The first audio or video attachment kept as the follow-up's clip, and every other
    attachment listed (name, type, size; ``kept`` False)."""
    if not message.raw_mime:
        return None, []
    try:
        files = attachment_files(message.raw_mime)
    except MailUnreadable:
        return None, []
    media: MediaFile | None = None
    listed = []
    for attachment, data in files:
        if media is None and _is_clip(attachment):
            media = _keep_clip(session, thread, attachment, data)
            if media is not None:
                continue
        listed.append({**attachment.as_payload(), "kept": False})
    return media, listed


def _is_clip(attachment: Attachment) -> bool:
    try:
        our_type, _extension = accepted_type(attachment.filename, attachment.content_type)
    except MediaRejected:
        return False
    return our_type.partition("/")[0] in CLIP_KINDS


def _keep_clip(
    session: Session, thread: Thread, attachment: Attachment, data: bytes
) -> MediaFile | None:
    """The attachment stored as a clip and processed after the commit (None: refused)."""
    organisation = session.get(Organisation, thread.organisation_id)
    media = ingest_bytes(
        session,
        organisation_id=thread.organisation_id,
        data=data,
        filename=attachment.filename,
        content_type=attachment.content_type,
        max_bytes=max_clip_bytes(),
        purpose=PURPOSE,
        max_duration_seconds=recording_limit(organisation),
        language=(thread.language or "")[:2] or None,
    )
    if media.status == MediaStatus.FAILED:
        log.info(
            "an attachment %s was refused as a clip: %s", attachment.filename, media.error_code
        )
        delete_media(session, media)
        return None
    return media
