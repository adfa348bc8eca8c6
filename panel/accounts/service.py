"""Creating organisations and users; the rules the CLI, the app and the seed share."""

from __future__ import annotations

import re
import secrets
import unicodedata

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from sqlalchemy.orm import Session

from panel.accounts.models import Organisation, Role, User
from panel.accounts.passwords import hash_password, password_problem
from panel.errors import Conflict, ValidationError
from panel.scoping import ALL_ORGS_OPTION


def slugify(name: str) -> str:
    """'Demo Bostäder' → 'demo-bostader'."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return slug[:32] or "org"


def create_organisation(session: Session, name: str, language: str = "sv") -> Organisation:
    """A new organisation with a unique slug derived from its name."""
    name = name.strip()
    if not name:
        raise ValidationError("Give the organisation a name.")
    base = slugify(name)
    slug = base
    taken = set(
        session.scalars(sa.select(Organisation.slug).where(Organisation.slug.like(f"{base}%")))
    )
    while slug in taken:
        slug = f"{base}-{secrets.token_hex(2)}"
    org = Organisation(name=name[:120], slug=slug, default_language=language)
    session.add(org)
    session.flush()
    return org


def normalise_email(email: str) -> str:
    """A syntactically valid, lower-cased address (no DNS look-up), or ValidationError."""
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise ValidationError(f"'{email}' is not a valid e-mail address: {exc}") from exc


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
        raise Conflict(f"There is already an account for {email}.")
    try:
        role = Role(role)
    except ValueError as exc:
        raise ValidationError("Role must be admin, staff or communicator.") from exc
    if password is not None and (problem := password_problem(password)):
        raise ValidationError(problem)
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
