"""Renders of a report's highlight reel: ask for one (the current one is reused), find the
latest, and take a clip out when its consent to be shown is revoked."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from media.storage import Storage
from panel.answers.models import Answer
from panel.core.celery import enqueue_after_commit
from panel.core.errors import ValidationError
from panel.core.i18n import lazy_text as _l
from panel.core.scoping import scoped_to
from panel.reports.models import ReelRender, Report, ReportItem
from panel.reports.reel import EMPTY_NO_CLIPS, EMPTY_NO_CONSENT, Plan
from panel.reports.reel_render import DONE, QUEUED, RENDERING, WITHDRAWN, discard_file
from panel.reports.reel_service import current_plan
from panel.reports.reel_tasks import render_reel

EMPTY_MESSAGES = {
    EMPTY_NO_CLIPS: _l("There is nothing to render: no clips are picked for this report."),
    EMPTY_NO_CONSENT: _l(
        "There is nothing to render: the tenants have not allowed their picked clips to be shown."
    ),
}
NOT_READY_MESSAGE = _l("There is nothing to render: the picked clips are not processed yet.")
LIVE_STATES = (QUEUED, RENDERING, DONE)


def renders_of(session: Session, report_id: int) -> list[ReelRender]:
    """The report's renders, newest first."""
    return list(
        session.scalars(
            sa.select(ReelRender)
            .where(ReelRender.report_id == report_id)
            .order_by(ReelRender.created_at.desc(), ReelRender.id.desc())
        )
    )


def get_render(session: Session, report_id: int, render_id: int) -> ReelRender | None:
    return session.scalar(
        sa.select(ReelRender).where(ReelRender.id == render_id, ReelRender.report_id == report_id)
    )


def reusable(session: Session, plan: Plan) -> ReelRender | None:
    """A render of exactly this plan that is queued, rendering or done with its file."""
    for render in renders_of(session, plan.report_id):
        if render.plan_hash != plan.hash or render.state not in LIVE_STATES:
            continue
        if render.state != DONE or render.storage_key:
            return render
    return None


def request_render(
    session: Session, report: Report, *, user_id: int | None = None
) -> tuple[ReelRender, bool]:
    """The render of the reel as it is now: an existing one of the same plan, or a new one
    queued after the commit. Returns (render, made now). ValidationError when there is
    nothing to render, saying why."""
    plan = current_plan(session, report)
    if not plan.clips:
        raise ValidationError(
            EMPTY_MESSAGES.get(plan.empty_reason or "", NOT_READY_MESSAGE), code="reel_empty"
        )
    found = reusable(session, plan)
    if found is not None:
        return found, False
    return queue_render(session, plan, user_id=user_id), True


def queue_render(
    session: Session, plan: Plan, *, user_id: int | None = None, send: bool = True
) -> ReelRender:
    """A new queued render of ``plan``, handed to the speech queue after the commit (or, with
    ``send=False``, left for the periodic sweep :func:`~panel.reports.reel_tasks.render_missed`
    to hand over)."""
    render = ReelRender(
        report_id=plan.report_id,
        plan_hash=plan.hash,
        state=QUEUED,
        clips=len(plan.clips),
        created_by_id=user_id,
    )
    session.add(render)
    session.flush()
    if send:
        enqueue_after_commit(session, render_reel, render.id)
    return render


def withdraw_clip(session: Session, answer: Answer, storage: Storage) -> int:
    """An answer's clip may no longer be shown: every report that has it as a clip loses the
    renders that may hold it (their files deleted now) and, when it has other clips, gets a
    new render queued without it. The player needs nothing: it plans every request afresh.
    Returns how many renders were withdrawn."""
    withdrawn = 0
    with scoped_to(session, answer.organisation_id):
        reports = session.scalars(
            sa.select(Report)
            .join(ReportItem, ReportItem.report_id == Report.id)
            .where(ReportItem.answer_id == answer.id, ReportItem.kind == "clip")
        ).all()
        for report in reports:
            plan = current_plan(session, report)
            stale = [r for r in renders_of(session, report.id) if r.plan_hash != plan.hash]
            held = [r for r in stale if r.state == DONE and r.storage_key]
            for render in held:
                discard_file(storage, render, WITHDRAWN)
            in_flight = any(r.state == RENDERING for r in stale)
            waiting = any(r.state == QUEUED for r in renders_of(session, report.id))
            if (held or in_flight) and plan.clips and not waiting and not reusable(session, plan):
                queue_render(session, plan)
            withdrawn += len(held)
    return withdrawn
