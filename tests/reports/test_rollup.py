"""The answers' rollup on PostgreSQL: it always equals the answers counted here, in Python,
whatever happens to them (added one by one or in bulk, changed, erased, cascaded away with
their question, another organisation's beside them), before and after the periodic merge, in
the organisation's own days; a report reads it and gives the figures the answers give.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
from collections import Counter
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from panel.accounts.models import Role, User
from panel.answers.models import Answer
from panel.organisations.models import Organisation
from panel.places.service import ensure_path
from panel.questions.models import Question, QuestionStatus
from panel.reports import rollup
from panel.reports.figures import ReportFilter, compute
from panel.reports.models import SCORE_COLUMNS, AnswerRollup
from tests.factories import OrganisationFactory, UserFactory

pytestmark = pytest.mark.postgres_only

Key = tuple[int, dt.date, int, int, str]


@pytest.fixture
def session(db_session: Session, is_postgres: bool) -> Session:
    if not is_postgres:
        pytest.skip("the rollup is kept on PostgreSQL only (SQLite reports read the answers)")
    return db_session


def expected(session: Session, organisation_id: int, zone: str) -> dict[Key, tuple[int, ...]]:
    """The organisation's answers counted per key, in Python, days on ``zone``'s clock."""
    counts: Counter[tuple[Key, int]] = Counter()
    clock = ZoneInfo(zone)
    for created, question_id, touchpoint_id, channel, score in session.execute(
        sa.select(
            Answer.created_at,
            Answer.question_id,
            Answer.touchpoint_id,
            Answer.channel,
            Answer.score,
        ).where(Answer.organisation_id == organisation_id)
    ):
        key = (organisation_id, created.astimezone(clock).date(), question_id,
               touchpoint_id or 0, channel)  # fmt: skip
        counts[key, 0] += 1
        if score is not None:
            counts[key, score] += 1
    keys = {key for key, _column in counts}
    return {key: tuple(counts[key, column] for column in range(11)) for key in keys}


def rolled(session: Session, organisation_id: int) -> dict[Key, tuple[int, ...]]:
    """The rollup's rows added up per key (keys that come to nothing left out)."""
    r = AnswerRollup
    columns = [r.answers, *(getattr(r, name) for name in SCORE_COLUMNS)]
    rows = session.execute(
        sa.select(
            r.organisation_id,
            r.day,
            r.question_id,
            r.touchpoint_id,
            r.channel,
            *(sa.func.sum(c) for c in columns),
        )
        .where(r.organisation_id == organisation_id)
        .group_by(r.organisation_id, r.day, r.question_id, r.touchpoint_id, r.channel)
    )
    found = {}
    for row in rows:
        counts = tuple(int(n) for n in row[5:])
        if any(counts):
            found[tuple(row[:5])] = counts
    return found


def rollup_rows(session: Session, organisation_id: int) -> int:
    return session.scalar(
        sa.select(sa.func.count())
        .select_from(AnswerRollup)
        .where(AnswerRollup.organisation_id == organisation_id)
    )


def make_org(session: Session, name: str, zone: str | None) -> tuple[Any, list[int]]:
    settings = {"timezone": zone} if zone else {}
    org = OrganisationFactory(name=name, settings=settings)
    staff = UserFactory(organisation=org)
    questions = []
    for title, modes in (
        ("Hur trivs du i trapphuset?", ["score", "text"]),
        ("Hoe tevreden bent u over de schoonmaak?", ["score"]),
        ("Vad saknar du på gården?", ["text"]),
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
        questions.append(question.id)
    return org, questions


def answer(organisation_id: int, question_id: int, **values: Any) -> Answer:
    return Answer(
        organisation_id=organisation_id,
        question_id=question_id,
        language=values.pop("language", "sv"),
        me_token=secrets.token_urlsafe(24),
        **values,
    )


def many(
    organisation_id: int, questions: list[int], count: int, rng: random.Random, **values: Any
) -> list[Answer]:
    start = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
    made = []
    for _n in range(count):
        question_id = rng.choice(questions)
        takes_score = question_id in questions[:2]  # make_org's first two take a score
        score = rng.randint(1, 10) if takes_score and rng.random() < 0.85 else None
        made.append(
            answer(
                organisation_id,
                question_id,
                channel=rng.choice(["web", "embed", "qr", "email", "sms", "voice"]),
                score=score,
                text=None if score else "Mer bänkar och bättre belysning vid cykelstället",
                created_at=start + dt.timedelta(seconds=rng.randrange(61 * 86400)),
                **values,
            )
        )
    return made


def test_the_rollup_follows_every_change_to_the_answers(session: Session) -> None:
    rng = random.Random(2026)
    org, questions = make_org(session, "Woonstichting De Linde", "Europe/Amsterdam")
    other, other_questions = make_org(session, "Grannbolaget", None)
    from panel.core.scoping import scoped_to
    from touchpoints.service import create_touchpoint

    with scoped_to(session, org.id):
        touchpoint = create_touchpoint(
            session,
            {"name": "Flyer trappenhuis", "kind": "qr"},
            [(questions[1], dt.date(2026, 10, 1))],
        )
    # Added in bulk (one flush: a few multi-row INSERTs), then one by one.
    session.add_all(many(org.id, questions, 700, rng))
    session.add_all(many(other.id, other_questions, 200, rng))
    session.flush()
    for made in many(org.id, questions, 25, rng, touchpoint_id=touchpoint.id):
        session.add(made)
        session.flush()
    # On the edge of a day on Amsterdam's clock (CET): 22:59:59 UTC is still the 14th there.
    for moment, score in ((dt.datetime(2026, 11, 14, 22, 59, 59), 10),
                          (dt.datetime(2026, 11, 14, 23, 0), 1)):  # fmt: skip
        moment = moment.replace(tzinfo=dt.UTC)
        session.add(answer(org.id, questions[0], channel="web", score=score, created_at=moment))
    session.flush()
    assert rolled(session, org.id) == expected(session, org.id, "Europe/Amsterdam")
    assert rolled(session, other.id) == expected(session, other.id, "Europe/Stockholm")
    edge = rolled(session, org.id)
    assert edge[org.id, dt.date(2026, 11, 14), questions[0], 0, "web"][10] >= 1
    assert edge[org.id, dt.date(2026, 11, 15), questions[0], 0, "web"][1] >= 1

    answers = session.scalars(
        sa.select(Answer).where(Answer.organisation_id == org.id).order_by(Answer.id)
    ).all()
    # Changed: scores, channels, moments; a change of consent changes no count and adds no row.
    before = rollup_rows(session, org.id)
    for row in answers[:40]:
        row.consent_quote = True
    session.flush()
    assert rollup_rows(session, org.id) == before
    for row in answers[40:80]:
        if row.score is not None:
            row.score = 11 - row.score
    for row in answers[80:95]:
        row.channel = "sms"
    for row in answers[95:100]:
        row.created_at -= dt.timedelta(days=3, hours=5)
    session.flush()
    session.execute(
        sa.update(Answer)
        .where(Answer.organisation_id == org.id, Answer.score == 5)
        .values(score=6)
        .execution_options(synchronize_session=False)
    )
    assert rolled(session, org.id) == expected(session, org.id, "Europe/Amsterdam")

    # Removed: erased one by one, in bulk, and with their question (the foreign key cascades).
    for row in answers[100:110]:
        session.delete(row)
    session.flush()
    session.execute(
        sa.delete(Answer).where(Answer.organisation_id == org.id, Answer.channel == "qr")
    )
    session.execute(sa.delete(Question).where(Question.id == questions[2]))
    session.expire_all()
    assert rolled(session, org.id) == expected(session, org.id, "Europe/Amsterdam")
    assert not any(key[2] == questions[2] for key in rolled(session, org.id))
    assert rolled(session, other.id) == expected(session, other.id, "Europe/Stockholm")

    # The merge: one compacted row per key, the keys that came to nothing gone, sums the same.
    fresh = session.scalar(
        sa.select(sa.func.count()).select_from(AnswerRollup).where(~AnswerRollup.compacted)
    )
    assert fresh > 0
    merged = rollup.compact(session)
    assert merged > 0
    rows = session.execute(
        sa.select(AnswerRollup).where(AnswerRollup.organisation_id == org.id)
    ).scalars().all()  # fmt: skip
    assert rows and all(row.compacted for row in rows)
    assert all(row.answers > 0 for row in rows)
    keys = [(r.day, r.question_id, r.touchpoint_id, r.channel) for r in rows]
    assert len(keys) == len(set(keys))
    assert rolled(session, org.id) == expected(session, org.id, "Europe/Amsterdam")
    assert rolled(session, other.id) == expected(session, other.id, "Europe/Stockholm")
    # Changes after the merge land beside the merged rows and merge into them next time.
    session.add_all(many(org.id, questions[:2], 30, rng))
    session.flush()
    assert rolled(session, org.id) == expected(session, org.id, "Europe/Amsterdam")
    assert rollup.compact(session) > 0
    assert rollup.compact(session) == 0
    assert rolled(session, org.id) == expected(session, org.id, "Europe/Amsterdam")


def test_a_new_time_zone_counts_the_days_again(session: Session) -> None:
    rng = random.Random(7)
    org, questions = make_org(session, "Bostadsbolaget Ängsbacken", None)
    session.add_all(many(org.id, questions, 300, rng))
    session.flush()
    zone_of = sa.select(Organisation.rollup_zone).where(Organisation.id == org.id)
    assert session.scalar(zone_of) == "Europe/Stockholm"
    assert rolled(session, org.id) == expected(session, org.id, "Europe/Stockholm")

    for zone, counted in (
        ("America/Sao_Paulo", "America/Sao_Paulo"),
        ("Europe/Ankara", "Europe/Stockholm"),  # no such zone: Stockholm's, as the app reads it
        ("Asia/Kolkata", "Asia/Kolkata"),
    ):
        session.execute(
            sa.update(Organisation)
            .where(Organisation.id == org.id)
            .values(settings={"timezone": zone, "report_min_group": 3})
        )
        assert session.scalar(zone_of) == counted
        assert rolled(session, org.id) == expected(session, org.id, counted)
    # Other settings change nothing.
    session.execute(
        sa.update(Organisation)
        .where(Organisation.id == org.id)
        .values(settings={"timezone": "Asia/Kolkata", "report_min_group": 8})
    )
    assert session.scalar(zone_of) == "Asia/Kolkata"


def test_a_report_reads_the_rollup_and_gives_the_answers_figures(session: Session) -> None:
    rng = random.Random(11)
    org, questions = make_org(session, "Bostadsbolaget Ängsbacken", "Europe/Stockholm")
    from panel.core.scoping import scoped_to

    with scoped_to(session, org.id):
        stairwells = [
            ensure_path(session, ["Ängsbacken", f"Ängsbacksvägen {n}", f"Trapphus {t}"])[0]
            for n in range(1, 4)
            for t in "ABC"
        ]
        session.flush()
    area_id = stairwells[0].area_id
    made = many(org.id, questions, 900, rng)
    for row in made:
        row.place_id = rng.choice(stairwells).id
    session.add_all(made)
    session.flush()
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    engine = session.get_bind().engine
    sa.event.listen(engine, "before_cursor_execute", seen)
    try:
        chosen = ReportFilter(
            organisation_id=org.id,
            starts_on=dt.date(2026, 11, 1),
            ends_on=dt.date(2026, 11, 30),
            period="week",
        )
        figures = compute(session, chosen)
        read_rollup = any("answer_rollup" in s for s in statements)
        statements.clear()
        # Every answer is in the one area: the same report about the area reads the answers.
        scanned = compute(session, ReportFilter(**{**chosen.__dict__, "place_id": area_id}))
        scanned_rollup = any("answer_rollup" in s for s in statements)
    finally:
        sa.event.remove(engine, "before_cursor_execute", seen)
    assert read_rollup and not scanned_rollup

    zone = ZoneInfo("Europe/Stockholm")

    def between(first: dt.date, last: dt.date) -> list[Answer]:
        return [a for a in made if first <= a.created_at.astimezone(zone).date() <= last]

    in_november = between(dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    in_october = between(dt.date(2026, 10, 2), dt.date(2026, 10, 31))  # the 30 days before
    assert figures.answers.value == len(in_november) > 0
    assert figures.answers.previous == len(in_october) > 0
    for score in figures.scores:
        mine = [a.score for a in in_november if a.question_id == score.question_id and a.score]
        assert score.answers == len(mine)
        assert score.mean.value == pytest.approx(sum(mine) / len(mine))
        assert score.distribution == tuple(mine.count(n) for n in range(1, 11))
    assert {c.channel: c.answers for c in figures.channels} == Counter(
        a.channel for a in in_november
    )
    assert sum(point.answers for point in figures.trend) == len(in_november)
    # The two ways agree on every figure but the breakdown's root.
    for name in ("answers", "channels", "trend", "scores", "indices", "sends"):
        assert getattr(figures, name) == getattr(scanned, name), name
    assert [p for p in figures.places if p.kind != "area"] == [
        p for p in scanned.places if p.kind != "area"
    ]


def test_answers_at_once_do_not_wait_for_each_other(database_factory: Any) -> None:
    """Two tenants answering the same question on the same day by the same channel: the
    second's transaction commits while the first's is still open (no row both must lock)."""
    url = database_factory()
    if not url.startswith("postgresql"):
        pytest.skip("the rollup is kept on PostgreSQL only")
    engine = sa.create_engine(url)
    try:
        # Core inserts of the models' tables: their defaults, none of the app around them.
        with engine.begin() as conn:
            org = conn.execute(
                sa.insert(Organisation.__table__)
                .values(name="Bostäder i Söderhamn", slug="soderhamn", settings={})
                .returning(Organisation.__table__.c.id)
            ).scalar_one()
            owner = conn.execute(
                sa.insert(User.__table__)
                .values(organisation_id=org, email="kim@soderhamn.se", role=Role.COMMUNICATOR)
                .returning(User.__table__.c.id)
            ).scalar_one()
            question = conn.execute(
                sa.insert(Question.__table__)
                .values(
                    organisation_id=org,
                    owner_id=owner,
                    title="Hur trivs du?",
                    answer_modes=["score"],
                    status=QuestionStatus.LIVE,
                )
                .returning(Question.__table__.c.id)
            ).scalar_one()
        insert = sa.text(
            "INSERT INTO answer (organisation_id, question_id, channel, language, score,"
            " may_contact, consent_identity, consent_quote, consent_show_clip, me_token,"
            " created_at) VALUES (:o, :q, 'sms', 'sv', :s, false, false, false, false, :t, now())"
        )
        first, second = engine.connect(), engine.connect()
        try:
            first.begin()
            first.execute(insert, {"o": org, "q": question, "s": 9, "t": "first"})
            second.begin()
            second.execute(sa.text("SET LOCAL lock_timeout = '2s'"))
            second.execute(insert, {"o": org, "q": question, "s": 4, "t": "second"})
            second.commit()
            first.commit()
        finally:
            first.close()
            second.close()
        with engine.connect() as conn:
            answers, nines, fours = conn.execute(
                sa.text(
                    "SELECT sum(answers), sum(s9), sum(s4) FROM answer_rollup"
                    " WHERE organisation_id = :o"
                ),
                {"o": org},
            ).one()
        assert (answers, nines, fours) == (2, 1, 1)
    finally:
        engine.dispose()
