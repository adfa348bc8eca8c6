"""Creating organisations: the rules the CLI, the app and the demo seed share."""

from __future__ import annotations

import re
import secrets
import unicodedata

import sqlalchemy as sa
from sqlalchemy.orm import Session

from panel.core.errors import ValidationError
from panel.core.i18n import lazy_text as _l
from panel.organisations.models import Organisation


def slugify(name: str) -> str:
    """'Demo Bostäder' → 'demo-bostader'."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return slug[:32] or "org"


def create_organisation(session: Session, name: str, language: str = "sv") -> Organisation:
    """A new organisation with a unique slug derived from its name."""
    name = name.strip()
    if not name:
        raise ValidationError(_l("Give the organisation a name."), code="name_required")
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


def find_organisation(session: Session, slug: str) -> Organisation | None:
    """The organisation with this slug, if any."""
    return session.scalar(sa.select(Organisation).where(Organisation.slug == slug))
