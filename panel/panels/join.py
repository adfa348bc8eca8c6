"""Joining a panel from its public page, with double opt-in.

A tenant gives a name, an e-mail address or a mobile number, and a language, and ticks that
they agree to the panel's current consent text. They become (or stay) a contact and a
*pending* member, and get a way to confirm:

- with an e-mail address: a link ``/join/<slug>/confirm/<token>`` by e-mail (valid 3 days);
- with only a phone number: a 6-digit code by SMS (valid 15 minutes, 5 tries), typed on the
  page ``/join/<slug>/code/<ticket>`` that the form leads to.

Only the confirmation makes the member active and writes the consent log entry (method
``join``, basis ``consent``, the version of the text they saw). Secrets are stored as hashes
and cleared once used, so a link or code works once.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from notifications import messages
from notifications.models import Channel
from panel.contacts.models import Contact
from panel.contacts.service import (
    ConsentInput,
    clean_email,
    clean_language,
    clean_phone,
    create_contact,
    record_consent,
    region_of,
)
from panel.core.db import utcnow
from panel.core.errors import ValidationError
from panel.core.i18n import lazy_text as _l
from panel.organisations.models import Organisation
from panel.panels.models import (
    MemberSource,
    MemberStatus,
    Panel,
    PanelConsentVersion,
    PanelMember,
)
from panel.panels.service import current_consent, new_token, token_hash

LINK_VALID = dt.timedelta(days=3)
CODE_VALID = dt.timedelta(minutes=15)
CODE_TRIES = 5


@dataclass(frozen=True)
class JoinRequest:
    """What the join form gave, cleaned."""

    name: str
    email: str | None
    phone: str | None
    language: str


@dataclass(frozen=True)
class Started:
    """A join waiting for its confirmation: by ``"email"`` or by ``"sms"`` (then ``ticket``
    names the page where the code is typed)."""

    member: PanelMember
    by: str
    ticket: str | None = None


def clean_request(
    organisation: Organisation, *, name: str, email: str, phone: str, language: str
) -> JoinRequest:
    """The form's values cleaned; ValidationError with details per field."""
    problems: dict[str, list[object]] = {}
    name = " ".join((name or "").split())[:200]
    if not name:
        problems["name"] = [_l("Write your name.")]
    cleaned_email = cleaned_phone = None
    try:
        cleaned_email = clean_email(email)
    except ValueError as exc:
        problems["email"] = [exc.args[0]]
    try:
        cleaned_phone = clean_phone(phone, region_of(organisation))
    except ValueError as exc:
        problems["phone"] = [exc.args[0]]
    try:
        cleaned_language = clean_language(language) or organisation.default_language
    except ValueError as exc:
        problems["language"] = [exc.args[0]]
        cleaned_language = organisation.default_language
    if not problems and not cleaned_email and not cleaned_phone:
        problems["email"] = [_l("Give an e-mail address or a mobile number.")]
    if problems:
        first = next(iter(problems.values()))[0]
        raise ValidationError(first, details=problems)  # type: ignore[arg-type]
    return JoinRequest(name, cleaned_email, cleaned_phone, cleaned_language)


def _find_or_create_contact(
    session: Session, organisation: Organisation, request: JoinRequest
) -> Contact:
    """The contact with this e-mail address, else this phone number, else a new one.

    An existing contact keeps what is stored: a form anyone can fill in must not overwrite a
    tenant's details; only empty fields are filled.
    """
    contact = None
    if request.email:
        contact = session.scalar(sa.select(Contact).where(Contact.email == request.email))
    if contact is None and request.phone:
        contact = session.scalar(sa.select(Contact).where(Contact.phone == request.phone))
    if contact is None:
        values = {"name": request.name, "email": request.email, "phone": request.phone}
        contact = create_contact(session, organisation, values, method="join")
        contact.language = request.language
        return contact
    if not contact.name:
        contact.name = request.name
    for field in ("email", "phone"):
        value = getattr(request, field)
        taken = session.scalar(
            sa.select(Contact.id).where(getattr(Contact, field) == value, Contact.id != contact.id)
        )
        if value and not getattr(contact, field) and taken is None:
            setattr(contact, field, value)
    return contact


def start(
    session: Session,
    organisation: Organisation,
    panel: Panel,
    request: JoinRequest,
    version: PanelConsentVersion,
) -> Started:
    """Record the pending join and queue its confirmation (e-mail link or SMS code).

    The same answer whatever the address's history (new, pending, active, left): the page must
    not tell a stranger whether someone is a member. Not committed.
    """
    contact = _find_or_create_contact(session, organisation, request)
    session.flush()
    member = session.scalar(
        sa.select(PanelMember).where(
            PanelMember.panel_id == panel.id, PanelMember.contact_id == contact.id
        )
    )
    if member is None:
        member = PanelMember(
            organisation_id=panel.organisation_id,
            panel_id=panel.id,
            contact_id=contact.id,
            status=MemberStatus.PENDING,
            source=MemberSource.JOIN,
            me_token=new_token(),
        )
        session.add(member)
    member.consent_version_id = version.id
    ticket = new_token()
    member.confirm_token_hash = token_hash(ticket)
    member.confirm_attempts = 0
    if request.email:
        member.confirm_code_hash = None
        member.confirm_expires_at = utcnow() + LINK_VALID
        session.flush()
        _send_link(session, panel, member, request, ticket)
        return Started(member, "email")
    code = f"{secrets.randbelow(10**6):06d}"
    member.confirm_code_hash = _code_hash(member, ticket, code)
    member.confirm_expires_at = utcnow() + CODE_VALID
    session.flush()
    _send_code(session, panel, member, request, code, ticket)
    return Started(member, "sms", ticket)


def _code_hash(member: PanelMember, ticket: str, code: str) -> str:
    # Keyed by the ticket: six digits alone are a small space; with the ticket's 192 bits a
    # stolen hash tells nothing.
    return token_hash(f"{ticket}:{member.panel_id}:{code}")


def _absolute(path: str) -> str:
    return current_app.config["STOOP"].base_url + path


def _send_link(
    session: Session, panel: Panel, member: PanelMember, request: JoinRequest, token: str
) -> None:
    assert request.email is not None
    messages.queue(
        session,
        organisation_id=panel.organisation_id,
        template="panels/email/join_confirm",
        purpose="panel_join",
        recipients=[
            messages.Recipient(
                address=request.email,
                dedupe_key=f"panel_join:{member.id}:{token_hash(token)[:16]}",
                language=request.language,
                contact_id=member.contact_id,
            )
        ],
        context={
            "panel": panel,
            "name": request.name,
            "link": _absolute(f"/join/{panel.slug}/confirm/{token}"),
            "days": LINK_VALID.days,
        },
        ref=f"panel:{panel.id}",
    )


def _send_code(
    session: Session,
    panel: Panel,
    member: PanelMember,
    request: JoinRequest,
    code: str,
    ticket: str,
) -> None:
    assert request.phone is not None
    messages.queue(
        session,
        organisation_id=panel.organisation_id,
        template="panels/sms/join_code",
        purpose="panel_join",
        channel=Channel.SMS,
        recipients=[
            messages.Recipient(
                address=request.phone,
                dedupe_key=f"panel_join:{member.id}:{token_hash(ticket)[:16]}",
                language=request.language,
                contact_id=member.contact_id,
            )
        ],
        context={"panel": panel, "code": code, "minutes": int(CODE_VALID.total_seconds() // 60)},
        ref=f"panel:{panel.id}",
    )


def pending_by_ticket(session: Session, panel: Panel, ticket: str) -> PanelMember | None:
    """The member waiting for the confirmation named by a link token or code page ticket."""
    if not ticket or len(ticket) > 64:
        return None
    return session.scalar(
        sa.select(PanelMember).where(
            PanelMember.panel_id == panel.id,
            PanelMember.confirm_token_hash == token_hash(ticket),
        )
    )


def expired(member: PanelMember) -> bool:
    """True when the member's link or code is past its time."""
    return member.confirm_expires_at is None or member.confirm_expires_at < utcnow()


class CodeResult:
    """What checking an SMS code came to."""

    CONFIRMED = "confirmed"
    WRONG = "wrong"
    EXHAUSTED = "exhausted"
    EXPIRED = "expired"


def check_code(session: Session, member: PanelMember, ticket: str, code: str) -> str:
    """Check a typed code. A wrong one uses a try; the last wrong try, or an expired code, ends
    the attempt (the tenant starts again from the form). Not committed."""
    if member.confirm_code_hash is None:
        return CodeResult.EXPIRED
    if expired(member):
        _clear(member)
        return CodeResult.EXPIRED
    typed = "".join(c for c in (code or "") if c.isdigit())
    if hmac.compare_digest(_code_hash(member, ticket, typed), member.confirm_code_hash):
        confirm(session, member)
        return CodeResult.CONFIRMED
    member.confirm_attempts += 1
    if member.confirm_attempts >= CODE_TRIES:
        _clear(member)
        return CodeResult.EXHAUSTED
    return CodeResult.WRONG


def tries_left(member: PanelMember) -> int:
    """How many more codes may be typed."""
    return max(CODE_TRIES - member.confirm_attempts, 0)


def _clear(member: PanelMember) -> None:
    member.confirm_token_hash = None
    member.confirm_code_hash = None
    member.confirm_expires_at = None


def confirm(session: Session, member: PanelMember) -> None:
    """The double opt-in is done: the member is active and the consent log says to which
    version of the text they agreed. Not committed."""
    version = (
        session.scalar(
            sa.select(PanelConsentVersion).where(
                PanelConsentVersion.id == member.consent_version_id
            )
        )
        if member.consent_version_id
        else current_consent(session, member.panel)
    )
    _clear(member)
    if member.status != MemberStatus.ACTIVE:
        member.status = MemberStatus.ACTIVE
        member.joined_at = utcnow()
        member.left_at = None
    record_consent(
        session,
        member.contact,
        ConsentInput(
            basis="consent",
            text=version.text if version else "",
            text_version=version.label if version else None,
        ),
        method="join",
    )
    session.flush()


def forget_expired(session: Session, now: dt.datetime | None = None) -> int:
    """Drop joins that can no longer be confirmed: pending members whose link or code expired
    (they never became members; the pending count then means "can still confirm"), and the
    spent secrets of members who had re-confirmed and let it lapse. Every organisation (a
    periodic sweep); a second run finds nothing. Returns how many pending joins were dropped.
    Not committed."""
    now = now or utcnow()
    table = PanelMember.__table__
    expired_rows = sa.and_(
        table.c.confirm_expires_at.is_not(None), table.c.confirm_expires_at < now
    )
    dropped = session.execute(
        sa.delete(table)
        .where(expired_rows, table.c.status == MemberStatus.PENDING.value)
        .returning(table.c.id)
    ).all()
    session.execute(
        sa.update(table)
        .where(expired_rows)
        .values(confirm_token_hash=None, confirm_code_hash=None, confirm_expires_at=None)
    )
    return len(dropped)
