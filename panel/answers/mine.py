"""Whose page ``/me/<token>`` is: a panel member's (their ``me_token``) or an answer's (the
token its thank-you page gave). A known person sees all their answers; an anonymous one sees
the answer the token came with.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

from panel.answers.models import Answer
from panel.contacts.models import Contact
from panel.core.scoping import scope_session
from panel.panels.models import Panel, PanelMember

MAX_TOKEN = 64


@dataclass
class Owner:
    """The person a ``/me`` token opens the page of."""

    organisation_id: int
    contact: Contact | None = None
    answer: Answer | None = None  # the answer the token came with (anonymous: the only one)
    members: list[PanelMember] = field(default_factory=list)


def _valid(token: str) -> bool:
    return 0 < len(token) <= MAX_TOKEN and token.replace("-", "").replace("_", "").isalnum()


def owner_of(session: Session, token: str) -> Owner | None:
    """Whose page a token opens (any organisation: the token is all the visitor has), the
    session then scoped to that organisation; None for an unknown token."""
    if not _valid(token):
        return None
    member = session.scalar(
        sa.select(PanelMember)
        .where(PanelMember.me_token == token)
        .execution_options(all_organisations=True)
    )
    if member is not None:
        scope_session(session, member.organisation_id)
        return Owner(member.organisation_id, contact=member.contact)
    answer = session.scalar(
        sa.select(Answer).where(Answer.me_token == token).execution_options(all_organisations=True)
    )
    if answer is None:
        return None
    scope_session(session, answer.organisation_id)
    return Owner(answer.organisation_id, contact=answer.contact, answer=answer)


def answers_of(session: Session, owner: Owner) -> list[Answer]:
    """The answers shown on the page, newest first."""
    if owner.contact is None:
        return [owner.answer] if owner.answer is not None else []
    return list(
        session.scalars(
            sa.select(Answer)
            .where(Answer.contact_id == owner.contact.id)
            .order_by(Answer.created_at.desc(), Answer.id.desc())
            .limit(200)
        )
    )


def memberships_of(session: Session, owner: Owner) -> list[PanelMember]:
    """The person's panel memberships (none for an anonymous answer)."""
    if owner.contact is None:
        return []
    return list(
        session.scalars(
            sa.select(PanelMember)
            .join(Panel, Panel.id == PanelMember.panel_id)
            .where(PanelMember.contact_id == owner.contact.id)
            .order_by(Panel.name)
        )
    )
