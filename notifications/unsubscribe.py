"""``/unsubscribe/<token>``: the link in every bulk e-mail's ``List-Unsubscribe`` header and
footer.

GET shows a small page in the recipient's language with the organisation's name and a button;
POST unsubscribes — from the page's form, or as a mail provider's one-click request (RFC 8058:
a POST with the body ``List-Unsubscribe=One-Click``, no cookie, no CSRF token). The blueprint is
CSRF-exempt: the token in the URL is the credential, and what a forged POST could do with it
(unsubscribe its owner) the token alone already allows.

Unsubscribing opts the contact (or the address) out of bulk e-mail of the organisation and
calls the handler registered for the list key (``notifications.optouts``); doing it again
changes nothing. An unknown token gets a 404 page that says no more than that the link does not
work.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, current_app, render_template, request
from sqlalchemy.orm import Session

from notifications import optouts
from notifications.messages import token_hash
from notifications.models import Channel, UnsubscribeToken
from notifications.senders import sender_identity
from panel.core.db import get_session, utcnow
from panel.core.i18n import use_tenant_language
from panel.core.scoping import ALL_ORGS_OPTION, scoped_to

bp = Blueprint("unsubscribe", __name__)

MAX_TOKEN = 100
ONE_CLICK = "One-Click"


def find_token(session: Session, token: str) -> UnsubscribeToken | None:
    """The token's row, looked up across organisations (the public page's one such lookup)."""
    if not token or len(token) > MAX_TOKEN:
        return None
    return session.scalar(
        sa.select(UnsubscribeToken)
        .where(UnsubscribeToken.token_hash == token_hash(token))
        .execution_options(**{ALL_ORGS_OPTION: True})
    )


def unsubscribe(session: Session, row: UnsubscribeToken, *, method: str) -> bool:
    """Opt the token's contact (or address) out of bulk e-mail and tell the list's handler.
    Runs scoped to the token's organisation; returns False when it had been done before."""
    with scoped_to(session, row.organisation_id):
        changed = optouts.opt_out(
            session,
            row.organisation_id,
            Channel.EMAIL,
            row.address,
            contact_id=row.contact_id,
            method=method,
            detail=row.list_key,
        )
        # One conditional UPDATE: of two one-click POSTs at once, one tells the list's handler.
        first = (
            session.execute(
                sa.update(UnsubscribeToken)
                .where(UnsubscribeToken.id == row.id, UnsubscribeToken.used_at.is_(None))
                .values(used_at=utcnow())
                .returning(UnsubscribeToken.id)
                .execution_options(synchronize_session=False)
            ).first()
            is not None
        )
        if first:
            handler = optouts.unsubscribe_handler(row.list_key)
            if handler is not None:
                handler(session, row.contact_id, row.list_key)
        session.flush()
    return changed or first


def _page(template: str, row: UnsubscribeToken | None, status: int = 200, **values: Any) -> Any:
    organisation = None
    if row is not None:
        use_tenant_language(row.language, default=current_app.config["STOOP"].default_language)
        organisation = sender_identity(
            get_session(), row.organisation_id, current_app.config["STOOP"]
        ).name
    response = render_template(template, organisation=organisation, **values)
    return response, status, {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


@bp.get("/unsubscribe/<token>")
def show(token: str) -> Any:
    """The page with the button (nothing changes on GET: link scanners follow links)."""
    session = get_session()
    row = find_token(session, token)
    if row is None:
        return _page("notifications/unsubscribe_unknown.html", None, 404)
    return _page("notifications/unsubscribe.html", row, token=token, done=False)


@bp.post("/unsubscribe/<token>")
def confirm(token: str) -> Any:
    """Unsubscribe: the page's button, or a mail provider's one-click POST."""
    session = get_session()
    row = find_token(session, token)
    if row is None:
        return _page("notifications/unsubscribe_unknown.html", None, 404)
    one_click = request.form.get("List-Unsubscribe") == ONE_CLICK
    unsubscribe(session, row, method="one_click" if one_click else "unsubscribe_link")
    session.commit()
    return _page("notifications/unsubscribe.html", row, token=token, done=True)
