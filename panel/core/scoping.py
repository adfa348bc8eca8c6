"""Organisation scoping, enforced in one place: the session. It fails closed.

Every model that belongs to an organisation inherits :class:`OrgScoped`. While a session has an
organisation set (``scope_session``; done for every logged-in request and API call), every ORM
query gets ``organisation_id = :current`` added to every org-scoped entity it touches, and every
new row is stamped with that organisation; a row of another organisation can neither be read
nor written.

A session with no organisation (a CLI command, a task, a tenant page before it has found the
row its token names) may not touch organisation-owned rows at all: a query or a flush raises
:class:`UnscopedAccessError`. The caller must say what it means, explicitly:

* ``scoped_to(session, organisation_id)`` for work on behalf of one organisation (a task that
  has looked up its row's organisation, a CLI command given ``--org``);
* ``.execution_options(all_organisations=True)`` on one statement that deliberately looks
  across organisations (a login by e-mail, a token look-up, a webhook matching a provider id);
* ``with all_organisations(session):`` for system work over every organisation (a periodic
  sweep that then scopes itself to each row's organisation to act on it).

Following a relationship or reloading an attribute of a row already loaded is allowed: it
cannot reach further than the row it starts from.
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
ALL_ORGS_KEY = "stoop.all_organisations"


class CrossOrganisationError(RuntimeError):
    """A write would have put a row into, or moved it to, another organisation."""


class UnscopedAccessError(RuntimeError):
    """Organisation-owned rows were read or written in a session given no organisation."""


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


def required_organisation(session: Session, what: str) -> int:
    """The organisation this session is scoped to, for a Core statement that must filter it
    itself (the scoping event sees only ORM execution); refuses an unscoped session."""
    organisation_id = current_organisation_id(session)
    if organisation_id is None:
        raise _refuse_unscoped(what)
    return organisation_id


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


@contextlib.contextmanager
def all_organisations(session: Session) -> Iterator[Session]:
    """Let an unscoped session read and write every organisation's rows for the block (system
    work: periodic sweeps, the demo seed, tests' own set-up)."""
    before = session.info.get(ALL_ORGS_KEY, False)
    session.info[ALL_ORGS_KEY] = True
    try:
        yield session
    finally:
        session.info[ALL_ORGS_KEY] = before


def may_cross(session: Session, options: Any = None) -> bool:
    """True when the session (or this statement's options) deliberately spans organisations."""
    return bool(session.info.get(ALL_ORGS_KEY) or (options or {}).get(ALL_ORGS_OPTION))


def organisation_of(session: Session, model: Any, row_id: int) -> int | None:
    """The organisation of one row, looked up across organisations (a task given an id finds
    out whom it works for, then scopes itself with :func:`scoped_to`)."""
    return session.scalar(
        sa.select(model.organisation_id)
        .where(model.id == row_id)
        .execution_options(**{ALL_ORGS_OPTION: True})
    )


def _refuse_unscoped(what: str) -> UnscopedAccessError:
    return UnscopedAccessError(
        f"{what} in a session with no organisation. Scope it first (scoped_to(session, "
        "organisation_id)), or say that it spans organisations on purpose "
        "(execution_options(all_organisations=True), or `with all_organisations(session)`)."
    )


class OrgScopedSession(Session):
    """A session whose ``get()`` honours the organisation scope too.

    ``get()`` answers from the identity map without a query when the row is already loaded, so
    the criteria added in ``do_orm_execute`` would not apply; check the row itself instead.
    """

    def get(self, entity: Any, ident: Any, **kwargs: Any) -> Any:
        org_id = self.info.get(ORG_KEY)
        options = kwargs.get("execution_options") or {}
        scoped_entity = isinstance(entity, type) and issubclass(entity, OrgScoped)
        if scoped_entity and org_id is None and not may_cross(self, options):
            # The row may come from the identity map, where no query event would see it.
            raise _refuse_unscoped(f"get({entity.__name__}, {ident!r})")
        obj = super().get(entity, ident, **kwargs)
        if obj is None or org_id is None or not isinstance(obj, OrgScoped):
            return obj
        if options.get(ALL_ORGS_OPTION) or obj.organisation_id == org_id:
            return obj
        return None


def _touches_org_scoped(state: ORMExecuteState) -> bool:
    return any(issubclass(mapper.class_, OrgScoped) for mapper in state.all_mappers)


@event.listens_for(Session, "do_orm_execute")
def _add_organisation_criteria(state: ORMExecuteState) -> None:
    org_id = state.session.info.get(ORG_KEY)
    if state.execution_options.get(ALL_ORGS_OPTION):
        return
    if org_id is None:
        if state.session.info.get(ALL_ORGS_KEY):
            return
        if state.is_relationship_load or state.is_column_load:
            return  # follows a row already loaded: it reaches no further than that row
        if _touches_org_scoped(state):
            names = ", ".join(sorted(m.class_.__name__ for m in state.all_mappers))
            raise _refuse_unscoped(f"A query on {names}")
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
    if org_id is None and not session.info.get(ALL_ORGS_KEY):
        for obj in (*session.new, *session.dirty, *session.deleted):
            if isinstance(obj, OrgScoped):
                raise _refuse_unscoped(f"A write of {type(obj).__name__}")
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
