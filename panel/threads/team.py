"""Who may hand a thread over, and to whom: the rules the hand-over form, the bulk reassignment
and the forms' lists of colleagues share.

A thread is handed over by its owner, by an admin, or by anyone when it has no active owner (its
owner left the organisation, or it never had one): a conversation nobody holds must not stay
stuck until an admin comes by. Everyone else sees who owns it and can write a note that
``@mentions`` the owner instead.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from panel.accounts.models import User
from panel.core.errors import Forbidden, ValidationError
from panel.core.i18n import lazy_text as _l
from panel.threads.models import Thread

MAX_TEAM = 80


def has_active_owner(session: Session, thread: Thread) -> bool:
    """The thread's owner exists and can still log in."""
    if thread.owner_id is None:
        return False
    owner = session.get(User, thread.owner_id)
    return owner is not None and owner.is_active


def may_hand_over(session: Session, user: User, thread: Thread) -> bool:
    """The owner, an admin, or anyone when nobody active owns the thread."""
    if user.is_admin or thread.owner_id == user.id:
        return True
    return not has_active_owner(session, thread)


def check_may_hand_over(session: Session, user: User, thread: Thread) -> None:
    """Forbidden, with the reason, unless :func:`may_hand_over`."""
    if not may_hand_over(session, user, thread):
        raise Forbidden(
            _l(
                "Only the owner of this conversation or an admin can hand it over. Write a "
                "note that @mentions the owner instead."
            )
        )


def colleagues(session: Session) -> list[User]:
    """The active people of the session's organisation, by name (the forms' choices)."""
    query = (
        sa.select(User)
        .where(User.is_active.is_(True))
        .order_by(sa.func.lower(sa.func.coalesce(sa.func.nullif(User.name, ""), User.email)))
    )
    return list(session.scalars(query))


def colleague(session: Session, raw_id: object) -> User:
    """The active colleague a form's ``colleague`` field names. Not a number, nobody, someone
    deactivated and someone of another organisation (scoping hides them) are all refused the
    same way, in words, so the form can show it beside the field."""
    text = str(raw_id or "").strip()
    if not text:
        raise ValidationError(
            _l("Choose the colleague to hand it to."), details={"colleague": [_l("Required.")]}
        )
    user_id = int(text) if text.isascii() and text.isdigit() and len(text) <= 10 else None
    user = (
        session.scalar(sa.select(User).where(User.id == user_id, User.is_active.is_(True)))
        if user_id is not None and 0 < user_id < 2**31
        else None
    )
    if user is None:
        raise ValidationError(
            _l("There is no active colleague with that id. Choose one from the list."),
            code="unknown_colleague",
            details={"colleague": [_l("Not a colleague.")]},
        )
    return user


def clean_team(value: object) -> str | None:
    """A team name as stored: spaces tidied, at most 80 characters; blank is no team."""
    text = " ".join(str(value or "").split())
    if len(text) > MAX_TEAM:
        raise ValidationError(
            _l("Please keep the team's name under %(max)s characters.", max=MAX_TEAM),
            details={"team": [_l("Too long.")]},
        )
    return text or None


def team_names(session: Session) -> list[str]:
    """The team names in use in the organisation, for a datalist."""
    query = sa.select(User.team).where(User.team.is_not(None)).distinct().order_by(User.team)
    return [name for name in session.scalars(query) if name]
