"""Organisation scoping, enforced in one place: the session.

Every model that belongs to an organisation inherits :class:`OrgScoped`. While a session has an
organisation set (``scope_session``; done for every logged-in request and API call), every ORM
query gets ``organisation_id = :current`` added to every org-scoped entity it touches, and every
new row is stamped with that organisation; a row of another organisation can neither be read
nor written. Sessions with no organisation (CLI commands, tasks, tenant pages that look a row up
by an unguessable token) see every organisation and must scope themselves once they know it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import (
    Mapped,
    ORMExecuteState,
    Session,
    declared_attr,
    mapped_column,
    with_loader_criteria,
)

ORG_KEY = "organisation_id"
ALL_ORGS_OPTION = "all_organisations"


class CrossOrganisationError(RuntimeError):
    """A write would have put a row into, or moved it to, another organisation."""


class OrgScoped:
    """Mixin: the row belongs to exactly one organisation."""

    @declared_attr
    def organisation_id(cls) -> Mapped[int]:
        return mapped_column(
            sa.ForeignKey("organisation.id", ondelete="CASCADE"), index=True, nullable=False
        )


def current_organisation_id(session: Session) -> int | None:
    """The organisation this session is scoped to, or None when unscoped."""
    return session.info.get(ORG_KEY)


def scope_session(session: Session, organisation_id: int | None) -> None:
    """Scope (or, with None, unscope) every later query and write of this session."""
    if organisation_id is None:
        session.info.pop(ORG_KEY, None)
    else:
        session.info[ORG_KEY] = organisation_id


@contextlib.contextmanager
def scoped_to(session: Session, organisation_id: int) -> Iterator[Session]:
    """Scope the session to one organisation for the block, then restore what it was."""
    before = current_organisation_id(session)
    scope_session(session, organisation_id)
    try:
        yield session
    finally:
        scope_session(session, before)


class OrgScopedSession(Session):
    """A session whose ``get()`` honours the organisation scope too.

    ``get()`` answers from the identity map without a query when the row is already loaded, so
    the criteria added in ``do_orm_execute`` would not apply; check the row itself instead.
    """

    def get(self, entity: Any, ident: Any, **kwargs: Any) -> Any:
        obj = super().get(entity, ident, **kwargs)
        org_id = self.info.get(ORG_KEY)
        if obj is None or org_id is None or not isinstance(obj, OrgScoped):
            return obj
        options = kwargs.get("execution_options") or {}
        if options.get(ALL_ORGS_OPTION) or obj.organisation_id == org_id:
            return obj
        return None


@event.listens_for(Session, "do_orm_execute")
def _add_organisation_criteria(state: ORMExecuteState) -> None:
    org_id = state.session.info.get(ORG_KEY)
    if org_id is None or state.execution_options.get(ALL_ORGS_OPTION):
        return
    if not (state.is_select or state.is_update or state.is_delete):
        return
    state.statement = state.statement.options(
        with_loader_criteria(
            OrgScoped,
            lambda cls: cls.organisation_id == org_id,
            include_aliases=True,
        )
    )


@event.listens_for(Session, "before_flush")
def _stamp_and_guard(session: Session, _ctx: Any, _instances: Any) -> None:
    org_id = session.info.get(ORG_KEY)
    for obj in session.new:
        if not isinstance(obj, OrgScoped):
            continue
        if obj.organisation_id is None and org_id is not None:
            obj.organisation_id = org_id
        elif org_id is not None and obj.organisation_id != org_id:
            raise CrossOrganisationError(f"{type(obj).__name__} of another organisation")
    for obj in session.dirty:
        if not isinstance(obj, OrgScoped):
            continue
        history = sa.inspect(obj).attrs.organisation_id.history
        if history.deleted and history.deleted[0] is not None:
            raise CrossOrganisationError(f"{type(obj).__name__} cannot change organisation")
        if org_id is not None and obj.organisation_id != org_id:
            raise CrossOrganisationError(f"{type(obj).__name__} of another organisation")
    for obj in session.deleted:
        if isinstance(obj, OrgScoped) and org_id is not None and obj.organisation_id != org_id:
            raise CrossOrganisationError(f"{type(obj).__name__} of another organisation")
