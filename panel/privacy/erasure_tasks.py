"""Erasure tasks: run a confirmed erasure, and the sweep that runs again those left
confirmed or running (a worker killed half-way, a storage that was unreachable).

Enqueued only through ``panel.core.celery.enqueue_after_commit``; ids, never objects. Running an
erasure twice does nothing the second time: its steps done are recorded.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task

from panel.core.celery import enqueue_after_commit
from panel.core.db import get_session
from panel.core.scoping import all_organisations
from panel.privacy import erasure


@shared_task(
    name="panel.privacy.erasure_tasks.run_erasure", bind=True, acks_late=True, max_retries=3
)
def run_erasure(self: Any, erasure_request_id: int) -> str | None:
    """Work through a confirmed erasure; the state it ends in (None: no such request)."""
    request = erasure.run(get_session(), erasure_request_id)
    return None if request is None else request.state


@shared_task(name="panel.privacy.erasure_tasks.erasures_left_over")
def erasures_left_over() -> int:
    """Queue again every erasure confirmed or running. Safe twice at once: a step run twice
    changes nothing. Returns how many were queued."""
    session = get_session()
    with all_organisations(session):
        waiting = erasure.left_over(session)
    for request_id, _organisation_id in waiting:
        enqueue_after_commit(session, run_erasure, request_id)
    session.commit()
    return len(waiting)
