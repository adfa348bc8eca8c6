"""Contacts in notifications' opt-out rules: who is behind an address, and the consent log
entry for every opt-out and opt-in (an SMS STOP, an unsubscribe link).

Notifications keeps the opt-outs and honours them in every bulk send; it knows nothing of
contacts, so this room plugs into its seams when the app is built (``room.setup``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import Flask, g, has_request_context
from sqlalchemy.orm import Session

from notifications import optouts
from notifications.models import Channel
from panel.contacts.models import ConsentEvent, Contact

# How a withdrawal in the consent log (its ``method``) is written as an opt-out.
OPT_OUT_METHODS = {"app": "staff", "api": "api", "csv": "import"}
# How each way of opting out is written in the consent log's ``method``.
CONSENT_METHODS = {
    "sms_keyword": "sms",
    "unsubscribe_link": "unsubscribe",
    "one_click": "unsubscribe",
    "staff": "app",
    "api": "api",
}


def init_app(app: Flask) -> None:
    """Plug contacts into notifications: the contact finder and the consent-log listener."""
    optouts.register_contact_finder(app, find_contact)
    optouts.register_opt_out_listener(app, log_change)


def find_contact(
    session: Session, organisation_id: int, channel: Channel, address: str
) -> optouts.Person | None:
    """The organisation's contact with this phone number or e-mail address."""
    column = Contact.phone if channel == Channel.SMS else Contact.email
    wanted = address.lower() if channel == Channel.EMAIL else address
    row = session.execute(
        sa.select(Contact.id, Contact.language).where(
            Contact.organisation_id == organisation_id, column == wanted
        )
    ).first()
    return optouts.Person(row.id, row.language) if row else None


def log_change(session: Session, change: optouts.OptOutChange) -> None:
    """Append the change to the contact's consent log (an address with no contact has none)."""
    if change.contact_id is None:
        return
    session.add(
        ConsentEvent(
            organisation_id=change.organisation_id,
            contact_id=change.contact_id,
            channel=str(change.channel),
            granted=not change.opted_out,
            basis="consent",
            method=CONSENT_METHODS.get(change.method, change.method)[:20],
            text=change.detail,
        )
    )
    session.flush()


def honour_withdrawals(
    session: Session,
    organisation_id: int,
    withdrawals: list[tuple[int, str | None, str | None, str]],
    *,
    method: str,
) -> None:
    """Turn withdrawals written in the consent log — (contact id, e-mail, phone, channel
    ``email``/``sms``/``any``) — into opt-outs, so that sends honour them. Giving consent
    again in the log does not lift an opt-out: only the tenant does (START, or a join page),
    so that a nightly import cannot undo a STOP."""
    how = OPT_OUT_METHODS.get(method, "staff")
    for contact_id, email, phone, channel in withdrawals:
        wanted = (Channel.EMAIL, Channel.SMS) if channel == "any" else (Channel(channel),)
        for one in wanted:
            address = email if one == Channel.EMAIL else phone
            optouts.opt_out(
                session,
                organisation_id,
                one,
                # A contact without an address on the channel is held back by its id.
                address or f"contact:{contact_id}",
                contact_id=contact_id,
                method=how,
                notify=False,
            )


@dataclass(frozen=True)
class OptOutBadge:
    """One opt-out as the contact page and the API show it."""

    channel: str
    method: str
    detail: str
    opted_out_at: Any


def opt_outs(session: Session, contact: Contact) -> list[OptOutBadge]:
    """The contact's opt-outs, by contact or by their current addresses, one per channel."""
    return opt_outs_by_contact(session, [contact]).get(contact.id, [])


def opt_outs_by_contact(session: Session, contacts: list[Contact]) -> dict[int, list[OptOutBadge]]:
    """The opt-outs of each of ``contacts`` (one organisation's), read in one query."""
    if not contacts:
        return {}
    found = optouts.opt_outs_of(
        session,
        contacts[0].organisation_id,
        contact_ids=[c.id for c in contacts],
        addresses=[a for c in contacts for a in (c.email, c.phone) if a],
    )
    result: dict[int, list[OptOutBadge]] = {}
    for contact in contacts:
        by_channel: dict[str, OptOutBadge] = {}
        for row in found:
            if (
                row.contact_id == contact.id
                or (row.channel == Channel.EMAIL and row.address == contact.email)
                or (row.channel == Channel.SMS and row.address == contact.phone)
            ):
                badge = OptOutBadge(str(row.channel), row.method, row.detail, row.opted_out_at)
                by_channel.setdefault(badge.channel, badge)
        if by_channel:
            result[contact.id] = [by_channel[c] for c in ("email", "sms") if c in by_channel]
    return result


def prefetch_opt_outs(session: Session, contacts: list[Contact]) -> None:
    """Read the opt-outs of a page of contacts at once, for :func:`opt_outs_cached`."""
    if has_request_context():
        cache = g.setdefault("contact_opt_outs", {})
        found = opt_outs_by_contact(session, contacts)
        for contact in contacts:
            cache[contact.id] = found.get(contact.id, [])


def opt_outs_cached(session: Session, contact: Contact) -> list[OptOutBadge]:
    """The contact's opt-outs, from the page's :func:`prefetch_opt_outs` when it ran."""
    cache = g.get("contact_opt_outs", {}) if has_request_context() else {}
    if contact.id in cache:
        return cache[contact.id]
    return opt_outs(session, contact)
