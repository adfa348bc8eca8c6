"""Demo touchpoints for "Demo Bostäder": one of each kind, a QR flyer placed in a stairwell,
schedules of past, current and coming questions, and a few weeks of funnel figures.

The funnel figures are made up (a fixed random seed) so the touchpoint pages have something to
show: one counter row per day, source and event, as real visits leave them.
"""

from __future__ import annotations

import datetime as dt
import random

import sqlalchemy as sa
from sqlalchemy.orm import Session

from panel.answers.demo import touchpoint_answer
from panel.core.db import utcnow
from panel.organisations.models import Organisation
from panel.organisations.service import EMBED_ORIGINS_SETTING
from panel.places.models import Place
from panel.questions.models import Question, QuestionStatus
from touchpoints.models import FunnelCount, Touchpoint
from touchpoints.schedule import current_entry
from touchpoints.service import create_touchpoint, organisation_today

# A page served from here (``python -m http.server 8000``) may embed the demo's touchpoints.
DEMO_EMBED_ORIGINS = ["http://127.0.0.1:8000", "http://localhost:8000"]
FUNNEL_DAYS = 21
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
