"""Organisation, User and ApiToken."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from panel.core.db import Base, TimestampMixin, intpk, str120, str255, timestamp, utcnow
from panel.core.scoping import OrgScoped
from panel.organisations.models import Organisation


class Role(enum.StrEnum):
    """What a staff account may do. Admins manage the organisation."""

    ADMIN = "admin"
    STAFF = "staff"
    COMMUNICATOR = "communicator"


LANGUAGES = ("en", "sv", "nl")


class NotifyMode(enum.StrEnum):
    """How a staff member hears of new answers and follow-ups in their threads (the counts in
    the app's navigation are always there)."""

    INSTANT = "instant"  # an e-mail for each
    DIGEST = "digest"  # one e-mail a day
    NONE = "none"


class User(OrgScoped, TimestampMixin, UserMixin, Base):
    """A staff account. Logs in by e-mail, which is unique across organisations."""

    __tablename__ = "user_account"

    id: Mapped[intpk]
    email: Mapped[str255] = mapped_column(unique=True)
    name: Mapped[str120] = mapped_column(default="")
    role: Mapped[Role] = mapped_column(
        sa.Enum(Role, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])
    )
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    locale: Mapped[str] = mapped_column(sa.String(2), default="en")
    is_active: Mapped[bool] = mapped_column(default=True)
    last_login_at: Mapped[dt.datetime | None]
    invited_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    # Colleagues with the same team name (an area office, a department) share "My team" in
    # the inbox; None: a team of one.
    team: Mapped[str | None] = mapped_column(sa.String(80))
    notify_mode: Mapped[str] = mapped_column(sa.String(10), default=NotifyMode.INSTANT.value)
    # Two-factor sign-in: the TOTP secret (base32) once confirmed with a first code, and the
    # last time step used, so a code is never accepted twice.
    totp_secret: Mapped[str | None] = mapped_column(sa.String(64))
    totp_enabled_at: Mapped[dt.datetime | None]
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger)

    organisation: Mapped[Organisation] = relationship(lazy="joined")

    def get_id(self) -> str:
        # Flask-Login stores this in the session; the stamp ends sessions on password change.
        from panel.accounts.session import session_stamp

        return f"{self.id}:{session_stamp(self)}"

    @property
    def display_name(self) -> str:
        return self.name or self.email

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def has_accepted_invite(self) -> bool:
        return self.password_hash is not None


class ApiToken(OrgScoped, Base):
    """A bearer token for the API. Only a SHA-256 of the secret is stored."""

    __tablename__ = "api_token"

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"))
    name: Mapped[str120] = mapped_column(default="")
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    prefix: Mapped[str] = mapped_column(sa.String(12))
    created_at: Mapped[timestamp]
    last_used_at: Mapped[dt.datetime | None]
    expires_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]

    user: Mapped[User] = relationship(lazy="joined")

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and not self.is_expired

    @property
    def is_expired(self) -> bool:
        """True once ``expires_at`` has passed (API calls with it then get 401 token_expired)."""
        return self.expires_at is not None and self.expires_at <= utcnow()
