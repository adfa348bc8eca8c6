"""Sends: a live question to a panel or a segment, each member invited on the first channel
they can be reached on, with a personal link, reminders, and the figures of its progress.

A send is written by staff (``create_send``) and started once it is due (``start_send``, by
a task after the commit, or by the periodic job for scheduled sends). Starting is one
transaction: the send is claimed (``scheduled`` → ``sending`` by a guarded UPDATE, so two
workers never both start it), the invitations and their outbox rows are written in bulk, and
the send is marked ``sent``. A worker that dies half-way rolls it all back; the periodic job
starts it again. The outbox delivers each message at most once.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from notifications.messages import Recipient, queue_bulk
from notifications.models import Channel, DeliveryState, OutboundMessage
from notifications.optouts import suppressed
from panel.accounts.models import User
from panel.contacts.models import Contact
from panel.core.celery import enqueue_after_commit
from panel.core.db import utcnow
from panel.core.errors import Conflict, NotFound, ValidationError
from panel.core.i18n import lazy_text as _l
from panel.core.routing import parse_id
from panel.core.scoping import required_organisation
from panel.organisations.models import Organisation
from panel.panels.models import Panel, Segment
from panel.panels.segments import recipient_contact_ids
from panel.questions.models import Question, QuestionStatus
from panel.questions.service import accepts_answers
from panel.sends.models import Invitation, Send, SendStatus, SkipReason
from panel.webhooks.events import SEND_FINISHED, send_finished
from panel.webhooks.service import emit

CHANNELS = ("email", "sms")
MAX_REMINDERS = 5
MAX_REMIND_AFTER_DAYS = 30
# A personal link without a closing date on its question lasts this long.
LINK_DAYS = 60
INVITATION = "send-invitation"
REMINDER = "send-reminder"
TEMPLATES = {"email": "sends/invitation_email", "sms": "sends/invitation_sms"}
REMINDER_TEMPLATES = {"email": "sends/reminder_email", "sms": "sends/reminder_sms"}
INVITATIONS = Invitation.__table__


def _invalid(field: str, message: Any) -> ValidationError:
    return ValidationError(message, details={field: [message]})


def new_token() -> str:
    """A personal link's token: 192 random bits, URL-safe, saying nothing about anyone."""
    return secrets.token_urlsafe(24)


def answer_link(token: str) -> str:
    """The absolute personal link ``/a/<token>`` (in e-mails and SMS)."""
    base = current_app.config["STOOP"].base_url.rstrip("/")
    return f"{base}/a/{token}"


# --- writing a send ---------------------------------------------------------------------------


def clean_channels(channels: Any) -> list[str]:
    """The channels in preference order: e-mail and/or SMS, each once."""
    if isinstance(channels, str):
        channels = [channels]
    if not isinstance(channels, list | tuple) or not channels:
        raise _invalid("channels", _l("Choose at least one channel: e-mail, SMS or both."))
    cleaned: list[str] = []
    for channel in channels:
        if channel not in CHANNELS:
            raise _invalid(
                "channels",
                _l("Unknown channel %(channel)s: use email or sms.", channel=str(channel)[:20]),
            )
        if channel not in cleaned:
            cleaned.append(channel)
    return cleaned


def _reminders(remind_after_days: Any, max_reminders: Any) -> tuple[int | None, int]:
    if max_reminders in (None, "", 0, "0"):
        return None, 0
    try:
        count, days = int(max_reminders), int(remind_after_days)
    except (TypeError, ValueError):
        raise _invalid(
            "remind_after_days", _l("Reminders need a number of days and a number of reminders.")
        ) from None
    if not 0 <= count <= MAX_REMINDERS:
        raise _invalid("max_reminders", _l("At most %(n)s reminders.", n=MAX_REMINDERS))
    if not 1 <= days <= MAX_REMIND_AFTER_DAYS:
        raise _invalid(
            "remind_after_days", _l("Remind after 1 to %(n)s days.", n=MAX_REMIND_AFTER_DAYS)
        )
    return (days if count else None), count


def create_send(
    session: Session,
    user: User,
    question: Question,
    panel: Panel,
    *,
    segment: Segment | None = None,
    channels: Any = ("email", "sms"),
    scheduled_at: dt.datetime | None = None,
    remind_after_days: Any = None,
    max_reminders: Any = 0,
    now: dt.datetime | None = None,
) -> Send:
    """Write a send of a live question to a panel (or one of its segments); it starts at
    ``scheduled_at`` (now when None or past). The caller commits; the send starts after."""
    now = now or utcnow()
    if not accepts_answers(question, now):
        raise Conflict(
            _l("Only a live question that takes answers can be sent. Publish it first."),
            code="question_not_live",
        )
    if segment is not None and segment.panel_id != panel.id:
        raise _invalid("segment_id", _l("That segment belongs to another panel."))
    when = scheduled_at if scheduled_at is not None and scheduled_at > now else now
    if question.closes_at is not None and when >= question.closes_at:
        raise _invalid(
            "scheduled_at",
            _l("The question closes before the send would start. Pick an earlier time."),
        )
    days, count = _reminders(remind_after_days, max_reminders)
    send = Send(
        organisation_id=question.organisation_id,
        question_id=question.id,
        panel_id=panel.id,
        segment_id=segment.id if segment is not None else None,
        created_by_id=user.id,
        channels=clean_channels(list(channels)),
        scheduled_at=when,
        remind_after_days=days,
        max_reminders=count,
        skipped={},
    )
    session.add(send)
    session.flush()
    if when <= now:
        from panel.sends.tasks import start

        enqueue_after_commit(session, start, send.id)
    return send


def get_send(session: Session, send_id: Any) -> Send:
    """A send of the session's organisation, or NotFound."""
    send = session.get(Send, parse_id(send_id))
    if send is None:
        raise NotFound(_l("There is no such send. It may have been deleted."))
    return send


def cancel_send(session: Session, send: Send) -> None:
    """Cancel a send that has not started."""
    done = session.execute(
        sa.update(Send)
        .where(Send.id == send.id, Send.status == SendStatus.SCHEDULED)
        .values(status=SendStatus.CANCELLED, finished_at=utcnow())
    ).rowcount
    if not done:
        raise Conflict(_l("This send has started already and can no longer be cancelled."))
    session.refresh(send)


# --- starting a send ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    contact_id: int
    name: str
    email: str | None
    phone: str | None
    language: str

    def address(self, channel: str) -> str | None:
        return self.email if channel == "email" else self.phone


def _claim(session: Session, send_id: int, organisation_id: int, now: dt.datetime) -> bool:
    return bool(
        session.execute(
            sa.update(Send)
            .where(
                Send.id == send_id,
                Send.organisation_id == organisation_id,
                Send.status == SendStatus.SCHEDULED,
                Send.scheduled_at <= now,
            )
            .values(status=SendStatus.SENDING, started_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
    )


def start_send(session: Session, send_id: int, *, now: dt.datetime | None = None) -> bool:
    """Start a due send: invite every member it reaches and queue their messages, in the
    session's transaction (the caller commits). False when it is not due or not scheduled
    (started by someone else, cancelled): safe to call twice."""
    now = now or utcnow()
    organisation_id = required_organisation(session, "Starting a send")
    if not _claim(session, send_id, organisation_id, now):
        return False
    send = session.get(Send, send_id)
    assert send is not None
    session.refresh(send)
    question = send.question
    skipped: Counter[str] = Counter()
    people = _members(session, send)
    people = _without_asked_before(session, send, people, skipped)
    people = _within_fatigue_cap(session, send, people, skipped, now)
    chosen = _choose_channels(session, send, people, skipped)
    expires = question.closes_at or now + dt.timedelta(days=LINK_DAYS)
    invited = 0
    for channel, group in chosen.items():
        invited += _invite(session, send, channel, group, expires, now, skipped)
    send.invited = invited
    send.skipped = dict(skipped)
    send.status = SendStatus.SENT
    send.finished_at = utcnow()
    emit(session, organisation_id, SEND_FINISHED, send_finished(send))
    return True


def _members(session: Session, send: Send) -> list[Person]:
    # The members' own statement, reading the columns a message needs (one join, no IN).
    members = recipient_contact_ids(session, send.panel_id, send.segment_id)
    rows = session.execute(
        members.with_only_columns(
            Contact.id, Contact.name, Contact.email, Contact.phone, Contact.language
        ).order_by(Contact.id)
    ).all()
    return [Person(r.id, r.name or "", r.email, r.phone, r.language or "sv") for r in rows]


def _without_asked_before(
    session: Session, send: Send, people: list[Person], skipped: Counter[str]
) -> list[Person]:
    """Nobody is asked the same question twice (another send of it reached them)."""
    asked = set(
        session.scalars(
            sa.select(INVITATIONS.c.contact_id).where(
                INVITATIONS.c.organisation_id == send.organisation_id,
                INVITATIONS.c.question_id == send.question_id,
                INVITATIONS.c.contact_id.is_not(None),
            )
        )
    )
    kept = [p for p in people if p.contact_id not in asked]
    if len(kept) != len(people):
        skipped[SkipReason.ASKED_BEFORE.value] += len(people) - len(kept)
    return kept


def month_start(now: dt.datetime) -> dt.datetime:
    """The first instant of ``now``'s calendar month (UTC): the fatigue cap's period."""
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def questions_this_month(
    session: Session, organisation_id: int, contact_ids: Sequence[int], now: dt.datetime
) -> dict[int, int]:
    """How many different questions each contact was invited to this calendar month."""
    counted: dict[int, int] = {}
    for chunk in _chunks(list(contact_ids)):
        rows = session.execute(
            sa.select(
                INVITATIONS.c.contact_id, sa.func.count(sa.distinct(INVITATIONS.c.question_id))
            )
            .where(
                INVITATIONS.c.organisation_id == organisation_id,
                INVITATIONS.c.contact_id.in_(chunk),
                INVITATIONS.c.created_at >= month_start(now),
            )
            .group_by(INVITATIONS.c.contact_id)
        )
        counted.update({contact_id: n for contact_id, n in rows})
    return counted


def _within_fatigue_cap(
    session: Session, send: Send, people: list[Person], skipped: Counter[str], now: dt.datetime
) -> list[Person]:
    cap = session.scalar(
        sa.select(Organisation.fatigue_cap).where(Organisation.id == send.organisation_id)
    )
    if not cap:
        return people
    counted = questions_this_month(
        session, send.organisation_id, [p.contact_id for p in people], now
    )
    kept = [p for p in people if counted.get(p.contact_id, 0) < cap]
    if len(kept) != len(people):
        skipped[SkipReason.FATIGUE.value] += len(people) - len(kept)
    return kept


def _choose_channels(
    session: Session, send: Send, people: list[Person], skipped: Counter[str]
) -> dict[str, list[Person]]:
    """Each person on the first of the send's channels they have an address on and did not
    opt out of; counted as skipped otherwise."""
    held = {c: suppressed(session, send.organisation_id, Channel(c)) for c in send.channels}
    chosen: dict[str, list[Person]] = {c: [] for c in send.channels}
    for person in people:
        reachable = [c for c in send.channels if person.address(c)]
        allowed = [c for c in reachable if not held[c].holds(person.contact_id, person.address(c))]
        if allowed:
            chosen[allowed[0]].append(person)
        elif reachable:
            skipped[SkipReason.OPTED_OUT.value] += 1
        else:
            skipped[SkipReason.NO_CHANNEL.value] += 1
    return chosen


def _invite(
    session: Session,
    send: Send,
    channel: str,
    people: list[Person],
    expires: dt.datetime,
    now: dt.datetime,
    skipped: Counter[str],
) -> int:
    """Write the invitations of one channel and queue their messages; how many were queued."""
    if not people:
        return 0
    tokens = {p.contact_id: new_token() for p in people}
    rows = [
        {
            "organisation_id": send.organisation_id,
            "token": tokens[p.contact_id],
            "question_id": send.question_id,
            "contact_id": p.contact_id,
            "send_id": send.id,
            "channel": channel,
            "created_at": now,
            "expires_at": expires,
            "reminders_sent": 0,
        }
        for p in people
    ]
    session.execute(sa.insert(INVITATIONS), rows)
    queued = queue_bulk(
        session,
        organisation_id=send.organisation_id,
        template=TEMPLATES[channel],
        purpose=INVITATION,
        list_key=f"panel-{send.panel_id}",
        recipients=[
            _recipient(p, channel, tokens[p.contact_id], f"send-{send.id}-{p.contact_id}")
            for p in people
        ],
        context=message_context(send),
        channel=Channel(channel),
        ref=f"send:{send.id}",
    )
    if queued.skipped_contact_ids:
        # Opted out between the choice above and the queue (another request): no link for them.
        session.execute(
            sa.delete(INVITATIONS).where(
                INVITATIONS.c.organisation_id == send.organisation_id,
                INVITATIONS.c.send_id == send.id,
                INVITATIONS.c.contact_id.in_(list(queued.skipped_contact_ids)),
            )
        )
        skipped[SkipReason.OPTED_OUT.value] += len(queued.skipped_contact_ids)
    return len(people) - len(queued.skipped_contact_ids)


def _recipient(person: Person, channel: str, token: str, dedupe_key: str) -> Recipient:
    return Recipient(
        address=person.address(channel) or "",
        dedupe_key=dedupe_key,
        language=person.language,
        values={"name": person.name or "", "link": answer_link(token)},
        contact_id=person.contact_id,
    )


def message_context(send: Send) -> dict[str, Any]:
    """What the invitation and reminder templates show of the question."""
    return _question_context(send.question)


def _question_context(question: Question) -> dict[str, Any]:
    from media.service import media_urls

    poster = None
    if question.media is not None:
        poster = media_urls(question.media, absolute=True).get("poster")
    return {
        "question_title": question.title,
        "question_prompt": question.prompt or "",
        "poster": poster,
        "closes_at": question.closes_at,
        # A score can be sent back as an SMS reply (panel.answers.inbound reads it).
        "replies_with_score": "score" in (question.answer_modes or []),
    }


def _chunks(values: list[int], size: int = 900) -> Iterable[list[int]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


# --- reminders ---------------------------------------------------------------------------------


def send_reminders(session: Session, *, now: dt.datetime | None = None) -> int:
    """Remind everyone due a reminder in the session's organisation: invited by a send that
    reminds, not answered, link still valid, question still taking answers, the last message
    ``remind_after_days`` ago, fewer than ``max_reminders`` reminders so far. Each reminder is
    claimed by a guarded UPDATE and has its own dedupe key: a second run sends none twice."""
    now = now or utcnow()
    organisation_id = required_organisation(session, "Sending reminders")
    # Only sends whose question still takes answers: the list does not grow with the years.
    sends = session.scalars(
        sa.select(Send)
        .join(Question, Question.id == Send.question_id)
        .where(
            Send.organisation_id == organisation_id,
            Send.status == SendStatus.SENT,
            Send.max_reminders > 0,
            Question.status == QuestionStatus.LIVE,
        )
    ).all()
    total = 0
    for send in sends:
        if not accepts_answers(send.question, now) or send.remind_after_days is None:
            continue
        total += _remind(session, send, now)
    return total


def _remind(session: Session, send: Send, now: dt.datetime) -> int:
    due_before = now - dt.timedelta(days=send.remind_after_days or 0)
    last = sa.func.coalesce(INVITATIONS.c.last_reminded_at, INVITATIONS.c.created_at)
    claimed = session.execute(
        sa.update(INVITATIONS)
        .where(
            INVITATIONS.c.organisation_id == send.organisation_id,
            INVITATIONS.c.send_id == send.id,
            INVITATIONS.c.answered_at.is_(None),
            INVITATIONS.c.expires_at > now,
            INVITATIONS.c.reminders_sent < send.max_reminders,
            last <= due_before,
        )
        .values(reminders_sent=INVITATIONS.c.reminders_sent + 1, last_reminded_at=now)
        .returning(
            INVITATIONS.c.contact_id,
            INVITATIONS.c.token,
            INVITATIONS.c.channel,
            INVITATIONS.c.reminders_sent,
        )
    ).all()
    if not claimed:
        return 0
    contacts = {
        c.id: c
        for c in session.execute(
            sa.select(
                Contact.id, Contact.name, Contact.email, Contact.phone, Contact.language
            ).where(
                Contact.organisation_id == send.organisation_id,
                Contact.id.in_([row.contact_id for row in claimed if row.contact_id]),
            )
        )
    }
    reminded = 0
    for channel in CHANNELS:
        recipients = []
        for row in claimed:
            contact = contacts.get(row.contact_id)
            if row.channel != channel or contact is None:
                continue
            person = Person(
                contact.id, contact.name or "", contact.email, contact.phone, contact.language
            )
            if not person.address(channel):
                continue
            key = f"send-{send.id}-{contact.id}-reminder-{row.reminders_sent}"
            recipients.append(_recipient(person, channel, row.token, key))
        if not recipients:
            continue
        queued = queue_bulk(
            session,
            organisation_id=send.organisation_id,
            template=REMINDER_TEMPLATES[channel],
            purpose=REMINDER,
            list_key=f"panel-{send.panel_id}",
            recipients=recipients,
            context=message_context(send),
            channel=Channel(channel),
            ref=f"send:{send.id}",
        )
        reminded += len(queued.ids)
    return reminded


# --- progress ------------------------------------------------------------------------------------

STATES = ("queued", "sent", "delivered", "failed", "unknown", "suppressed")


def progress(session: Session, send: Send) -> dict[str, Any]:
    """The send's figures: invited, skipped (by reason), the invitations' messages by state
    (queued includes those being handed over), opened and answered links, and the share done."""
    organisation_id = send.organisation_id
    table = OutboundMessage.__table__
    by_state: Counter[str] = Counter()
    for state, count in session.execute(
        sa.select(table.c.state, sa.func.count())
        .where(
            table.c.organisation_id == organisation_id,
            table.c.ref == f"send:{send.id}",
            table.c.purpose == INVITATION,
        )
        .group_by(table.c.state)
    ):
        by_state[_bucket(DeliveryState(state))] += count
    links = session.execute(
        sa.select(
            sa.func.count(INVITATIONS.c.opened_at), sa.func.count(INVITATIONS.c.answered_at)
        ).where(INVITATIONS.c.organisation_id == organisation_id, INVITATIONS.c.send_id == send.id)
    ).one()
    invited = send.invited or sum(by_state.values())
    # Held back at delivery (the person opted out after the send queued it): done, not sent.
    handed = sum(by_state[s] for s in ("sent", "delivered", "failed", "unknown", "suppressed"))
    return {
        "status": send.status.value,
        "invited": invited,
        "skipped": dict(send.skipped or {}),
        "skipped_total": send.skipped_total,
        **{state: by_state[state] for state in STATES},
        "opened": links[0],
        "answered": links[1],
        "done_percent": round(100 * handed / invited) if invited else 0,
        "finished": send.status == SendStatus.SENT and by_state["queued"] == 0,
    }


def _bucket(state: DeliveryState) -> str:
    if state in (DeliveryState.QUEUED, DeliveryState.CLAIMED, DeliveryState.SENDING):
        return "queued"
    if state == DeliveryState.UNDELIVERED:
        return "failed"
    return state.value


# --- personal links -----------------------------------------------------------------------------


def find_invitation(session: Session, token: str) -> Invitation | None:
    """The invitation of a personal link (any organisation: the link is all the visitor has)."""
    if not token or len(token) > 64 or not token.replace("-", "").replace("_", "").isalnum():
        return None
    return session.scalar(
        sa.select(Invitation)
        .where(Invitation.token == token)
        .execution_options(all_organisations=True)
    )


def mark_opened(session: Session, invitation: Invitation, now: dt.datetime | None = None) -> None:
    """Record the first time the link was opened."""
    if invitation.opened_at is None:
        session.execute(
            sa.update(INVITATIONS)
            .where(INVITATIONS.c.id == invitation.id, INVITATIONS.c.opened_at.is_(None))
            .values(opened_at=now or utcnow())
        )


# --- one person, at the right moment (a touchpoint's trigger) -------------------------------------


@dataclass(frozen=True)
class Triggered:
    """What a trigger did: the invitation (new or found by its idempotency key), whether this
    call made it, and why no message went out (``opted_out``), if so."""

    invitation: Invitation
    created: bool
    skipped: str | None


def invite_one(
    session: Session,
    *,
    question: Question,
    contact: Contact,
    channel: str,
    touchpoint_id: int | None,
    external_ref: str | None,
    idempotency_key: str | None,
    list_key: str,
    now: dt.datetime | None = None,
) -> Triggered:
    """Invite one contact to answer ``question`` now, on ``channel``, with a personal link; the
    caller commits. The same ``idempotency_key`` again returns the first invitation and sends
    nothing. A contact who opted out of the channel gets an invitation but no message."""
    now = now or utcnow()
    organisation_id = required_organisation(session, "Inviting a contact")
    if idempotency_key:
        found = _by_idempotency_key(session, organisation_id, idempotency_key)
        if found is not None:
            return Triggered(found, False, None if _messaged(session, found) else "opted_out")
    if not accepts_answers(question, now):
        raise Conflict(
            _l("The touchpoint's question does not take answers now."), code="question_not_live"
        )
    invitation = Invitation(
        organisation_id=organisation_id,
        token=new_token(),
        question_id=question.id,
        contact_id=contact.id,
        touchpoint_id=touchpoint_id,
        channel=channel,
        external_ref=external_ref,
        idempotency_key=idempotency_key,
        created_at=now,
        expires_at=question.closes_at or now + dt.timedelta(days=LINK_DAYS),
    )
    session.add(invitation)
    session.flush()
    person = Person(
        contact.id, contact.name or "", contact.email, contact.phone, contact.language or "sv"
    )
    queued = queue_bulk(
        session,
        organisation_id=organisation_id,
        template=TEMPLATES[channel],
        purpose=INVITATION,
        list_key=list_key,
        recipients=[_recipient(person, channel, invitation.token, f"invitation-{invitation.id}")],
        context=_question_context(question),
        channel=Channel(channel),
        ref=f"invitation:{invitation.id}",
    )
    return Triggered(invitation, True, SkipReason.OPTED_OUT.value if queued.skipped else None)


def _by_idempotency_key(session: Session, organisation_id: int, key: str) -> Invitation | None:
    return session.scalar(
        sa.select(Invitation).where(
            Invitation.organisation_id == organisation_id, Invitation.idempotency_key == key
        )
    )


def _messaged(session: Session, invitation: Invitation) -> bool:
    table = OutboundMessage.__table__
    return bool(
        session.scalar(
            sa.select(sa.func.count()).where(
                table.c.organisation_id == invitation.organisation_id,
                table.c.ref == f"invitation:{invitation.id}",
            )
        )
    )


# --- an area blast (a touchpoint of kind e-mail or SMS) ------------------------------------------


@dataclass(frozen=True)
class Blast:
    """What an area blast did: how many were invited, and how many skipped by reason."""

    invited: int
    skipped: dict[str, int]


def blast(
    session: Session,
    *,
    touchpoint_id: int,
    question: Question,
    place_id: int | None,
    channel: str,
    now: dt.datetime | None = None,
) -> Blast:
    """Ask every contact at ``place_id`` (or anywhere below it; the whole organisation
    without a place) the question by ``channel``, each with a personal link; the caller
    commits. Contacts without an address on the channel, who opted out, who reached the
    fatigue cap or who were asked this question before are skipped: a second blast of the
    same question sends nothing again."""
    from panel.panels.segments import criteria_filters

    now = now or utcnow()
    organisation_id = required_organisation(session, "An area blast")
    if not accepts_answers(question, now):
        raise Conflict(
            _l("The touchpoint's question does not take answers now."), code="question_not_live"
        )
    channel = clean_channels([channel])[0]
    rows = session.execute(
        sa.select(Contact.id, Contact.name, Contact.email, Contact.phone, Contact.language)
        .where(
            Contact.organisation_id == organisation_id,
            *criteria_filters(session, organisation_id, place_id=place_id),
        )
        .order_by(Contact.id)
    ).all()
    skipped: Counter[str] = Counter()
    people = [Person(r.id, r.name or "", r.email, r.phone, r.language or "sv") for r in rows]
    reachable = [p for p in people if p.address(channel)]
    if len(reachable) != len(people):
        skipped[SkipReason.NO_CHANNEL.value] += len(people) - len(reachable)
    # The checks of a send, on a stand-in for one: same organisation, same question.
    stand_in = Send(organisation_id=organisation_id, question_id=question.id, channels=[channel])
    people = _without_asked_before(session, stand_in, reachable, skipped)
    people = _within_fatigue_cap(session, stand_in, people, skipped, now)
    held = suppressed(session, organisation_id, Channel(channel))
    allowed = [p for p in people if not held.holds(p.contact_id, p.address(channel))]
    if len(allowed) != len(people):
        skipped[SkipReason.OPTED_OUT.value] += len(people) - len(allowed)
    if not allowed:
        return Blast(0, dict(skipped))
    tokens = {p.contact_id: new_token() for p in allowed}
    expires = question.closes_at or now + dt.timedelta(days=LINK_DAYS)
    session.execute(
        sa.insert(INVITATIONS),
        [
            {
                "organisation_id": organisation_id,
                "token": tokens[p.contact_id],
                "question_id": question.id,
                "contact_id": p.contact_id,
                "touchpoint_id": touchpoint_id,
                "channel": channel,
                "created_at": now,
                "expires_at": expires,
                "reminders_sent": 0,
            }
            for p in allowed
        ],
    )
    queued = queue_bulk(
        session,
        organisation_id=organisation_id,
        template=TEMPLATES[channel],
        purpose=INVITATION,
        list_key=f"touchpoint-{touchpoint_id}",
        recipients=[
            _recipient(
                p,
                channel,
                tokens[p.contact_id],
                f"blast-{touchpoint_id}-{question.id}-{p.contact_id}",
            )
            for p in allowed
        ],
        context=_question_context(question),
        channel=Channel(channel),
        ref=f"touchpoint:{touchpoint_id}",
    )
    return Blast(len(allowed) - queued.skipped, dict(skipped))
