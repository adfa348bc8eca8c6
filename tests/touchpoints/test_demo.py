"""The demo seed's touchpoints: one of each kind, a QR flyer in a stairwell, schedules of past,
current and coming questions, funnel figures, the origins a local page may embed from, and a
phone line on the demo's number with its calls; and the demo's answers (a few hundred, across
channels, places, languages and modes, with clips), checked in the same seed because seeding the
demo takes a while."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from media.models import MediaStatus
from notifications.senders import sender_numbers
from panel.answers.models import Answer
from panel.core.scoping import scoped_to
from panel.organisations.models import Organisation
from panel.seed import DEMO_ORG_NAME, seed_demo
from panel.threads.models import Comment, Thread
from tests.factories import system_session
from touchpoints.funnel import funnel
from touchpoints.models import Touchpoint
from touchpoints.phone import call_figures
from touchpoints.service import current_question, organisation_today


def test_the_demo_has_a_touchpoint_of_each_kind(app, db_session):
    assert seed_demo()
    session = system_session()
    organisation = session.scalar(sa.select(Organisation).where(Organisation.name == DEMO_ORG_NAME))
    assert organisation.settings["embed_origins"] == [
        "http://127.0.0.1:8000",
        "http://localhost:8000",
    ]
    today = organisation_today(organisation)
    with scoped_to(session, organisation.id):
        touchpoints = session.scalars(sa.select(Touchpoint)).unique().all()
        kinds = sorted(t.kind.value for t in touchpoints)
        assert kinds == ["email", "embed", "link", "qr", "sms", "voice"]
        flyer = next(t for t in touchpoints if t.kind.value == "qr")
        assert flyer.place.kind == "stairwell"
        assert flyer.place.path == "Norra Ängby / Ängbyplan 3 / Trapphus B"
        assert len(flyer.entries) == 3
        assert current_question(session, flyer, today) is not None
        assert (
            funnel(session, flyer, today.replace(day=1).replace(year=today.year - 1)).totals["view"]
            > 0
        )
        answers = session.scalars(sa.select(Answer)).all()
        assert len(answers) >= 300
        assert {a.channel for a in answers} == {"email", "sms", "web", "qr", "embed", "voice"}
        assert {a.language for a in answers} >= {"sv", "en", "nl"}
        assert len({a.place_id for a in answers if a.place_id}) >= 10
        assert {a.clip_kind for a in answers if a.clip_kind} == {"video", "audio"}
        assert all(a.media.status == MediaStatus.READY for a in answers if a.clip_kind)
        assert any(a.choice for a in answers) and any(a.score for a in answers)
        on_flyer = [a for a in answers if a.touchpoint_id == flyer.id]
        assert on_flyer and all(a.place_id == flyer.place_id for a in on_flyer)
        total = funnel(session, flyer, today.replace(year=today.year - 1)).totals["answer"]
        assert total == len(on_flyer)
        # The phone line answers the demo's number, which takes SMS and calls.
        line = next(t for t in touchpoints if t.kind.value == "voice")
        assert (line.name, line.phone_number) == ("Telefonlinjen", "+46812345670")
        assert current_question(session, line, today) is not None
        [number] = sender_numbers(session, organisation.id)
        assert (number.phone_number, number.sms, number.voice) == ("+46812345670", True, True)
        figures = call_figures(session, line, today - dt.timedelta(days=30))
        assert figures.calls > figures.answers > 0
        by_phone = [a for a in answers if a.touchpoint_id == line.id]
        assert {a.channel for a in by_phone} == {"voice"} and all(a.score for a in by_phone)
        # Every answer opened its thread; some conversations went on.
        threads = session.scalars(sa.select(Thread)).unique().all()
        assert sorted(t.answer_id for t in threads) == sorted(a.id for a in answers)
        kinds = [c.kind for c in session.scalars(sa.select(Comment))]
        assert {"reply", "note", "follow_up", "event"} <= set(kinds)
        assert {t.status for t in threads} == {"open", "replied", "closed"}
        replies = session.scalars(sa.select(Comment).where(Comment.kind == "reply")).all()
        assert {r.channel for r in replies} >= {"sms", "email"}
