"""Saved replies: the answers an organisation writes often ("Thank you, we have passed it on to
the caretaker"), one per title and tenant language, inserted into a reply in one click.

Everyone in the organisation uses them; admins and communicators write, change and remove them.
Every function works in the caller's transaction (the caller commits) and the session's
organisation scope (another organisation's saved reply is simply not found).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from panel.accounts.models import Role, User
from panel.core.errors import Conflict, Forbidden, NotFound, ValidationError
from panel.core.i18n import LANGUAGE_NAMES, TENANT_LANGUAGES
from panel.core.i18n import lazy_text as _l
from panel.core.routing import parse_id
from panel.threads.models import SavedReply

MAX_TITLE = 120
MAX_BODY = 5000
MANAGERS = (Role.ADMIN, Role.COMMUNICATOR)


def can_manage(user: Any) -> bool:
    """Whether ``user`` may write, change and remove saved replies (admins, communicators)."""
    return getattr(user, "role", None) in MANAGERS


def require_manager(user: User) -> None:
    """Forbidden unless ``user`` manages saved replies."""
    if not can_manage(user):
        raise Forbidden(_l("Only admins and communicators change saved replies."))


def get_saved_reply(session: Session, saved_reply_id: Any) -> SavedReply:
    """A saved reply of the session's organisation, or NotFound (also for another's)."""
    wanted = parse_id(saved_reply_id)
    found = session.get(SavedReply, wanted) if wanted is not None else None
    if found is None:
        raise NotFound(_l("There is no saved reply with that id. It may have been removed."))
    return found


def saved_replies(session: Session, language: str | None = None) -> list[SavedReply]:
    """The organisation's saved replies: those in ``language`` first (the language the reply
    will go out in), then the others by language and title."""
    rows = session.scalars(
        sa.select(SavedReply).order_by(SavedReply.language, sa.func.lower(SavedReply.title))
    ).all()
    order = {code: i for i, code in enumerate(TENANT_LANGUAGES)}
    return sorted(
        rows, key=lambda row: (row.language != language, order.get(row.language, len(order)))
    )


def _clean(values: dict[str, Any]) -> dict[str, str]:
    title = " ".join(str(values.get("title") or "").split())
    language = str(values.get("language") or "")
    body = str(values.get("body") or "").replace("\r\n", "\n").strip()
    errors: dict[str, list[Any]] = {}
    if not title:
        errors["title"] = [_l("Give it a short title, e.g. “Thanks, passed on”.")]
    elif len(title) > MAX_TITLE:
        errors["title"] = [_l("Please keep the title under %(max)s characters.", max=MAX_TITLE)]
    if language not in TENANT_LANGUAGES:
        errors["language"] = [_l("Choose one of the languages tenants answer in.")]
    if not body:
        errors["body"] = [_l("Write the reply itself.")]
    elif len(body) > MAX_BODY:
        errors["body"] = [_l("Please keep it under %(max)s characters.", max=MAX_BODY)]
    if errors:
        raise ValidationError(next(iter(errors.values()))[0], details=errors)
    return {"title": title, "language": language, "body": body}


def _ensure_unique(session: Session, title: str, language: str, exclude: int | None = None) -> None:
    query = sa.select(SavedReply.id).where(
        sa.func.lower(SavedReply.title) == title.lower(), SavedReply.language == language
    )
    if exclude is not None:
        query = query.where(SavedReply.id != exclude)
    if session.scalar(query.limit(1)) is not None:
        message = _l(
            "There is already a saved reply called “%(title)s” in %(language)s. Choose another "
            "title, or change that one.",
            title=title,
            language=LANGUAGE_NAMES.get(language, language),
        )
        raise Conflict(message, details={"title": [message]})


def create_saved_reply(session: Session, author: User, values: dict[str, Any]) -> SavedReply:
    """A new saved reply (checked; a title already used in that language is a Conflict)."""
    require_manager(author)
    clean = _clean(values)
    _ensure_unique(session, clean["title"], clean["language"])
    row = SavedReply(organisation_id=author.organisation_id, created_by_id=author.id, **clean)
    session.add(row)
    session.flush()
    return row


def update_saved_reply(
    session: Session, author: User, row: SavedReply, values: dict[str, Any]
) -> SavedReply:
    """Change a saved reply's title, language or words."""
    require_manager(author)
    clean = _clean(values)
    _ensure_unique(session, clean["title"], clean["language"], exclude=row.id)
    for name, value in clean.items():
        setattr(row, name, value)
    session.flush()
    return row


def delete_saved_reply(session: Session, author: User, row: SavedReply) -> None:
    """Remove a saved reply (replies already sent with its words keep them)."""
    require_manager(author)
    session.delete(row)
    session.flush()


def language_choices(codes: Sequence[str] = TENANT_LANGUAGES) -> list[tuple[str, str]]:
    """The tenant languages as choices, each in its own name."""
    return [(code, LANGUAGE_NAMES[code]) for code in codes]
