"""Creating organisations and users; the rules the CLI, the app and the seed share."""

from __future__ import annotations

import functools
import secrets

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from sqlalchemy.orm import Session, object_session

from panel.accounts.models import Role, User
from panel.accounts.passwords import (
    hash_password,
    needs_rehash,
    password_problem,
    user_words,
    verify_password,
)
from panel.core.errors import Conflict, Forbidden, ValidationError
from panel.core.i18n import lazy_text as _l
from panel.core.scoping import ALL_ORGS_OPTION
from panel.organisations.models import Organisation
from panel.privacy import audit

ROLE_CHOICES = _l("Role must be admin, staff or communicator.")


def normalise_email(email: str) -> str:
    """A syntactically valid, lower-cased address (no DNS look-up), or ValidationError."""
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise ValidationError(
            _l("“%(email)s” is not a valid e-mail address.", email=email, reason=str(exc)),
            code="invalid_email",
        ) from exc


def find_user_by_email(session: Session, email: str) -> User | None:
    """The user with this e-mail in any organisation (logins are global)."""
    return session.scalar(
        sa.select(User)
        .where(User.email == email.strip().lower())
        .execution_options(**{ALL_ORGS_OPTION: True})
    )


def create_user(
    session: Session,
    organisation: Organisation,
    email: str,
    role: Role | str,
    password: str | None = None,
    name: str = "",
    locale: str | None = None,
) -> User:
    """A new staff account. Without a password it is an invitation waiting to be accepted."""
    email = normalise_email(email)
    if find_user_by_email(session, email) is not None:
        raise Conflict(
            _l("There is already an account for %(email)s.", email=email), code="duplicate_account"
        )
    try:
        role = Role(role)
    except ValueError as exc:
        raise ValidationError(ROLE_CHOICES, code="invalid_role") from exc
    words = [name, email, organisation.name, organisation.slug]
    if password is not None and (problem := password_problem(password, words)):
        raise ValidationError(problem, code="weak_password")
    user = User(
        organisation_id=organisation.id,
        email=email,
        role=role,
        name=name.strip()[:120],
        password_hash=hash_password(password) if password is not None else None,
        locale=locale or organisation.default_language,
    )
    session.add(user)
    session.flush()
    return user


@functools.cache
def _dummy_hash() -> str:
    # Hashed once, lazily: verifying against it makes an unknown e-mail as slow as a known one.
    return hash_password(secrets.token_hex(16))


def check_login(session: Session, email: str, password: str) -> User | None:
    """The user whose e-mail and password these are (active or not), or None.

    An unknown e-mail costs the same hashing time as a wrong password, so timing does not tell
    which addresses have accounts. An outdated hash is upgraded on the way.
    """
    user = find_user_by_email(session, email)
    if user is None or user.password_hash is None:
        verify_password(_dummy_hash(), password)
        return None
    if not verify_password(user.password_hash, password):
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def set_password(user: User, password: str) -> None:
    """Give ``user`` a new password (ValidationError when it is not acceptable)."""
    if problem := password_problem(password, user_words(user)):
        raise ValidationError(problem, code="weak_password")
    user.password_hash = hash_password(password)


def account_elsewhere(session: Session, inviter: User, email: str) -> User | None:
    """The account ``email`` has in another organisation than the inviter's, if any.

    Conflict when it is in the inviter's own team (which the inviter can see anyway).
    """
    user = find_user_by_email(session, email)
    if user is None:
        return None
    if user.organisation_id == inviter.organisation_id:
        raise Conflict(_("%(email)s is already in your team.", email=email))
    return user


def invite_user(
    session: Session, inviter: User, email: str, role: Role | str, name: str = ""
) -> User:
    """A new account in the inviter's organisation, waiting for its invitation to be accepted."""
    user = create_user(session, inviter.organisation, email, role, password=None, name=name)
    user.invited_by_id = inviter.id
    audit.record(
        session,
        "user.invite",
        actor=inviter,
        target_type="user",
        target_id=user.id,
        details={"role": user.role.value},
    )
    return user


def change_role(actor: User, user: User, role: Role | str) -> None:
    """An admin gives a colleague another role (never themselves: there must stay an admin)."""
    if actor.id == user.id:
        raise Forbidden(_l("You cannot change your own role. Ask another admin."), code="own_role")
    before = user.role
    try:
        user.role = Role(role)
    except ValueError as exc:
        raise ValidationError(ROLE_CHOICES, code="invalid_role") from exc
    if user.role != before:
        audit.record(
            object_session(user),
            "user.role",
            actor=actor,
            target_type="user",
            target_id=user.id,
            details={"from": before.value, "to": user.role.value},
        )


def set_active(actor: User, user: User, active: bool) -> None:
    """Deactivate (ends their sessions and API tokens) or reactivate a colleague's account."""
    if actor.id == user.id:
        raise Forbidden(
            _l("You cannot deactivate your own account. Ask another admin."),
            code="own_account",
        )
    if user.is_active != active:
        audit.record(
            object_session(user),
            "user.reactivate" if active else "user.deactivate",
            actor=actor,
            target_type="user",
            target_id=user.id,
        )
    user.is_active = active
