"""Touchpoints: slugs, schedules, the question current on a day, and the funnel's counters."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from panel.core.errors import NotFound, ValidationError
from panel.core.scoping import scoped_to
from panel.questions.models import QuestionStatus
from tests.factories import OrganisationFactory, UserFactory
from tests.touchpoints.conftest import make_question
from touchpoints import funnel
from touchpoints.models import FunnelCount
from touchpoints.schedule import current_entry, timeline
from touchpoints.service import (
    SLUG_ALPHABET,
    current_question,
    find_by_slug,
    get_touchpoint,
    update_touchpoint,
)

MARCH, APRIL, MAY = dt.date(2026, 3, 1), dt.date(2026, 4, 1), dt.date(2026, 5, 1)


def test_a_touchpoint_gets_a_short_readable_unique_slug(touchpoint_factory):
    slugs = {touchpoint_factory(name=f"Flygblad {i}").slug for i in range(20)}
    assert len(slugs) == 20
    for slug in slugs:
        assert re.fullmatch(f"[{SLUG_ALPHABET}]{{7}}", slug)
        assert not set(slug) & set("01ilo")


def test_the_question_current_on_a_day_follows_the_schedule(staff, touchpoint_factory, scoped):
    a = make_question(staff, title="A: tvättstugan", status=QuestionStatus.LIVE)
    b = make_question(staff, title="B: gården", status=QuestionStatus.LIVE)
    touchpoint = touchpoint_factory(schedule=[(b.id, APRIL), (a.id, MARCH)])

    assert current_question(scoped, touchpoint, dt.date(2026, 2, 28)) is None
    assert current_question(scoped, touchpoint, MARCH).title == "A: tvättstugan"
    assert current_question(scoped, touchpoint, dt.date(2026, 3, 31)).title == "A: tvättstugan"
    assert current_question(scoped, touchpoint, APRIL).title == "B: gården"
    assert current_question(scoped, touchpoint, dt.date(2030, 1, 1)).title == "B: gården"


def test_only_live_questions_show(staff, touchpoint_factory, scoped):
    draft = make_question(staff, title="Utkast")
    closed = make_question(staff, title="Stängd", status=QuestionStatus.CLOSED)
    touchpoint = touchpoint_factory(schedule=[(draft.id, MARCH), (closed.id, APRIL)])
    assert current_question(scoped, touchpoint, MARCH) is None
    assert current_question(scoped, touchpoint, APRIL) is None


def test_an_inactive_touchpoint_shows_nothing(live_question, touchpoint_factory, scoped):
    touchpoint = touchpoint_factory(schedule=[(live_question.id, MARCH)])
    update_touchpoint(scoped, touchpoint, {"is_active": False})
    assert current_question(scoped, touchpoint, APRIL) is None


def test_timeline_marks_past_current_and_upcoming():
    class E:
        def __init__(self, day):
            self.starts_on = day

    entries = [E(MAY), E(MARCH), E(APRIL)]
    steps = timeline(entries, dt.date(2026, 4, 15))
    assert [s.state for s in steps] == ["past", "current", "upcoming"]
    assert steps[0].ends_on == dt.date(2026, 3, 31)
    assert steps[2].ends_on is None
    assert current_entry(entries, dt.date(2026, 1, 1)) is None


def test_schedule_is_replaced_and_refuses_two_steps_a_day(
    staff, live_question, touchpoint_factory, scoped
):
    other = make_question(staff, title="Gården", status=QuestionStatus.LIVE)
    touchpoint = touchpoint_factory(schedule=[(live_question.id, MARCH)])
    update_touchpoint(scoped, touchpoint, {}, [(other.id, "2026-03-01"), (live_question.id, MAY)])
    scoped.commit()
    assert [(e.question_id, e.starts_on) for e in touchpoint.entries] == [
        (other.id, MARCH),
        (live_question.id, MAY),
    ]
    with pytest.raises(ValidationError, match="Two steps start on 2026-03-01"):
        update_touchpoint(scoped, touchpoint, {}, [(other.id, MARCH), (other.id, MARCH)])
    with pytest.raises(ValidationError, match="start date"):
        update_touchpoint(scoped, touchpoint, {}, [(other.id, "1 mars")])


def test_another_organisations_question_or_place_is_not_found(touchpoint_factory, scoped):
    stranger = UserFactory(organisation=OrganisationFactory())
    with scoped_to(scoped, stranger.organisation_id):
        theirs = make_question(stranger, status=QuestionStatus.LIVE)
    touchpoint = touchpoint_factory()
    with pytest.raises(NotFound):
        update_touchpoint(scoped, touchpoint, {}, [(theirs.id, MARCH)])
    with pytest.raises(NotFound):
        update_touchpoint(scoped, touchpoint, {"place_id": 10**9})


def test_bad_names_and_kinds_are_refused_with_a_message(touchpoint_factory):
    with pytest.raises(ValidationError, match="Give the touchpoint a name"):
        touchpoint_factory(name="   ")
    with pytest.raises(ValidationError, match="Choose the kind"):
        touchpoint_factory(kind="fax")


def test_find_by_slug_crosses_organisations_but_get_does_not(touchpoint_factory, db_session):
    touchpoint = touchpoint_factory()
    other = OrganisationFactory()
    with scoped_to(db_session, other.id):
        assert find_by_slug(db_session, touchpoint.slug.upper()).id == touchpoint.id
        with pytest.raises(NotFound):
            get_touchpoint(db_session, touchpoint.id)
    assert find_by_slug(db_session, "nothere") is None


def test_funnel_counts_per_day_source_and_event(touchpoint_factory, scoped):
    touchpoint = touchpoint_factory()
    for src in ("qr", "qr", "QR", "embed", "evil<script>", None):
        funnel.record(scoped, touchpoint.id, src, "view", day=MARCH)
    funnel.record(scoped, touchpoint.id, "qr", "start", day=MARCH)
    funnel.record(scoped, touchpoint.id, "qr", "answer", day=APRIL)
    scoped.commit()
    rows = scoped.execute(
        sa.select(
            FunnelCount.day, FunnelCount.source, FunnelCount.event, FunnelCount.count
        ).order_by(FunnelCount.day, FunnelCount.source, FunnelCount.event)
    ).all()
    assert [tuple(r) for r in rows] == [
        (MARCH, "direct", "view", 2),
        (MARCH, "embed", "view", 1),
        (MARCH, "qr", "start", 1),
        (MARCH, "qr", "view", 3),
        (APRIL, "qr", "answer", 1),
    ]
    result = funnel.funnel(scoped, touchpoint, since=MARCH)
    assert result.totals == {"view": 6, "start": 1, "answer": 1}
    assert result.rows[0].day == APRIL
    assert result.by_source["qr"] == {"view": 3, "start": 1, "answer": 1}
    with pytest.raises(ValueError):
        funnel.record(scoped, touchpoint.id, "qr", "click")
