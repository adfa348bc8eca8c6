"""The demo's newsletter: "Ni sa, vi gjorde" in Swedish, from the demo report (when the
reports room seeded one), sent to the demo panel a day ago by e-mail and SMS. Its messages are
written to the outbox in the seed's transaction and delivered to the demo's outbox after it
commits, as any newsletter's are."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session

from panel.accounts.models import Role, User
from panel.core.db import utcnow
from panel.core.scoping import scoped_to
from panel.newsletters import service
from panel.newsletters.models import Newsletter
from panel.organisations.models import Organisation
from panel.panels.models import Panel
from panel.reports.models import Report

TITLE = "Ni sa, vi gjorde: hösten i området"
BODY = (
    "Tack till alla som svarade på våra frågor i höstas! Många av er skrev om belysningen på "
    "gården, om tvättstugan och om hur det känns att gå hem på kvällen.\n\n"
    "Här är vad ni sa, och vad vi har gjort sedan dess. Vi fortsätter att fråga, och vi "
    "berättar igen när nästa steg är klart."
)


def seed_demo_newsletter(session: Session, organisation: Organisation) -> None:
    """One sent newsletter (nothing without the demo panel)."""
    with scoped_to(session, organisation.id):
        panel = session.scalar(sa.select(Panel).order_by(Panel.id))
        user = session.scalar(
            sa.select(User).where(User.role == Role.COMMUNICATOR).order_by(User.id)
        ) or session.scalar(sa.select(User).order_by(User.id))
        if panel is None or user is None:
            return
        report = session.scalar(sa.select(Report).order_by(Report.id))
        draft = service.Draft(
            title=TITLE,
            body=BODY,
            language="sv",
            audience="panel",
            panel_id=panel.id,
            channels=["email", "sms"],
            report_id=report.id if report else None,
            join_panel_id=panel.id,
        )
        if report is not None:
            figures = service.available_figures(session, report)
            draft.figures = [f.key for f in figures if f.kind in ("answers", "share")][:3]
            draft.quotes = [a.id for a in service.quote_choices(session, report)[:3]]
            draft.actions = [i.id for i in service.action_choices(session, report, None)[:5]]
            # A recording's words, where its tenant allowed both showing it and quoting them.
            draft.clip = next(
                (
                    a.id
                    for a in service.clip_choices(session, report)
                    if a.consent_quote and (a.text or (a.media and a.media.transcript))
                ),
                None,
            )
        newsletter = service.create_newsletter(session, user, draft)
        send_now(session, newsletter, utcnow() - dt.timedelta(days=1))
        session.flush()


def send_now(session: Session, newsletter: Newsletter, when: dt.datetime) -> None:
    """Send in the caller's transaction (the demo: a few hundred contacts, no task)."""
    content = dict(service.content_of(newsletter))
    content["shown_figures"] = service.shown_figures(session, newsletter)
    planned = service.plan(session, newsletter)
    content["planned"] = planned.total
    newsletter.content = content
    newsletter.status = service.Status.SENDING
    newsletter.sent_at = when
    session.flush()
    shown = service.view(session, newsletter)
    skipped = planned.skipped
    for channel, people in planned.chosen.items():
        for batch in service.batches(people):
            skipped["opted_out"] += service.queue_batch(session, newsletter, channel, batch, shown)
    service.finish(session, newsletter, skipped)
