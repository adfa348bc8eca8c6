"""Acceptance: every figure of a report equals the figure computed independently here.

A known set of answers is seeded once for the module (a realistic mix: four questions, every
channel, two sends with delivered, undelivered, failed and queued messages, places in two
areas with small stairwells and non-ASCII names, answers in the period before, a segment, and
another organisation's answers that must never count). Each test computes a report's figures
through :func:`panel.reports.figures.compute` and compares them with plain Python over the rows
this test itself wrote.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from notifications.models import Channel, OutboundMessage
from panel.actions.models import ActionItem
from panel.answers.models import Answer
from panel.contacts.models import Contact
from panel.core.scoping import scoped_to
from panel.panels.models import MemberSource, MemberStatus, Panel, PanelMember, Segment
from panel.places.models import Place
from panel.places.service import ensure_path
from panel.questions.models import Question, QuestionStatus
from panel.reports.figures import ReportFilter, answers_of, compute
from panel.reports.models import CompositeIndex, IndexComponent
from panel.sends.models import Invitation, Send, SendStatus
from tests.conftest import savepoint_binding
from tests.factories import OrganisationFactory, UserFactory

TARGET, SHARE, MIN_GROUP = 7, 75.0, 4
ZONE = ZoneInfo("Europe/Stockholm")  # the organisation's clock: days and weeks are its own
STARTS, ENDS = dt.date(2026, 10, 1), dt.date(2026, 11, 30)
PREVIOUS = (dt.date(2026, 8, 1), dt.date(2026, 9, 30))  # the 61 days before
CHANNELS = ("web", "embed", "qr", "email", "sms", "voice")
STAIRWELLS = [
    ("Ängsbacken", "Ängsbacksvägen 3", "Trappuppgång A"),
    ("Ängsbacken", "Ängsbacksvägen 3", "Trappuppgång B"),
    ("Ängsbacken", "Ängsbacksvägen 3", "Trappuppgång Ö"),  # small
    ("Ängsbacken", "Östra gården 1", "Trapphus Å"),
    ("Ängsbacken", "Östra gården 1", "Trapphus 2"),  # small
    ("Nørrebro-kvarteret", "Björkvägen 12", "Uppgång 1"),
    ("Nørrebro-kvarteret", "Björkvägen 12", "Uppgång 2"),
    ("Nørrebro-kvarteret", "Çamlık 5", "Giriş A"),  # small
]
SMALL = {"Trappuppgång Ö", "Trapphus 2", "Giriş A"}


@dataclass
class Seeded:
    organisation_id: int
    questions: dict[str, int]
    score_ids: set[int]
    touchpoint_id: int
    segment_id: int
    places: dict[int, Place]  # id → place (detached copies of the fields used)
    segment_members: set[int]
    answers: list[dict[str, Any]] = field(default_factory=list)
    sends: dict[int, dict[str, Any]] = field(default_factory=dict)
    index_id: int = 0
    index_components: list[tuple[int, float]] = field(default_factory=list)
    actions_at: set[int] = field(default_factory=set)


def at(day: dt.date, rng: random.Random) -> dt.datetime:
    seconds = rng.randrange(24 * 3600)
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC) + dt.timedelta(seconds=seconds)


@pytest.fixture(scope="module")
def seeded(app: Flask) -> Iterator[tuple[Session, Seeded]]:
    with savepoint_binding(app) as session:
        yield session, seed(session)


def seed(session: Session) -> Seeded:
    rng = random.Random(17)
    org = OrganisationFactory(
        name="Bostadsbolaget Ängsbacken",
        settings={
            "report_score_target": TARGET,
            "report_target_share": SHARE,
            "report_min_group": MIN_GROUP,
            "timezone": "Europe/Stockholm",
        },
    )
    other = OrganisationFactory(name="Grannbolaget")
    staff = UserFactory(organisation=org)
    other_staff = UserFactory(organisation=other)
    with scoped_to(session, org.id):
        leaves = [ensure_path(session, list(names))[0] for names in STAIRWELLS]
        session.flush()
        buildings = {leaf.building_id for leaf in leaves}
        places = {p.id: p for p in session.scalars(sa.select(Place))}
        questions = {}
        for key, title, modes in (
            ("trivsel", "Hur trivs du i trapphuset?", ["score", "text"]),
            ("stad", "Hur nöjd är du med städningen?", ["score"]),
            ("fritext", "Vad saknar du?", ["text"]),
            ("trygg", "Hur trygg känner du dig?", ["score"]),
        ):
            question = Question(
                owner_id=staff.id,
                title=title,
                answer_modes=modes,
                status=QuestionStatus.LIVE,
                organisation_id=org.id,
            )
            session.add(question)
            session.flush()
            questions[key] = question.id
        from touchpoints.service import create_touchpoint

        touchpoint = create_touchpoint(
            session, {"name": "Flygblad Ängsbacken", "kind": "qr"}, [(questions["stad"], STARTS)]
        )
        panel = Panel(name="Tillsammans", slug=f"p-{secrets.token_hex(4)}", organisation_id=org.id)
        session.add(panel)
        session.flush()
        area_two = next(p.id for p in places.values() if p.name == "Nørrebro-kvarteret")
        segment = Segment(
            panel_id=panel.id,
            name="Nørrebro, arabiska och somaliska",
            place_id=area_two,
            languages=["ar", "so"],
            organisation_id=org.id,
        )
        session.add(segment)
        contacts = []
        for n in range(60):
            contact = Contact(
                name=f"Hyresgäst {n}",
                email=f"h{n}@example.se",
                language=rng.choice(["sv", "ar", "so", "en"]),
                place_id=rng.choice(leaves).id,
                organisation_id=org.id,
            )
            session.add(contact)
            contacts.append(contact)
        session.flush()
        members = set()
        for contact in contacts[:45]:
            status = MemberStatus.LEFT if contact.id % 9 == 0 else MemberStatus.ACTIVE
            session.add(
                PanelMember(
                    panel_id=panel.id,
                    contact_id=contact.id,
                    status=status,
                    source=MemberSource.CSV,
                    me_token=secrets.token_urlsafe(24),
                    organisation_id=org.id,
                )
            )
            below_area_two = places[contact.place_id].area_id == area_two
            if below_area_two and contact.language in ("ar", "so"):
                members.add(contact.id)
        session.flush()

        data = Seeded(
            organisation_id=org.id,
            questions=questions,
            score_ids={questions["trivsel"], questions["stad"], questions["trygg"]},
            touchpoint_id=touchpoint.id,
            segment_id=segment.id,
            places={
                p.id: Place(
                    id=p.id,
                    kind=p.kind,
                    name=p.name,
                    path=p.path,
                    parent_id=p.parent_id,
                    area_id=p.area_id,
                    building_id=p.building_id,
                )
                for p in places.values()
            },
            segment_members=members,
        )

        # Answers: the report's period, the period before, and long before (never counted).
        big = [leaf.id for leaf in leaves if leaf.name not in SMALL]
        small = [leaf.id for leaf in leaves if leaf.name in SMALL]
        days = [STARTS + dt.timedelta(days=d) for d in range((ENDS - STARTS).days + 1)]
        before = [PREVIOUS[0] + dt.timedelta(days=d) for d in range(61)]
        rows = []
        for n in range(420):
            pool = days if n < 300 else before if n < 400 else [dt.date(2025, 3, 3)]
            question_key = rng.choice(["trivsel", "trivsel", "stad", "fritext", "trygg"])
            qid = questions[question_key]
            score = None
            if qid in data.score_ids and rng.random() < 0.9:
                score = rng.choice([1, 3, 5, 6, 7, 7, 8, 8, 9, 10])
            roll = rng.random()
            place_id = (
                rng.choice(small)
                if roll < 0.06
                else rng.choice(sorted(buildings))
                if roll < 0.12
                else None
                if roll < 0.17
                else rng.choice(big)
            )
            contact = rng.choice(contacts) if rng.random() < 0.7 else None
            rows.append(
                {
                    "question_id": qid,
                    "channel": rng.choice(CHANNELS),
                    "score": score,
                    "place_id": place_id,
                    "contact_id": contact.id if contact else None,
                    "touchpoint_id": touchpoint.id if rng.random() < 0.2 else None,
                    "created_at": at(rng.choice(pool), rng),
                }
            )
        # The very edges of the period on the organisation's clock (CEST, then CET from 25
        # October): the first and the last second count, the next does not; and the first
        # half hour of the Monday after the clocks went back is that Monday's week.
        for moment in (
            dt.datetime(2026, 9, 30, 21, 59, 59, tzinfo=dt.UTC),
            dt.datetime(2026, 9, 30, 22, 0, tzinfo=dt.UTC),
            dt.datetime(2026, 10, 25, 23, 30, tzinfo=dt.UTC),
            dt.datetime(2026, 11, 30, 22, 59, 59, tzinfo=dt.UTC),
            dt.datetime(2026, 11, 30, 23, 0, tzinfo=dt.UTC),
            dt.datetime(2026, 10, 31, 23, 30, tzinfo=dt.UTC),
        ):
            rows.append(
                {
                    "question_id": questions["stad"],
                    "channel": "web",
                    "score": 8,
                    "place_id": big[0],
                    "contact_id": None,
                    "touchpoint_id": None,
                    "created_at": moment,
                }
            )
        for row in rows:
            answer = Answer(
                organisation_id=org.id,
                language="sv",
                me_token=secrets.token_urlsafe(24),
                text="Det är bra här" if row["score"] is None else None,
                **row,
            )
            session.add(answer)
            session.flush()
            row["id"] = answer.id
        data.answers = rows

        # Two sends of "trivsel" and one of "trygg" (outside the report), one cancelled.
        states = ["delivered"] * 8 + ["sent"] * 4 + ["undelivered"] * 3 + ["failed", "queued"]
        for send_key, started, status in (
            ("trivsel", dt.datetime(2026, 10, 5, 9, tzinfo=dt.UTC), SendStatus.SENT),
            ("trivsel", dt.datetime(2026, 11, 9, 9, tzinfo=dt.UTC), SendStatus.SENT),
            ("trivsel", dt.datetime(2026, 8, 9, 9, tzinfo=dt.UTC), SendStatus.SENT),
            ("trygg", dt.datetime(2026, 10, 6, 9, tzinfo=dt.UTC), SendStatus.SENT),
            ("trivsel", dt.datetime(2026, 10, 7, 9, tzinfo=dt.UTC), SendStatus.CANCELLED),
        ):
            send = Send(
                question_id=questions[send_key],
                panel_id=panel.id,
                segment_id=segment.id if started.day == 9 else None,
                channels=["email", "sms"],
                status=status,
                scheduled_at=started,
                started_at=started if status == SendStatus.SENT else None,
                organisation_id=org.id,
            )
            session.add(send)
            session.flush()
            invited = (
                rng.sample(contacts[:45], len(states) + 3) if status == SendStatus.SENT else []
            )
            record = {"question_id": send.question_id, "started": started, "invitations": []}
            for n, contact in enumerate(invited):
                state = states[n] if n < len(states) else None  # the last 3: no message row
                answered = rng.random() < 0.45
                channel = "sms" if n % 3 == 0 else "email"
                session.add(
                    Invitation(
                        token=secrets.token_urlsafe(24),
                        question_id=send.question_id,
                        contact_id=contact.id,
                        send_id=send.id,
                        channel=channel,
                        created_at=started,
                        expires_at=started + dt.timedelta(days=30),
                        answered_at=started + dt.timedelta(hours=3) if answered else None,
                        organisation_id=org.id,
                    )
                )
                if state is not None:
                    session.add(
                        OutboundMessage(
                            organisation_id=org.id,
                            channel=Channel(channel),
                            purpose="send-invitation",
                            dedupe_key=f"send-{send.id}-{contact.id}",
                            recipient=contact.email,
                            contact_id=contact.id,
                            ref=f"send:{send.id}",
                            state=state,
                        )
                    )
                    # A reminder to the same person: never counted as the invitation's message.
                    session.add(
                        OutboundMessage(
                            organisation_id=org.id,
                            channel=Channel(channel),
                            purpose="send-reminder",
                            dedupe_key=f"send-{send.id}-{contact.id}-reminder-1",
                            recipient=contact.email,
                            contact_id=contact.id,
                            ref=f"send:{send.id}",
                            state="delivered",
                        )
                    )
                record["invitations"].append(
                    {
                        "contact_id": contact.id,
                        "place_id": contact.place_id,
                        "state": state,
                        "answered": answered,
                    }
                )
            data.sends[send.id] = {**record, "status": status}

        index = CompositeIndex(
            name="Serviceindex",
            target_mean=6.5,
            target_share=60.0,
            benchmark_key="service",
            organisation_id=org.id,
        )
        session.add(index)
        session.flush()
        data.index_id = index.id
        data.index_components = [(questions["trivsel"], 2.0), (questions["stad"], 1.0)]
        for qid, weight in data.index_components:
            session.add(
                IndexComponent(
                    index_id=index.id, question_id=qid, weight=weight, organisation_id=org.id
                )
            )
        acted = [big[0], next(iter(buildings))]
        for place_id in acted:
            session.add(ActionItem(title="Byt lampor", place_id=place_id, organisation_id=org.id))
        data.actions_at = set(acted)
        session.commit()

    # Another organisation's answers to its own question, in the same period: never counted.
    with scoped_to(session, other.id):
        theirs = Question(
            owner_id=other_staff.id,
            title="Hur trivs du?",
            answer_modes=["score"],
            status=QuestionStatus.LIVE,
            organisation_id=other.id,
        )
        session.add(theirs)
        session.flush()
        for n in range(30):
            session.add(
                Answer(
                    organisation_id=other.id,
                    question_id=theirs.id,
                    channel="web",
                    language="sv",
                    score=1 + n % 10,
                    me_token=secrets.token_urlsafe(24),
                    created_at=at(STARTS + dt.timedelta(days=n), rng),
                )
            )
        session.commit()
    return data


# --- the figures, computed independently -----------------------------------------------------


def taken(data: Seeded, row: dict[str, Any], f: ReportFilter, starts: Any, ends: Any) -> bool:
    """Whether the filter takes in the row over [starts, ends] (dates inclusive)."""
    chosen = []
    if f.question_ids:
        chosen.append(row["question_id"] in f.question_ids)
    if f.touchpoint_ids:
        chosen.append(row["touchpoint_id"] in f.touchpoint_ids)
    if chosen and not any(chosen):
        return False
    day = local_day(row["created_at"])
    if starts is not None and day < starts:
        return False
    if ends is not None and day > ends:
        return False
    if f.place_id is not None:
        place = data.places.get(row["place_id"])
        if place is None or f.place_id not in (place.id, place.building_id, place.area_id):
            return False
    return not (f.segment_ids and row["contact_id"] not in data.segment_members)


def local_day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(ZONE).date()


def scored(data: Seeded, rows: list[dict[str, Any]]) -> list[int]:
    return [
        r["score"] for r in rows if r["question_id"] in data.score_ids and r["score"] is not None
    ]


def mean(scores: list[int]) -> float | None:
    return sum(scores) / len(scores) if scores else None


def share(scores: list[int]) -> float | None:
    return 100.0 * sum(s >= TARGET for s in scores) / len(scores) if scores else None


def approx(value: float | None) -> Any:
    return None if value is None else pytest.approx(value)


def check(session: Session, data: Seeded, f: ReportFilter) -> Any:
    with scoped_to(session, data.organisation_id):
        figures = compute(session, f, (data.index_id,))
        taken_ids = set(session.scalars(answers_of(f, session)))
    current = [r for r in data.answers if taken(data, r, f, f.starts_on, f.ends_on)]
    previous_filter = f.previous()
    before = (
        [
            r
            for r in data.answers
            if taken(data, r, f, previous_filter.starts_on, previous_filter.ends_on)
        ]
        if previous_filter
        else None
    )
    assert current, "the test's filter takes in some answers"
    assert taken_ids == {r["id"] for r in current}  # answers_of: the same answers

    # Settings.
    assert (figures.score_target, figures.target_share, figures.min_group) == (
        TARGET,
        SHARE,
        MIN_GROUP,
    )

    # Totals and channels.
    assert figures.answers.value == len(current)
    assert figures.answers.previous == (len(before) if before is not None else None)
    by_channel = {}
    for r in current:
        by_channel[r["channel"]] = by_channel.get(r["channel"], 0) + 1
    assert {c.channel: c.answers for c in figures.channels} == by_channel
    assert sum(c.answers for c in figures.channels) == len(current)

    # Score questions: mean, share at target, distribution, against the period before.
    expected_questions = (
        [q for q in f.question_ids if q in data.score_ids]
        if f.question_ids
        else sorted({r["question_id"] for r in current + (before or [])} & data.score_ids)
    )
    assert [s.question_id for s in figures.scores] == expected_questions
    for s in figures.scores:
        now = scored(data, [r for r in current if r["question_id"] == s.question_id])
        assert s.answers == len(now)
        assert s.mean.value == approx(mean(now))
        assert s.share_at_target.value == approx(share(now))
        assert s.distribution == tuple(now.count(n) for n in range(1, 11))
        if before is not None:
            then = scored(data, [r for r in before if r["question_id"] == s.question_id])
            assert s.mean.previous == approx(mean(then))
            assert s.share_at_target.previous == approx(share(then))
        else:
            assert s.mean.previous is None

    # The composite index: weighted mean of the question means, weighted share at target.
    (index,) = figures.indices
    for rows, got_mean, got_share in (
        (current, index.mean.value, index.share_at_target.value),
        (before, index.mean.previous, index.share_at_target.previous),
    ):
        if rows is None:
            assert got_mean is None
            continue
        parts = [
            (weight, scored(data, [r for r in rows if r["question_id"] == qid]))
            for qid, weight in data.index_components
        ]
        parts = [(w, s) for w, s in parts if s]
        total_weight = sum(w for w, _ in parts)
        assert got_mean == approx(
            sum(w * mean(s) for w, s in parts) / total_weight if parts else None
        )
        assert got_share == approx(
            sum(w * share(s) for w, s in parts) / total_weight if parts else None
        )
        if rows is current:
            assert index.answers == sum(len(s) for _, s in parts)
            assert index.meets_target == (
                (got_mean >= 6.5 and got_share >= 60.0) if parts else None
            )

    # The trend: every week (or month) of the period, empty ones included.
    step = f.period
    points = {}
    for r in current:
        day = local_day(r["created_at"])
        start = day - dt.timedelta(days=day.weekday()) if step == "week" else day.replace(day=1)
        points.setdefault(start, []).append(r)
    first = f.starts_on or min(points)
    last = f.ends_on or max(points)
    if step == "week":
        first, last = first - dt.timedelta(first.weekday()), last - dt.timedelta(last.weekday())
    else:
        first, last = first.replace(day=1), last.replace(day=1)
    assert figures.trend[0].starts_on == first
    assert figures.trend[-1].starts_on == last
    assert sum(p.answers for p in figures.trend) == len(current)
    for point in figures.trend:
        rows = points.get(point.starts_on, [])
        assert point.answers == len(rows)
        assert point.mean == approx(mean(scored(data, rows)))
        assert point.share_at_target == approx(share(scored(data, rows)))

    # The breakdown: sums rolled up the tree, small groups hidden, marks, actions.
    expected_rows = {}
    for place in data.places.values():
        if f.place_id is not None and f.place_id not in (
            place.id,
            place.building_id,
            place.area_id,
        ):
            continue
        rows = [
            r
            for r in current
            if r["place_id"] is not None
            and place.id
            in (
                r["place_id"],
                data.places[r["place_id"]].building_id,
                data.places[r["place_id"]].area_id,
            )
        ]
        if rows:
            expected_rows[place.id] = rows
    assert {p.place_id for p in figures.places} == set(expected_rows)

    # Subtraction: where exactly one of a set of siblings holds back the scores it has, the
    # shown sibling with the fewest score answers holds back its own (the module's rule).
    def shows_scores(place_id: int) -> bool:
        rows = expected_rows[place_id]
        return len(rows) >= MIN_GROUP and len(scored(data, rows)) >= MIN_GROUP

    siblings: dict[int | None, list[int]] = {}
    for place_id in expected_rows:
        parent = data.places[place_id].parent_id
        top = parent not in expected_rows or place_id == f.place_id
        siblings.setdefault(None if top else parent, []).append(place_id)
    withheld = set()
    for group in siblings.values():
        small = [i for i in group if scored(data, expected_rows[i]) and not shows_scores(i)]
        shown_ones = [i for i in group if shows_scores(i)]
        if len(small) == 1 and shown_ones:
            withheld.add(
                min(
                    shown_ones,
                    key=lambda i: (
                        len(scored(data, expected_rows[i])),
                        data.places[i].name.casefold(),
                        i,
                    ),
                )
            )
    for p in figures.places:
        rows = expected_rows[p.place_id]
        scores = scored(data, rows)
        assert p.answers == len(rows)
        assert p.hidden == (len(rows) < MIN_GROUP)
        assert p.withheld == (p.place_id in withheld)
        shown = not p.hidden and len(scores) >= MIN_GROUP and not p.withheld
        assert p.mean == (approx(mean(scores)) if shown else None)
        assert p.share_at_target == (approx(share(scores)) if shown else None)
        assert p.below_target == (shown and share(scores) < SHARE)
        if p.hidden:
            assert not p.below_target
        assert p.has_action == (p.place_id in data.actions_at)
        assert p.kind == str(data.places[p.place_id].kind.value)
    # Tree order: each row follows its parent; siblings by name.
    seen: list[int] = []
    for p in figures.places:
        parent = data.places[p.place_id].parent_id
        if parent in expected_rows and p.place_id != f.place_id:
            assert parent in seen
            assert p.depth == next(r.depth for r in figures.places if r.place_id == parent) + 1
        else:
            assert p.depth == 0
        seen.append(p.place_id)

    # Answer rate per send: answered / delivered of the sends of the report's questions.
    expected_sends = {}
    for send_id, send in data.sends.items():
        if send["status"] != SendStatus.SENT:
            continue
        if f.question_ids and send["question_id"] not in f.question_ids:
            continue
        if f.touchpoint_ids and not f.question_ids:
            continue
        day = local_day(send["started"])
        if (f.starts_on and day < f.starts_on) or (f.ends_on and day > f.ends_on):
            continue
        invitations = send["invitations"]
        if f.place_id is not None:
            invitations = [
                i
                for i in invitations
                if f.place_id
                in (
                    i["place_id"],
                    data.places[i["place_id"]].building_id,
                    data.places[i["place_id"]].area_id,
                )
            ]
        if f.segment_ids:
            invitations = [i for i in invitations if i["contact_id"] in data.segment_members]
        if not invitations:
            continue
        delivered = sum(i["answered"] or i["state"] in ("sent", "delivered") for i in invitations)
        answered = sum(i["answered"] for i in invitations)
        expected_sends[send_id] = (delivered, answered)
    assert {s.send_id: (s.delivered, s.answered) for s in figures.sends} == expected_sends
    for s in figures.sends:
        assert s.rate == (100.0 * s.answered / s.delivered if s.delivered else None)
    return figures


# --- the reports --------------------------------------------------------------------------------


def test_questions_over_two_months_per_week(seeded: tuple[Session, Seeded]) -> None:
    session, data = seeded
    q = data.questions
    figures = check(
        session,
        data,
        ReportFilter(
            organisation_id=data.organisation_id,
            question_ids=(q["stad"], q["trivsel"], q["fritext"]),
            starts_on=STARTS,
            ends_on=ENDS,
            period="week",
        ),
    )
    # The mix is what the test means it to be: hidden small groups, marked places, sends.
    assert any(p.hidden for p in figures.places)
    assert any(p.withheld for p in figures.places)
    assert any(p.below_target for p in figures.places)
    assert any(not p.hidden and not p.below_target for p in figures.places)
    assert {p.kind for p in figures.places} == {"area", "building", "stairwell"}
    assert len(figures.sends) == 2
    assert figures.scores[0].question_id == q["stad"]


def test_every_answer_per_month_without_dates(seeded: tuple[Session, Seeded]) -> None:
    session, data = seeded
    figures = check(session, data, ReportFilter(organisation_id=data.organisation_id))
    assert figures.answers.previous is None
    assert len(figures.trend) > 12  # from March 2025 to November 2026


def test_a_building_and_a_touchpoint(seeded: tuple[Session, Seeded]) -> None:
    session, data = seeded
    building = next(p for p in data.places.values() if p.name == "Ängsbacksvägen 3")
    check(
        session,
        data,
        ReportFilter(
            organisation_id=data.organisation_id,
            question_ids=(data.questions["trivsel"],),
            touchpoint_ids=(data.touchpoint_id,),
            place_id=building.id,
            starts_on=STARTS,
            ends_on=ENDS,
        ),
    )


def test_a_segment_and_an_area(seeded: tuple[Session, Seeded]) -> None:
    session, data = seeded
    area = next(p for p in data.places.values() if p.name == "Nørrebro-kvarteret")
    for place_id in (None, area.id):
        check(
            session,
            data,
            ReportFilter(
                organisation_id=data.organisation_id,
                segment_ids=(data.segment_id,),
                place_id=place_id,
                starts_on=dt.date(2026, 8, 1),
                ends_on=ENDS,
            ),
        )


def test_only_a_touchpoint_has_no_sends(seeded: tuple[Session, Seeded]) -> None:
    session, data = seeded
    figures = check(
        session,
        data,
        ReportFilter(organisation_id=data.organisation_id, touchpoint_ids=(data.touchpoint_id,)),
    )
    assert figures.sends == ()
