"""Throttling the account forms: per address, per account, and per known device.

Three limits count failed attempts (a successful login never counts):

- per client address (``STOOP_LOGIN_RATE_LIMIT``), on every form that takes a secret;
- per account, shared by every client that has never logged in to it
  (``STOOP_LOGIN_ACCOUNT_RATE_LIMIT``): guessing one colleague's password from many addresses
  soon waits;
- per device (``STOOP_LOGIN_DEVICE_RATE_LIMIT``): a browser that has logged in to the account
  before carries a signed *device cookie* and has an allowance of its own, so an attacker who
  exhausts the account's limit cannot lock its owner out (OWASP's "device cookies").

A new browser of the owner is held with the attacker while the account is under attack; the
password reset still works and gives that browser its device cookie. The counts live in the
rate limits' storage (Redis when configured, so they hold across web processes; memory
otherwise, and while Redis is down).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any, Final

from flask import Response, current_app, request, session
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeTimedSerializer

from panel.core.extensions import limiter

CODE_LIMIT_MESSAGE = _l("Too many wrong codes for this account. Wait a few minutes and try again.")

DEVICE_COOKIE: Final = "stoop_device"
DEVICE_SALT: Final = "login-device"
DEVICE_MAX_AGE: Final = 180 * 24 * 60 * 60
FAILED_ATTEMPT: Final = "stoop.failed_attempt"

ACCOUNT_LIMIT_MESSAGE = _l(
    "Too many attempts to log in to this account from browsers it has not been used in. "
    "Log in from a browser you have used for Stoop before, wait a while, or choose a new "
    "password with “Forgot your password?”."
)


def count_attempt() -> None:
    """Count this request towards the limits (kept on the request, not on ``g``)."""
    request.environ[FAILED_ATTEMPT] = True


def _attempt_failed(_response: Any) -> bool:
    # Only failed attempts count: logging in often is never punished.
    return bool(request.environ.get(FAILED_ATTEMPT))


def _settings() -> Any:
    return current_app.config["STOOP"]


# --- device cookies ----------------------------------------------------------------------


def account_digest(email: str) -> str:
    """A keyed digest of the address as typed (trimmed, lower-cased): the account's key in the
    limits' storage and in device cookies, so neither holds the address itself."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, email.strip().lower().encode(), hashlib.sha256).hexdigest()[:32]


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=DEVICE_SALT)


def remember_device(response: Response, email: str) -> Response:
    """Give this browser a device cookie for the account it just logged in to."""
    token = _serializer().dumps([account_digest(email), secrets.token_urlsafe(16)])
    response.set_cookie(
        DEVICE_COOKIE,
        token,
        max_age=DEVICE_MAX_AGE,
        path="/login",  # only the login form ever reads it
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Lax",
    )
    return response


def known_device() -> str | None:
    """This browser's device id when its cookie is for the account in the login form."""
    token = request.cookies.get(DEVICE_COOKIE)
    if not token:
        return None
    try:
        digest, device = _serializer().loads(token, max_age=DEVICE_MAX_AGE)
    except (BadSignature, ValueError, TypeError):
        return None
    if not hmac.compare_digest(str(digest), account_digest(request.form.get("email", ""))):
        return None
    return str(device)


# --- the limits --------------------------------------------------------------------------


def _account_key() -> str:
    return "account:" + account_digest(request.form.get("email", ""))


def _device_key() -> str:
    return f"device:{known_device()}"


per_address = limiter.limit(
    lambda: _settings().login_rate_limit, methods=["POST"], deduct_when=_attempt_failed
)
per_account = limiter.limit(
    lambda: _settings().login_account_rate_limit,
    key_func=_account_key,
    methods=["POST"],
    deduct_when=_attempt_failed,
    exempt_when=lambda: known_device() is not None,
    error_message=lambda: str(ACCOUNT_LIMIT_MESSAGE),
)
per_device = limiter.limit(
    lambda: _settings().login_device_rate_limit,
    key_func=_device_key,
    methods=["POST"],
    deduct_when=_attempt_failed,
    exempt_when=lambda: known_device() is None,
)


def login_throttled(view: Any) -> Any:
    """All three limits, for the login form."""
    return per_address(per_account(per_device(view)))


def limit_message(exc: Any) -> str | None:
    """The message of the limit a 429 is about, when that limit has one of its own."""
    limit = getattr(exc, "limit", None)
    return exc.description if getattr(limit, "error_message", None) else None


def _pending_user_key() -> str:
    pending = session.get("two_factor_pending")
    user = pending.get("user", "") if isinstance(pending, dict) else ""
    return "two-factor:" + str(user).partition(":")[0]


# Wrong two-factor codes for one account, whichever browser types them: as the account limit.
per_pending_user = limiter.limit(
    lambda: _settings().login_account_rate_limit,
    key_func=_pending_user_key,
    methods=["POST"],
    deduct_when=_attempt_failed,
    error_message=lambda: str(CODE_LIMIT_MESSAGE),
)
