"""Forgetting a person: every message to or from them, found by contact and by address.

Outbound and inbound rows carry the contact they concern (``contact_id``), so the domain's
erasure (``DELETE contacts/{id}``) finds them all — call :func:`erase_messages` before the
contact row goes, since deleting the contact only empties ``contact_id`` (SET NULL). Addresses
catch messages written before the contact was known (an SMS from a number, a reply from an
address).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from notifications import mailbox
from notifications.models import InboundMessage, OutboundMessage
from panel.core.scoping import ALL_ORGS_OPTION


@dataclass(frozen=True)
class Erased:
    """How many messages were deleted."""

    outbound: int
    inbound: int


def erase_messages(
    session: Session,
    *,
    organisation_id: int,
    contact_id: int | None = None,
    addresses: Iterable[str] = (),
) -> Erased:
    """Delete one organisation's messages to or from a person (in the caller's transaction),
    and their copies in the ``.eml`` outbox folder of the embedded default."""
    known = [a for a in addresses if a]
    outbound_who = _who(OutboundMessage.contact_id, OutboundMessage.recipient, contact_id, known)
    inbound_who = _who(InboundMessage.contact_id, InboundMessage.sender, contact_id, known)
    if outbound_who is None or inbound_who is None:
        return Erased(0, 0)
    gone = session.scalars(
        sa.delete(OutboundMessage)
        .where(OutboundMessage.organisation_id == organisation_id, outbound_who)
        .returning(OutboundMessage.id)
        .execution_options(synchronize_session=False, **{ALL_ORGS_OPTION: True})
    ).all()
    inbound = session.execute(
        sa.delete(InboundMessage)
        .where(InboundMessage.organisation_id == organisation_id, inbound_who)
        .execution_options(synchronize_session=False)
    ).rowcount
    mailbox.delete_mail(current_app.config["STOOP"].outbox_dir, organisation_id, set(gone))
    return Erased(len(gone), inbound)


def _who(
    contact_column: Any, address_column: Any, contact_id: int | None, addresses: list[str]
) -> Any:
    conditions = []
    if contact_id is not None:
        conditions.append(contact_column == contact_id)
    if addresses:
        conditions.append(address_column.in_(addresses))
    return sa.or_(*conditions) if conditions else None
