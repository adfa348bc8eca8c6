"""Password hashing with argon2id (argon2-cffi's defaults follow RFC 9106), and the check of a
new password: long enough, and not guessable. zxcvbn estimates the guesses a password needs from
its lists of common passwords, names and words, keyboard patterns, dates, repeats and l33t, and
from the person's own name, e-mail and organisation; a new password needs a score of 3 or more
(about 10^8 guesses), which no password from the common lists reaches."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

from panel.core.i18n import LazyText
from panel.core.i18n import lazy_text as _l

_hasher = PasswordHasher()
MIN_LENGTH = 10
MAX_LENGTH = 200
MIN_SCORE = 3


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


def password_problem(password: str, user_inputs: Iterable[str] = ()) -> LazyText | None:
    """Why a new password is not acceptable (translated where it is shown), or None.

    ``user_inputs`` are the person's own words (name, e-mail, organisation), which a password
    must not lean on."""
    if len(password) < MIN_LENGTH:
        return _l("Use at least %(limit)s characters.", limit=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return _l("Use at most %(limit)s characters.", limit=MAX_LENGTH)
    if not is_hard_to_guess(password, user_inputs):
        return GUESSABLE
    return None


GUESSABLE = _l(
    "This password is too easy to guess. Add a few more words; "
    "avoid your name and the organisation's."
)


def is_hard_to_guess(password: str, user_inputs: Iterable[str] = ()) -> bool:
    """True when zxcvbn scores the password 3 or more, counting the person's own words."""
    # zxcvbn refuses more than 72 characters; 72 are plenty to judge by.
    words: list[str] = []
    for text in user_inputs:
        text = (text or "").strip().lower()
        if text:
            words.append(text)
            parts = [part for part in re.split(r"[^\w]+", text) if len(part) > 2]
            # "Greta Garbo" also as "gretagarbo", "greta@bostad.se" also as "greta".
            words.extend([*parts, "".join(parts), text.partition("@")[0]])
    return zxcvbn(password[:72], user_inputs=words)["score"] >= MIN_SCORE


def user_words(user: Any) -> list[str]:
    """The words of a person's own a password must not lean on: name, e-mail, organisation."""
    organisation = getattr(user, "organisation", None)
    return [
        user.name or "",
        user.email or "",
        getattr(organisation, "name", "") or "",
        getattr(organisation, "slug", "") or "",
    ]
