"""Password hashing with argon2id (argon2-cffi's defaults follow RFC 9106)."""

from __future__ import annotations

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

from panel.core.i18n import LazyText
from panel.core.i18n import lazy_text as _l

_hasher = PasswordHasher()
MIN_LENGTH = 10
MAX_LENGTH = 200


def use_cheap_hashing() -> None:
    """Tests only: the cheapest argon2id parameters, so creating users is fast."""
    global _hasher  # one module-level hasher, swapped for tests
    _hasher = PasswordHasher.from_parameters(profiles.CHEAPEST)


def hash_password(password: str) -> str:
    """An argon2id hash of the password."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when the password matches; False for a wrong one or an account with no password."""
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def password_problem(password: str) -> LazyText | None:
    """Why a new password is not acceptable (translated where it is shown), or None."""
    if len(password) < MIN_LENGTH:
        return _l("Use at least %(limit)s characters.", limit=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return _l("Use at most %(limit)s characters.", limit=MAX_LENGTH)
    return None
