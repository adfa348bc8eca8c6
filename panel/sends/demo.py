"""The demo's sends: "Hur trivs du i ditt trapphus?" sent to the panel Tillsammans five days
ago (delivered, a few failed, opened and answered by some, one reminder out), and "Tryggheten
i området på kvällen" scheduled for one of its segments in three days.

Deterministic (a seeded ``random.Random``). The finished send's messages are written as the
delivery left them, so the demo sends nothing for it when it starts.
"""

from __future__ import annotations

import datetime as dt
import random

import sqlalchemy as sa
from sqlalchemy.orm import Session

from notifications.models import DeliveryState, OutboundMessage
from panel.accounts.models import User
from panel.core.db import utcnow
from panel.core.scoping import scoped_to
from panel.organisations.models import Organisation
from panel.panels.models import Panel, Segment
from panel.questions.models import Question, QuestionStatus
from panel.sends.models import Invitation
from panel.sends.service import create_send, start_send

FINISHED = "Hur trivs du i ditt trapphus?"
SCHEDULED = "Tryggheten i området på kvällen"


def seed_demo_sends(session: Session, organisation: Organisation) -> None:
    """A finished send with figures and a scheduled one (nothing without the demo panel)."""
    rng = random.Random(13)
    with scoped_to(session, organisation.id):
        panel = session.scalar(sa.select(Panel).order_by(Panel.id))
        user = session.scalar(sa.select(User).order_by(User.id))
        questions = {
            q.title: q
            for q in session.scalars(
                sa.select(Question).where(Question.status == QuestionStatus.LIVE)
            )
        }
        if panel is None or user is None:
            return
        now = utcnow()
        if FINISHED in questions:
            _finished(session, user, questions[FINISHED], panel, now, rng)
        if SCHEDULED in questions:
            segment = session.scalar(
                sa.select(Segment).where(Segment.panel_id == panel.id).order_by(Segment.id)
            )
            create_send(
                session,
                user,
                questions[SCHEDULED],
                panel,
                segment=segment,
                channels=["sms", "email"],
                scheduled_at=(now + dt.timedelta(days=3)).replace(hour=8, minute=0, second=0),
                remind_after_days=4,
                max_reminders=1,
            )
        session.flush()


def _finished(
    session: Session,
    user: User,
    question: Question,
    panel: Panel,
    now: dt.datetime,
    rng: random.Random,
) -> None:
    started = now - dt.timedelta(days=5, hours=3)
    question.published_at = min(question.published_at or started, started)
    send = create_send(
        session,
        user,
        question,
        panel,
        channels=["email", "sms"],
        scheduled_at=started,
        remind_after_days=3,
        max_reminders=1,
        now=started,
    )
    start_send(session, send.id, now=started)
    messages = session.scalars(
        sa.select(OutboundMessage).where(OutboundMessage.ref == f"send:{send.id}")
    ).all()
    for message in messages:
        roll = rng.random()
        message.sent_at = started + dt.timedelta(seconds=rng.randint(2, 600))
        message.attempts = 1
        if roll < 0.03:
            message.state = DeliveryState.FAILED
            message.error = "550 5.1.1 Mailbox unavailable"
        elif roll < 0.04:
            message.state = DeliveryState.UNKNOWN
        elif message.channel == "sms" and roll < 0.9:
            message.state = DeliveryState.DELIVERED
        else:
            message.state = DeliveryState.SENT
    invitations = session.scalars(sa.select(Invitation).where(Invitation.send_id == send.id))
    for invitation in invitations:
        roll = rng.random()
        if roll < 0.62:
            invitation.opened_at = started + dt.timedelta(minutes=rng.randint(3, 3 * 24 * 60))
        if roll < 0.37:
            invitation.answered_at = invitation.opened_at + dt.timedelta(minutes=rng.randint(1, 9))
        elif roll < 0.8:
            invitation.reminders_sent = 1
            invitation.last_reminded_at = started + dt.timedelta(days=3)
    send.finished_at = started + dt.timedelta(seconds=40)
