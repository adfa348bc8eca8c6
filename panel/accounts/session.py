"""Flask-Login wiring: load the logged-in user for each request."""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager

from panel.accounts.models import User
from panel.core.extensions import db
from panel.core.scoping import ALL_ORGS_OPTION


def init_login(manager: LoginManager) -> None:
    """Configure the login manager: where to log in, how to load a user."""
    manager.login_view = "accounts.login"
    manager.login_message = _l("Please log in to continue.")
    manager.login_message_category = "info"
    manager.session_protection = "strong"
    manager.user_loader(load_user)


# Built once: every logged-in request runs it.
USER_LOOKUP = (
    sa.select(User)
    .where(User.id == sa.bindparam("user_id"), User.is_active.is_(True))
    .execution_options(**{ALL_ORGS_OPTION: True})
)


def load_user(user_id: str) -> User | None:
    """The active user with this id. The id comes from our signed session cookie; the alternate
    id folds in the password hash so a password change ends every other session."""
    raw_id, _, stamp = user_id.partition(":")
    if not raw_id.isdigit():
        return None
    user = db.session().scalar(USER_LOOKUP, {"user_id": int(raw_id)})
    if user is None or session_stamp(user) != stamp:
        return None
    return user


def session_stamp(user: User) -> str:
    """A short fingerprint of the password hash, part of the session id."""
    return hashlib.sha256((user.password_hash or "").encode()).hexdigest()[:12]
