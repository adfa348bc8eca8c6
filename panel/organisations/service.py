"""Creating organisations: the rules the CLI, the app and the demo seed share."""

from __future__ import annotations

import re
import secrets
import unicodedata
from urllib.parse import urlsplit

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


EMBED_ORIGINS_SETTING = "embed_origins"
MAX_EMBED_ORIGINS = 20


def clean_origins(text: str | list[str]) -> list[str]:
    """Website origins, one a line (or a list): ``https://www.example.se`` (a path, query or
    credentials are refused, a trailing ``/`` is dropped), lower-cased, without duplicates.

    These go into a ``Content-Security-Policy: frame-ancestors`` header, so anything but a
    plain scheme, host and port would either break the header or widen it.
    """
    items = text.split() if isinstance(text, str) else list(text)
    origins: list[str] = []
    for item in items:
        if not isinstance(item, str) or not item.strip():
            continue
        origin = _origin(item.strip())
        if origin not in origins:
            origins.append(origin)
    if len(origins) > MAX_EMBED_ORIGINS:
        raise ValidationError(
            _l("List at most %(limit)s websites.", limit=MAX_EMBED_ORIGINS),
            code="too_many_origins",
        )
    return origins


ORIGIN_HOST = re.compile(
    r"^(\[[0-9a-f:.]+\]|[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*)$"
)


def _origin(text: str) -> str:

    problem = ValidationError(
        _l(
            "“%(value)s” is not a website origin. Write it as https://www.example.se "
            "(the scheme and the host, no path).",
            value=text[:80],
        ),
        code="invalid_origin",
    )
    if any(c in text for c in "\x00 ;,'\"*"):
        raise problem
    try:
        parts = urlsplit(text.lower().rstrip("/"))
        port = parts.port
    except ValueError as exc:
        raise problem from exc
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not host or not ORIGIN_HOST.match(host):
        raise problem
    if parts.path or parts.query or parts.fragment or parts.username or parts.password:
        raise problem
    host = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{host}" + (f":{port}" if port else "")
