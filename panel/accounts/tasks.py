"""Account tasks: the password-reset e-mail, looked up and queued outside the request.

The "forgot password" form hands the address to :func:`send_reset_link` and answers at once,
so the request does the same work whether or not the address has an account: its timing
tells nothing. Safe to run twice: the e-mail's dedupe key makes a second run within five
minutes the same message.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task
from sqlalchemy.orm import Session

from panel.accounts.emails import send_password_reset
from panel.accounts.service import find_user_by_email
from panel.core.db import get_session
from panel.core.scoping import scoped_to


@shared_task(name="panel.accounts.tasks.send_reset_link", bind=True, acks_late=True)
def send_reset_link(self: Any, email: str) -> bool:
    """Queue a reset link to ``email`` when it is an active account's; True when it was."""
    return reset_link(get_session(), email)


def reset_link(session: Session, email: str) -> bool:
    """The task's body: find the active account of ``email`` and queue its reset e-mail."""
    user = find_user_by_email(session, email)
    if user is None or not user.is_active:
        session.rollback()
        return False
    with scoped_to(session, user.organisation_id):
        send_password_reset(session, user)
        session.commit()
    return True
