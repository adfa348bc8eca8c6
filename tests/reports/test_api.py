"""``/api/v1/reports``: create a report naming only the organisation's own rows, read it, and
get its figures as JSON (the same figures :func:`compute` gives)."""

from __future__ import annotations

import datetime as dt
import secrets

import pytest

from panel.answers.models import Answer
from panel.core.scoping import scoped_to
from panel.places.service import ensure_path
from panel.questions.models import Question, QuestionStatus
from panel.reports.api import figures_json
from panel.reports.figures import compute
from panel.reports.service import filter_of, get_report
from tests.factories import OrganisationFactory, UserFactory, api_headers, system_session


@pytest.fixture
def organisation(db_session):
    return OrganisationFactory(settings={"report_min_group": 2})


@pytest.fixture
def staff(organisation):
    return UserFactory(organisation=organisation, communicator=True)


def _question(owner, title="Hur trivs du?"):
    session = system_session()
    question = Question(
        organisation_id=owner.organisation_id,
        owner_id=owner.id,
        title=title,
        answer_modes=["score"],
        status=QuestionStatus.LIVE,
    )
    session.add(question)
    session.commit()
    return question


def test_create_read_and_get_figures(client, db_session, organisation, staff):
    question = _question(staff)
    with scoped_to(db_session, organisation.id):
        stairwell, _ = ensure_path(db_session, ["Söder", "Ågatan 2", "Trapphus Ö"])
        for n, score in enumerate([9, 8, 4, 10, 7]):
            db_session.add(
                Answer(
                    organisation_id=organisation.id,
                    question_id=question.id,
                    channel="sms" if n % 2 else "web",
                    language="sv",
                    score=score,
                    place_id=stairwell.id,
                    me_token=secrets.token_urlsafe(24),
                    created_at=dt.datetime(2026, 11, 2 + n, 12, tzinfo=dt.UTC),
                )
            )
        db_session.commit()
    headers = api_headers(staff)
    body = {
        "title": "  Trivsel   i november ",
        "question_ids": [question.id, question.id],
        "place_id": stairwell.area_id,
        "starts_on": "2026-11-01",
        "ends_on": "2026-11-30",
        "period": "week",
    }
    created = client.post("/api/v1/reports/", json=body, headers=headers)
    assert created.status_code == 201, created.json
    report = created.json
    assert report["title"] == "Trivsel i november"
    assert report["question_ids"] == [question.id]
    assert client.get(f"/api/v1/reports/{report['id']}", headers=headers).json == report
    assert client.get("/api/v1/reports/", headers=headers).json["items"] == [report]

    got = client.get(f"/api/v1/reports/{report['id']}/figures", headers=headers)
    assert got.status_code == 200, got.json
    figures = got.json
    assert figures["answers"] == {"value": 5, "previous": 0, "change": 5}
    (score,) = figures["scores"]
    assert score["mean"]["value"] == pytest.approx(7.6)
    assert score["share_at_target"]["value"] == pytest.approx(60.0)
    assert score["distribution"] == [0, 0, 0, 1, 0, 0, 1, 1, 1, 1]
    assert [p["kind"] for p in figures["places"]] == ["area", "building", "stairwell"]
    assert [p["name"] for p in figures["places"]] == ["Söder", "Ågatan 2", "Trapphus Ö"]
    with scoped_to(db_session, organisation.id):
        stored = get_report(db_session, report["id"])
        expected = figures_json(compute(db_session, filter_of(stored)), stored.id)
    assert figures == _jsonish(expected)


def _jsonish(value):
    if isinstance(value, dict):
        return {k: _jsonish(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonish(v) for v in value]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def test_another_organisations_ids_are_refused(client, organisation, staff):
    other = OrganisationFactory()
    theirs = _question(UserFactory(organisation=other))
    headers = api_headers(staff)
    for field, value in (
        ("question_ids", [theirs.id]),
        ("touchpoint_ids", [2_000_000_000]),
        ("segment_ids", [2_000_000_000]),
        ("index_ids", [2_000_000_000]),
        ("place_id", 2_000_000_000),
    ):
        response = client.post(
            "/api/v1/reports/", json={"title": "Rapport", field: value}, headers=headers
        )
        assert response.status_code == 409, (field, response.json)
        assert response.json["error"]["code"] == "unknown_id"
        assert field in response.json["error"]["details"], response.json
    crossed = client.post(
        "/api/v1/reports/",
        json={"title": "Rapport", "starts_on": "2026-11-30", "ends_on": "2026-11-01"},
        headers=headers,
    )
    assert crossed.status_code == 409
    assert "end" in crossed.json["error"]["message"]
    blank = client.post("/api/v1/reports/", json={"title": "   "}, headers=headers)
    assert blank.status_code == 422
    assert client.get("/api/v1/reports/2000000000/figures", headers=headers).status_code == 404
