"""Who is behind a phone number that texts or calls us: the organisation's contact with that
number, and the questions sent to it by SMS (their invitations), newest first.

Queries run in the session's organisation (the inbound handler and the call responder are
scoped to the organisation that owns the number called or texted).
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session

from notifications.senders import organisation_for_number
from panel.answers.models import Answer
from panel.contacts.models import Contact
from panel.questions.service import accepts_answers
from panel.sends.models import Invitation

SMS = "sms"


def contact_for(session: Session, phone: str) -> Contact | None:
    """The organisation's contact with this phone number (E.164), if any."""
    if not phone:
        return None
    return session.scalar(sa.select(Contact).where(Contact.phone == phone).limit(1))


def latest_sms_invitation(session: Session, phone: str) -> Invitation | None:
    """The newest invitation sent by SMS to the contact with this number: the question a
    reply from it answers."""
    if not phone:
        return None
    return session.scalar(
        sa.select(Invitation)
        .join(Contact, Contact.id == Invitation.contact_id)
        .where(Contact.phone == phone, Invitation.channel == SMS)
        .order_by(Invitation.created_at.desc(), Invitation.id.desc())
        .limit(1)
    )


def answer_to(session: Session, invitation: Invitation) -> Answer | None:
    """The answer an invitation already has, if any."""
    return session.scalar(sa.select(Answer).where(Answer.invitation_id == invitation.id))


def open_sms_invitation(
    session: Session, phone: str, now: dt.datetime | None = None
) -> Invitation | None:
    """The newest SMS invitation of this number while it waits for its answer: not answered,
    its question still taking answers (a caller may answer it by phone)."""
    invitation = latest_sms_invitation(session, phone)
    if invitation is None or invitation.answered_at is not None:
        return None
    if answer_to(session, invitation) is not None or not accepts_answers(invitation.question, now):
        return None
    return invitation


def is_ours(session: Session, number: str) -> bool:
    """True when ``number`` is one of Stoop's own numbers (of any organisation): a message from
    it is one of ours coming back, never to be answered."""
    return organisation_for_number(session, number) is not None
