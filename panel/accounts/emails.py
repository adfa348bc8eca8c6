"""The account e-mails (invitation, password reset): rendered here, sent by ``notifications``.

Each message is rendered in the recipient's language from the Jinja templates under
``templates/accounts/email/`` (a plain-text and an HTML part) with absolute links built from
``STOOP_BASE_URL``, then written to the outbox with ``queue_email``; it is delivered after the
caller commits.
"""

from __future__ import annotations

import time
from typing import Any

from flask import current_app, has_request_context, render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from notifications.dispatch import queue_email
from panel.accounts.links import (
    INVITE_MAX_AGE,
    RESET_MAX_AGE,
    make_invite_token,
    make_reset_token,
    password_fingerprint,
)
from panel.accounts.models import User
from panel.core.scoping import scoped_to

# Requests for the same message within this window are one message (a double click, a
# refreshed form), yet a person who asks again later gets a fresh link.
DEDUPE_WINDOW_SECONDS = 5 * 60


def absolute_url(endpoint: str, **values: object) -> str:
    """An absolute link into the app, based on ``STOOP_BASE_URL`` (not the request's host);
    also in a task, where there is no request to build it from."""
    if has_request_context():
        path = url_for(endpoint, **values)
    else:
        path = current_app.url_map.bind("stoop.invalid").build(endpoint, values)
    return current_app.config["STOOP"].base_url + path


def _window() -> int:
    return int(time.time()) // DEDUPE_WINDOW_SECONDS


def send_password_reset(session: Session, user: User) -> None:
    """Queue an e-mail with a link to choose a new password."""
    link = absolute_url("accounts.reset_password", token=make_reset_token(user))
    context = {"user": user, "link": link, "hours": RESET_MAX_AGE // 3600}
    with force_locale(user.locale):
        subject = _("Choose a new password for Stoop")
    _queue_to(
        session,
        user,
        template="reset",
        subject=subject,
        context=context,
        purpose="password_reset",
        dedupe_key=f"password_reset:{user.id}:{password_fingerprint(user)}:{_window()}",
    )


def send_invitation(session: Session, user: User, inviter: User) -> None:
    """Queue an e-mail inviting ``user`` to join their organisation on Stoop."""
    link = absolute_url("accounts.accept_invite", token=make_invite_token(user))
    context = {
        "user": user,
        "inviter": inviter,
        "organisation": user.organisation,
        "link": link,
        "days": INVITE_MAX_AGE // 86400,
    }
    with force_locale(user.locale):
        subject = _(
            "%(name)s invited you to %(organisation)s on Stoop",
            name=inviter.display_name,
            organisation=user.organisation.name,
        )
    _queue_to(
        session,
        user,
        template="invite",
        subject=subject,
        context=context,
        purpose="invite",
        dedupe_key=f"invite:{user.id}:{_window()}",
    )


def send_invitation_elsewhere(session: Session, owner: User, inviter: User) -> None:
    """Tell the owner of an account in another organisation that ``inviter`` tried to invite
    their address. The inviter is told nothing more than for any invitation."""
    organisation = inviter.organisation
    context = {
        "user": owner,
        "inviter": inviter,
        "organisation": organisation,
        "link": absolute_url("accounts.login"),
    }
    with force_locale(owner.locale):
        subject = _(
            "%(name)s tried to invite you to %(organisation)s on Stoop",
            name=inviter.display_name,
            organisation=organisation.name,
        )
    # The message belongs with the account it is about, in the owner's organisation.
    with scoped_to(session, owner.organisation_id):
        _queue_to(
            session,
            owner,
            template="invite_elsewhere",
            subject=subject,
            context=context,
            purpose="invite_elsewhere",
            dedupe_key=f"invite_elsewhere:{owner.id}:{organisation.id}:{_window()}",
        )


def _queue_to(
    session: Session,
    user: User,
    *,
    template: str,
    subject: str,
    context: dict[str, Any],
    purpose: str,
    dedupe_key: str,
) -> None:
    """Render ``accounts/email/<template>.txt`` and ``.html`` in the user's language and queue
    them to the user."""
    with force_locale(user.locale):
        text = render_template(f"accounts/email/{template}.txt", subject=subject, **context)
        html = render_template(f"accounts/email/{template}.html", subject=subject, **context)
    queue_email(
        session,
        organisation_id=user.organisation_id,
        to=user.email,
        subject=subject,
        text=text,
        html=html,
        purpose=purpose,
        dedupe_key=dedupe_key,
        language=user.locale,
    )
