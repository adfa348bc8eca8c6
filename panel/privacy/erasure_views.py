"""Staff pages of erasures (admins): the list of requests, where those tenants asked for from
their ``/me`` page are confirmed or declined, and a contact's erasure behind a confirmation
that says what goes and what stays."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from panel.contacts.models import Contact
from panel.contacts.service import get_contact
from panel.core.errors import Forbidden, NotFound, ValidationError
from panel.core.extensions import db
from panel.core.navigation import Badge
from panel.core.scoping import scoped_to
from panel.privacy import erasure
from panel.privacy.models import ErasureRequest

bp = Blueprint("privacy", __name__)
FINISHED_SHOWN = 50


def admins_only(view: Callable[..., Any]) -> Callable[..., Any]:
    """Only a logged-in admin may use the view; others get a 403 that says why."""

    @functools.wraps(view)
    @login_required
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_admin:
            raise Forbidden(_("Only admins erase contacts. Ask an admin of your organisation."))
        return view(*args, **kwargs)

    return wrapper


def _request(erasure_request_id: int) -> ErasureRequest:
    found = db.session().scalar(
        sa.select(ErasureRequest).where(ErasureRequest.id == erasure_request_id)
    )
    if found is None:
        raise NotFound(_("There is no such erasure request."))
    return found


@bp.get("/app/privacy/erasures")
@admins_only
def erasures() -> Any:
    """Requests waiting for an admin, erasures under way, and the latest finished."""
    session = db.session()
    open_ = list(
        session.scalars(
            sa.select(ErasureRequest)
            .where(ErasureRequest.state.in_(erasure.OPEN_STATES))
            .order_by(ErasureRequest.requested_at, ErasureRequest.id)
        )
    )
    finished = list(
        session.scalars(
            sa.select(ErasureRequest)
            .where(ErasureRequest.state.in_((erasure.DONE, erasure.DECLINED)))
            .order_by(ErasureRequest.id.desc())
            .limit(FINISHED_SHOWN)
        )
    )
    ids = {r.contact_id for r in open_ + finished}
    contacts = {c.id: c for c in session.scalars(sa.select(Contact).where(Contact.id.in_(ids)))}
    return render_template(
        "privacy/erasures.html",
        waiting=[r for r in open_ if r.state == erasure.REQUESTED],
        working=[r for r in open_ if r.state != erasure.REQUESTED],
        finished=finished,
        contacts=contacts,
        steps=len(erasure.STEPS),
    )


@bp.post("/app/privacy/erasures/<int:erasure_request_id>/confirm")
@admins_only
def confirm(erasure_request_id: int) -> Any:
    """Confirm a tenant's request: the erasure starts."""
    session = db.session()
    found = _request(erasure_request_id)
    if found.state == erasure.REQUESTED:
        erasure.confirm(session, found, user_id=current_user.id)
        session.commit()
        flash(_("Confirmed. The contact is being erased."), "success")
    return redirect(url_for(".erasures"), 303)


@bp.post("/app/privacy/erasures/<int:erasure_request_id>/decline")
@admins_only
def decline(erasure_request_id: int) -> Any:
    """Decline a tenant's request, saying why."""
    session = db.session()
    found = _request(erasure_request_id)
    try:
        erasure.decline(
            session, found, user_id=current_user.id, reason=request.form.get("reason", "")
        )
    except ValidationError as exc:
        flash(str(exc.message), "error")
        return redirect(url_for(".erasures"), 303)
    session.commit()
    flash(_("Declined."), "success")
    return redirect(url_for(".erasures"), 303)


@bp.get("/app/contacts/<int:contact_id>/erase")
@admins_only
def erase_page(contact_id: int) -> Any:
    """The confirmation: what goes and what stays."""
    session = db.session()
    contact = get_contact(session, contact_id)
    return render_template(
        "privacy/erase.html",
        contact=contact,
        pending=erasure.open_request(session, contact.id),
    )


@bp.post("/app/contacts/<int:contact_id>/erase")
@admins_only
def erase(contact_id: int) -> Any:
    """Erase the contact now (confirmed on the page before)."""
    session = db.session()
    contact = get_contact(session, contact_id)
    erasure.erase_now(session, contact, source="staff", user_id=current_user.id)
    session.commit()
    flash(_("The contact is being erased."), "success")
    return redirect(url_for(".erasures"), 303)


def nav_badge(session: sa.orm.Session, user: Any) -> Badge | None:
    """The Erasures entry's count: requests from tenants waiting for an admin."""
    if not user.is_admin:
        return None
    # An error page may draw the menu before the request's session is scoped.
    with scoped_to(session, user.organisation_id):
        count = session.scalar(
            sa.select(sa.func.count(ErasureRequest.id)).where(
                ErasureRequest.state == erasure.REQUESTED
            )
        )
    if not count:
        return None
    return Badge(text=str(count), label=ngettext("%(num)s waiting", "%(num)s waiting", count))
