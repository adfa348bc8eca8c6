"""A webhook's health: failures in a row switch it off, and its admins are told by e-mail.

A webhook is switched off when ``STOOP_WEBHOOK_DISABLE_AFTER`` (15) of its deliveries in a row
failed for good (every attempt used), or when every attempt has failed for more than
:data:`FAILING_DAYS` days, whichever comes first: a receiver that is gone for good stops
costing workers, and a rare event still ends its run in days, not weeks. One 2xx clears both.
Updates are single statements, so two workers recording at once cannot both switch it off or
send two notices.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from notifications import messages
from panel.accounts.emails import absolute_url
from panel.accounts.models import Role, User
from panel.core.db import UTCDateTime
from panel.core.scoping import required_organisation
from panel.webhooks.models import DeliveryState, DisabledReason, Webhook, WebhookDelivery

FAILING_DAYS = 3
HOOKS = Webhook.__table__
DELIVERIES = WebhookDelivery.__table__
SWITCHED_OFF = "not sent: the webhook was switched off"


def _moment(now: dt.datetime) -> sa.ColumnElement[dt.datetime]:
    return sa.literal(now, UTCDateTime())


def record_success(session: Session, webhook_id: int, now: dt.datetime) -> None:
    """A 2xx: the run of failures is over."""
    session.execute(
        sa.update(HOOKS)
        .where(HOOKS.c.id == webhook_id)
        .values(failure_streak=0, failing_since=None, last_success_at=now)
    )


def record_failure(session: Session, webhook_id: int, *, gave_up: bool, now: dt.datetime) -> bool:
    """A failed attempt (``gave_up``: its delivery's last); switch the webhook off when its run
    of failures has gone on too long. False when the webhook is (now) off."""
    row = session.execute(
        sa.update(HOOKS)
        .where(HOOKS.c.id == webhook_id)
        .values(
            failing_since=sa.func.coalesce(HOOKS.c.failing_since, _moment(now)),
            failure_streak=HOOKS.c.failure_streak + (1 if gave_up else 0),
        )
        .returning(HOOKS.c.failure_streak, HOOKS.c.failing_since, HOOKS.c.is_active)
    ).one_or_none()
    if row is None or not row.is_active:
        return False
    if row.failure_streak >= current_app.config["STOOP"].webhook_disable_after:
        disable(session, webhook_id, DisabledReason.FAILED_DELIVERIES, now)
        return False
    if now - row.failing_since > dt.timedelta(days=FAILING_DAYS):
        disable(session, webhook_id, DisabledReason.FAILING_DAYS, now)
        return False
    return True


def disable(session: Session, webhook_id: int, reason: DisabledReason, now: dt.datetime) -> bool:
    """Switch the webhook off (once: False when it already was), fail its waiting deliveries,
    and, unless an admin did it, e-mail the organisation's admins."""
    organisation_id = required_organisation(session, "Switching a webhook off")
    switched = session.execute(
        sa.update(HOOKS)
        .where(
            HOOKS.c.id == webhook_id,
            HOOKS.c.organisation_id == organisation_id,
            HOOKS.c.is_active.is_(True),
        )
        .values(is_active=False, disabled_at=now, disabled_reason=reason.value)
        .returning(HOOKS.c.url, HOOKS.c.failure_streak, HOOKS.c.failing_since)
    ).one_or_none()
    if switched is None:
        return False
    session.execute(
        sa.update(DELIVERIES)
        .where(
            DELIVERIES.c.webhook_id == webhook_id,
            DELIVERIES.c.state == DeliveryState.PENDING.value,
        )
        .values(state=DeliveryState.FAILED.value, next_attempt_at=None, last_error=SWITCHED_OFF)
    )
    if reason != DisabledReason.BY_ADMIN:
        _tell_admins(session, organisation_id, webhook_id, switched, reason, now)
    return True


def switch_on(session: Session, webhook: Webhook) -> None:
    """An admin switches the webhook back on: a fresh start, no failures counted."""
    webhook.is_active = True
    webhook.disabled_at = None
    webhook.disabled_reason = None
    webhook.failure_streak = 0
    webhook.failing_since = None


def _tell_admins(
    session: Session,
    organisation_id: int,
    webhook_id: int,
    switched: sa.Row,
    reason: DisabledReason,
    now: dt.datetime,
) -> None:
    admins = session.scalars(
        sa.select(User).where(User.role == Role.ADMIN, User.is_active.is_(True))
    ).all()
    if not admins:
        return
    context = {
        "url": switched.url,
        "reason": reason.value,
        "streak": switched.failure_streak,
        "failing_since": switched.failing_since,
        "days": FAILING_DAYS,
        "link": absolute_url("webhooks.show", webhook_id=webhook_id),
    }
    stamp = int(now.timestamp())
    messages.queue(
        session,
        organisation_id=organisation_id,
        template="webhooks/email/disabled",
        purpose="webhook_disabled",
        recipients=[
            messages.Recipient(
                address=admin.email,
                dedupe_key=f"webhook_disabled:{webhook_id}:{stamp}:{admin.id}",
                language=admin.locale,
            )
            for admin in admins
        ],
        context=context,
        ref=f"webhook:{webhook_id}",
    )
