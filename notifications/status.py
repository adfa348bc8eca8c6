"""The delivery-status state machine for provider reports (Twilio status callbacks).

A provider reports progress in any order and may repeat itself. A report only ever moves a
message forward, from ``sent`` (or ``unknown``, whose fate a report settles) to a final state;
a final state never changes again, so a late or repeated report is a no-op.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session

from notifications.models import DeliveryState, OutboundMessage
from panel.core.scoping import ALL_ORGS_OPTION

# Twilio's message statuses, as our states. Statuses before hand-over to the carrier
# (queued, accepted, sending, scheduled) add nothing to our "sent".
TWILIO_STATUSES = {
    "sent": DeliveryState.SENT,
    "delivered": DeliveryState.DELIVERED,
    "read": DeliveryState.DELIVERED,
    "undelivered": DeliveryState.UNDELIVERED,
    "failed": DeliveryState.FAILED,
    "canceled": DeliveryState.FAILED,
}

FINAL = frozenset({DeliveryState.DELIVERED, DeliveryState.UNDELIVERED, DeliveryState.FAILED})
ALLOWED: dict[DeliveryState, frozenset[DeliveryState]] = {
    DeliveryState.SENDING: frozenset({DeliveryState.SENT} | FINAL),
    DeliveryState.UNKNOWN: frozenset({DeliveryState.SENT} | FINAL),
    DeliveryState.SENT: FINAL,
}


def can_move(current: DeliveryState, new: DeliveryState) -> bool:
    """True when a provider report may move a message from ``current`` to ``new``."""
    return new in ALLOWED.get(current, frozenset())


def apply_provider_status(
    session: Session,
    *,
    provider: str,
    provider_id: str,
    new_state: DeliveryState,
    error: str | None,
    now: dt.datetime,
) -> bool:
    """Move the message the provider knows as ``provider_id`` to ``new_state`` if allowed.

    One conditional UPDATE (no read first), so two concurrent reports cannot both apply.
    Returns False when nothing changed: an unknown id, a repeat, or a step backwards.
    """
    earlier = [state for state, targets in ALLOWED.items() if new_state in targets]
    values: dict[str, object] = {"state": new_state, "status_at": now}
    if error:
        values["error"] = error
    result = session.execute(
        sa.update(OutboundMessage)
        .where(
            OutboundMessage.provider == provider,
            OutboundMessage.provider_id == provider_id,
            OutboundMessage.state.in_(earlier),
        )
        .values(**values)
        .execution_options(synchronize_session=False, **{ALL_ORGS_OPTION: True})
    )
    return result.rowcount > 0
