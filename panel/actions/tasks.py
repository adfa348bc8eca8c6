"""Periodic work on action plans: the reminders before due dates
(:mod:`panel.actions.reminders`), hourly; safe to run twice at once."""

from __future__ import annotations

from celery import shared_task

from panel.actions import reminders


@shared_task(name="panel.actions.tasks.send_reminders", acks_late=True)
def send_reminders() -> int:
    """Queue the reminders that are due in every organisation; how many were queued."""
    return reminders.send_reminders()
