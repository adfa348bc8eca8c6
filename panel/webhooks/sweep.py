"""The periodic sweep's work: hand due deliveries to tasks, take back those whose worker or
task was lost, and forget settled ones after :data:`KEEP_DAYS`.

Safe to run twice at once: the claim is one ``UPDATE … WHERE state='pending'`` (with ``FOR
UPDATE SKIP LOCKED`` on PostgreSQL, so a second sweep passes over rows the first is claiming),
and a row it claimed can only be taken by one task (:func:`panel.webhooks.delivery.claim`).
"""

from __future__ import annotations

import datetime as dt
import logging

import sqlalchemy as sa
from sqlalchemy.orm import Session

from panel.core.config import Settings
from panel.core.scoping import all_organisations
from panel.webhooks.delivery import HOOKS, D, lease
from panel.webhooks.models import DeliveryState

log = logging.getLogger(__name__)

DUE_BATCH = 100
KEEP_DAYS = 30  # settled deliveries and their attempts are kept this long for the log
PRUNE_BATCH = 5000


def expire_leases(session: Session, now: dt.datetime) -> int:
    """Put deliveries whose task never came or whose worker stopped (the lease ran out) back
    to pending, due now."""
    held = [DeliveryState.CLAIMED.value, DeliveryState.SENDING.value]
    with all_organisations(session):
        return session.execute(
            sa.update(D)
            .where(D.c.state.in_(held), D.c.lease_until < now)
            .values(state=DeliveryState.PENDING.value, claim_token=None, next_attempt_at=now)
        ).rowcount


def claim_due(session: Session, now: dt.datetime, settings: Settings) -> list[int]:
    """Claim up to :data:`DUE_BATCH` due deliveries of active webhooks for tasks, in one
    committed statement (rows another sweep has locked are skipped on PostgreSQL); their ids."""
    due = (
        sa.select(D.c.id)
        .join(HOOKS, HOOKS.c.id == D.c.webhook_id)
        .where(
            D.c.state == DeliveryState.PENDING.value,
            D.c.next_attempt_at <= now,
            HOOKS.c.is_active.is_(True),
        )
        .order_by(D.c.next_attempt_at)
        .limit(DUE_BATCH)
    )
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(of=D, skip_locked=True)
    with all_organisations(session):
        claimed = session.scalars(
            sa.update(D)
            .where(D.c.id.in_(due.scalar_subquery()), D.c.state == DeliveryState.PENDING.value)
            .values(state=DeliveryState.CLAIMED.value, lease_until=now + lease(settings))
            .returning(D.c.id)
        ).all()
    session.commit()
    return list(claimed)


def prune(session: Session, before: dt.datetime) -> int:
    """Delete settled deliveries made before ``before`` (their attempts go with them)."""
    settled = [DeliveryState.DELIVERED.value, DeliveryState.FAILED.value]
    old = (
        sa.select(D.c.id).where(D.c.state.in_(settled), D.c.created_at < before).limit(PRUNE_BATCH)
    )
    with all_organisations(session):
        deleted = session.execute(sa.delete(D).where(D.c.id.in_(old.scalar_subquery()))).rowcount
    session.commit()
    if deleted:
        log.info("deleted %s webhook deliveries older than %s days", deleted, KEEP_DAYS)
    return deleted
