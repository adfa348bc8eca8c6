"""Panels and their members: creating and editing a panel (a new consent version whenever its
text changes), adding members in bulk, leaving, and the figures of the panel page.

Adding members is idempotent and bulk: one ``INSERT ... ON CONFLICT DO NOTHING`` per chunk of
contacts, whatever the door (the contacts list, a CSV file, the API). The statements carry the
organisation themselves (bulk Core statements are out of reach of the session's scope).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from panel.contacts.models import Contact
from panel.contacts.service import ConsentInput, record_consent
from panel.core.db import utcnow
from panel.core.errors import NotFound, ValidationError
from panel.core.i18n import lazy_text as _l
from panel.core.routing import parse_id
from panel.organisations.models import Organisation
from panel.organisations.service import slugify
from panel.panels.models import (
    MemberSource,
    MemberStatus,
    Panel,
    PanelConsentVersion,
    PanelMember,
)

MAX_NAME = 120
MAX_DESCRIPTION = 2_000
MAX_CONSENT = 5_000
CHUNK = 1_000  # contacts per INSERT: well under every driver's parameter limit
SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?$")


def new_token() -> str:
    """An unguessable token for a link: 192 random bits, URL-safe."""
    return secrets.token_urlsafe(24)


def token_hash(token: str) -> str:
    """What is stored of a one-time secret (a confirmation link's token, an SMS code)."""
    return hashlib.sha256(token.encode()).hexdigest()


# --- panels ------------------------------------------------------------------------------------


def _clean_panel_fields(name: str, description: str, consent_text: str) -> tuple[str, str, str]:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError(
            _l("Give the panel a name."), code="name_required", details={"name": [_l("Required.")]}
        )
    if len(name) > MAX_NAME:
        raise ValidationError(
            _l("The name can be at most %(limit)s characters.", limit=MAX_NAME),
            details={"name": [_l("Too long.")]},
        )
    description = (description or "").strip()
    if len(description) > MAX_DESCRIPTION:
        raise ValidationError(
            _l("The description can be at most %(limit)s characters.", limit=MAX_DESCRIPTION),
            details={"description": [_l("Too long.")]},
        )
    consent_text = (consent_text or "").strip()
    if len(consent_text) > MAX_CONSENT:
        raise ValidationError(
            _l("The consent text can be at most %(limit)s characters.", limit=MAX_CONSENT),
            details={"consent_text": [_l("Too long.")]},
        )
    return name, description, consent_text


def unique_slug(session: Session, name: str) -> str:
    """A slug for ``/join/<slug>`` from the name, unique across all organisations."""
    base = slugify(name)[:40].strip("-") or "panel"
    slug = base
    while session.scalar(
        sa.select(Panel.id).where(Panel.slug == slug).execution_options(all_organisations=True)
    ):
        slug = f"{base}-{secrets.token_hex(3)}"
    return slug


def create_panel(
    session: Session,
    organisation: Organisation,
    *,
    name: str,
    description: str = "",
    consent_text: str = "",
    is_open: bool = True,
    user_id: int | None = None,
) -> Panel:
    """A new panel with a public slug and its first consent version (if a text is given)."""
    name, description, consent_text = _clean_panel_fields(name, description, consent_text)
    panel = Panel(
        organisation_id=organisation.id,
        name=name,
        description=description,
        slug=unique_slug(session, name),
        is_open=is_open,
    )
    session.add(panel)
    session.flush()
    if consent_text:
        _add_consent_version(session, panel, consent_text, user_id)
    return panel


def update_panel(
    session: Session,
    panel: Panel,
    *,
    name: str | None = None,
    description: str | None = None,
    consent_text: str | None = None,
    is_open: bool | None = None,
    user_id: int | None = None,
) -> Panel:
    """Change the given fields. A changed consent text becomes a new version; the old ones stay
    (members who agreed to them keep pointing at their words)."""
    current = current_consent(session, panel)
    name, description, consent_text_clean = _clean_panel_fields(
        panel.name if name is None else name,
        panel.description if description is None else description,
        (current.text if current else "") if consent_text is None else consent_text,
    )
    panel.name, panel.description = name, description
    if is_open is not None:
        panel.is_open = is_open
    if consent_text is not None and consent_text_clean != (current.text if current else ""):
        if not consent_text_clean:
            raise ValidationError(
                _l("A panel's consent text cannot be emptied once it has one; change it instead."),
                code="consent_required",
                details={"consent_text": [_l("Required.")]},
            )
        _add_consent_version(session, panel, consent_text_clean, user_id)
    session.flush()
    return panel


def _add_consent_version(
    session: Session, panel: Panel, text: str, user_id: int | None
) -> PanelConsentVersion:
    latest = session.scalar(
        sa.select(sa.func.max(PanelConsentVersion.version)).where(
            PanelConsentVersion.panel_id == panel.id
        )
    )
    version = PanelConsentVersion(
        organisation_id=panel.organisation_id,
        panel_id=panel.id,
        version=(latest or 0) + 1,
        text=text,
        created_by_id=user_id,
    )
    session.add(version)
    session.flush()
    return version


def current_consent(session: Session, panel: Panel) -> PanelConsentVersion | None:
    """The newest consent text of the panel, or None when it has none yet."""
    return session.scalar(
        sa.select(PanelConsentVersion)
        .where(PanelConsentVersion.panel_id == panel.id)
        .order_by(PanelConsentVersion.version.desc())
        .limit(1)
    )


def get_panel(session: Session, panel_id: int | str | None) -> Panel:
    """The panel with this id in the session's organisation, or NotFound."""
    panel = None
    if (pid := parse_id(panel_id)) is not None:
        panel = session.scalar(sa.select(Panel).where(Panel.id == pid))
    if panel is None:
        raise NotFound(_l("There is no such panel. It may have been deleted."))
    return panel


def get_member(session: Session, panel: Panel, member_id: int | str | None) -> PanelMember:
    """One member of the panel, or NotFound."""
    member = None
    if (mid := parse_id(member_id)) is not None:
        member = session.scalar(
            sa.select(PanelMember).where(PanelMember.id == mid, PanelMember.panel_id == panel.id)
        )
    if member is None:
        raise NotFound(_l("There is no such member of this panel."))
    return member


# --- members -----------------------------------------------------------------------------------


def _insert(session: Session) -> type:
    dialect = session.get_bind().dialect.name
    return postgresql.insert if dialect == "postgresql" else sqlite.insert  # type: ignore[return-value]


def _chunks(values: Sequence[int], size: int = CHUNK) -> Iterable[Sequence[int]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def add_members(
    session: Session,
    panel: Panel,
    contact_ids: Iterable[int],
    *,
    source: str | MemberSource,
    reactivate: bool = False,
    joined_at: dt.datetime | None = None,
) -> int:
    """Make the contacts active members of the panel; returns how many became active.

    Idempotent: contacts already in the panel are left as they are (``ON CONFLICT DO
    NOTHING``), except that with ``reactivate=True`` members who left (or never confirmed) are
    made active again: only when the caller knows they asked to come back. Contacts of another
    organisation are ignored. Not committed.
    """
    source = MemberSource(source)
    ids = sorted({int(i) for i in contact_ids})
    if not ids:
        return 0
    now = joined_at or utcnow()
    insert = _insert(session)
    added = 0
    for chunk in _chunks(ids):
        # Only the organisation's own contacts: the ids may come from a caller's list.
        own = list(
            session.scalars(
                sa.select(Contact.id).where(
                    Contact.organisation_id == panel.organisation_id, Contact.id.in_(chunk)
                )
            )
        )
        if not own:
            continue
        rows = [
            {
                "organisation_id": panel.organisation_id,
                "panel_id": panel.id,
                "contact_id": contact_id,
                "status": MemberStatus.ACTIVE.value,
                "source": source.value,
                "created_at": now,
                "joined_at": now,
                "me_token": new_token(),
                "confirm_attempts": 0,
            }
            for contact_id in own
        ]
        table = PanelMember.__table__
        statement = (
            insert(table)
            .on_conflict_do_nothing(index_elements=["panel_id", "contact_id"])
            .returning(table.c.id)
        )
        # Counted from RETURNING: an executemany's rowcount is not reliable on every driver.
        added += len(session.execute(statement, rows).all())
        if reactivate:
            added += _reactivate(session, panel, own, now)
    return added


def _reactivate(
    session: Session, panel: Panel, contact_ids: Sequence[int], now: dt.datetime
) -> int:
    table = PanelMember.__table__
    result = session.execute(
        sa.update(table)
        .where(
            table.c.organisation_id == panel.organisation_id,
            table.c.panel_id == panel.id,
            table.c.contact_id.in_(contact_ids),
            table.c.status != MemberStatus.ACTIVE.value,
        )
        .values(
            status=MemberStatus.ACTIVE.value,
            joined_at=now,
            left_at=None,
            confirm_token_hash=None,
            confirm_code_hash=None,
            confirm_expires_at=None,
        )
    )
    return result.rowcount or 0


def leave(session: Session, member: PanelMember, *, method: str) -> None:
    """The member leaves the panel: status ``left`` and a withdrawal in the contact's consent
    log (``method``: "me" from their own page, "app" by staff, "api", "unsubscribe"…).
    Leaving twice changes nothing the second time. Not committed."""
    if member.status == MemberStatus.LEFT:
        return
    member.status = MemberStatus.LEFT
    member.left_at = utcnow()
    version = (
        session.get(
            PanelConsentVersion,
            member.consent_version_id,
            execution_options={"all_organisations": True},
        )
        if member.consent_version_id
        else None
    )
    record_consent(
        session,
        member.contact,
        ConsentInput(
            basis="consent",
            text=_withdrawal_text(member.panel, version),
            text_version=version.label if version else None,
            granted=False,
        ),
        method=method[:20],
    )
    session.flush()


def _withdrawal_text(panel: Panel, version: PanelConsentVersion | None) -> str:
    # The log is a record, kept in the words of the time: no translation.
    return f"Left the panel “{panel.name}”."


def member_counts(session: Session, panel: Panel) -> dict[str, int]:
    """Members of the panel by status: ``{"active": n, "pending": n, "left": n}``."""
    counts = {status.value: 0 for status in MemberStatus}
    rows = session.execute(
        sa.select(PanelMember.status, sa.func.count())
        .where(PanelMember.panel_id == panel.id)
        .group_by(PanelMember.status)
    )
    for status, count in rows:
        counts[MemberStatus(status).value] = count
    return counts


def weekly_growth(
    session: Session, panel: Panel, *, weeks: int = 12, today: dt.date | None = None
) -> list[tuple[dt.date, int]]:
    """New members per week (by the day they became active), oldest week first: one
    ``(monday, count)`` per week of the last ``weeks`` weeks, this week last."""
    today = today or utcnow().date()
    this_monday = today - dt.timedelta(days=today.weekday())
    first = this_monday - dt.timedelta(weeks=weeks - 1)
    start = dt.datetime.combine(first, dt.time(), tzinfo=dt.UTC)
    counts = dict.fromkeys((first + dt.timedelta(weeks=i) for i in range(weeks)), 0)
    joined = session.scalars(
        sa.select(PanelMember.joined_at).where(
            PanelMember.panel_id == panel.id, PanelMember.joined_at >= start
        )
    )
    # Grouped here rather than in SQL: week arithmetic differs per dialect, and a panel gains
    # at most thousands of members in 12 weeks.
    for moment in joined:
        day = moment.astimezone(dt.UTC).date()
        monday = day - dt.timedelta(days=day.weekday())
        if monday in counts:
            counts[monday] += 1
    return list(counts.items())
