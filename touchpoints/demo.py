"""Demo touchpoints for "Demo Bostäder": one of each kind, a QR flyer placed in a stairwell,
schedules of past, current and coming questions, and a few weeks of funnel figures; and
"Telefonlinjen", which answers the demo's phone number with the current question.

The funnel figures are made up (a fixed random seed) so the touchpoint pages have something to
show: one counter row per day, source and event, as real visits leave them. The phone line gets
calls kept as the voice webhook keeps them, and the answers most of them left.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets

import sqlalchemy as sa
from sqlalchemy.orm import Session

from notifications.models import Channel, InboundMessage
from notifications.senders import find_sender_number
from panel.answers.demo import touchpoint_answer
from panel.answers.models import AnswerChannel
from panel.answers.phone import CallTarget
from panel.core.db import utcnow
from panel.organisations.demo import DEMO_PHONE_NUMBER
from panel.organisations.models import Organisation
from panel.organisations.service import EMBED_ORIGINS_SETTING
from panel.places.models import Place
from panel.questions.models import Question, QuestionStatus
from touchpoints.models import FunnelCount, Touchpoint
from touchpoints.phone import create_voice_touchpoint
from touchpoints.schedule import current_entry
from touchpoints.service import create_touchpoint, organisation_today

# A page served from here (``python -m http.server 8000``) may embed the demo's touchpoints.
DEMO_EMBED_ORIGINS = ["http://127.0.0.1:8000", "http://localhost:8000"]
FUNNEL_DAYS = 21
CALLS = 17
CALL_DAYS = 14
NEXT_QUESTION = "Tryggheten i området på kvällen"


def _question(session: Session, title: str) -> Question | None:
    return session.scalar(sa.select(Question).where(Question.title == title).limit(1))


def _stairwell(session: Session) -> Place | None:
    return session.scalar(
        sa.select(Place).where(Place.path == "Norra Ängby / Ängbyplan 3 / Trapphus B")
    )


def seed_demo_touchpoints(session: Session, organisation: Organisation) -> None:
    """The demo's touchpoints (the session is scoped to ``organisation``)."""
    organisation.settings = {
        **(organisation.settings or {}),
        EMBED_ORIGINS_SETTING: DEMO_EMBED_ORIGINS,
    }
    today = organisation_today(organisation)
    month = today.replace(day=1)
    last_month = (month - dt.timedelta(days=1)).replace(day=1)
    next_month = (month + dt.timedelta(days=32)).replace(day=1)
    stairs = _question(session, "Hur trivs du i ditt trapphus?")
    laundry = _question(session, "Tvättstugans nya tider")
    bikes = _question(session, "Cykelrummet på Storgatan")
    evening = _question(session, NEXT_QUESTION)
    live = [q for q in (stairs, evening) if q is not None and q.status == QuestionStatus.LIVE]
    if not live:
        return  # the questions' demo could not publish any: nothing to place
    current = live[0]
    timeline = [(current.id, month)]
    if laundry is not None:
        timeline.insert(0, (laundry.id, last_month))
    if evening is not None and evening is not current:
        timeline.append((evening.id, next_month))
    stairwell = _stairwell(session)
    made = [
        create_touchpoint(
            session,
            {
                "name": "Flygblad i trapphus B, Ängbyplan 3",
                "kind": "qr",
                "place_id": stairwell.id if stairwell else None,
            },
            timeline,
        ),
        create_touchpoint(
            session, {"name": "Knapp på demobostader.se/mina-sidor", "kind": "embed"}, timeline
        ),
        create_touchpoint(
            session, {"name": "Länk i nyhetsbrevet och på Facebook", "kind": "link"}, timeline
        ),
        create_touchpoint(
            session,
            {"name": "E-post till alla i Norra Ängby", "kind": "email", "place_id": _area(session)},
            [(current.id, month)],
        ),
        create_touchpoint(
            session,
            {"name": "Sms till Centrum om cykelrummet", "kind": "sms"},
            [(bikes.id if bikes else current.id, next_month)],
        ),
    ]
    session.flush()
    _visits(session, made, today)
    _phone_line(session, organisation, current, today)


def _phone_line(
    session: Session, organisation: Organisation, question: Question, today: dt.date
) -> None:
    """The phone line "Telefonlinjen" on the demo's number (when the organisation's demo made
    it), with two weeks of calls: most left an answer, some hung up first."""
    number = find_sender_number(session, DEMO_PHONE_NUMBER)
    if number is None or number.organisation_id != organisation.id or not number.voice:
        return
    # From the first of a month at least CALL_DAYS ago: every call heard this question.
    starts_on = (today - dt.timedelta(days=CALL_DAYS + 1)).replace(day=1)
    line = create_voice_touchpoint(
        session, {"name": "Telefonlinjen"}, DEMO_PHONE_NUMBER, [(question.id, starts_on)]
    )
    rng = random.Random(20261214)
    now = utcnow()
    for _ in range(CALLS):
        at = now - dt.timedelta(hours=rng.randint(2, CALL_DAYS * 24))
        session.add(
            InboundMessage(
                organisation_id=organisation.id,
                channel=Channel.VOICE,
                provider="twilio",
                provider_id="CA" + secrets.token_hex(16),
                sender="+4670" + "".join(rng.choice("0123456789") for _ in range(7)),
                recipient=DEMO_PHONE_NUMBER,
                ref=CallTarget(question.id, line.id).ref(),
                received_at=at,
                handled_at=at,
            )
        )
        answer = touchpoint_answer(
            rng, question, touchpoint_id=line.id, source="", place_id=None, at=at
        )
        if answer.score is None or rng.random() < 0.3:
            continue  # hung up before pressing a score
        # By phone: a score pressed (no words typed, no option chosen).
        answer.channel = AnswerChannel.VOICE
        answer.source = answer.text = answer.choice = None
        session.add(answer)


def _area(session: Session) -> int | None:
    return session.scalar(sa.select(Place.id).where(Place.path == "Norra Ängby"))


def _visits(session: Session, touchpoints: list[Touchpoint], today: dt.date) -> None:
    """Three weeks of plausible views, starts and answers (each answer a real one)."""
    rng = random.Random(20261201)
    questions = {q.id: q for q in session.scalars(sa.select(Question))}
    sources = {"qr": ("qr",), "embed": ("embed",), "link": ("link", "direct"), "email": ("email",)}
    for touchpoint in touchpoints:
        for src in sources.get(touchpoint.kind.value, ()):
            for back in range(FUNNEL_DAYS):
                day = today - dt.timedelta(days=back)
                views = rng.randint(0, 9)
                starts = rng.randint(0, min(views, 3))
                answers = _answers(session, rng, touchpoint, questions, src, day, starts)
                for event, count in (("view", views), ("start", starts), ("answer", answers)):
                    if count:
                        session.add(
                            FunnelCount(
                                touchpoint_id=touchpoint.id,
                                day=day,
                                source=src,
                                event=event,
                                count=count,
                            )
                        )


def _answers(
    session: Session,
    rng: random.Random,
    touchpoint: Touchpoint,
    questions: dict[int, Question],
    src: str,
    day: dt.date,
    starts: int,
) -> int:
    """Most who start also answer: their answers to the question shown that day."""
    entry = current_entry(touchpoint.entries, day)
    question = questions.get(entry.question_id) if entry else None
    if question is None or question.status == QuestionStatus.DRAFT or starts == 0:
        return 0
    count = rng.randint(max(starts - 1, 0), starts)
    for _ in range(count):
        at = dt.datetime.combine(day, dt.time(rng.randint(7, 21), rng.randint(0, 59)), dt.UTC)
        session.add(
            touchpoint_answer(
                rng,
                question,
                touchpoint_id=touchpoint.id,
                source=src,
                place_id=touchpoint.place_id,
                at=min(at, utcnow()),
            )
        )
    return count
