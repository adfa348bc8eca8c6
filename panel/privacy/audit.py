"""Writing the audit log: :func:`record` adds one :class:`AuditEvent` in the caller's transaction.

Who: the ``actor`` given (a staff account, an API token, or words such as ``"system"``), else
the API token of the request, else the logged-in user. From where: the request's address (as
ProxyFix resolved it from trusted proxies) and user agent, when there is a request. The row
holds ids and staff addresses only, never a tenant's name, e-mail or phone.

The app never changes a row once written: :func:`install_guard` makes every session refuse to
flush a changed or deleted ``AuditEvent`` and refuses ORM ``UPDATE``/``DELETE`` statements on the
table. On PostgreSQL a trigger (migration 0016) refuses them in the database as well.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from contextlib import nullcontext
from typing import Any

import sqlalchemy as sa
from flask import current_app, g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

from panel.accounts.models import ApiToken, User
from panel.core.scoping import scoped_to
from panel.privacy.models import AuditEvent

SYSTEM = "system"


class AuditLogIsAppendOnly(RuntimeError):
    """Something tried to change or delete an audit row."""


def _request_user() -> User | None:
    if not has_request_context():
        return None
    from flask_login import current_user

    api_user = g.get("api_user")
    if api_user is not None:
        return api_user
    user = current_user._get_current_object() if current_user else None
    return user if user is not None and user.is_authenticated else None


def record(
    session: Session,
    action: str,
    *,
    organisation_id: int | None = None,
    actor: User | ApiToken | str | None = None,
    target_type: str | None = None,
    target_id: object = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add one audit row for ``action`` (dotted: ``auth.login``, ``report.share``) to
    ``session``; it is written with the caller's commit. ``organisation_id`` defaults to the
    actor's; ``details`` hold ids and counts, never secrets or a tenant's personal data."""
    if actor is None and has_request_context():
        actor = g.get("api_token") or _request_user()
    actor_user_id: int | None = None
    actor_words = ""
    if isinstance(actor, ApiToken):
        actor_user_id = actor.user_id
        actor_words = f"{actor.user.email} (token {actor.prefix}…)"
        if organisation_id is None:
            organisation_id = actor.organisation_id
    elif isinstance(actor, User):
        actor_user_id = actor.id
        actor_words = actor.email
        if organisation_id is None:
            organisation_id = actor.organisation_id
    elif isinstance(actor, str):
        actor_words = actor
    ip = user_agent = None
    if has_request_context():
        ip = (request.remote_addr or "")[:45] or None
        user_agent = (request.user_agent.string or "")[:300] or None
    event_row = AuditEvent(
        organisation_id=organisation_id,
        actor_user_id=actor_user_id,
        actor=actor_words[:200],
        action=action[:60],
        target_type=target_type[:40] if target_type else None,
        target_id=str(target_id)[:64] if target_id is not None else None,
        ip=ip,
        user_agent=user_agent,
        details=details or {},
    )
    session.add(event_row)
    return event_row


def changed_keys(obj: Any) -> list[str]:
    """The names of ``obj``'s columns changed since it was loaded (a JSON dict column's changed
    keys as ``column.key``): what a settings change tells the log, never the values."""
    changed: list[str] = []
    state = sa.inspect(obj)
    for attr in state.mapper.column_attrs:
        history = state.attrs[attr.key].history
        if not history.has_changes():
            continue
        before = history.deleted[0] if history.deleted else None
        after = history.added[0] if history.added else None
        if isinstance(before, dict) or isinstance(after, dict):
            before, after = before or {}, after or {}
            keys = sorted(k for k in {*before, *after} if before.get(k) != after.get(k))
            changed += [f"{attr.key}.{k}" for k in keys]
        elif before != after:
            changed.append(attr.key)
    return changed


def record_changes(
    session: Session, action: str, obj: Any, *, section: str | None = None
) -> AuditEvent | None:
    """``action`` naming which of ``obj``'s columns (or settings keys) changed, before the
    caller commits; nothing when nothing changed."""
    keys = changed_keys(obj)
    if not keys:
        return None
    details: dict[str, Any] = {"keys": keys}
    if section:
        details["section"] = section
    return record(
        session,
        action,
        organisation_id=getattr(obj, "organisation_id", None) or _organisation_of(obj),
        target_type=obj.__tablename__,
        target_id=sa.inspect(obj).identity[0] if sa.inspect(obj).identity else None,
        details=details,
    )


def _organisation_of(obj: Any) -> int | None:
    return obj.id if obj.__tablename__ == "organisation" else None


def record_token_use(
    session: Session, token: ApiToken, now: dt.datetime, every: dt.timedelta
) -> AuditEvent | None:
    """``token.use`` for ``token``, unless one was written within ``every`` (the caller checks
    this at most once a minute, beside ``last_used_at``)."""
    recent = session.scalar(
        sa.select(AuditEvent.id)
        .where(
            AuditEvent.organisation_id == token.organisation_id,
            AuditEvent.action == "token.use",
            AuditEvent.target_id == str(token.id),
            AuditEvent.created_at > now - every,
        )
        .limit(1)
    )
    if recent is not None:
        return None
    return record(session, "token.use", actor=token, target_type="api_token", target_id=token.id)


def record_failed_login(session: Session, email: str, reason: str) -> AuditEvent:
    """``auth.login_failed``, committed at once (a failed login commits nothing else).

    The address typed is kept in words only when it is a staff account's (then the row names
    that account, and its organisation's admins see it). An address of no account may be a
    tenant's, a typo or a password typed in the wrong field: only a keyed hash of it is kept,
    enough to see many attempts at one address, not enough to read it back.
    """
    from panel.accounts.service import find_user_by_email

    user = find_user_by_email(session, email)
    if user is None:
        key = current_app.config["SECRET_KEY"].encode()
        digest = hmac.new(key, email.strip().lower().encode(), hashlib.sha256).hexdigest()[:16]
        row = record(
            session, "auth.login_failed", actor="", details={"reason": reason, "email_hash": digest}
        )
    else:
        row = record(
            session,
            "auth.login_failed",
            actor=user,
            target_type="user",
            target_id=user.id,
            details={"reason": reason},
        )
    with scoped_to(session, user.organisation_id) if user is not None else nullcontext():
        session.commit()
    return row


def _refuse_changes(session: Session, flush_context: Any, instances: Any) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEvent) and (obj in session.deleted or session.is_modified(obj)):
            raise AuditLogIsAppendOnly("the audit log is append-only: a row cannot change")


def _refuse_bulk(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    if table is not None and getattr(table, "name", None) == AuditEvent.__tablename__:
        raise AuditLogIsAppendOnly("the audit log is append-only: no UPDATE or DELETE")


def install_guard(app: Any = None) -> None:
    """Make every session refuse to change or delete audit rows (idempotent; a room setup)."""
    if not event.contains(Session, "before_flush", _refuse_changes):
        event.listen(Session, "before_flush", _refuse_changes)
    if not event.contains(Session, "do_orm_execute", _refuse_bulk):
        event.listen(Session, "do_orm_execute", _refuse_bulk)


install_guard()
