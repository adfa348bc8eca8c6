"""A contact's erasure: asked for, confirmed or declined, then worked through in steps.

An :class:`~panel.privacy.models.ErasureRequest` drives it. Each step does its part in one
transaction, is recorded in ``steps_done`` (with what it removed in ``counts``) and committed,
so an erasure killed half-way resumes at the first step not done; every step may run again
(storage deletes of missing files are no-ops, deletes of gone rows delete nothing).

What goes and what stays:

- ``messages``: every outbound and inbound message to or from them (by contact and by their
  addresses), the outbox ``.eml`` copies, and their opt-outs and unsubscribe tokens.
- ``media``: every stored file of their answers' clips, pictures and their thread's media
  (original and every rendition), the rows with the transcripts and captions, the machine
  translations of the transcripts, the report items that quote or show their answers, and the
  reel renders that hold their clips (:func:`panel.reports.reel_renders.withdraw_clip`).
- ``threads``: the threads on their answers keep only their skeleton (status, dates, the
  events' history): the tenant's follow-ups and the staff's replies and notes are blanked
  (replies and notes may quote the tenant), with their translations and the search text.
- ``answers``: the words (text, the touchpoint form's name, e-mail and phone, the external
  reference), the consents, the link to the contact, the ``/me`` link (a new random token) and
  the analysis rows (embeddings of their words) go. Score, choice, channel, place, question
  and dates stay, so figures in reports keep their counts.
- ``memberships``: panel memberships and the consent log are deleted (the erasure request is
  the proof of what was done); invitations stay (their tokens are not personal) without the
  contact.
- ``contact``: the contact row itself.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from media.lifecycle import discard_files
from media.models import MediaFile
from media.storage import Storage, current_storage
from notifications.erasure import erase_messages
from notifications.mailbox import delete_mail
from notifications.models import OptOut, OutboundMessage, UnsubscribeToken
from panel.answers.models import Answer, AnswerPicture
from panel.contacts.models import ConsentEvent, Contact
from panel.core.celery import enqueue_after_commit
from panel.core.db import utcnow
from panel.core.errors import ValidationError
from panel.core.i18n import lazy_text as _l
from panel.core.scoping import organisation_of, scoped_to
from panel.language.service import forget
from panel.panels.models import PanelMember
from panel.privacy import audit
from panel.privacy.models import ErasureRequest
from panel.reports.models import ReportItem
from panel.reports.reel_renders import withdraw_clip
from panel.sends.models import Invitation
from panel.themes.models import AnswerAnalysis
from panel.threads.models import Comment, CommentKind, Thread

REQUESTED = "requested"
CONFIRMED = "confirmed"
RUNNING = "running"
DONE = "done"
DECLINED = "declined"
OPEN_STATES = (REQUESTED, CONFIRMED, RUNNING)
STEPS = ("messages", "media", "threads", "answers", "memberships", "contact")
CONFIRM_WITHIN_DAYS = 30  # what the tenant is told; the GDPR's month
MIN_NAME = 5  # a shorter name would match messages about others


@dataclass(frozen=True)
class Subject:
    """Whose data a step erases: the contact's id, organisation and addresses."""

    organisation_id: int
    contact_id: int
    addresses: tuple[str, ...]


# --- asking, confirming, declining -------------------------------------------------------------


def open_request(session: Session, contact_id: int) -> ErasureRequest | None:
    """The contact's erasure that is asked for, confirmed or running, if any."""
    return session.scalar(
        sa.select(ErasureRequest)
        .where(ErasureRequest.contact_id == contact_id, ErasureRequest.state.in_(OPEN_STATES))
        .order_by(ErasureRequest.id)
        .limit(1)
    )


def last_request(session: Session, contact_id: int) -> ErasureRequest | None:
    """The contact's latest erasure request of any state."""
    return session.scalar(
        sa.select(ErasureRequest)
        .where(ErasureRequest.contact_id == contact_id)
        .order_by(ErasureRequest.id.desc())
        .limit(1)
    )


def ask(
    session: Session, contact: Contact, *, source: str, user_id: int | None = None
) -> ErasureRequest:
    """A request to erase the contact, waiting for an admin (the tenant asked from ``/me``).
    The open request is returned when there is one already. The caller commits."""
    found = open_request(session, contact.id)
    if found is not None:
        return found
    request = ErasureRequest(
        organisation_id=contact.organisation_id,
        contact_id=contact.id,
        source=source,
        state=REQUESTED,
        requested_by_id=user_id,
        steps_done=[],
        counts={},
    )
    session.add(request)
    session.flush()
    return request


def erase_now(
    session: Session, contact: Contact, *, source: str, user_id: int | None
) -> ErasureRequest:
    """Staff or the API erase the contact: a request confirmed at once (or the open one,
    confirmed), run after the commit. The caller commits."""
    request = ask(session, contact, source=source, user_id=user_id)
    if request.state == REQUESTED:
        confirm(session, request, user_id=user_id)
    return request


def confirm(session: Session, request: ErasureRequest, *, user_id: int | None) -> None:
    """An admin confirms: the erasure runs after the commit."""
    if request.state != REQUESTED:
        return
    request.state = CONFIRMED
    request.confirmed_at = utcnow()
    request.confirmed_by_id = user_id
    session.flush()
    audit.record(
        session,
        "contact.erase",
        organisation_id=request.organisation_id,
        target_type="contact",
        target_id=request.contact_id,
        details={"erasure_request_id": request.id, "source": request.source, "state": CONFIRMED},
    )
    enqueue_after_commit(session, _task(), request.id)


def decline(session: Session, request: ErasureRequest, *, user_id: int | None, reason: str) -> None:
    """An admin declines, saying why (kept in ``error``: the request's only free text)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_l("Say why the erasure is declined."), code="reason_missing")
    if request.state != REQUESTED:
        raise ValidationError(_l("This request is no longer waiting."), code="not_waiting")
    request.state = DECLINED
    request.confirmed_by_id = user_id
    request.finished_at = utcnow()
    request.error = reason[:2000]


def _task():  # type: ignore[no-untyped-def]
    from panel.privacy.erasure_tasks import run_erasure

    return run_erasure


# --- running ------------------------------------------------------------------------------------


def run(session: Session, request_id: int, storage: Storage | None = None) -> ErasureRequest | None:
    """Work through the request's steps not done yet, committing after each. A request that is
    not confirmed or running is left as it is. On a failure the request stays ``running`` with
    the error's kind noted, and the exception goes on (the sweep runs it again)."""
    organisation_id = organisation_of(session, ErasureRequest, request_id)
    if organisation_id is None:
        return None
    storage = storage if storage is not None else current_storage()
    with scoped_to(session, organisation_id):
        request = session.get(ErasureRequest, request_id, populate_existing=True)
        if request is None or request.state not in (CONFIRMED, RUNNING):
            return request
        if request.state == CONFIRMED:
            request.state = RUNNING
            request.started_at = utcnow()
            session.commit()
        subject = _subject(session, request)
        for name in STEPS:
            if name in request.steps_done:
                continue
            try:
                count = STEP_FUNCTIONS[name](session, subject, storage)
            except Exception as exc:
                session.rollback()
                request.error = f"{name}: {type(exc).__name__}"  # never the person's data
                session.commit()
                raise
            request.steps_done = [*request.steps_done, name]
            request.counts = {**request.counts, name: count}
            session.commit()
        request.state = DONE
        request.finished_at = utcnow()
        request.error = None
        audit.record(
            session,
            "contact.erase",
            organisation_id=request.organisation_id,
            actor="erasure",
            target_type="contact",
            target_id=request.contact_id,
            details={"erasure_request_id": request.id, "state": DONE, "counts": request.counts},
        )
        session.commit()
    return request


def _subject(session: Session, request: ErasureRequest) -> Subject:
    contact = session.get(Contact, request.contact_id)
    addresses = () if contact is None else tuple(a for a in (contact.email, contact.phone) if a)
    return Subject(request.organisation_id, request.contact_id, addresses)


def _answer_ids(session: Session, subject: Subject) -> list[int]:
    """Their answers: as the contact, through an invitation to them, or left on a form with
    their e-mail or phone."""
    invited = sa.select(Invitation.id).where(Invitation.contact_id == subject.contact_id)
    theirs = [Answer.contact_id == subject.contact_id, Answer.invitation_id.in_(invited)]
    if subject.addresses:
        theirs += [
            Answer.respondent_email.in_(subject.addresses),
            Answer.respondent_phone.in_(subject.addresses),
        ]
    return list(session.scalars(sa.select(Answer.id).where(sa.or_(*theirs))))


def _threads(session: Session, answer_ids: list[int]) -> list[Thread]:
    if not answer_ids:
        return []
    return list(session.scalars(sa.select(Thread).where(Thread.answer_id.in_(answer_ids))))


def _media_step(session: Session, subject: Subject, storage: Storage) -> int:
    answer_ids = _answer_ids(session, subject)
    if not answer_ids:
        return 0
    answers = list(session.scalars(sa.select(Answer).where(Answer.id.in_(answer_ids))))
    media_ids = {a.media_id for a in answers if a.media_id}
    media_ids |= set(
        session.scalars(
            sa.select(AnswerPicture.media_id).where(AnswerPicture.answer_id.in_(answer_ids))
        )
    )
    thread_ids = [t.id for t in _threads(session, answer_ids)]
    if thread_ids:
        media_ids |= set(
            session.scalars(
                sa.select(Comment.media_id).where(
                    Comment.thread_id.in_(thread_ids), Comment.media_id.is_not(None)
                )
            )
        )
    media = list(session.scalars(sa.select(MediaFile).where(MediaFile.id.in_(media_ids))))
    for row in media:
        discard_files(storage, row)
    forget(session, [t for m in media for t in (m.transcript, m.transcript_draft) if t])
    # Off every answer first: the reel's plan then leaves their clips out, and renders that
    # hold them are withdrawn.
    for answer in answers:
        answer.media_id = None
    session.flush()
    for answer in answers:
        withdraw_clip(session, answer, storage)
    session.execute(sa.delete(ReportItem).where(ReportItem.answer_id.in_(answer_ids)))
    if media_ids:
        session.execute(sa.delete(MediaFile).where(MediaFile.id.in_(media_ids)))
    return len(media)


def _messages_step(session: Session, subject: Subject, storage: Storage) -> int:
    answer_ids = _answer_ids(session, subject)
    addresses = set(subject.addresses)
    if answer_ids:
        for email, phone in session.execute(
            sa.select(Answer.respondent_email, Answer.respondent_phone).where(
                Answer.id.in_(answer_ids)
            )
        ):
            addresses |= {a for a in (email, phone) if a}
    erased = erase_messages(
        session,
        organisation_id=subject.organisation_id,
        contact_id=subject.contact_id,
        addresses=sorted(addresses),
    )
    about = _messages_about(session, subject, answer_ids)
    if about:
        session.execute(
            sa.delete(OutboundMessage)
            .where(OutboundMessage.id.in_(about))
            .execution_options(synchronize_session=False)
        )
        delete_mail(current_app.config["STOOP"].outbox_dir, subject.organisation_id, set(about))
    who = [OptOut.contact_id == subject.contact_id]
    tokens = [UnsubscribeToken.contact_id == subject.contact_id]
    if addresses:
        who.append(OptOut.address.in_(addresses))
        tokens.append(UnsubscribeToken.address.in_(addresses))
    session.execute(sa.delete(OptOut).where(sa.or_(*who)))
    session.execute(sa.delete(UnsubscribeToken).where(sa.or_(*tokens)))
    return erased.outbound + erased.inbound + len(about)


def _messages_about(session: Session, subject: Subject, answer_ids: list[int]) -> list[int]:
    """Messages to staff about the person: notices and forwards of their threads (they quote
    the tenant), and any other message naming them or their addresses (a digest)."""
    conditions = []
    refs = [f"thread:{t.id}" for t in _threads(session, answer_ids)]
    if refs:
        conditions.append(OutboundMessage.ref.in_(refs))
    contact = session.get(Contact, subject.contact_id)
    names = [*subject.addresses]
    if contact is not None and contact.name and len(contact.name.strip()) >= MIN_NAME:
        names.append(contact.name.strip())
    for name in names:
        conditions += [
            column.contains(name, autoescape=True)
            for column in (
                OutboundMessage.subject,
                OutboundMessage.body_text,
                OutboundMessage.body_html,
            )
        ]
    if not conditions:
        return []
    return list(
        session.scalars(
            sa.select(OutboundMessage.id).where(
                OutboundMessage.organisation_id == subject.organisation_id, sa.or_(*conditions)
            )
        )
    )


def _threads_step(session: Session, subject: Subject, storage: Storage) -> int:
    threads = _threads(session, _answer_ids(session, subject))
    if not threads:
        return 0
    thread_ids = [t.id for t in threads]
    comments = list(
        session.scalars(
            sa.select(Comment).where(
                Comment.thread_id.in_(thread_ids), Comment.kind != CommentKind.EVENT.value
            )
        )
    )
    forget(session, [c.body for c in comments if c.body])
    for comment in comments:
        comment.body = ""
        comment.media_id = None
        comment.data = {}
    for thread in threads:
        thread.search_text = ""
        thread.search_vector = None
    return len(comments)


def _answers_step(session: Session, subject: Subject, storage: Storage) -> int:
    answer_ids = _answer_ids(session, subject)
    if not answer_ids:
        return 0
    answers = list(session.scalars(sa.select(Answer).where(Answer.id.in_(answer_ids))))
    forget(session, [a.text for a in answers if a.text])
    for answer in answers:
        answer.text = None
        answer.respondent_name = None
        answer.respondent_email = None
        answer.respondent_phone = None
        answer.external_ref = None
        answer.may_contact = False
        answer.consent_identity = False
        answer.consent_quote = False
        answer.consent_show_clip = False
        answer.contact_id = None
        answer.me_token = secrets.token_urlsafe(32)
    session.execute(sa.delete(AnswerAnalysis).where(AnswerAnalysis.answer_id.in_(answer_ids)))
    return len(answers)


def _memberships_step(session: Session, subject: Subject, storage: Storage) -> int:
    members = session.execute(
        sa.delete(PanelMember).where(PanelMember.contact_id == subject.contact_id)
    ).rowcount
    session.execute(sa.delete(ConsentEvent).where(ConsentEvent.contact_id == subject.contact_id))
    session.execute(
        sa.update(Invitation)
        .where(Invitation.contact_id == subject.contact_id)
        .values(contact_id=None, external_ref=None)
    )
    return int(members or 0)


def _contact_step(session: Session, subject: Subject, storage: Storage) -> int:
    return int(
        session.execute(sa.delete(Contact).where(Contact.id == subject.contact_id)).rowcount or 0
    )


STEP_FUNCTIONS: dict[str, Callable[[Session, Subject, Storage], int]] = {
    "media": _media_step,
    "messages": _messages_step,
    "threads": _threads_step,
    "answers": _answers_step,
    "memberships": _memberships_step,
    "contact": _contact_step,
}


def left_over(session: Session) -> list[tuple[int, int]]:
    """(request id, organisation id) of the erasures confirmed or running: the sweep's work."""
    return list(
        session.execute(
            sa.select(ErasureRequest.id, ErasureRequest.organisation_id).where(
                ErasureRequest.state.in_((CONFIRMED, RUNNING))
            )
        ).all()
    )
