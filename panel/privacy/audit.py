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

from typing import Any

from flask import g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

from panel.accounts.models import ApiToken, User
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

__all__ = ["SYSTEM", "AuditLogIsAppendOnly", "install_guard", "record"]
