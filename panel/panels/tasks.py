"""Periodic work on panels: forget joins whose confirmation can no longer come."""

from __future__ import annotations

from celery import shared_task

from panel.core.extensions import db
from panel.core.scoping import all_organisations
from panel.panels.join import forget_expired


@shared_task(name="panel.panels.tasks.forget_expired_joins", bind=True, acks_late=True)
def forget_expired_joins(self) -> int:  # type: ignore[no-untyped-def]
    """Drop pending joins past their link's or code's expiry; a second run finds none."""
    session = db.session()
    # The same rule in every organisation; the statements touch expired rows only.
    with all_organisations(session):
        dropped = forget_expired(session)
        session.commit()
    return dropped
