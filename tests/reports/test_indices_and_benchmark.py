"""Composite indices (pages), the report settings on the settings page, and the anonymous
benchmark across organisations (the periodic job, its page, and its quartiles)."""

from __future__ import annotations

import datetime as dt
import secrets
import statistics

import pytest
import sqlalchemy as sa

from panel.answers.models import Answer
from panel.core.scoping import scoped_to
from panel.organisations.models import Organisation
from panel.questions.models import Question, QuestionStatus
from panel.reports import benchmark
from panel.reports.models import BenchmarkFigure, CompositeIndex, IndexComponent
from tests.factories import OrganisationFactory, UserFactory, login, system_session

NOW = dt.datetime(2026, 11, 15, 12, tzinfo=dt.UTC)


def _question(owner, title="Hur nöjd är du med städningen?", modes=("score",)):
    session = system_session()
    question = Question(
        organisation_id=owner.organisation_id,
        owner_id=owner.id,
        title=title,
        answer_modes=list(modes),
        status=QuestionStatus.LIVE,
    )
    session.add(question)
    session.commit()
    return question


@pytest.fixture
def organisation(db_session):
    return OrganisationFactory(name="Bostäder Öst")


@pytest.fixture
def admin(organisation):
    return UserFactory(organisation=organisation, admin=True)


def test_admin_saves_the_report_settings(client, admin, organisation):
    login(client, admin)
    page = client.get("/app/settings")
    assert page.status_code == 200
    assert "Take part in the benchmark" in page.get_data(as_text=True)
    refused = client.post(
        "/app/settings/reports",
        data={"report_score_target": "11", "report_target_share": "80", "report_min_group": "5"},
    )
    assert refused.status_code == 422
    assert "from 1 to 10" in refused.get_data(as_text=True)
    saved = client.post(
        "/app/settings/reports",
        data={
            "report_score_target": "7",
            "report_target_share": "85,5",
            "report_min_group": "3",
            "benchmark_opt_in": "on",
        },
    )
    assert saved.status_code == 303
    system_session().refresh(organisation)
    assert organisation.settings["report_score_target"] == 7
    assert organisation.settings["report_target_share"] == 85.5
    assert organisation.settings["report_min_group"] == 3
    assert organisation.settings["benchmark_opt_in"] is True
    for bad in (
        {"report_min_group": "0"},
        {"report_target_share": "101"},
        {"report_min_group": "2.5"},
    ):
        values = {"report_score_target": "7", "report_target_share": "80", "report_min_group": "5"}
        assert client.post("/app/settings/reports", data=values | bad).status_code == 422


def test_staff_may_not_change_report_settings_or_indices(client, organisation):
    staff = UserFactory(organisation=organisation)
    login(client, staff)
    assert client.post("/app/settings/reports", data={}).status_code == 403
    assert client.get("/app/reports/indices").status_code == 200
    assert client.post("/app/reports/indices/new", data={"name": "X"}).status_code == 403


def test_create_change_and_delete_an_index(client, admin, organisation):
    first = _question(admin)
    second = _question(admin, "Hur trygg känner du dig?")
    text_only = _question(admin, "Vad saknar du?", ("text",))
    theirs = _question(UserFactory(organisation=OrganisationFactory()))
    login(client, admin)
    assert client.get("/app/reports/indices").status_code == 200
    form = client.get("/app/reports/indices/new").get_data(as_text=True)
    assert "Hur trygg känner du dig?" in form and "Vad saknar du?" not in form
    values = {
        "name": "Serviceindex",
        "target_mean": "7",
        "target_share": "85",
        "benchmark_key": "service",
        f"weight-{first.id}": "2",
        f"weight-{second.id}": "1,5",
    }
    for wrong, message in (
        ({f"weight-{first.id}": "0", f"weight-{second.id}": ""}, "above 0"),
        ({f"weight-{first.id}": "", f"weight-{second.id}": ""}, "at least one"),
        ({f"weight-{theirs.id}": "1"}, "score questions"),
        ({f"weight-{text_only.id}": "1"}, "score questions"),
        ({"target_mean": "12"}, "from 1 to 10"),
        ({"benchmark_key": "rent"}, "kinds listed"),
        ({"name": " "}, "a name"),
    ):
        refused = client.post("/app/reports/indices/new", data=values | wrong)
        assert refused.status_code == 422, wrong
        assert message in refused.get_data(as_text=True), wrong
    assert client.post("/app/reports/indices/new", data=values).status_code == 303
    session = system_session()
    index = session.scalar(sa.select(CompositeIndex).where(CompositeIndex.name == "Serviceindex"))
    assert (index.target_mean, index.target_share, index.benchmark_key) == (7, 85, "service")
    assert sorted((c.question_id, c.weight) for c in index.components) == [
        (first.id, 2.0),
        (second.id, 1.5),
    ]
    taken = client.post("/app/reports/indices/new", data=values | {"name": "serviceINDEX"})
    assert taken.status_code == 422
    listing = client.get("/app/reports/indices").get_data(as_text=True)
    assert "Serviceindex" in listing and "Hur trygg" in listing

    changed = values | {f"weight-{first.id}": "", "target_share": "", "benchmark_key": ""}
    assert client.post(f"/app/reports/indices/{index.id}", data=changed).status_code == 303
    session.expire_all()
    index = session.get(CompositeIndex, index.id)
    assert [(c.question_id, c.weight) for c in index.components] == [(second.id, 1.5)]
    assert (index.target_share, index.benchmark_key) == (None, None)
    assert client.get(f"/app/reports/indices/{index.id}").status_code == 200
    assert client.post(f"/app/reports/indices/{index.id}/delete").status_code == 303
    assert session.scalar(sa.select(sa.func.count()).select_from(IndexComponent)) == 0


# --- the benchmark ---------------------------------------------------------------------------


def _taking_part(n: int, scores: list[int], opt_in: bool = True) -> Organisation:
    organisation = OrganisationFactory(
        name=f"Bolag {n}", settings={"benchmark_opt_in": opt_in, "report_score_target": 8}
    )
    owner = UserFactory(organisation=organisation)
    question = _question(owner)
    session = system_session()
    with scoped_to(session, organisation.id):
        index = CompositeIndex(
            organisation_id=organisation.id, name="Service", benchmark_key="service"
        )
        index.components.append(
            IndexComponent(organisation_id=organisation.id, question_id=question.id, weight=1)
        )
        session.add(index)
        # This quarter (to 15 November) and the last; one answer from before both.
        for day, score in zip(
            [dt.date(2026, 10, 2), dt.date(2026, 11, 3), dt.date(2026, 8, 20)] * 10,
            scores,
            strict=False,
        ):
            session.add(
                Answer(
                    organisation_id=organisation.id,
                    question_id=question.id,
                    channel="web",
                    language="sv",
                    score=score,
                    me_token=secrets.token_urlsafe(24),
                    created_at=dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC),
                )
            )
        session.commit()
    return organisation


def test_benchmark_rows_quartiles_and_page(client, db_session):
    scores = {
        1: [9, 9, 8, 7, 9, 10],
        2: [5, 6, 7, 4, 6, 8],
        3: [8, 8, 8, 9, 7, 8],
        4: [3, 5, 9, 6, 7, 7],
        5: [10, 9, 10, 9, 8, 10],
    }
    organisations = {n: _taking_part(n, s) for n, s in scores.items()}
    outsider = _taking_part(6, [1, 1, 1], opt_in=False)

    session = system_session()
    session.info.pop("stoop.all_organisations", None)
    written = benchmark.refresh(db_session, NOW)
    assert written == 10  # five organisations, this quarter and the last
    again = benchmark.refresh(db_session, NOW)
    assert again == 10
    rows = (
        db_session.execute(sa.select(BenchmarkFigure).execution_options(all_organisations=True))
        .scalars()
        .all()
    )
    assert len(rows) == 10
    assert outsider.id not in {r.organisation_id for r in rows}

    def expected(n: int, months: tuple[int, ...]) -> list[int]:
        days = [dt.date(2026, 10, 2), dt.date(2026, 11, 3), dt.date(2026, 8, 20)] * 10
        return [s for d, s in zip(days, scores[n], strict=False) if d.month in months]

    current = {n: expected(n, (10, 11)) for n in scores}
    for row in rows:
        n = next(k for k, o in organisations.items() if o.id == row.organisation_id)
        mine = current[n] if row.quarter == "2026Q4" else expected(n, (7, 8, 9))
        assert row.answers == len(mine)
        assert row.mean == pytest.approx(sum(mine) / len(mine))
        assert row.share_at_target == pytest.approx(100 * sum(s >= 8 for s in mine) / len(mine))

    means = sorted(sum(v) / len(v) for v in current.values())
    with scoped_to(db_session, organisations[3].id):
        standing = next(
            s
            for s in benchmark.standings(db_session, organisations[3].id, NOW)
            if s.quarter == "2026Q4"
        )
    q1, median, q3 = statistics.quantiles(means, n=4, method="inclusive")
    spread = standing.mean_spread
    assert (spread.low, spread.q1, spread.median, spread.q3, spread.high) == pytest.approx(
        (means[0], q1, median, q3, means[-1])
    )
    assert spread.organisations == 5

    admin = UserFactory(organisation=organisations[3], admin=True)
    login(client, admin)
    page = client.get("/app/reports/benchmark").get_data(as_text=True)
    assert "2026Q4" in page and "among 5 organisations" in page
    for other in organisations.values():
        assert other.name not in page or other.id == organisations[3].id

    # Two opt out: three are too few to show anything of the others.
    for n in (1, 2):
        organisations[n].settings = {"benchmark_opt_in": False}
    system_session().commit()
    benchmark.refresh(db_session, NOW)
    page = client.get("/app/reports/benchmark").get_data(as_text=True)
    assert "Not enough organisations share this figure yet" in page
    assert "among 3 organisations" not in page
