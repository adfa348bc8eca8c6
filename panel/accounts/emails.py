"""The account e-mails (invitation, password reset), written through ``notifications``.

Each is a message template under ``templates/accounts/email/`` (a plain-text part with the
subject, and an HTML part) on the shared e-mail layout, rendered in the recipient's language
with absolute links built from ``STOOP_BASE_URL`` and queued by ``notifications.messages.queue``,
the one render-and-queue call; it is delivered after the caller commits.
"""

from __future__ import annotations

import time
from typing import Any

from flask import current_app, has_request_context, url_for
from sqlalchemy.orm import Session

from notifications import messages
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
    _queue_to(
        session,
        user,
        template="reset",
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
    _queue_to(
        session,
        user,
        template="invite",
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
    # The message belongs with the account it is about, in the owner's organisation.
    with scoped_to(session, owner.organisation_id):
        _queue_to(
            session,
            owner,
            template="invite_elsewhere",
            context=context,
            purpose="invite_elsewhere",
            dedupe_key=f"invite_elsewhere:{owner.id}:{organisation.id}:{_window()}",
        )


def _queue_to(
    session: Session,
    user: User,
    *,
    template: str,
    context: dict[str, Any],
    purpose: str,
    dedupe_key: str,
) -> None:
    """Render ``accounts/email/<template>`` in the user's language and queue it to the user.
    One recipient: everything personal is in ``context``, where templates may test it."""
    messages.queue(
        session,
        organisation_id=user.organisation_id,
        template=f"accounts/email/{template}",
        purpose=purpose,
        recipients=[
            messages.Recipient(address=user.email, dedupe_key=dedupe_key, language=user.locale)
        ],
        context=context,
    )
