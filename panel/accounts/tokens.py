"""API tokens: 256 random bits shown once; only their SHA-256 is stored. A token expires after
the days chosen when it was made (30, 90 or 365; or never), and records when it was last used.

SHA-256 rather than argon2 because the secret is random, not chosen by a person: a fast
hash is enough and keeps each API call's lookup a single indexed read.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

import sqlalchemy as sa
from flask import g, has_request_context
from sqlalchemy.orm import Session, joinedload

from panel.accounts.models import ApiToken, User
from panel.core.db import utcnow
from panel.core.errors import Unauthorized
from panel.core.i18n import lazy_text as _l
from panel.core.scoping import ALL_ORGS_OPTION, scoped_to
from panel.privacy import audit

PREFIX = "stp_"
TOKEN_USE_AUDIT_EVERY = dt.timedelta(hours=1)
EXPIRY_CHOICES = (30, 90, 365, 0)  # days; 0: never
DEFAULT_EXPIRY_DAYS = 90
LAST_USED_EVERY = 60  # seconds: last_used_at is written at most this often per token


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(
    session: Session, user: User, name: str = "", days: int | None = DEFAULT_EXPIRY_DAYS
) -> tuple[ApiToken, str]:
    """Create a token for ``user`` valid for ``days`` (None or 0: until revoked); returns the row
    and the secret (shown once, never stored)."""
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        expires_at=utcnow() + dt.timedelta(days=days) if days else None,
        organisation_id=user.organisation_id,
        user_id=user.id,
        name=name.strip()[:120],
        token_hash=_digest(secret),
        prefix=secret[:10],
    )
    session.add(token)
    session.flush()
    audit.record(
        session,
        "token.create",
        actor=user,
        target_type="api_token",
        target_id=token.id,
        details={"prefix": token.prefix},
    )
    return token, secret


# Built once (every API call runs it). The organisation is loaded only when a call uses it.
TOKEN_LOOKUP = (
    sa.select(ApiToken)
    .where(ApiToken.token_hash == sa.bindparam("token_hash"), ApiToken.revoked_at.is_(None))
    .options(joinedload(ApiToken.user).lazyload(User.organisation))
    .execution_options(**{ALL_ORGS_OPTION: True})
)


def authenticate(session: Session, secret: str) -> User | None:
    """The active user behind a token, or None for an unknown, revoked or inactive one.

    Unauthorized (code ``token_expired``) for an expired one, saying when and what to do."""
    if not secret.startswith(PREFIX) or len(secret) > 100:
        return None
    token = session.scalar(TOKEN_LOOKUP, {"token_hash": _digest(secret)})
    if token is None or not token.user.is_active:
        return None
    now = utcnow()
    if token.expires_at is not None and token.expires_at <= now:
        raise Unauthorized(
            _l(
                "This token expired on %(date)s; create a new one under Settings → API tokens.",
                date=token.expires_at.date().isoformat(),
            ),
            code="token_expired",
        )
    if has_request_context():
        g.api_token = token  # the audit log names the token, not only its user
    # Only touch last_used_at once a minute so API calls are not each a write; the audit log
    # hears of a token's use at most once an hour, which keeps it readable.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > LAST_USED_EVERY:
        with scoped_to(session, token.organisation_id):
            audit.record_token_use(session, token, now, every=TOKEN_USE_AUDIT_EVERY)
            token.last_used_at = now
            session.commit()
    return token.user


def revoke_token(session: Session, token: ApiToken) -> None:
    """Revoke a token; later calls with it get 401."""
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record(
            session,
            "token.revoke",
            target_type="api_token",
            target_id=token.id,
            organisation_id=token.organisation_id,
        )
