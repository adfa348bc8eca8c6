"""What belongs to one contact: the queries that find each of their rows and media files.

Used by the export (:mod:`panel.privacy.export`). A row belongs to the contact when it names
them (``contact_id``), hangs off a row that does (an answer's thread and pictures; an
invitation's answer), or was sent to or received from one of their addresses in their
organisation. Staff's internal notes and a thread's events (hand-overs, status changes) are
about the organisation's work, not the contact, and are left out; replies sent to them and
their follow-ups are in.

Every query is scoped to the contact's organisation: ``InboundMessage`` is not an
:class:`~panel.core.scoping.OrgScoped` model, so its organisation is named explicitly.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

from media.models import MediaFile
from notifications.models import Channel, InboundMessage, OptOut, OutboundMessage
from panel.answers.models import Answer, AnswerPicture
from panel.contacts.models import ConsentEvent, Contact
from panel.panels.models import Panel, PanelConsentVersion, PanelMember
from panel.sends.models import Invitation
from panel.threads.models import Comment, CommentKind, Thread

# The kinds of comment that passed between the contact and staff.
SHARED_COMMENTS = (CommentKind.REPLY.value, CommentKind.FOLLOW_UP.value)


@dataclass
class Inventory:
    """Every row of one contact, read once."""

    contact: Contact
    consents: list[ConsentEvent]
    memberships: list[tuple[PanelMember, Panel, PanelConsentVersion | None]]
    invitations: list[Invitation]
    answers: list[Answer]
    pictures: dict[int, list[AnswerPicture]]  # by answer id
    threads: dict[int, Thread]  # by answer id
    comments: dict[int, list[Comment]]  # by thread id
    outbound: list[OutboundMessage]
    inbound: list[InboundMessage]
    opt_outs: list[OptOut]
    media: dict[int, MediaFile] = field(default_factory=dict)  # every clip and picture, by id

    def media_keys(self) -> Iterator[tuple[MediaFile, str, str]]:
        """(media file, what the file is, storage key) for every stored file: the original as
        it arrived (while it is kept) and each rendition (MP4, poster, audio)."""
        for media in self.media.values():
            if media.original_key:
                yield media, "original", media.original_key
            for name, key in sorted((media.renditions or {}).items()):
                if isinstance(key, str) and key:
                    yield media, name, key


def _addresses(contact: Contact) -> list[str]:
    return [a for a in (contact.email, contact.phone) if a]


def collect(session: Session, contact: Contact) -> Inventory:
    """Read everything of ``contact`` (a row the session's organisation can see)."""
    org = contact.organisation_id
    addresses = _addresses(contact)
    consents = list(
        session.scalars(
            sa.select(ConsentEvent)
            .where(ConsentEvent.contact_id == contact.id)
            .order_by(ConsentEvent.recorded_at, ConsentEvent.id)
        )
    )
    memberships = list(
        session.execute(
            sa.select(PanelMember, Panel, PanelConsentVersion)
            .join(Panel, Panel.id == PanelMember.panel_id)
            .outerjoin(
                PanelConsentVersion, PanelConsentVersion.id == PanelMember.consent_version_id
            )
            .where(PanelMember.contact_id == contact.id)
            .order_by(PanelMember.id)
        ).tuples()
    )
    invitations = list(
        session.scalars(
            sa.select(Invitation).where(Invitation.contact_id == contact.id).order_by(Invitation.id)
        )
    )
    # Their answers: by contact, by one of their invitations, or left without a contact with
    # one of their addresses typed in (a touchpoint's "you may contact me" box).
    by_address = sa.and_(
        Answer.contact_id.is_(None),
        sa.or_(
            Answer.respondent_email == contact.email if contact.email else sa.false(),
            Answer.respondent_phone == contact.phone if contact.phone else sa.false(),
        ),
    )
    answers = list(
        session.scalars(
            sa.select(Answer)
            .where(
                sa.or_(
                    Answer.contact_id == contact.id,
                    Answer.invitation_id.in_([i.id for i in invitations]),
                    by_address,
                )
            )
            .order_by(Answer.created_at, Answer.id)
        )
    )
    answer_ids = [a.id for a in answers]
    pictures: dict[int, list[AnswerPicture]] = {}
    for picture in session.scalars(
        sa.select(AnswerPicture)
        .where(AnswerPicture.answer_id.in_(answer_ids))
        .order_by(AnswerPicture.answer_id, AnswerPicture.position)
    ):
        pictures.setdefault(picture.answer_id, []).append(picture)
    threads = {
        t.answer_id: t
        for t in session.scalars(sa.select(Thread).where(Thread.answer_id.in_(answer_ids)))
    }
    comments: dict[int, list[Comment]] = {}
    for comment in session.scalars(
        sa.select(Comment)
        .where(
            Comment.thread_id.in_([t.id for t in threads.values()]),
            Comment.kind.in_(SHARED_COMMENTS),
        )
        .order_by(Comment.created_at, Comment.id)
    ):
        comments.setdefault(comment.thread_id, []).append(comment)
    outbound = list(
        session.scalars(
            sa.select(OutboundMessage)
            .where(
                sa.or_(
                    OutboundMessage.contact_id == contact.id,
                    OutboundMessage.recipient.in_(addresses),
                )
            )
            .order_by(OutboundMessage.created_at, OutboundMessage.id)
        )
    )
    inbound = list(
        session.scalars(
            sa.select(InboundMessage)
            .where(
                InboundMessage.organisation_id == org,
                sa.or_(
                    InboundMessage.contact_id == contact.id, InboundMessage.sender.in_(addresses)
                ),
            )
            .order_by(InboundMessage.received_at, InboundMessage.id)
        )
    )
    opt_outs = list(
        session.scalars(
            sa.select(OptOut).where(
                sa.or_(
                    OptOut.contact_id == contact.id,
                    sa.and_(
                        OptOut.channel == Channel.EMAIL, OptOut.address == (contact.email or "")
                    ),
                    sa.and_(OptOut.channel == Channel.SMS, OptOut.address == (contact.phone or "")),
                )
            )
        )
    )
    found = Inventory(
        contact=contact,
        consents=consents,
        memberships=memberships,
        invitations=invitations,
        answers=answers,
        pictures=pictures,
        threads=threads,
        comments=comments,
        outbound=outbound,
        inbound=inbound,
        opt_outs=opt_outs,
    )
    media_ids = {a.media_id for a in answers if a.media_id}
    media_ids |= {p.media_id for group in pictures.values() for p in group}
    media_ids |= {c.media_id for group in comments.values() for c in group if c.media_id}
    if media_ids:
        for media in session.scalars(sa.select(MediaFile).where(MediaFile.id.in_(media_ids))):
            found.media[media.id] = media
    return found
