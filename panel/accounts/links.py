"""Signed, expiring tokens for the links we e-mail: password reset and invitation.

A token is itsdangerous' ``URLSafeTimedSerializer`` over ``[user id, fingerprint]``, signed with
the app's secret key and a salt per purpose (a reset token is no invitation). The fingerprint
is an HMAC of the user's current password hash, so a token dies the moment the password changes:
a reset link works once, and an invitation works until the colleague has set a password.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Final

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from panel.accounts.models import User
from panel.core.extensions import db
from panel.core.scoping import ALL_ORGS_OPTION

RESET_SALT: Final = "password-reset"
INVITE_SALT: Final = "invite"
RESET_MAX_AGE: Final = 2 * 60 * 60
INVITE_MAX_AGE: Final = 7 * 24 * 60 * 60


def password_fingerprint(user: User) -> str:
    """A short keyed digest of the password hash; changes whenever the password does."""
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, (user.password_hash or "").encode(), hashlib.sha256)
    return digest.hexdigest()[:16]


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def make_reset_token(user: User) -> str:
    """A password-reset token for ``user`` (valid two hours, single-use)."""
    return _serializer(RESET_SALT).dumps([user.id, password_fingerprint(user)])


def make_invite_token(user: User) -> str:
    """An invitation token for ``user`` (valid seven days, dies once a password is set)."""
    return _serializer(INVITE_SALT).dumps([user.id, password_fingerprint(user)])


def user_for_reset_token(token: str) -> User | None:
    """The active user a reset token is for, or None when it is expired, used or garbage."""
    return _user_for_token(token, RESET_SALT, RESET_MAX_AGE)


def user_for_invite_token(token: str) -> User | None:
    """The invited user, or None when the invitation expired, was accepted or is garbage."""
    user = _user_for_token(token, INVITE_SALT, INVITE_MAX_AGE)
    if user is None or user.has_accepted_invite:
        return None
    return user


def _user_for_token(token: str, salt: str, max_age: int) -> User | None:
    try:
        payload = _serializer(salt).loads(token, max_age=max_age)
    except BadSignature:  # also SignatureExpired, its subclass
        return None
    if not (isinstance(payload, list) and len(payload) == 2 and isinstance(payload[0], int)):
        return None
    user_id, fingerprint = payload
    # Links are opened by people who are not logged in: the look-up is deliberately global.
    user = db.session().scalar(
        sa.select(User)
        .where(User.id == user_id, User.is_active.is_(True))
        .execution_options(**{ALL_ORGS_OPTION: True})
    )
    if user is None or not hmac.compare_digest(str(fingerprint), password_fingerprint(user)):
        return None
    return user
