"""Answer rate per send: invitations answered / invitations delivered, in one grouped query.

Which sends: those of the report's questions (every send when the report chose neither
questions nor touchpoints; none when it chose only touchpoints, which sends do not go through)
that have started (``sending`` or ``sent``), started within the report's dates when it has
them (days on the organisation's clock). The place and segment filters narrow the invitations
to contacts at the place (or below) and in the segments, as they narrow the answers.

What "delivered" means. A send writes one :class:`~panel.sends.models.Invitation` per person
and queues one outbound message for it (``dedupe_key`` ``send-<send id>-<contact id>``, unique
per organisation, which is how the two are joined here). An invitation counts as delivered when
its message reached the provider and was not reported lost: state ``sent`` (an e-mail accepted
by the mail server, which never reports more; an SMS whose delivery report has not come) or
``delivered`` (the provider's report). Queued, leased, failed, undelivered, unknown (the
worker died while handing over) and suppressed (opted out before it went) messages do not
count. An answered invitation always counts as delivered: the person evidently got the link
(its message row may have been erased, or be ``unknown``). Answered: ``answered_at`` is set.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from notifications.models import DeliveryState, OutboundMessage
from panel.contacts.models import Contact
from panel.panels.models import Panel, Segment
from panel.questions.models import Question
from panel.reports.filters import places_below, segment_members, time_window
from panel.sends.models import Invitation, Send, SendStatus

if TYPE_CHECKING:
    from panel.reports.figures import ReportFilter, SendRate

REACHED = (DeliveryState.SENT.value, DeliveryState.DELIVERED.value)
STARTED = (SendStatus.SENDING, SendStatus.SENT)


def send_rates(
    session: Session, report_filter: ReportFilter, zone: dt.tzinfo = dt.UTC
) -> tuple[SendRate, ...]:
    """The answer rate of every send the report covers, newest first."""
    from panel.reports.figures import SendRate

    organisation_id = report_filter.organisation_id
    if report_filter.touchpoint_ids and not report_filter.question_ids:
        return ()
    message = OutboundMessage.__table__
    started = sa.func.coalesce(Send.started_at, Send.scheduled_at)
    key = (
        sa.literal("send-")
        + sa.cast(Invitation.send_id, sa.String)
        + sa.literal("-")
        + sa.cast(Invitation.contact_id, sa.String)
    )
    answered = Invitation.answered_at.is_not(None)
    delivered = sa.or_(answered, message.c.state.in_(REACHED))
    query = (
        sa.select(
            Send.id,
            Question.title,
            Panel.name,
            Segment.name,
            started,
            sa.func.count(Invitation.id).filter(delivered)
            if _has_filter(session)
            else sa.func.sum(sa.case((delivered, 1), else_=0)),
            sa.func.count(Invitation.answered_at),
        )
        .select_from(Send)
        .join(Question, Question.id == Send.question_id)
        .join(Panel, Panel.id == Send.panel_id)
        .outerjoin(Segment, Segment.id == Send.segment_id)
        .join(
            Invitation,
            sa.and_(Invitation.send_id == Send.id, Invitation.organisation_id == organisation_id),
        )
        .outerjoin(
            message,
            sa.and_(message.c.organisation_id == organisation_id, message.c.dedupe_key == key),
        )
        .where(Send.organisation_id == organisation_id, Send.status.in_(STARTED))
        .group_by(Send.id, Question.title, Panel.name, Segment.name, started)
        .order_by(started.desc(), Send.id.desc())
        .execution_options(all_organisations=True)
    )
    if report_filter.question_ids:
        query = query.where(Send.question_id.in_(list(report_filter.question_ids)))
    since, until = time_window(report_filter.starts_on, report_filter.ends_on, zone)
    if since is not None:
        query = query.where(started >= since)
    if until is not None:
        query = query.where(started < until)
    if report_filter.place_id is not None:
        at_place = sa.select(Contact.id).where(
            Contact.organisation_id == organisation_id,
            Contact.place_id.in_(places_below(organisation_id, report_filter.place_id)),
        )
        query = query.where(Invitation.contact_id.in_(at_place))
    if report_filter.segment_ids:
        members = segment_members(session, organisation_id, report_filter.segment_ids)
        if members is None:
            return ()
        query = query.where(Invitation.contact_id.in_(members))
    return tuple(
        SendRate(
            send_id=send_id,
            question_title=title,
            audience=f"{panel}: {segment}" if segment else panel,
            sent_at=_aware(sent_at),
            delivered=int(delivered_count or 0),
            answered=int(answered_count or 0),
        )
        for send_id, title, panel, segment, sent_at, delivered_count, answered_count in (
            session.execute(query)
        )
    )


def _has_filter(session: Session) -> bool:
    """Whether the database takes ``FILTER (WHERE ...)`` on an aggregate (PostgreSQL does;
    SQLite since 3.30, but a CASE is as fast there and works everywhere)."""
    return session.get_bind().dialect.name == "postgresql"


def _aware(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value
